/**
 * `kojits up` as the supervisor, with real processes on a temporary data folder and free
 * loopback ports: the hub runs as a child process and one ready line is printed; a hub killed
 * with -9 is started again and answers; SIGTERM stops every child, frees the ports and the
 * data folder lock; when the supervisor itself is killed with -9 its children stop on their
 * own; a child that cannot start (its port is taken) makes `up` exit with a clear message.
 * With HubWorkers = 2 (PostgreSQL) the hub's workers run the hub and nothing else.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../src/cli/main.ts';
import { LOCK_FILE } from '../../src/db/lock.ts';
import { engines, freshDatabase } from '../helpers/db.ts';
import { alive, cmdline, freePort, parentPid, listening, processTree, runKojits, startKojits, stopAll, until, type Proc } from './proc.ts';

const dir = mkdtempSync(join(tmpdir(), 'kojits-supervise-'));
const data = join(dir, 'data');
const lockFile = join(data, 'db', LOCK_FILE);
let ports: number[];
let up: Proc;

beforeAll(async () => {
  ports = [await freePort(), await freePort()];
});

afterAll(async () => {
  await stopAll();
  rmSync(dir, { recursive: true, force: true });
});

const hubPid = (p: Proc) => processTree(p.pid).find((pid) => / hub --config /.test(cmdline(pid)));
const koji = (...args: string[]) => runCli(['-c', join(data, 'client', 'koji.conf'), '-p', 'kojits', ...args]);
const hubLog = () => readFileSync(join(data, 'log', 'hub.log'), 'utf8');
const args = (d = data) => ['up', '--data', d, '--https-port', String(ports[0]), '--http-port', String(ports[1])];

async function startUp(): Promise<Proc> {
  const p = startKojits(args());
  await p.waitFor(/password login: .*moshimoshi$/, 120_000);
  return p;
}

describe('kojits up, the supervisor', () => {
  it('runs the hub as a child process and prints one ready line', async () => {
    up = await startUp();
    const out = up.output();
    expect(out).toContain(`koji-ts hub ready: https://localhost:${ports[0]}/kojihub and http://localhost:${ports[1]}/kojihub (listening on 127.0.0.1)`);
    expect(out.split('\n').filter((l) => /\bready\b/.test(l))).toHaveLength(1);
    expect(out).toMatch(/^\[hub\] database: PGlite in .*\/db$/m);
    expect(out).toMatch(/^ {2}logs: +.*\/log\/hub\.log/m);
    const hub = hubPid(up)!;
    expect(hub).toBeDefined();
    expect(parentPid(hub)).toBe(up.pid);
    // (written a moment after the console)
    expect(await until(() => hubLog().includes(`koji-ts hub ready: https://127.0.0.1:${ports[0]}/kojihub`), 5000), hubLog()).toBe(true);
    expect((await koji('moshimoshi')).exitCode).toBe(0);
    // the build host init made, in the channels of Koji's builders and repo generation
    const { builderName } = JSON.parse(readFileSync(join(data, 'etc', 'kojits.json'), 'utf8')) as { builderName: string };
    expect((await koji('hostinfo', builderName)).output).toContain('Channels: default createrepo\n');
  });

  it('starts a hub killed with -9 again, and it answers', async () => {
    const old = hubPid(up)!;
    process.kill(old, 'SIGKILL');
    await up.waitFor(/^kojits up: hub is running again/, 90_000);
    expect(up.output()).toMatch(new RegExp(`^kojits up: hub \\(pid ${old}\\) ended \\(killed by SIGKILL\\) after [\\d.]+ s; starting it again in 1 s$`, 'm'));
    const hub = hubPid(up)!;
    expect(hub).not.toBe(old);
    expect(parentPid(hub)).toBe(up.pid);
    expect((await koji('moshimoshi')).exitCode).toBe(0);
  });

  it('stops every child on SIGTERM, frees the ports and releases the lock', async () => {
    const tree = processTree(up.pid);
    expect(tree.length).toBeGreaterThanOrEqual(2);
    // up stops its services one by one, each with up to 20 s before SIGKILL: wait for all of
    // them (a busy CI machine makes a task process slow to go), then check it stopped cleanly
    const code = await up.stop('SIGTERM', 70_000);
    expect(code, up.output().slice(-4000)).toBe(0);
    expect(tree.filter(alive)).toEqual([]);
    expect(await listening(ports[0])).toBe(false);
    expect(await listening(ports[1])).toBe(false);
    expect(existsSync(lockFile)).toBe(false);
    expect(hubLog()).toMatch(/kojits up: hub stopped \(exit code 0\)\n$/);
  }, 90_000);

  it('leaves no child behind when it is killed with -9', async () => {
    up = await startUp();
    const children = processTree(up.pid).filter((pid) => pid !== up.pid);
    expect(children.length).toBeGreaterThanOrEqual(1);
    process.kill(up.pid, 'SIGKILL');
    const gone = await until(() => children.every((pid) => !alive(pid)), 15_000);
    expect(gone, `still running: ${children.filter(alive).map(cmdline).join('; ')}`).toBe(true);
    expect(await listening(ports[0])).toBe(false);
  });

  it('exits with a clear message when a child cannot start', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(ports[0], '127.0.0.1', r));
    try {
      const r = await runKojits(args());
      expect(r.code).toBe(1);
      expect(r.output).toContain(
        `kojits up: the hub could not start (exit code 1): kojits hub: listen EADDRINUSE: address already in use 127.0.0.1:${ports[0]}: another program uses that port; pick others with --https-port/--http-port\n`,
      );
      expect(r.output).not.toMatch(/hub ready/);
      expect(await listening(ports[1])).toBe(false);
      expect(existsSync(lockFile)).toBe(false);
    } finally {
      await new Promise((r) => blocker.close(r));
    }
  });

  it.runIf(engines().includes('postgres'))('runs HubWorkers hub processes that run only the hub', async () => {
    const { db, url } = await freshDatabase('postgres');
    await db.close();
    const p = startKojits([...args(join(dir, 'pg')), '--db', url as string], { env: { KOJITS_HUB_HUBWORKERS: '2' } });
    try {
      await p.waitFor(/password login: .*moshimoshi$/, 120_000);
      expect(p.output()).toContain('[hub] database: PostgreSQL ');
      expect(p.output()).toContain(', 2 hub processes');
      const tree = processTree(p.pid).filter((pid) => pid !== p.pid);
      const hub = hubPid(p)!;
      const workers = tree.filter((pid) => parentPid(pid) === hub);
      expect(workers).toHaveLength(2);
      for (const w of workers) expect(cmdline(w)).toMatch(/bin\/kojits hub --config \S+\/pg\/etc\/hub\.conf$/);
      // no process of the tree ran `up` (or init) again
      expect(tree.filter((pid) => / up /.test(cmdline(pid)))).toEqual([]);
      expect((await runCli(['-c', join(dir, 'pg', 'client', 'koji.conf'), '-p', 'kojits', 'moshimoshi'])).exitCode).toBe(0);
      expect(await p.stop()).toBe(0);
      expect(tree.filter(alive)).toEqual([]);
    } finally {
      await p.stop('SIGKILL');
    }
  });
});
