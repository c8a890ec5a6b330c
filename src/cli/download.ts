/**
 * koji_cli.lib.download_file: fetch a file under topurl into a local path, appending to a
 * partial copy when the size is known (HEAD's Content-Length), with the stock CLI's
 * "Downloading [n/N]: path" line and progress bar ("[====   ]  42%   1.00 KiB\r").
 */
import { closeSync, mkdirSync, openSync, statSync, unlinkSync, utimesSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { CliContext } from './command.ts';
import { pyFixed, PyError } from './commands/common.ts';

/** koji_cli.lib._format_size */
export function formatSize(size: number): string {
  if (size / 1073741824 >= 1) return `${pyFixed(size / 1073741824, 2)} GiB`;
  if (size / 1048576 >= 1) return `${pyFixed(size / 1048576, 2)} MiB`;
  if (size / 1024 >= 1) return `${pyFixed(size / 1024, 2)} KiB`;
  return `${pyFixed(size, 2)} B`;
}

/** koji_cli.lib._download_progress: one carriage-return line. */
function progress(total: number, done: number, size?: number | null): string {
  const frac = total === 0 ? 0 : done / total;
  const pct = total === 0 ? '???%' : `${String(Math.trunc(frac * 100)).padStart(3)}%`;
  const data = size ? `${formatSize(done)} / ${formatSize(size)}` : formatSize(done);
  return `[${'='.repeat(Math.trunc(frac * 36)).padEnd(36)}] ${pct.padStart(4)} ${data.padStart(10)}\r`;
}

/** requests' raise_for_status message */
function httpError(res: Response, url: string): PyError {
  const kind = res.status < 500 ? 'Client' : 'Server';
  return new PyError('HTTPError', `${res.status} ${kind} Error: ${res.statusText} for url: ${url}`);
}

export interface DownloadOptions {
  quiet?: boolean;
  noprogress?: boolean;
  /** number of files (for "Downloading [num/size]") */
  size?: number;
  num?: number;
  filesize?: number | null;
}

export async function downloadFile(ctx: CliContext, url: string, relpath: string, o: DownloadOptions = {}): Promise<void> {
  if (relpath.includes('/')) mkdirSync(dirname(relpath), { recursive: true });
  if (!o.quiet) ctx.print(o.size && o.num ? `Downloading [${o.num}/${o.size}]: ${relpath}\n` : `Downloading: ${relpath}\n`);
  let filesize = o.filesize ?? null;
  if (!filesize) {
    const head = await fetch(url, { method: 'HEAD', redirect: 'follow', signal: AbortSignal.timeout(10_000) });
    const len = head.headers.get('content-length');
    if (head.status === 200 && len) filesize = Number(len);
  }
  let pos = 0;
  const headers: Record<string, string> = {};
  let fd: number;
  if (filesize) {
    fd = openSync(relpath, 'a');
    pos = statSync(relpath).size;
    if (pos !== 0) {
      if (filesize === pos) {
        closeSync(fd);
        if (!o.quiet) ctx.print(`File ${relpath} already downloaded, skipping\n`);
        return;
      }
      if (!o.quiet) ctx.print(`Appending to existing file ${relpath}\n`);
      headers.Range = `bytes=${pos}-`;
    }
  } else fd = openSync(relpath, 'w');
  let mtime: Date | null = null;
  const show = !(o.quiet || o.noprogress);
  try {
    const res = await fetch(url, { headers, redirect: 'follow' });
    if (res.status === 200 || res.status === 416) {
      // the whole file (or nothing past its end): write it anew (pos keeps counting from the old size, as in the stock CLI)
      closeSync(fd);
      fd = openSync(relpath, 'w');
    }
    if (!res.ok) throw httpError(res, url);
    const length = filesize || Number(res.headers.get('content-length') || 0);
    if (res.body) {
      for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
        pos += chunk.length;
        writeSync(fd, chunk);
        if (show) ctx.print(progress(length, pos, filesize));
      }
    }
    if (!length && show) ctx.print(progress(pos, pos, filesize));
    const lm = res.headers.get('last-modified');
    if (lm) mtime = new Date(lm);
  } finally {
    closeSync(fd);
    if (pos === 0) unlinkSync(relpath);
    else if (mtime && !Number.isNaN(mtime.getTime())) utimesSync(relpath, new Date(), mtime);
  }
  if (show) ctx.print('\n');
}
