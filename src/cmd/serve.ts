/**
 * `kojits hub`: open the database named by the hub.conf (or PGlite in the folder given, or the
 * PostgreSQL server given), migrate, start the hub. With HubWorkers > 1 (PostgreSQL) this
 * process migrates and forks worker processes that run `kojits hub` with the same config and
 * database, and nothing else; they share the listening sockets.
 */
import cluster from 'node:cluster';
import { existsSync } from 'node:fs';
import { pino } from 'pino';
import { databaseUrl, loadHubConfig } from '../config/hub.ts';
import { hubLogLevel } from '../config/loglevel.ts';
import { openDatabase, defaultTimezone } from '../db/open.ts';
import { redact } from '../db/postgres.ts';
import type { Driver } from '../db/types.ts';
import { createHub, startHub, type RunningHub } from '../hub/app.ts';
import { kojitsBin } from './child.ts';

export interface ServeOptions {
  hubConf: string;
  /** PGlite folder used when the config names no PostgreSQL server */
  pgliteDir: string | null;
  /** postgres:// URL overriding the config */
  dbUrl?: string | null;
  overrides?: Record<string, unknown>;
  log?: (line: string) => void;
}

export interface Served {
  running: RunningHub;
  db: Driver;
  dbLabel: string;
  /** hub.conf ListenAddress */
  listenAddress: string;
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
    // the primary has migrated; the workers serve
    await db.close();
    return startWorkers(workers, o.hubConf, url as string, dbLabel, cfg.options.ListenAddress);
  }
  try {
    for (const f of [cfg.options.SSLCertificateFile, cfg.options.SSLCACertificateFile]) {
      if (f && !existsSync(f)) throw new Error(`${o.hubConf}: file ${f} does not exist`);
    }
    const log = pino({ name: 'kojihub', level: hubLogLevel(cfg.options) }, pino.destination(2));
    const hub = createHub({ options: cfg.options, policy: cfg.policy, db, log });
    const running = await startHub(hub);
    if (worker) process.send?.({ kojits: 'listening', httpUrl: running.httpUrl, httpsUrl: running.httpsUrl });
    return {
      running,
      db,
      dbLabel,
      listenAddress: cfg.options.ListenAddress,
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

/**
 * Fork hub workers that run `kojits hub --config CONF` on the database URL (passed in the
 * environment, out of `ps`); resolve once all listen. Stopping the primary stops them.
 */
function startWorkers(n: number, hubConf: string, url: string, dbLabel: string, listenAddress: string): Promise<Served> {
  // (with this process's node options, cluster's default)
  cluster.setupPrimary({ exec: kojitsBin(), args: ['hub', '--config', hubConf] });
  return new Promise((resolve, reject) => {
    let listening = 0;
    let urls: { httpUrl: string | null; httpsUrl: string | null } = { httpUrl: null, httpsUrl: null };
    let stopping = false;
    const procs = Array.from({ length: n }, () => cluster.fork({ KOJITS_HUB_DBCONNECTIONSTRING: url }));
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
            listenAddress,
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
