/**
 * The web as a server: the WebApp on a Unix socket the hub forwards /koji to (ListenSocket; the
 * socket's folder is private to the user running both) and/or a TCP port of its own (HTTPPort).
 * It reaches the hub only through the protocol client, as kojiweb does.
 */
import http from 'node:http';
import { chmodSync, mkdirSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Logger } from 'pino';
import type { WebOptions } from '../config/web.ts';
import { WebApp } from './app.ts';
import { hubClient } from './logins.ts';
import { setUpWebKerberos } from './kerberos.ts';

export interface WebServer {
  /** where it listens, for the ready line */
  where: string[];
  close(): Promise<void>;
}

export async function startWeb(o: WebOptions, log: Logger): Promise<WebServer> {
  setUpWebKerberos(o);
  const app = new WebApp({ opts: o, hub: hubClient(o), log });
  const servers: http.Server[] = [];
  const where: string[] = [];
  const listen = (server: http.Server, target: string | { port: number; host: string }) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      if (typeof target === 'string') server.listen(target, resolve);
      else server.listen(target.port, target.host, resolve);
    });
  try {
    if (o.ListenSocket) {
      mkdirSync(dirname(o.ListenSocket), { recursive: true, mode: 0o700 });
      // a socket left by a web that was killed
      rmSync(o.ListenSocket, { force: true });
      const s = http.createServer({ keepAliveTimeout: 30_000 }, app.listener(true));
      await listen(s, o.ListenSocket);
      chmodSync(o.ListenSocket, 0o600);
      servers.push(s);
      where.push(`unix:${o.ListenSocket}`);
    }
    if (o.HTTPPort) {
      const s = http.createServer({ keepAliveTimeout: 30_000 }, app.listener());
      await listen(s, { port: o.HTTPPort, host: o.ListenAddress });
      servers.push(s);
      where.push(`http://${o.ListenAddress.includes(':') ? `[${o.ListenAddress}]` : o.ListenAddress}:${o.HTTPPort}/koji/`);
    }
  } catch (e) {
    for (const s of servers) s.close();
    throw e;
  }
  return {
    where,
    async close() {
      await app.logins.closeAll();
      await Promise.all(
        servers.map(
          (s) =>
            new Promise<void>((r) => {
              s.close(() => r());
              s.closeAllConnections();
            }),
        ),
      );
      if (o.ListenSocket) rmSync(o.ListenSocket, { force: true });
    },
  };
}
