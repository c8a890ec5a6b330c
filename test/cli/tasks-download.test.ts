/**
 * download-task: a finished buildArch task's output fetched over HTTP under --topurl (a small
 * file server on loopback stands in for the hub's /kojifiles), .rpm files by default, logs
 * renamed with the task's arch, files already there skipped, a missing file failing as the stock
 * CLI's requests error; refusals for tasks that did not close.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeResponse } from '../../src/protocol/encode.ts';
import type { ClientSession } from '../../src/protocol/client.ts';
import { cliFor, type CliRunner } from '../helpers/cli.ts';
import { engines } from '../helpers/db.ts';
import { startTestHub, type TestHub } from '../helpers/hub.ts';

const FILES: Record<string, string> = {
  'hello-1-1.x86_64.rpm': 'binary rpm',
  'hello-1-1.src.rpm': 'source rpm',
  'build.log': 'the build log\n',
};

/** Files under `top` at /kojifiles/…, with HEAD, Range and Last-Modified as a web server answers. */
function fileServer(top: string): Server {
  return createServer((req, res) => {
    const rel = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname).replace(/^\/kojifiles\//, '');
    const file = join(top, rel);
    if (!existsSync(file)) {
      res.writeHead(404, 'Not Found').end();
      return;
    }
    const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    const body = readFileSync(file).subarray(m ? Number(m[1]) : 0);
    res.writeHead(m ? 206 : 200, { 'Content-Length': body.length, 'Last-Modified': 'Wed, 03 Jul 2024 09:46:40 GMT' });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
}

describe.each(engines())('download-task on %s', (engine) => {
  let hub: TestHub;
  let admin: ClientSession;
  let cli: CliRunner;
  let server: Server;
  let topurl: string;
  let work: string;
  let id: number;

  /** Run the CLI in the working folder (download-task writes where it runs). */
  async function inWork(...args: string[]) {
    const cwd = process.cwd();
    process.chdir(work);
    try {
      return await cli.run(...args);
    } finally {
      process.chdir(cwd);
    }
  }

  beforeAll(async () => {
    hub = await startTestHub(engine);
    admin = await hub.login();
    await admin.call('addHost', ['b1', ['x86_64']]);
    await admin.call('kojits.setPassword', ['b1', 'b1-pass-1']);
    const host = await hub.login('b1', 'b1-pass-1');
    await host.call('exclusiveSession');
    id = await admin.call<number>('makeTask', ['buildArch', ['work/hello-1-1.src.rpm', 1, 'x86_64', false]], { arch: 'x86_64' });
    await host.call('host.openTask', [id]);
    const dir = join(hub.kojiDir, 'work/tasks', String(id % 10000), String(id));
    mkdirSync(dir, { recursive: true });
    for (const [name, text] of Object.entries(FILES)) writeFileSync(join(dir, name), text);
    await host.call('host.closeTask', [id, encodeResponse(null)]);
    server = fileServer(hub.kojiDir);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    topurl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/kojifiles`;
    cli = cliFor(hub, { background: true });
    work = mkdtempSync(join(tmpdir(), 'kojits-dltask-'));
  });
  afterAll(async () => {
    await new Promise((r) => server?.close(r));
    await hub?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('downloads the rpms of a buildArch task, with --logs its logs under the task arch, and skips what is there', async () => {
    const r = await inWork('download-task', '--topurl', topurl, '--noprogress', '--logs', String(id));
    expect(r).toMatchObject({ exitCode: 0, error: '' });
    expect(r.output.split('\n').filter(Boolean).map((l) => l.replace(/^Downloading \[\d\/3\]: /, '')).sort()).toEqual(['build.x86_64.log', 'hello-1-1.src.rpm', 'hello-1-1.x86_64.rpm']);
    expect(readFileSync(join(work, 'hello-1-1.x86_64.rpm'), 'utf8')).toBe(FILES['hello-1-1.x86_64.rpm']);
    expect(readFileSync(join(work, 'hello-1-1.src.rpm'), 'utf8')).toBe(FILES['hello-1-1.src.rpm']);
    expect(readFileSync(join(work, 'build.x86_64.log'), 'utf8')).toBe(FILES['build.log']);

    const again = await inWork('download-task', '--topurl', topurl, '--arch', 'x86_64', String(id));
    expect(again.output).toBe('Downloading [1/1]: hello-1-1.x86_64.rpm\nFile hello-1-1.x86_64.rpm already downloaded, skipping\n');

    rmSync(join(work, 'hello-1-1.src.rpm'));
    const bar = await inWork('download-task', '--topurl', topurl, '--arch', 'src', String(id));
    expect(bar.output).toBe(`Downloading [1/1]: hello-1-1.src.rpm\n[${'='.repeat(36)}] 100% 10.00 B / 10.00 B\r\n`);
  });

  it('fails as the stock CLI when a file is missing, and for tasks that did not close', async () => {
    const r = await inWork('download-task', '--topurl', `${topurl}/nosuch`, '--noprogress', '--arch', 'x86_64', '--dirpertask', String(id));
    expect(r.output).toBe(`Downloading [1/1]: ${id}/hello-1-1.x86_64.rpm\n`);
    expect(r.error).toBe(`[ERROR] koji: HTTPError: 404 Client Error: Not Found for url: ${topurl}/nosuch/work/tasks/${id % 10000}/${id}/hello-1-1.x86_64.rpm\n`);
    expect(existsSync(join(work, String(id), 'hello-1-1.x86_64.rpm'))).toBe(false);

    const open = await admin.call<number>('makeTask', ['sleep', [1]]);
    expect(await inWork('download-task', String(open))).toMatchObject({ exitCode: 1, error: `Task ${open} has not finished yet.\n` });
    await admin.call('cancelTask', [open]);
    expect(await inWork('download-task', String(open))).toMatchObject({ exitCode: 1, error: `Task ${open} was canceled.\n` });
  });
});
