/**
 * Build a hub (options + database + catalogue → request handler) separately from listening,
 * so tests can run it in-process on ephemeral ports.
 */
import net, { type AddressInfo } from 'node:net';
import type http from 'node:http';
import { resolve } from 'node:path';
import { pino, type Logger } from 'pino';
import type { HubOptions } from '../config/hub.ts';
import type { Driver } from '../db/types.ts';
import { buildRegistry } from './api/index.ts';
import { CACHE_CHANNEL, SessionCache } from './auth/cache.ts';
import { createServers, type FrontOptions } from './http.ts';
import { hubPolicies } from './policy/hub.ts';
import { handleUpload } from './uploads.ts';
import { ReplyCache } from './reply-cache.ts';
import { Memo } from './memo.ts';
import type { Hub } from './types.ts';

export interface HubDeps {
  options: HubOptions;
  policy?: Map<string, string>;
  db: Driver;
  log?: Logger;
}

export function createHub(deps: HubDeps): Hub {
  const levels: Record<string, string> = { DEBUG: 'debug', INFO: 'info', WARNING: 'warn', ERROR: 'error', CRITICAL: 'fatal' };
  const log = deps.log ?? pino({ name: 'kojihub', level: levels[String(deps.options.LogLevel).toUpperCase()] ?? 'warn' });
  const policy = deps.policy ?? new Map<string, string>();
  return {
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
  };
}

export interface RunningHub {
  hub: Hub;
  /** the servers (listening unless started with `listen: false`) */
  servers: { http: http.Server; https: http.Server | null };
  /** http://host:port/kojihub (plain) */
  httpUrl: string | null;
  /** https://host:port/kojihub */
  httpsUrl: string | null;
  close(): Promise<void>;
}

function listen(server: net.Server, port: number, host: string): Promise<number> {
  return new Promise((resolveP, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolveP((server.address() as AddressInfo).port);
    });
  });
}

/**
 * Who serves an accepted connection (several hub processes, see cmd/serve.ts): call `here` to
 * serve it in this process, or hand the socket to another one.
 */
export type Dealer = (kind: 'http' | 'https', socket: net.Socket, here: () => void) => void;

/**
 * Listen on the configured ports (0 = pick a free one). Set a port to null to skip that server.
 * `listen: false` makes the servers without listening: another process hands them connections.
 * With `deal`, the ports are listened on by plain sockets whose connections `deal` sends here or
 * elsewhere, before anything is read from them.
 */
export async function startHub(
  hub: Hub,
  o: { host?: string; httpPort?: number | null; httpsPort?: number | null; urlHost?: string; front?: FrontOptions; listen?: boolean; deal?: Dealer } = {},
): Promise<RunningHub> {
  const opts = hub.options;
  const host = o.host ?? opts.ListenAddress;
  const urlHost = o.urlHost ?? (host === '0.0.0.0' || host === '::' ? 'localhost' : host);
  const httpsPort = o.httpsPort === undefined ? opts.HTTPSPort : o.httpsPort;
  const httpPort = o.httpPort === undefined ? opts.HTTPPort : o.httpPort;
  const tls = httpsPort !== null && opts.SSLCertificateFile ? { cert: opts.SSLCertificateFile, key: opts.SSLCertificateKeyFile, ca: opts.SSLCACertificateFile } : null;
  const servers = createServers(hub, tls, { upload: handleUpload, ...o.front });
  // other hub processes announce session/user changes; drop what we cached
  const unlisten = await hub.db.listen(CACHE_CHANNEL, (what) => {
    if (what !== 'content') hub.sessionCache.flush();
    if (what !== 'sessions') {
      hub.replyCache.flush();
      hub.memo.flush();
    }
  });
  const listening: net.Server[] = [];
  const urls: Record<'http' | 'https', string | null> = { http: null, https: null };
  const wanted: Array<['http' | 'https', net.Server | null, number | null | undefined]> = [
    ['http', servers.http, httpPort],
    ['https', servers.https, httpsPort],
  ];
  try {
    for (const [kind, server, port] of wanted) {
      if (o.listen === false || !server || port === null || port === undefined) continue;
      const deal = o.deal;
      const front = deal
        ? net.createServer({ pauseOnConnect: true }, (socket) =>
            deal(kind, socket, () => {
              server.emit('connection', socket);
              socket.resume();
            }),
          )
        : server;
      const p = await listen(front, port, host);
      listening.push(front);
      urls[kind] = `${kind}://${urlHost}:${p}/kojihub`;
    }
  } catch (e) {
    for (const s of listening) s.close();
    await unlisten();
    throw e;
  }
  return {
    hub,
    servers,
    httpUrl: urls.http,
    httpsUrl: urls.https,
    async close() {
      await unlisten();
      hub.replyCache.close();
      // stop accepting and end our connections; a dealing socket's close would also wait for the
      // connections it handed to other processes: not ours to wait for
      const closed = listening.map((s) => new Promise<void>((r) => (o.deal ? (s.close(), r()) : s.close(() => r()))));
      for (const s of [servers.http, servers.https]) s?.closeAllConnections();
      await Promise.all(closed);
    },
  };
}
