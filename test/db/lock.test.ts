/**
 * The lock of a PGlite data folder (src/db/lock.ts) within one process: counted holds, live
 * owners refused by name, stale owners (dead pid, reused pid, unreadable file) taken over, and
 * the PGlite driver taking and releasing it. test/cmd/data-lock.test.ts covers real processes.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { childEnv, FolderInUseError, LOCK_FILE, lockFolder, processStartTime, type LockOwner } from '../../src/db/lock.ts';
import { openPglite } from '../../src/db/pglite.ts';

const root = mkdtempSync(join(tmpdir(), 'kojits-lock-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const folder = () => join(root, `f${++n}`);

function owner(o: Partial<LockOwner>): LockOwner {
  return { pid: process.ppid, host: hostname(), processStart: processStartTime(process.ppid), token: 'other', command: 'kojits up', since: '2024-05-06T07:08:09.000Z', ...o };
}

function plant(dir: string, o: LockOwner | string): void {
  lockFolder(dir).release(); // creates the folder
  writeFileSync(join(dir, LOCK_FILE), typeof o === 'string' ? o : JSON.stringify(o));
}

/** a pid that no longer exists */
function deadPid(): number {
  return Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);
}

describe('folder lock', () => {
  it('records the owner and is removed on release', () => {
    const dir = folder();
    const lock = lockFolder(dir, { command: 'kojits test' });
    const rec = JSON.parse(readFileSync(lock.file, 'utf8')) as LockOwner;
    expect(rec).toMatchObject({ pid: process.pid, host: hostname(), command: 'kojits test', processStart: processStartTime(process.pid) });
    expect(rec.token).toMatch(/^[0-9a-f]{24}$/);
    lock.release();
    expect(existsSync(lock.file)).toBe(false);
  });

  it('is counted within one process', () => {
    const dir = folder();
    const a = lockFolder(dir);
    const b = lockFolder(dir);
    b.release();
    b.release(); // twice is once
    expect(existsSync(a.file)).toBe(true);
    a.release();
    expect(existsSync(a.file)).toBe(false);
  });

  it('refuses a folder a live process holds, naming it', () => {
    const dir = folder();
    plant(dir, owner({ pid: process.ppid }));
    let err: unknown;
    try {
      lockFolder(dir, { hint: 'stop it first or use another --data folder' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(FolderInUseError);
    expect((err as Error).message).toMatch(new RegExp(`^${dir} is in use by kojits up \\(pid ${process.ppid}, started \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\); stop it first or use another --data folder$`));
    expect(JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')).token).toBe('other');
  });

  it('refuses a lock of another host, saying which file to remove', () => {
    const dir = folder();
    plant(dir, owner({ host: 'elsewhere.example.org' }));
    expect(() => lockFolder(dir)).toThrow(`(pid ${process.ppid} on elsewhere.example.org, started`);
    expect(() => lockFolder(dir)).toThrow(`if that process no longer runs, remove ${join(dir, LOCK_FILE)}`);
  });

  it.each([
    ['a dead pid', () => owner({ pid: deadPid(), processStart: null })],
    ['a reused pid (other start time)', () => owner({ processStart: '1' })],
    ['an unreadable file', () => ''],
  ])('takes over a stale lock: %s', (_what, make) => {
    const dir = folder();
    const stale = make();
    plant(dir, stale);
    const lock = lockFolder(dir);
    expect(JSON.parse(readFileSync(lock.file, 'utf8')).pid).toBe(process.pid);
    expect(lock.tookOverFrom?.token ?? null).toBe(typeof stale === 'string' ? null : 'other');
    lock.release();
    expect(existsSync(lock.file)).toBe(false);
  });

  it('is taken by the PGlite driver, once per process, and released on close', async () => {
    const dir = folder();
    const db = await openPglite(dir, 'UTC');
    try {
      expect(JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')).pid).toBe(process.pid);
      await expect(openPglite(dir, 'UTC')).rejects.toThrow(`${dir} is already open in this process`);
    } finally {
      await db.close();
    }
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
    plant(dir, owner({}));
    await expect(openPglite(dir, 'UTC')).rejects.toThrow(`${dir} is in use by kojits up (pid ${process.ppid}`);
  });
});

describe('folder lock lent to a child process', () => {
  const tryLock = (dir: string, env: Record<string, string>) =>
    spawnSync(process.execPath, ['--import', 'tsx', '-e', `import('${join(process.cwd(), 'src/db/lock.ts')}').then((m) => { const l = m.lockFolder(${JSON.stringify(dir)}); l.release(); console.log('locked'); }).catch((e) => { console.log(e.message); })`], {
      encoding: 'utf8',
      env: { ...process.env, ...env },
    }).stdout.trim();

  it('lets the child use the folder and leaves the lock to the parent', async () => {
    const dir = folder();
    const lock = lockFolder(dir);
    try {
      expect(tryLock(dir, {})).toMatch(new RegExp(`^${dir} is in use by .* \\(pid ${process.pid}, started `));
      expect(tryLock(dir, childEnv(lock))).toBe('locked');
      expect(JSON.parse(readFileSync(lock.file, 'utf8')).pid).toBe(process.pid);
      expect(tryLock(dir, { KOJITS_LOCK_TOKEN: 'guessed' })).toContain('is in use by');
    } finally {
      lock.release();
    }
    expect(() => childEnv(lock)).toThrow('is not locked by this process');
  });
});
