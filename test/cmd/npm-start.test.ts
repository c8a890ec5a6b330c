/**
 * `npm start` (the very command line package.json declares, with a temporary data folder and
 * free ports as extra arguments) stops everything it started when its own pid gets SIGTERM or
 * SIGINT: no process of its tree survives, the ports are free, and the hub shut down cleanly
 * (its data folder lock is gone) — also while a first start makes the database in a child.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LOCK_FILE } from '../../src/db/lock.ts';
import { alive, cmdline, freePort, listening, processTree, ROOT, start, stopAll, until } from './proc.ts';

const dir = mkdtempSync(join(tmpdir(), 'kojits-npm-'));
const data = join(dir, 'data');
let ports: number[];

beforeAll(async () => {
  ports = [await freePort(), await freePort()];
});

afterAll(async () => {
  await stopAll();
  rmSync(dir, { recursive: true, force: true });
});

describe('npm start', () => {
  it('stops while it makes the database of a new data folder', async () => {
    const fresh = join(dir, 'fresh');
    const npm = start('npm', ['start', '--', '--data', fresh, '--https-port', String(ports[0]), '--http-port', String(ports[1])], {
      cwd: ROOT,
      env: { npm_config_update_notifier: 'false', npm_config_loglevel: 'warn' },
    });
    let tree: number[] = [];
    const creating = await until(() => {
      tree = processTree(npm.pid);
      return tree.some((pid) => cmdline(pid).includes('_createdb'));
    }, 60_000);
    expect(creating, npm.output()).toBe(true);
    try {
      process.kill(npm.pid, 'SIGTERM');
      const gone = await until(() => tree.every((pid) => !alive(pid)), 10_000);
      expect(gone, `still running: ${tree.filter(alive).map(cmdline).join('; ')}`).toBe(true);
      expect(existsSync(join(fresh, 'db', LOCK_FILE))).toBe(false);
    } finally {
      for (const pid of tree.filter(alive)) process.kill(pid, 'SIGKILL');
    }
  });

  it.each(['SIGTERM', 'SIGINT'] as const)('stops its whole process tree on %s', async (signal) => {
    const npm = start('npm', ['start', '--', '--data', data, '--https-port', String(ports[0]), '--http-port', String(ports[1])], {
      cwd: ROOT,
      env: { npm_config_update_notifier: 'false', npm_config_loglevel: 'warn' },
    });
    await npm.waitFor(/ready/, 90_000);
    const tree = processTree(npm.pid);
    expect(tree.length).toBeGreaterThanOrEqual(2); // npm and the node that serves
    expect(await listening(ports[0])).toBe(true);

    try {
      process.kill(npm.pid, signal);
      const gone = await until(() => tree.every((pid) => !alive(pid)), 10_000);
      expect(gone, `still running: ${tree.filter(alive).join(', ')}`).toBe(true);
      expect(await listening(ports[0])).toBe(false);
      expect(await listening(ports[1])).toBe(false);
      expect(existsSync(join(data, 'db', LOCK_FILE))).toBe(false);
    } finally {
      for (const pid of tree.filter(alive)) process.kill(pid, 'SIGKILL');
    }
  });
});
