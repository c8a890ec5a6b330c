/**
 * Live logs against a real hub (both engines): watchlogs shows a running task's log tail, the
 * logstream event stream sends what the task appends as it grows (whole UTF-8 characters),
 * resumes from Last-Event-ID and ends once the task has finished.
 */
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeResponse } from '../../src/protocol/encode.ts';
import type { ClientSession } from '../../src/protocol/client.ts';
import { PathInfo } from '../../src/util/pathinfo.ts';
import { utf8Prefix } from '../../src/web/pages/logs.ts';
import { engines } from '../helpers/db.ts';
import { startTestHub, type TestHub } from '../helpers/hub.ts';
import { hostSession } from '../helpers/repos.ts';
import { startTestWeb, type TestWeb } from './web-helper.ts';

/** Read server-sent events until `until` says stop (or 20 s pass). */
async function events(url: string, headers: Record<string, string>, until: (ev: Array<{ event: string; id?: string; data: string }>) => boolean, onOpen?: () => void) {
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), 20_000);
  const r = await fetch(url, { headers, signal: ctl.signal });
  expect(r.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
  onOpen?.();
  const out: Array<{ event: string; id?: string; data: string }> = [];
  let text = '';
  const dec = new TextDecoder();
  try {
    for await (const chunk of r.body as unknown as AsyncIterable<Uint8Array>) {
      text += dec.decode(chunk, { stream: true });
      let i;
      while ((i = text.indexOf('\n\n')) >= 0) {
        const block = text.slice(0, i);
        text = text.slice(i + 2);
        const ev = { event: 'message', data: '' } as { event: string; id?: string; data: string };
        let hasData = false;
        for (const line of block.split('\n')) {
          if (line.startsWith('event: ')) ev.event = line.slice(7);
          else if (line.startsWith('id: ')) ev.id = line.slice(4);
          else if (line.startsWith('data: ')) {
            ev.data = line.slice(6);
            hasData = true;
          }
        }
        if (hasData) out.push(ev);
      }
      if (until(out)) break;
    }
  } finally {
    clearTimeout(timer);
    ctl.abort();
  }
  return out;
}

const FIRST = 'line 1 <script>alert(1)</script>\n';
const AT = Buffer.byteLength(FIRST);

describe('utf8Prefix', () => {
  it('ends a piece on a whole character', () => {
    const b = Buffer.from('aé€😀');
    expect([1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((n) => utf8Prefix(b.subarray(0, n)))).toEqual([1, 1, 3, 3, 3, 6, 6, 6, 6, 10]);
    expect(utf8Prefix(Buffer.alloc(0))).toBe(0);
  });
});

describe.each(engines())('live logs on %s', (engine) => {
  let hub: TestHub;
  let admin: ClientSession;
  let host: ClientSession;
  let web: TestWeb;
  let task: number;
  let log: string;

  beforeAll(async () => {
    hub = await startTestHub(engine);
    admin = await hub.login();
    web = await startTestWeb(hub.httpUrl as string);
    host = await hostSession(hub, admin, 'log-b1');
    await admin.call('createTag', ['log-tag']);
    task = await admin.call<number>('makeTask', ['waitrepo', ['log-tag', null, null]], { assign: 'log-b1' });
    await host.call('host.openTask', [task]);
    const dir = new PathInfo(hub.kojiDir).task(task);
    mkdirSync(dir, { recursive: true });
    log = join(dir, 'build.log');
    writeFileSync(log, FIRST);
  });
  afterAll(async () => {
    await web?.close();
    await hub?.stop();
  });

  it('shows the tail of a running task\'s log, escaped, with the offset the stream starts at', async () => {
    const r = await web.page(`/koji/watchlogs?taskID=${task}`);
    expect(r.status).toBe(200);
    expect(r.html).toContain('line 1 &lt;script&gt;alert(1)&lt;/script&gt;');
    expect(r.html).toContain(`data-task="${task}" data-name="build.log" data-offset="${AT}" data-follow="1"`);
    expect(r.html).toContain('<script src="/koji-static/watchlogs.js" defer></script>');
    expect((await web.page('/koji-static/watchlogs.js')).status).toBe(200);
  });

  it('streams what the log gains, then ends when the task has finished; resumes from Last-Event-ID', async () => {
    const url = `${web.url}/koji/logstream?taskID=${task}&name=build.log&offset=${AT}`;
    let step = 0;
    const got = await events(url, {}, (ev) => {
      const text = ev.filter((e) => e.event === 'message').map((e) => (JSON.parse(e.data) as { text: string }).text).join('');
      if (step === 0 && text === 'line 2 é\n') {
        step = 1;
        appendFileSync(log, 'line 3\n');
      } else if (step === 1 && text.endsWith('line 3\n')) {
        step = 2;
        void host.call('host.closeTask', [task, encodeResponse(null)]);
      }
      return ev.some((e) => e.event === 'end');
    }, () => appendFileSync(log, 'line 2 é\n'));
    const messages = got.filter((e) => e.event === 'message');
    expect(messages.map((e) => (JSON.parse(e.data) as { text: string }).text).join('')).toBe('line 2 é\nline 3\n');
    expect(messages.at(-1)?.id).toBe(String(AT + Buffer.byteLength('line 2 é\nline 3\n')));
    expect(got.at(-1)).toEqual({ event: 'end', data: JSON.stringify({ state: 'closed' }) });
    // a browser reconnecting after the last event gets nothing again, just the end
    const again = await events(url, { 'Last-Event-ID': messages.at(-1)!.id! }, (ev) => ev.some((e) => e.event === 'end'));
    expect(again.map((e) => e.event)).toEqual(['end']);
  });

  it('refuses bad log names and ids', async () => {
    expect((await web.page(`/koji/logstream?taskID=${task}&name=../../etc/passwd`)).status).toBe(400);
    expect((await web.page('/koji/watchlogs?taskID=x')).status).toBe(400);
    expect((await web.page('/koji/watchlogs?taskID=9999999')).status).toBe(404);
  });
});
