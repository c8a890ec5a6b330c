/**
 * `kojits hub` with HubWorkers = 2 on PostgreSQL: the first process serves and hands every other
 * connection to the second (cmd/serve.ts); both answer, and stopping the first stops both.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeResponse } from '../../src/protocol/decode.ts';
import { encodeCall } from '../../src/protocol/encode.ts';
import type { XmlRpcValue } from '../../src/protocol/values.ts';
import { engines, freshDatabase } from '../helpers/db.ts';

const ROOT = new URL('../..', import.meta.url).pathname;

function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(f[11]) + Number(f[12]);
}

/** The hub processes a process started (not, say, a transpiler service). */
function hubChildren(pid: number): number[] {
  return readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .filter((e) => {
      try {
        const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid;
      } catch {
        return false;
      }
    })
    .map(Number)
    .filter((p) => readFileSync(`/proc/${p}/cmdline`, 'utf8').includes('kojits'));
}

/** One call on a connection of its own (so that connections are dealt out in turn). */
function call(url: string, method: string, params: XmlRpcValue[] = []): Promise<XmlRpcValue> {
  const body = encodeCall(method, params);
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', agent: false, headers: { 'Content-Type': 'text/xml', Connection: 'close' } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (text += d));
      res.on('end', () => {
        const r = decodeResponse(text);
        if (r.ok) resolve(r.value);
        else reject(new Error(r.faultString));
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe.skipIf(!engines().includes('postgres'))('kojits hub with HubWorkers = 2', () => {
  let dir: string;
  let proc: ChildProcess;
  let url: string;
  beforeAll(async () => {
    const { db, url: dbUrl } = await freshDatabase('postgres');
    await db.close();
    dir = mkdtempSync(join(tmpdir(), 'kojits-procs-'));
    writeFileSync(join(dir, 'hub.conf'), `[hub]\nDBConnectionString = ${dbUrl}\nKojiDir = ${dir}\nHubWorkers = 2\nListenAddress = 127.0.0.1\nHTTPPort = 0\n`);
    proc = spawn(process.execPath, [join(ROOT, 'bin/kojits'), 'hub', '--config', join(dir, 'hub.conf')], { stdio: ['ignore', 'pipe', 'pipe'] });
    url = await new Promise<string>((resolve, reject) => {
      let out = '';
      const take = (d: Buffer) => {
        out += d;
        const m = /ready: .*?(http:\/\/\S+\/kojihub)/.exec(out);
        if (m) resolve(m[1]);
      };
      proc.stdout?.on('data', take);
      proc.stderr?.on('data', take);
      proc.on('exit', (code) => reject(new Error(`hub exited (${code}): ${out}`)));
    });
  }, 60_000);
  afterAll(() => {
    if (proc.exitCode === null) proc.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs two processes that both answer', async () => {
    const kids = hubChildren(proc.pid as number);
    expect(kids).toHaveLength(1);
    const before = cpuTicks(kids[0]);
    const answers = await Promise.all(Array.from({ length: 300 }, () => call(url, 'getAPIVersion')));
    expect(new Set(answers)).toEqual(new Set([1]));
    expect(cpuTicks(kids[0])).toBeGreaterThan(before);
  });

  it('stopping the first process stops both', async () => {
    const kids = hubChildren(proc.pid as number);
    expect(kids).toHaveLength(1);
    await new Promise<void>((resolve) => {
      proc.once('exit', () => resolve());
      proc.kill('SIGTERM');
    });
    await new Promise((r) => setTimeout(r, 500));
    for (const k of kids) expect(() => readFileSync(`/proc/${k}/stat`)).toThrow();
  });
});
