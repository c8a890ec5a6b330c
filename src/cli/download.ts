/**
 * Fetching files from `topurl` as the stock CLI's koji_cli.lib.download_file does, with its
 * output: "Downloading [n/m]: <path>", a progress line per MiB received ("[====…]  42%  1.00
 * MiB / 2.38 MiB" ending in a carriage return) unless quiet or noprogress, then a newline.
 * A file whose size is known is resumed with a Range request when part of it is already there
 * ("Appending to existing file …", "File … already downloaded, skipping"); a 200 or 416 reply
 * rewrites it from the start. The file gets the Last-Modified time; a file nothing was written
 * to is removed. HTTP errors are Python's requests.HTTPError text ("404 Client Error: Not Found
 * for url: …"). Node's http/https modules do the transfer (the profile's serverca and
 * no_ssl_verify apply to https URLs); requests' retries (3, for connection failures and 408,
 * 429, 500, 502, 504) are kept.
 */
import { createWriteStream, mkdirSync, readFileSync, statSync, unlinkSync, utimesSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { dirname } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { pyFixed, PyError } from './commands/common.ts';

export interface DownloadTls {
  serverca?: string | null;
  noSslVerify?: boolean;
}

/** Where download lines go. */
export interface OutputSink {
  write(s: string): void;
}

/** Where a command's stdout goes: straight to a terminal (progress shows as it happens), else kept. */
export class Output implements OutputSink {
  text = '';
  constructor(private readonly live = process.stdout.isTTY === true) {}
  write(s: string): void {
    if (this.live) process.stdout.write(s);
    else this.text += s;
  }
}

/** koji_cli.lib._format_size */
export function formatSize(size: number): string {
  if (size / 1073741824 >= 1) return `${pyFixed(size / 1073741824, 2)} GiB`;
  if (size / 1048576 >= 1) return `${pyFixed(size / 1048576, 2)} MiB`;
  if (size / 1024 >= 1) return `${pyFixed(size / 1024, 2)} KiB`;
  return `${pyFixed(size, 2)} B`;
}

/** koji_cli.lib._download_progress: "[% -36s] % 4s % 10s\r" */
export function progressLine(total: number, done: number, size: number | null): string {
  const fraction = total === 0 ? 0 : done / total;
  const pct = total === 0 ? '???%' : `${String(Math.trunc(fraction * 100)).padStart(3)}%`;
  const data = size ? `${formatSize(done)} / ${formatSize(size)}` : formatSize(done);
  return `[${'='.repeat(Math.trunc(fraction * 36)).padEnd(36)}] ${pct.padStart(4)} ${data.padStart(10)}\r`;
}

const RETRY_STATUS = new Set([500, 502, 504, 408, 429]);
const CHUNK = 1024 * 1024;

function request(url: string, method: string, headers: Record<string, string>, tls: DownloadTls, timeoutMs?: number): Promise<http.IncomingMessage> {
  const u = new URL(url);
  const opts: https.RequestOptions = { method, headers: { 'User-Agent': 'koji/1', ...headers }, timeout: timeoutMs };
  if (u.protocol === 'https:') {
    if (tls.serverca) opts.ca = readFileSync(tls.serverca);
    if (tls.noSslVerify) opts.rejectUnauthorized = false;
  } else if (u.protocol !== 'http:') {
    return Promise.reject(new PyError('InvalidSchema', `No connection adapters were found for ${JSON.stringify(url)}`));
  }
  return new Promise((resolve, reject) => {
    const req = (u.protocol === 'https:' ? https : http).request(u, opts, resolve);
    req.on('timeout', () => req.destroy(new Error(`read timed out after ${timeoutMs} ms`)));
    req.on('error', (e) => reject(new PyError('ConnectionError', `${url}: ${e.message}`)));
    req.end();
  });
}

/** A GET or HEAD with requests' retry policy (3 retries, backoff 0.3 s doubling). */
async function requestWithRetry(url: string, method: string, headers: Record<string, string>, tls: DownloadTls, timeoutMs?: number): Promise<http.IncomingMessage> {
  for (let attempt = 0; ; attempt++) {
    try {
      const res = await request(url, method, headers, tls, timeoutMs);
      if (attempt < 3 && RETRY_STATUS.has(res.statusCode ?? 0)) res.resume();
      else return res;
    } catch (e) {
      if (attempt >= 3) throw e;
    }
    if (attempt > 0) await delay(300 * 2 ** attempt);
  }
}

/** requests' raise_for_status text */
function httpError(res: http.IncomingMessage, url: string): PyError | null {
  const s = res.statusCode ?? 0;
  if (s < 400) return null;
  return new PyError('HTTPError', `${s} ${s < 500 ? 'Client' : 'Server'} Error: ${res.statusMessage ?? ''} for url: ${url}`);
}

export interface DownloadOptions {
  quiet?: boolean;
  noprogress?: boolean;
  /** number of files being downloaded, and this one's number: "Downloading [num/size]" */
  size?: number | null;
  num?: number | null;
  /** expected size: allows resuming a partial file */
  filesize?: number | null;
  tls?: DownloadTls;
}

/** Download `url` to `relpath` (relative to the working folder), printing to `out`. */
export async function downloadFile(out: OutputSink, url: string, relpath: string, o: DownloadOptions = {}): Promise<void> {
  const tls = o.tls ?? {};
  const showProgress = !(o.quiet || o.noprogress);
  if (relpath.includes('/')) mkdirSync(dirname(relpath), { recursive: true });
  if (!o.quiet) out.write(o.size && o.num ? `Downloading [${o.num}/${o.size}]: ${relpath}\n` : `Downloading: ${relpath}\n`);
  let filesize = o.filesize ?? null;
  if (!filesize) {
    const head = await requestWithRetry(url, 'HEAD', {}, tls, 10_000);
    head.resume();
    if (head.statusCode === 200 && head.headers['content-length']) filesize = Number(head.headers['content-length']);
  }
  let pos = 0;
  const headers: Record<string, string> = {};
  if (filesize) {
    let existing = 0;
    try {
      existing = statSync(relpath).size;
    } catch {
      // not there yet
    }
    pos = existing;
    if (pos !== 0) {
      if (filesize === pos) {
        if (!o.quiet) out.write(`File ${relpath} already downloaded, skipping\n`);
        return;
      }
      if (!o.quiet) out.write(`Appending to existing file ${relpath}\n`);
      headers.Range = `bytes=${pos}-`;
    }
  }
  let mtime: Date | null = null;
  try {
    const res = await requestWithRetry(url, 'GET', headers, tls);
    // the whole file, or a range past its end: start again
    const rewrite = !filesize || res.statusCode === 200 || res.statusCode === 416;
    if (rewrite) pos = 0;
    const err = httpError(res, url);
    if (err) {
      res.resume();
      throw err;
    }
    const length = filesize || Number(res.headers['content-length'] ?? 0);
    const file = createWriteStream(relpath, { flags: rewrite ? 'w' : 'a' });
    file.on('error', (e) => res.destroy(e));
    const start = pos;
    let reported = 0;
    for await (const chunk of res as AsyncIterable<Buffer>) {
      if (!file.write(chunk)) await new Promise<void>((r) => file.once('drain', () => r()));
      pos += chunk.length;
      // one line per MiB, as requests' iter_content(1 MiB) yields them
      while (showProgress && pos - start - reported >= CHUNK) {
        reported += CHUNK;
        out.write(progressLine(length, start + reported, filesize));
      }
    }
    await new Promise<void>((resolve, reject) => {
      file.once('error', reject);
      file.end(() => resolve());
    });
    if (showProgress && pos - start > reported) out.write(progressLine(length, pos, filesize));
    if (showProgress && !length) out.write(progressLine(pos, pos, filesize));
    const lm = res.headers['last-modified'];
    if (lm && !Number.isNaN(Date.parse(lm))) mtime = new Date(lm);
  } finally {
    if (pos === 0) {
      try {
        unlinkSync(relpath);
      } catch {
        // never created
      }
    } else if (mtime) utimesSync(relpath, new Date(), mtime);
  }
  if (showProgress) out.write('\n');
}
