/**
 * Running the server side from a data folder or a hub.conf: open the database named by the
 * config (PGlite under DIR/db unless a PostgreSQL URL is given), migrate, bootstrap the
 * first users, start the hub. Shared by `kojits up` and `kojits hub`.
 */
import cluster from 'node:cluster';
import { existsSync } from 'node:fs';
import { databaseUrl, loadHubConfig } from '../config/hub.ts';
import { openDatabase, defaultTimezone } from '../db/open.ts';
import { redact } from '../db/postgres.ts';
import type { Driver } from '../db/types.ts';
import type { RunningHub } from '../hub/app.ts';
import { bootstrapDatabase, type BootstrapSpec } from '../hub/bootstrap.ts';

export interface ServeOptions {
  hubConf: string;
  /** PGlite folder used when the config names no PostgreSQL server */
  pgliteDir: string | null;
  /** postgres:// URL overriding the config */
  dbUrl?: string | null;
  overrides?: Record<string, unknown>;
  bootstrap?: BootstrapSpec | null;
  log?: (line: string) => void;
}

export interface Served {
  running: RunningHub;
  db: Driver;
  dbLabel: string;
  stop(): Promise<void>;
}

export async function serve(o: ServeOptions): Promise<Served> {
  const say = o.log ?? ((l: string) => process.stdout.write(l + '\n'));
  const worker = cluster.isWorker;
  const cfg = loadHubConfig(o.hubConf, { env: process.env, warn: (m) => (worker ? undefined : say(`warning: ${m}`)), overrides: o.overrides });
  const url = o.dbUrl ?? databaseUrl(cfg.options);
  if (!url && o.pgliteDir === null) throw new Error(`${o.hubConf} names no database (set DBConnectionString or DBName…)`);
  const workers = cfg.options.HubWorkers;
  if (workers > 1 && !url) throw new Error(`HubWorkers = ${workers} needs a PostgreSQL server: a PGlite database belongs to one process`);
  const db = await openDatabase(
    { url, pgliteDir: o.pgliteDir, timezone: cfg.options.DBTimeZone ?? defaultTimezone(), poolSize: cfg.options.DBPoolSize },
    { migrate: !worker },
  );
  const dbLabel = url ? `PostgreSQL ${redact(url)}` : `PGlite in ${o.pgliteDir}`;
  if (workers > 1 && !worker) {
    // the primary migrates and bootstraps, then the workers serve (they share the listening sockets)
    try {
      if (o.bootstrap) for (const c of await bootstrapDatabase(db, o.bootstrap)) say(`created ${c}`);
    } finally {
      await db.close();
    }
    return startWorkers(workers, dbLabel);
  }
  try {
    if (o.bootstrap && !worker) {
      const created = await bootstrapDatabase(db, o.bootstrap);
      for (const c of created) say(`created ${c}`);
    }
    for (const f of [cfg.options.SSLCertificateFile, cfg.options.SSLCACertificateFile]) {
      if (f && !existsSync(f)) throw new Error(`${o.hubConf}: file ${f} does not exist`);
    }
    // imported here: the primary of several hub processes only forks them and never loads the hub
    const [{ pino }, { createHub, startHub }] = await Promise.all([import('pino'), import('../hub/app.ts')]);
    const levels: Record<string, string> = { DEBUG: 'debug', INFO: 'info', WARNING: 'warn', ERROR: 'error' };
    const log = pino({ name: 'kojihub', level: levels[cfg.options.LogLevel.toUpperCase()] ?? 'warn' }, pino.destination(2));
    const hub = createHub({ options: cfg.options, policy: cfg.policy, db, log });
    const running = await startHub(hub);
    if (worker) process.send?.({ kojits: 'listening', httpUrl: running.httpUrl, httpsUrl: running.httpsUrl });
    return {
      running,
      db,
      dbLabel,
      async stop() {
        await running.close();
        await db.close();
      },
    };
  } catch (e) {
    await db.close();
    throw e;
  }
}

/** Fork hub workers; resolve once all listen. Stopping the primary stops them. */
function startWorkers(n: number, dbLabel: string): Promise<Served> {
  return new Promise((resolve, reject) => {
    let listening = 0;
    let urls: { httpUrl: string | null; httpsUrl: string | null } = { httpUrl: null, httpsUrl: null };
    let stopping = false;
    const procs = Array.from({ length: n }, () => cluster.fork());
    for (const w of procs) {
      w.on('message', (m: { kojits?: string; httpUrl: string | null; httpsUrl: string | null }) => {
        if (m?.kojits !== 'listening') return;
        urls = m;
        listening += 1;
        if (listening === n) {
          resolve({
            running: { httpUrl: urls.httpUrl, httpsUrl: urls.httpsUrl } as Served['running'],
            db: null as unknown as Driver,
            dbLabel: `${dbLabel}, ${n} hub processes`,
            async stop() {
              stopping = true;
              await Promise.all(procs.map((p) => new Promise<void>((r) => (p.isDead() ? r() : (p.once('exit', () => r()), p.kill('SIGTERM'))))));
            },
          });
        }
      });
      w.on('exit', (code) => {
        if (!stopping && listening < n) reject(new Error(`hub worker exited with code ${code} before listening`));
      });
    }
  });
}
