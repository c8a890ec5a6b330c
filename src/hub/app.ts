/**
 * Build a hub (options + database + catalogue → request handler) separately from listening,
 * so tests can run it in-process on ephemeral ports.
 */
import { setUpKerberos } from './auth/negotiate.ts';
import type { AddressInfo } from 'node:net';
import type http from 'node:http';
import { resolve } from 'node:path';
import { pino, type Logger } from 'pino';
import type { HubOptions } from '../config/hub.ts';
import { hubLogLevel } from '../config/loglevel.ts';
import type { Driver } from '../db/types.ts';
import { buildRegistry } from './api/index.ts';
import { CACHE_CHANNEL, SessionCache } from './auth/cache.ts';
import { heard } from './cache-scopes.ts';
import { createServers, type FrontOptions } from './http.ts';
import { hubPolicies } from './policy/hub.ts';
import { handleUpload } from './uploads.ts';
import { webProxyRoute } from './web-proxy.ts';
import { kojiFilesRoute } from './files/route.ts';
import { ReplyCache } from './reply-cache.ts';
import { Memo } from './memo.ts';
import { TaskSignals } from './tasks/signals.ts';
import { SchedulerService, type SchedulerOptions } from './tasks/service.ts';
import type { Hub } from './types.ts';

export interface HubDeps {
  options: HubOptions;
  policy?: Map<string, string>;
  db: Driver;
  log?: Logger;
  /** the scheduler's clock and intervals (tests) */
  scheduler?: SchedulerOptions;
}

export function createHub(deps: HubDeps): Hub {
  const log = deps.log ?? pino({ name: 'kojihub', level: hubLogLevel(deps.options) });
  setUpKerberos(deps.options);
  const policy = deps.policy ?? new Map<string, string>();
  const hub = {
    options: deps.options,
    policy,
    db: deps.db,
    registry: buildRegistry(),
    log,
    kojiDir: resolve(deps.options.KojiDir),
    sessionCache: new SessionCache(),
    policies: hubPolicies({ policy, options: deps.options, log }),
    replyCache: new ReplyCache(deps.options.ReplyCacheSize),
    memo: new Memo(),
    signals: new TaskSignals(),
  } as Omit<Hub, 'scheduler'> as Hub;
  hub.scheduler = new SchedulerService(hub, deps.scheduler);
  return hub;
}

export interface RunningHub {
  hub: Hub;
  /** http://host:port/kojihub (plain) */
  httpUrl: string | null;
  /** https://host:port/kojihub */
  httpsUrl: string | null;
  close(): Promise<void>;
}

function listen(server: http.Server, port: number, host: string): Promise<number> {
  return new Promise((resolveP, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolveP((server.address() as AddressInfo).port);
    });
  });
}

/** Listen on the configured ports (0 = pick a free one). Set a port to null to skip that server. */
export async function startHub(hub: Hub, o: { host?: string; httpPort?: number | null; httpsPort?: number | null; urlHost?: string; front?: FrontOptions } = {}): Promise<RunningHub> {
  const opts = hub.options;
  const host = o.host ?? opts.ListenAddress;
  const urlHost = o.urlHost ?? (host === '0.0.0.0' || host === '::' ? 'localhost' : host);
  const httpsPort = o.httpsPort === undefined ? opts.HTTPSPort : o.httpsPort;
  const httpPort = o.httpPort === undefined ? opts.HTTPPort : o.httpPort;
  const tls = httpsPort !== null && opts.SSLCertificateFile ? { cert: opts.SSLCertificateFile, key: opts.SSLCertificateKeyFile, ca: opts.SSLCACertificateFile } : null;
  const routes = [
    opts.ServeKojiFiles ? kojiFilesRoute(opts.KojiFilesDir ?? hub.kojiDir) : null,
    opts.WebSocket ? webProxyRoute(opts.WebSocket) : null,
    o.front?.fallback ?? null,
  ].filter((r) => r !== null);
  const servers = createServers(hub, tls, {
    upload: handleUpload,
    ...o.front,
    fallback: async (req, res, url) => {
      for (const route of routes) if (await route(req, res, url)) return true;
      return false;
    },
  });
  // other hub processes announce session/user changes; drop what we cached
  const unlisten = await hub.db.listen(CACHE_CHANNEL, (what) => heard(hub, what));
  const unrelay = await hub.signals.connect(hub.db);
  hub.scheduler.start();
  const open: http.Server[] = [];
  let httpUrl: string | null = null;
  let httpsUrl: string | null = null;
  try {
    if (httpPort !== null && httpPort !== undefined) {
      const p = await listen(servers.http, httpPort, host);
      open.push(servers.http);
      httpUrl = `http://${urlHost}:${p}/kojihub`;
    }
    if (servers.https && httpsPort !== null && httpsPort !== undefined) {
      const p = await listen(servers.https, httpsPort, host);
      open.push(servers.https);
      httpsUrl = `https://${urlHost}:${p}/kojihub`;
    }
  } catch (e) {
    for (const s of open) s.close();
    await hub.scheduler.stop();
    await unrelay();
    await unlisten();
    throw e;
  }
  return {
    hub,
    httpUrl,
    httpsUrl,
    async close() {
      await hub.scheduler.stop();
      await unrelay();
      await unlisten();
      hub.replyCache.close();
      await Promise.all(
        open.map(
          (s) =>
            new Promise<void>((r) => {
              s.close(() => r());
              s.closeAllConnections();
            }),
        ),
      );
    },
  };
}
