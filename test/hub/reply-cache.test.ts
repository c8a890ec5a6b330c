import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ReplyCache } from '../../src/hub/reply-cache.ts';
import { createHub, startHub, type RunningHub } from '../../src/hub/app.ts';
import { ClientSession } from '../../src/protocol/client.ts';
import { engines } from '../helpers/db.ts';
import { startTestHub, type TestHub, ADMIN, ADMIN_PASSWORD } from '../helpers/hub.ts';
import { addBuild } from '../helpers/content.ts';

type Row = Record<string, unknown>;
const BUILDS = 300; // about 600 KB of listTagged reply: over the cache threshold

/** The cache is written after the reply is sent: wait for it. */
async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
}

describe.each(engines())('reply cache on %s', (engine) => {
  let hub: TestHub;
  let admin: ClientSession;
  beforeAll(async () => {
    hub = await startTestHub(engine);
    admin = await hub.login();
    await admin.call('createTag', ['big']);
    const names: string[] = [];
    for (let i = 0; i < BUILDS; i++) {
      const nvr = `pkg${i}-1.0-1`;
      await addBuild(hub, nvr);
      names.push(nvr);
    }
    await admin.multiCall(names.map((n) => ({ method: 'packageListAdd', args: ['big', n.replace(/-1\.0-1$/, '')], kwargs: { owner: ADMIN } })), { strict: true });
    await admin.call('massTag', ['big', names]);
  });
  afterAll(async () => hub?.stop());

  it('serves a large listing again from the cache, identically', async () => {
    hub.hub.replyCache.flush();
    let first: Row[] = [];
    // a NOTIFY of the set-up's writes may still arrive (and flush) while the first reply is kept
    for (let i = 0; i < 3 && hub.hub.replyCache.size === 0; i++) {
      first = await hub.anon().call<Row[]>('listTagged', ['big']);
      await until(() => hub.hub.replyCache.size === 1);
    }
    expect(first).toHaveLength(BUILDS);
    expect(hub.hub.replyCache.size).toBe(1);
    const again = await hub.anon().call<Row[]>('listTagged', ['big']);
    expect(again).toEqual(first);
    // other arguments are another entry
    await hub.anon().call('listTagged', ['big'], { latest: true });
    await until(() => hub.hub.replyCache.size === 2);
    expect(hub.hub.replyCache.size).toBe(2);
  });

  it('stays warm through builders\' check-ins and task changes', async () => {
    await admin.call('addHost', ['warm1', ['x86_64']]);
    await admin.call('kojits.setPassword', ['warm1', 'warm1-pass-1']);
    const host = await hub.login('warm1', 'warm1-pass-1');
    await host.call('exclusiveSession');
    await hub.anon().call('listTagged', ['big']);
    await until(() => hub.hub.replyCache.size > 0);
    const before = hub.hub.replyCache.size;
    expect(before).toBeGreaterThan(0);
    await host.call('host.updateHost', [0.0, true], { data: { maxjobs: 3 } });
    const task = await admin.call<number>('makeTask', ['sleep', [1]], { assign: 'warm1' });
    await host.call('host.openTask', [task]);
    await admin.call('cancelTask', [task]);
    expect(hub.hub.replyCache.size).toBe(before);
  });

  it('forgets everything when data changes through the hub', async () => {
    await hub.anon().call('listTagged', ['big']);
    await until(() => hub.hub.replyCache.size > 0);
    expect(hub.hub.replyCache.size).toBeGreaterThan(0);
    await addBuild(hub, 'pkg0-2.0-1');
    await admin.call('tagBuildBypass', ['big', 'pkg0-2.0-1']);
    expect(hub.hub.replyCache.size).toBe(0);
    const after = await hub.anon().call<Row[]>('listTagged', ['big']);
    expect(after.map((b) => b.nvr)).toContain('pkg0-2.0-1');
  });

  it('still checks the session before serving a cached reply', async () => {
    await hub.anon().call('listTagged', ['big']);
    const c = await hub.login();
    await hub.db.rawQuery('UPDATE sessions SET closed = TRUE WHERE id = $1', [c.sinfo?.['session-id']]);
    hub.hub.sessionCache.flush();
    await expect(c.call('listTagged', ['big'])).rejects.toThrow('Invalid session or bad credentials');
  });

  it.runIf(engine === 'postgres')('is flushed in other hub processes on the same database', async () => {
    const other: RunningHub = await startHub(createHub({ options: hub.hub.options, db: hub.db, log: pino({ level: 'silent' }) }), { host: '127.0.0.1', httpPort: 0, httpsPort: null, urlHost: '127.0.0.1' });
    try {
      const remote = new ClientSession(other.httpUrl!, { maxRetries: 0 });
      await remote.call('listTagged', ['big']);
      await until(() => other.hub.replyCache.size === 1);
      expect(other.hub.replyCache.size).toBe(1);
      await addBuild(hub, 'pkg1-2.0-1');
      await admin.call('tagBuildBypass', ['big', 'pkg1-2.0-1']);
      for (let i = 0; i < 50 && other.hub.replyCache.size > 0; i++) await new Promise((r) => setTimeout(r, 20));
      expect(other.hub.replyCache.size).toBe(0);
      expect((await remote.call<Row[]>('listTagged', ['big'])).map((b) => b.nvr)).toContain('pkg1-2.0-1');
      remote.close();
    } finally {
      await other.close();
    }
  });

  it('keeps admin logins working (sanity)', async () => {
    const c = await hub.login(ADMIN, ADMIN_PASSWORD);
    expect(((await c.call('getLoggedInUser')) as Row).name).toBe(ADMIN);
  });
});

describe('reply cache folder', () => {
  const big = [Buffer.alloc(300 * 1024, 1)];
  const mine = `kojits-reply-cache-${process.pid}@${hostname()}-`;
  const folders = () => readdirSync(tmpdir()).filter((n) => n.startsWith(mine));

  it('is named after the hub process and gone after close, even when a write ends later', async () => {
    const cache = new ReplyCache(10 * 1024 * 1024);
    await cache.put(cache.ticket(), 'a', big);
    const hit = cache.get('a')!;
    expect(hit.size).toBe(big[0].length);
    expect(Buffer.concat(await hit.stream.toArray())).toEqual(big[0]);
    expect(folders()).toHaveLength(1);
    const late = cache.ticket();
    cache.close();
    await cache.put(late, 'b', big);
    expect(folders()).toEqual([]);
    expect(cache.get('b')).toBeNull();
  });

  it('takes a reply whose file was removed behind its back for a miss', async () => {
    const cache = new ReplyCache(10 * 1024 * 1024);
    try {
      await cache.put(cache.ticket(), 'a', big);
      const [folder] = folders();
      for (const f of readdirSync(join(tmpdir(), folder))) rmSync(join(tmpdir(), folder, f));
      expect(cache.get('a')).toBeNull();
      expect(cache.size).toBe(0);
    } finally {
      cache.close();
    }
  });

  it('removes the folders of hubs that are gone, and only those', async () => {
    // a pid that is not running: a child that has exited
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;
    const stale = mkdtempSync(join(tmpdir(), `kojits-reply-cache-${dead}@${hostname()}-`));
    const live = mkdtempSync(join(tmpdir(), `kojits-reply-cache-${process.ppid}@${hostname()}-`));
    // another machine's (a container sharing /tmp): its pids are not ours to judge
    const other = mkdtempSync(join(tmpdir(), `kojits-reply-cache-${dead}@not-${hostname()}-`));
    writeFileSync(join(stale, 'r1'), 'old reply');
    const cache = new ReplyCache(10 * 1024 * 1024);
    try {
      await cache.put(cache.ticket(), 'a', big);
      expect(existsSync(stale)).toBe(false);
      expect(existsSync(live)).toBe(true);
      expect(existsSync(other)).toBe(true);
    } finally {
      cache.close();
      rmSync(stale, { recursive: true, force: true });
      rmSync(live, { recursive: true, force: true });
      rmSync(other, { recursive: true, force: true });
    }
  });
});
