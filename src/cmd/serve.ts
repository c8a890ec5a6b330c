/**
 * Running the server side from a data folder or a hub.conf: open the database named by the
 * config (PGlite under DIR/db unless a PostgreSQL URL is given), migrate, bootstrap the
 * first users, start the hub. Shared by `kojits up` and `kojits hub`.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Socket } from 'node:net';
import { CHILD_ENV, isHubChild } from './hub-child.ts';
import { databaseUrl, loadHubConfig } from '../config/hub.ts';
import { openDatabase, defaultTimezone } from '../db/open.ts';
import { redact } from '../db/postgres.ts';
import type { Driver } from '../db/types.ts';
import type { Logger } from 'pino';
import type { Dealer, RunningHub } from '../hub/app.ts';
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
  const child = isHubChild();
  const cfg = loadHubConfig(o.hubConf, { env: process.env, warn: (m) => (child ? undefined : say(`warning: ${m}`)), overrides: o.overrides });
  const url = o.dbUrl ?? databaseUrl(cfg.options);
  if (!url && o.pgliteDir === null) throw new Error(`${o.hubConf} names no database (set DBConnectionString or DBName…)`);
  const workers = cfg.options.HubWorkers;
  if (workers > 1 && !url) throw new Error(`HubWorkers = ${workers} needs a PostgreSQL server: a PGlite database belongs to one process`);
  const db = await openDatabase(
    { url, pgliteDir: o.pgliteDir, timezone: cfg.options.DBTimeZone ?? defaultTimezone(), poolSize: cfg.options.DBPoolSize },
    { migrate: !child },
  );
  const dbLabel = url ? `PostgreSQL ${redact(url)}` : `PGlite in ${o.pgliteDir}`;
  let children: HubChildren | null = null;
  try {
    if (o.bootstrap && !child) {
      const created = await bootstrapDatabase(db, o.bootstrap);
      for (const c of created) say(`created ${c}`);
    }
    for (const f of [cfg.options.SSLCertificateFile, cfg.options.SSLCACertificateFile]) {
      if (f && !existsSync(f)) throw new Error(`${o.hubConf}: file ${f} does not exist`);
    }
    // imported here, after the checks above: `kojits init` and friends never load the hub
    const [{ pino }, { createHub, startHub }] = await Promise.all([import('pino'), import('../hub/app.ts')]);
    const levels: Record<string, string> = { DEBUG: 'debug', INFO: 'info', WARNING: 'warn', ERROR: 'error' };
    const log = pino({ name: 'kojihub', level: levels[cfg.options.LogLevel.toUpperCase()] ?? 'warn' }, pino.destination(2));
    const hub = createHub({ options: cfg.options, policy: cfg.policy, db, log });
    if (workers > 1 && !child) children = await startChildren(workers - 1, log);
    const running = await startHub(hub, { listen: !child, deal: children?.deal });
    if (child) serveHandedConnections(running);
    return {
      running,
      db,
      dbLabel: workers > 1 ? `${dbLabel}, ${workers} hub processes` : dbLabel,
      async stop() {
        await running.close();
        await children?.stop();
        await db.close();
      },
    };
  } catch (e) {
    await children?.stop();
    await db.close();
    throw e;
  }
}

type Kind = 'http' | 'https';

/** In an extra hub process: serve the connections the first process hands over. */
function serveHandedConnections(running: RunningHub): void {
  process.on('message', (m: { kojits?: string; kind?: Kind }, socket?: Socket) => {
    if (m?.kojits !== 'connection' || !socket) return;
    const server = m.kind === 'https' ? running.servers.https : running.servers.http;
    if (server) server.emit('connection', socket);
    else socket.destroy();
  });
  // the first process went away: so do we
  process.on('disconnect', () => process.kill(process.pid, 'SIGTERM'));
  process.send?.({ kojits: 'ready' });
}

interface HubChildren {
  deal: Dealer;
  stop(): Promise<void>;
}

/**
 * HubWorkers = N: this process serves and starts N-1 more hub processes running the same
 * command; it accepts the connections and deals them out in turn, keeping every Nth. (Fewer
 * processes than a primary that only forks: each Node.js process costs tens of MiB.)
 */
async function startChildren(n: number, log: Logger): Promise<HubChildren> {
  let stopping = false;
  const procs = Array.from({ length: n }, () =>
    fork(process.argv[1], process.argv.slice(2), { env: { ...process.env, [CHILD_ENV]: '1' }, execArgv: process.execArgv, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] }),
  );
  const ready: ChildProcess[] = [];
  await Promise.all(
    procs.map(
      (p) =>
        new Promise<void>((resolve, reject) => {
          p.on('message', (m: { kojits?: string }) => {
            if (m?.kojits !== 'ready') return;
            ready.push(p);
            resolve();
          });
          p.on('exit', (code) => {
            const i = ready.indexOf(p);
            if (i >= 0) ready.splice(i, 1);
            if (!stopping) log.error(`hub process ${p.pid} exited (${code}); ${ready.length + 1} left`);
            reject(new Error(`hub process exited with code ${code} before serving`));
          });
        }),
    ),
  ).catch(async (e) => {
    stopping = true;
    await stopAll(procs);
    throw e;
  });
  let turn = 0;
  return {
    deal(kind, socket, here) {
      turn = (turn + 1) % (ready.length + 1);
      const target = ready[turn - 1];
      if (!target) return here();
      target.send({ kojits: 'connection', kind }, socket, (err) => {
        if (err) socket.destroy();
      });
    },
    async stop() {
      stopping = true;
      await stopAll(procs);
    },
  };
}

function stopAll(procs: ChildProcess[]): Promise<void[]> {
  return Promise.all(procs.map((p) => new Promise<void>((r) => (p.exitCode !== null || p.signalCode !== null ? r() : (p.once('exit', () => r()), p.kill('SIGTERM'))))));
}
