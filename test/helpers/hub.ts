/**
 * An in-process hub on ephemeral loopback ports, on a fresh database of the given engine,
 * with an admin (kojiadmin / a known password). Used by hub, protocol and CLI tests.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { parseIni } from '../../src/config/ini.ts';
import { readHubOptions } from '../../src/config/hub.ts';
import { createHub, startHub, type RunningHub } from '../../src/hub/app.ts';
import type { SchedulerOptions } from '../../src/hub/tasks/service.ts';
import { bootstrapDatabase } from '../../src/hub/bootstrap.ts';
import { ClientSession, type ClientOptions } from '../../src/protocol/client.ts';
import type { Driver } from '../../src/db/types.ts';
import { freshDatabase, type Engine } from './db.ts';

export const ADMIN = 'kojiadmin';
export const ADMIN_PASSWORD = 'admin-secret-1';

export interface TestHub extends RunningHub {
  engine: Engine;
  db: Driver;
  dbUrl: string | null;
  kojiDir: string;
  /** anonymous client on the plain HTTP URL */
  anon(opts?: ClientOptions): ClientSession;
  /** client logged in with a password (default: the admin) */
  login(user?: string, password?: string, opts?: ClientOptions): Promise<ClientSession>;
  /** `fn` runs when the hub is stopped (local files that belong with this hub) */
  onStop(fn: () => void): void;
  stop(): Promise<void>;
}

export interface TestHubOptions {
  /** hub.conf text ([hub] and [policy] sections) applied on top of the defaults */
  conf?: string;
  tls?: { cert: string; ca: string };
  /**
   * the scheduler's clock and intervals; by default it runs only when a test calls
   * hub.scheduler.runNow() (its timeouts would otherwise mark the hosts of fixed test data not
   * ready); `{ manual: false }` runs it as a hub does
   */
  scheduler?: SchedulerOptions;
}

export async function startTestHub(engine: Engine, o: TestHubOptions = {}): Promise<TestHub> {
  const { db, url } = await freshDatabase(engine);
  const kojiDir = mkdtempSync(join(tmpdir(), 'kojits-hub-'));
  const ini = parseIni(o.conf ?? '', 'test-hub.conf');
  const options = readHubOptions(ini, {
    overrides: {
      KojiDir: kojiDir,
      ListenAddress: '127.0.0.1',
      SSLCertificateFile: o.tls?.cert ?? null,
      SSLCACertificateFile: o.tls?.ca ?? null,
    },
  });
  const policy = new Map<string, string>();
  for (const [k, v] of ini.get('policy')?.values ?? []) policy.set(k, v);
  await bootstrapDatabase(db, { admin: { name: ADMIN, password: ADMIN_PASSWORD } });
  const hub = createHub({ options, policy, db, log: pino({ level: process.env.KOJITS_TEST_LOG ?? 'silent' }), scheduler: o.scheduler ?? { manual: true } });
  const running = await startHub(hub, { host: '127.0.0.1', httpPort: 0, httpsPort: o.tls ? 0 : null, urlHost: '127.0.0.1' });
  const clients: ClientSession[] = [];
  const cleanups: Array<() => void> = [];
  const track = (c: ClientSession) => {
    clients.push(c);
    return c;
  };
  return {
    ...running,
    engine,
    db,
    dbUrl: url,
    kojiDir,
    anon: (opts) => track(new ClientSession(running.httpUrl as string, { maxRetries: 0, ...opts })),
    async login(user = ADMIN, password = ADMIN_PASSWORD, opts) {
      const c = track(new ClientSession(running.httpUrl as string, { maxRetries: 0, ...opts }));
      await c.login(user, password);
      return c;
    },
    onStop: (fn) => void cleanups.push(fn),
    async stop() {
      for (const c of clients) c.close();
      await running.close();
      await db.close();
      rmSync(kojiDir, { recursive: true, force: true });
      for (const fn of cleanups) fn();
    },
  };
}
