/**
 * A web in front of a test hub, in this process on a loopback port: `page(path)` fetches a page
 * and returns its status and HTML.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { parseWebConfig, type WebOptions } from '../../src/config/web.ts';
import { WebApp } from '../../src/web/app.ts';
import { hubClient } from '../../src/web/logins.ts';

export interface TestWeb {
  url: string;
  opts: WebOptions;
  page(path: string): Promise<{ status: number; html: string; headers: Headers }>;
  close(): Promise<void>;
}

export async function startTestWeb(hubUrl: string, extra = ''): Promise<TestWeb> {
  const opts = parseWebConfig(`[web]\nSiteName = test-koji\nKojiHubURL = ${hubUrl}\nKojiFilesURL = http://files.invalid/kojifiles\nHTTPPort = 1\n${extra}\n`, 'test-web.conf');
  const app = new WebApp({ opts, hub: hubClient(opts), log: pino({ level: process.env.KOJITS_TEST_LOG ?? 'silent' }) });
  const server = http.createServer(app.listener());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    opts,
    async page(path) {
      const r = await fetch(`${url}${path}`, { redirect: 'manual' });
      return { status: r.status, html: await r.text(), headers: r.headers };
    },
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}
