/**
 * The web's request handling: kojiweb's URLs under /koji/ (`/koji/taskinfo?taskID=N`), static
 * files under /koji-static/, pages rendered on the server. Every failure becomes an error page
 * with the right status: 400 for malformed parameters, 404 for unknown objects or pages, 502 when
 * the hub does not answer; never a stack trace.
 */
import type http from 'node:http';
import { createReadStream, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import type nunjucks from 'nunjucks';
import type { WebOptions } from '../config/web.ts';
import { AuthError, KojiError } from '../protocol/faults.ts';
import type { ClientSession } from '../protocol/client.ts';
import { PageContext, type PageHandler, type PageView, type RequestFacts } from './context.ts';
import { Logins } from './logins.ts';
import { HttpError } from './errors.ts';
import { Params } from './params.ts';
import { makeRenderer } from './render.ts';
import { PAGES } from './pages/index.ts';

export const WEB_PATH = '/koji';
export const STATIC_PATH = '/koji-static';
const STATIC_DIR = fileURLToPath(new URL('./static', import.meta.url));
const TYPES: Record<string, string> = { '.css': 'text/css; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.svg': 'image/svg+xml', '.ico': 'image/x-icon' };

/** The navigation tabs, as kojiweb's header. */
const TABS = [
  ['summary', 'index', 'Summary'],
  ['packages', 'packages', 'Packages'],
  ['builds', 'builds', 'Builds'],
  ['tasks', 'tasks', 'Tasks'],
  ['tags', 'tags', 'Tags'],
  ['buildtargets', 'buildtargets', 'Build Targets'],
  ['users', 'users', 'Users'],
  ['hosts', 'hosts', 'Hosts'],
  ['reports', 'reports', 'Reports'],
  ['search', 'search', 'Search'],
] as const;

export interface WebAppDeps {
  opts: WebOptions;
  hub: ClientSession;
  log: Logger;
  pages?: Record<string, PageHandler>;
}

/** the largest form a page accepts */
const MAX_FORM = 64 * 1024;

export class WebApp {
  private readonly env: nunjucks.Environment;
  private readonly pages: Record<string, PageHandler>;
  readonly logins: Logins;

  constructor(private readonly d: WebAppDeps) {
    this.env = makeRenderer();
    this.pages = d.pages ?? PAGES;
    this.logins = new Logins(d.opts);
  }

  /**
   * `proxied`: requests come through the hub's proxy (the Unix socket), whose X-Kojits-Client-*
   * headers say what the TLS layer verified of the browser's certificate; elsewhere they are
   * ignored.
   */
  listener(proxied = false): http.RequestListener {
    return (req, res) => {
      this.handle(req, res, proxied).catch((e: Error) => {
        this.d.log.error({ err: e }, 'page failed');
        if (!res.headersSent) this.send(res, 500, this.errorPage(500, 'The page could not be made; the web\'s log says why.'));
        else res.destroy();
      });
    };
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse, proxied: boolean): Promise<void> {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://web.invalid');
    } catch {
      this.send(res, 400, this.errorPage(400, 'Bad URL'));
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD' && req.method !== 'POST') {
      req.resume();
      this.send(res, 405, this.errorPage(405, `${req.method ?? '?'} is not accepted here`), { Allow: 'GET, HEAD, POST' });
      return;
    }
    const path = url.pathname;
    if (path.startsWith(STATIC_PATH + '/')) return this.serveStatic(res, path.slice(STATIC_PATH.length + 1));
    if (path === '/' || path === WEB_PATH) {
      res.writeHead(302, { Location: `${WEB_PATH}/` }).end();
      return;
    }
    if (!path.startsWith(WEB_PATH + '/')) {
      this.send(res, 404, this.errorPage(404, `No page at ${path}; the web interface is at ${WEB_PATH}/`));
      return;
    }
    const name = path.slice(WEB_PATH.length + 1) || 'index';
    const handler = Object.hasOwn(this.pages, name) ? this.pages[name] : undefined;
    if (!handler) {
      this.send(res, 404, this.errorPage(404, `No such page: ${name}`));
      return;
    }
    const header = (h: string) => (proxied ? req.headers[h] : undefined) as string | undefined;
    const login = this.logins.fromCookies(req.headers.cookie);
    const facts: RequestFacts = {
      method: req.method ?? 'GET',
      form: null,
      login,
      clientCN: header('x-kojits-client-verify') === 'SUCCESS' && header('x-kojits-client-cn') ? decodeURIComponent(header('x-kojits-client-cn') as string) : null,
      secure: proxied ? header('x-forwarded-proto') === 'https' : false,
      headers: req.headers,
      logins: this.logins,
    };
    let view: PageView;
    try {
      if (req.method === 'POST') facts.form = await readForm(req);
      const ctx = new PageContext(new Params(url.searchParams), this.d.hub, this.d.opts, name, facts);
      const r = await handler(ctx);
      if ('redirect' in r) {
        res.writeHead(302, { ...r.headers, Location: r.redirect, ...(r.cookie ? { 'Set-Cookie': r.cookie } : {}) }).end();
        return;
      }
      if ('stream' in r) {
        const gone = new AbortController();
        res.once('close', () => gone.abort());
        await r.stream(res, gone.signal);
        return;
      }
      view = r;
      this.send(res, view.status ?? 200, this.render(view, facts, (k: string, v: string | number) => ctx.link({ [k]: v })), view.headers);
    } catch (e) {
      const [status, message] = this.describe(e as Error);
      if (status >= 500) this.d.log.warn({ err: (e as Error).message, page: name }, 'page failed');
      this.send(res, status, this.errorPage(status, message, facts));
    }
  }

  /** The status and message of an error page for what a handler threw. */
  private describe(e: Error): [number, string] {
    if (e instanceof HttpError) return [e.status, e.message];
    if (e instanceof KojiError) {
      // the hub refused the request: a bad value the page passed on, or an unknown object
      if (/^No such|not found|does not exist/i.test(e.message)) return [404, e.message];
      if (e.name === 'ParameterError') return [400, e.message];
      if (e.name === 'ActionNotAllowed') return [403, e.message];
      if (e.faultCode === AuthError.faultCode) return [403, e.message];
      return [500, `${e.name}: ${e.message}`];
    }
    const code = (e as NodeJS.ErrnoException).code ?? (e.cause as NodeJS.ErrnoException | undefined)?.code;
    if (code && /^(ECONNREFUSED|ECONNRESET|ENOTFOUND|ETIMEDOUT|EHOSTUNREACH|EPIPE|UND_ERR)/.test(code) || /fetch failed|socket hang up|ECONNREFUSED/.test(e.message)) {
      return [502, `The hub at ${this.d.opts.KojiHubURL} does not answer (${code ?? e.message}). Try again when it runs.`];
    }
    return [500, 'The page could not be made; the web\'s log says why.'];
  }

  /** `link(param, value)`: this page's URL with one parameter changed (pagers, sortable columns) */
  render(view: PageView, facts: RequestFacts | null, link: (k: string, v: string | number) => string): string {
    return this.env.render(view.template, { ...view.data, ...this.common(view.title, view.pageID, facts), link });
  }

  private errorPage(status: number, message: string, facts: RequestFacts | null = null): string {
    return this.env.render('error.njk', { status, message, ...this.common(`Error ${status}`, undefined, facts) });
  }

  private common(title: string, pageID: string | undefined, facts: RequestFacts | null) {
    const login = facts?.login ?? null;
    return {
      title,
      pageID,
      siteName: this.d.opts.SiteName ?? 'koji',
      tabs: TABS,
      staticPath: STATIC_PATH,
      filesUrl: this.d.opts.KojiFilesURL.replace(/\/+$/, ''),
      loginEnabled: this.logins.enabled,
      currentUser: login?.user ?? null,
      csrf: login?.csrf ?? null,
    };
  }

  private send(res: http.ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
    res.writeHead(status, {
      'Content-Type': 'text/html; charset=utf-8',
      'Content-Length': String(Buffer.byteLength(body)),
      'X-Content-Type-Options': 'nosniff',
      'X-Frame-Options': 'DENY',
      'Content-Security-Policy': "default-src 'self'; style-src 'self'; script-src 'self'; img-src 'self' data:; frame-ancestors 'none'",
      'Referrer-Policy': 'same-origin',
      ...headers,
    });
    res.end(body);
  }

  private serveStatic(res: http.ServerResponse, rel: string): void {
    const type = TYPES[extname(rel)];
    if (!type || !/^[a-z0-9][a-z0-9._-]*$/i.test(rel)) {
      this.send(res, 404, this.errorPage(404, `No static file ${rel}`));
      return;
    }
    const file = join(STATIC_DIR, rel);
    let size: number;
    try {
      size = statSync(file).size;
    } catch {
      this.send(res, 404, this.errorPage(404, `No static file ${rel}`));
      return;
    }
    res.writeHead(200, { 'Content-Type': type, 'Content-Length': String(size), 'Cache-Control': 'max-age=3600' });
    createReadStream(file).pipe(res);
  }
}

/** A urlencoded form of at most MAX_FORM bytes. */
function readForm(req: http.IncomingMessage): Promise<URLSearchParams> {
  const type = String(req.headers['content-type'] ?? '').split(';')[0].trim();
  return new Promise((resolve, reject) => {
    if (type !== 'application/x-www-form-urlencoded') {
      req.resume();
      reject(new HttpError(415, 'Send forms as application/x-www-form-urlencoded'));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_FORM) {
        req.destroy();
        reject(new HttpError(413, `The form is larger than ${MAX_FORM} bytes`));
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(new URLSearchParams(Buffer.concat(chunks).toString('utf8'))));
    req.on('error', reject);
  });
}
