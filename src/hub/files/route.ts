/**
 * KojiDir over HTTP at /kojifiles/ (Koji's `topurl`): what Apache does for a Koji hub, on the
 * hub's own HTTP and HTTPS listeners. Read-only, GET and HEAD, no login or client certificate.
 *
 * - Files are sent by `send` (the Express family's static file sender): streaming, byte ranges
 *   (206, 416 with `Content-Range: bytes * /size`, If-Range), Last-Modified / If-Modified-Since,
 *   ETag; Content-Type from mime-types with Koji's own types on top (see CONTENT_TYPES).
 * - A path is taken from the raw request target, segment by segment: a segment that decodes to
 *   `.` or `..`, or holds `/`, `\` or NUL, or is not valid percent-encoding is refused with 400
 *   before the file system is touched.
 * - Symbolic links are followed (repos/<tag>/latest, a repo's toplink) only when what they
 *   resolve to stays inside the served folder; anything else is 404, as if it were not there.
 *   (The check is done on the resolved path, which `send` then opens: a link swapped between
 *   the two could escape. The folder is written only by the hub and its build hosts.)
 * - A directory is listed as simple HTML (see listing.ts); `dir` without its trailing slash
 *   is redirected (301) to `dir/`, so relative links in the listing work.
 */
import { realpath, stat } from 'node:fs/promises';
import type http from 'node:http';
import { extname, relative, sep } from 'node:path';
import send from 'send';
import type { RouteHandler } from '../http.ts';
import { renderListing } from './listing.ts';

export const KOJIFILES_PATH = '/kojifiles';

/** Types for Koji's files that mime-types lacks or names otherwise. */
const CONTENT_TYPES: Record<string, string> = {
  '.rpm': 'application/x-rpm',
  '.log': 'text/plain; charset=utf-8',
  '.sqlite': 'application/vnd.sqlite3',
  '.zst': 'application/zstd',
  '.jsonl': 'application/jsonl',
  // rpm signature headers (data/sigcache/…/*.rpm.sig), not armoured PGP text
  '.sig': 'application/octet-stream',
};

/** Extension-less text files of Koji's repo folders. */
const TEXT_FILES = new Set(['pkglist', 'blocklist']);

export function contentTypeOf(path: string): string | undefined {
  const base = path.slice(path.lastIndexOf('/') + 1);
  if (TEXT_FILES.has(base)) return 'text/plain; charset=utf-8';
  return CONTENT_TYPES[extname(base).toLowerCase()];
}

class BadPath extends Error {}

/**
 * The decoded segments of the path after the prefix (raw request target, query cut off), or
 * null when the target is not under the prefix. Throws BadPath for a path that must be refused.
 */
export function pathSegments(target: string, prefix = KOJIFILES_PATH): string[] | null {
  const raw = target.split('?', 1)[0].split('#', 1)[0];
  if (raw !== prefix && !raw.startsWith(prefix + '/')) return null;
  const segments: string[] = [];
  for (const part of raw.slice(prefix.length).split('/')) {
    if (part === '') continue;
    let s: string;
    try {
      s = decodeURIComponent(part);
    } catch {
      throw new BadPath(`bad percent-encoding in ${part}`);
    }
    if (s === '.' || s === '..' || /[/\\\0]/.test(s)) throw new BadPath(`path segment ${JSON.stringify(s)} is not allowed`);
    segments.push(s);
  }
  return segments;
}

function plain(res: http.ServerResponse, status: number, text: string, extra: Record<string, string> = {}): void {
  const body = Buffer.from(text + '\n', 'utf8');
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': String(body.length), ...extra });
  res.end(body);
}

/** Whether `p` is `root` or below it (both resolved). */
function inside(root: string, p: string): boolean {
  return p === root || p.startsWith(root.endsWith(sep) ? root : root + sep);
}

/**
 * The route serving `dir` at `prefix`. `dir` is resolved (symbolic links included) at each
 * request, so a folder made after start-up is served too.
 */
export function kojiFilesRoute(dir: string, prefix = KOJIFILES_PATH): RouteHandler {
  return async (req, res) => {
    let segments: string[] | null;
    try {
      segments = pathSegments(req.url ?? '/', prefix);
    } catch (e) {
      if (!(e instanceof BadPath)) throw e;
      req.resume();
      plain(res, 400, `Bad request: ${e.message}`);
      return true;
    }
    if (segments === null) return false;
    req.resume();
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      plain(res, 405, `Method ${req.method} is not allowed here: ${prefix}/ is read-only (GET, HEAD)`, { Allow: 'GET, HEAD' });
      return true;
    }
    const shown = `${prefix}/${segments.join('/')}`;
    let root: string;
    let target: string;
    try {
      root = await realpath(dir);
      target = await realpath([root, ...segments].join(sep));
    } catch {
      plain(res, 404, `Not found: ${shown}`);
      return true;
    }
    // a symbolic link that leads out of the served folder is not there
    if (!inside(root, target)) {
      plain(res, 404, `Not found: ${shown}`);
      return true;
    }
    const st = await stat(target);
    const rawPath = (req.url ?? '/').split('?', 1)[0];
    if (st.isDirectory()) {
      if (!rawPath.endsWith('/')) {
        const location = rawPath + '/';
        res.writeHead(301, { Location: location, 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': '0' });
        res.end();
        return true;
      }
      const html = Buffer.from(await renderListing(target, `${prefix}/${segments.map((s) => s + '/').join('')}`, segments.length > 0), 'utf8');
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Length': String(html.length), 'Last-Modified': st.mtime.toUTCString() });
      res.end(req.method === 'HEAD' ? undefined : html);
      return true;
    }
    if (!st.isFile()) {
      plain(res, 404, `Not found: ${shown}`);
      return true;
    }
    const rel = relative(root, target).split(sep).map(encodeURIComponent).join('/');
    const type = contentTypeOf(target);
    await new Promise<void>((done) => {
      send(req, '/' + rel, { root, dotfiles: 'allow', index: false, cacheControl: false, etag: true, lastModified: true })
        .on('headers', (r: http.ServerResponse) => {
          if (type) r.setHeader('Content-Type', type);
        })
        .on('end', () => done())
        .on('error', (e: Error & { status?: number; headers?: Record<string, string> }) => {
          if (!res.headersSent) plain(res, e.status ?? 500, e.status === 404 ? `Not found: ${shown}` : e.message, e.headers);
          else res.destroy();
          done();
        })
        .pipe(res);
      res.once('close', () => done());
    });
    return true;
  };
}
