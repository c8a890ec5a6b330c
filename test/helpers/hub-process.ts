/**
 * Hubs as real processes (`bin/kojits hub`) on one test database, for concurrency and crash
 * tests: several hubs may serve the same PostgreSQL database; a hub can be killed (-9) and
 * started again on the same database and KojiDir. Loopback only; stopped by pid.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bootstrapDatabase } from '../../src/hub/bootstrap.ts';
import { openDatabase } from '../../src/db/open.ts';
import { ClientSession } from '../../src/protocol/client.ts';
import { freshDatabase, type Engine } from './db.ts';
import { ADMIN, ADMIN_PASSWORD } from './hub.ts';

const ROOT = new URL('../..', import.meta.url).pathname;

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

export interface HubProc {
  url: string;
  pid: number;
  child: ChildProcess;
  /** everything the process wrote */
  output(): string;
  /** resolves with the exit code or signal */
  exited: Promise<number | string>;
  stop(signal?: NodeJS.Signals): Promise<number | string>;
}

/** A database and KojiDir that hub processes can be started on, again and again. */
export interface HubSite {
  engine: Engine;
  kojiDir: string;
  dbUrl: string | null;
  pgliteDir: string | null;
  start(env?: Record<string, string>): Promise<HubProc>;
  /** a client logged in as the admin (password) on a hub of this site */
  admin(hub: HubProc): Promise<ClientSession>;
  anon(hub: HubProc): ClientSession;
  /** run SQL on the site's database while no PGlite hub holds it */
  withDb<T>(fn: (q: (sql: string, params?: unknown[]) => Promise<Record<string, unknown>[]>) => Promise<T>): Promise<T>;
  cleanup(): Promise<void>;
}

export async function hubSite(engine: Engine, conf = ''): Promise<HubSite> {
  const dir = mkdtempSync(join(tmpdir(), 'kojits-site-'));
  const kojiDir = join(dir, 'koji');
  mkdirSync(kojiDir);
  let dbUrl: string | null = null;
  let pgliteDir: string | null = null;
  if (engine === 'postgres') {
    const { db, url } = await freshDatabase('postgres');
    await bootstrapDatabase(db, { admin: { name: ADMIN, password: ADMIN_PASSWORD } });
    await db.close();
    dbUrl = url;
  } else {
    pgliteDir = join(dir, 'db');
    const db = await openDatabase({ url: null, pgliteDir });
    await bootstrapDatabase(db, { admin: { name: ADMIN, password: ADMIN_PASSWORD } });
    await db.close();
  }
  const procs = new Set<HubProc>();
  const clients: ClientSession[] = [];
  let n = 0;
  async function startOnce(env: Record<string, string>): Promise<HubProc> {
    const port = await freePort();
    const confFile = join(dir, `hub-${++n}.conf`);
    writeFileSync(confFile, `[hub]\nKojiDir = ${kojiDir}\nListenAddress = 127.0.0.1\nHTTPPort = ${port}\nHTTPSPort = 0\nLogLevel = ERROR\n${conf}\n`);
    const args = ['hub', '--config', confFile, ...(dbUrl ? ['--db', dbUrl] : ['--pglite', pgliteDir as string])];
    const child = spawn(process.execPath, [join(ROOT, 'bin/kojits'), ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout?.on('data', (d) => (out += d));
    child.stderr?.on('data', (d) => (out += d));
    const exited = new Promise<number | string>((r) => child.once('exit', (code, sig) => r(code ?? sig ?? -1)));
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`hub did not start within 30 s: ${out}`)), 30_000);
      child.stdout?.on('data', () => {
        const m = /ready: .*?(http:\/\/\S+\/kojihub)/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(m[1].replace('localhost', '127.0.0.1'));
        }
      });
      void exited.then((c) => {
        clearTimeout(timer);
        reject(new Error(`hub exited (${c}) before it was ready: ${out}`));
      });
    });
    const proc: HubProc = {
      url,
      pid: child.pid as number,
      child,
      output: () => out,
      exited,
      async stop(signal = 'SIGTERM') {
        if (child.exitCode === null && child.signalCode === null) child.kill(signal);
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        const r = await exited;
        clearTimeout(timer);
        procs.delete(proc);
        return r;
      },
    };
    procs.add(proc);
    return proc;
  }

  const site: HubSite = {
    engine,
    kojiDir,
    dbUrl,
    pgliteDir,
    async start(env = {}) {
      // a port free a moment ago may be taken by another test file's process before the hub
      // listens on it: try again with another
      for (let attempt = 1; ; attempt++) {
        try {
          return await startOnce(env);
        } catch (e) {
          if (attempt >= 3 || !/EADDRINUSE/.test(String(e))) throw e;
        }
      }
    },
    async admin(hub) {
      const c = new ClientSession(hub.url, { maxRetries: 0 });
      clients.push(c);
      await c.login(ADMIN, ADMIN_PASSWORD);
      return c;
    },
    anon(hub) {
      const c = new ClientSession(hub.url, { maxRetries: 0 });
      clients.push(c);
      return c;
    },
    async withDb(fn) {
      const db = await openDatabase({ url: dbUrl, pgliteDir }, { migrate: false });
      try {
        return await fn(async (sql, params) => (await db.rawQuery(sql, params)).rows);
      } finally {
        await db.close();
      }
    },
    async cleanup() {
      for (const c of clients) c.close();
      await Promise.all([...procs].map((p) => p.stop('SIGKILL')));
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return site;
}
