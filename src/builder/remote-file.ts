/**
 * koji.openRemoteFile for the builder: a file of the hub's tree by its path relative to topdir,
 * read from the local topdir when the builder sees it, else fetched from topurl.
 */
import { access, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { KojidOptions } from '../config/kojid.ts';
import { BuildError, GenericError } from '../protocol/faults.ts';

/** topurl (kojid.conf's first URL) without a trailing slash (null when unset). */
export function firstTopurl(options: Pick<KojidOptions, 'topurl'>): string | null {
  return options.topurl ? options.topurl.replace(/\/+$/, '') : null;
}

/** The URL (file:// for a local topdir, else under topurl) of `relpath` in the hub's tree. */
export function remoteUrl(options: Pick<KojidOptions, 'topurl' | 'topdir'>, relpath: string, local: boolean): string {
  const rel = relpath.replace(/^\/+/, '');
  const top = firstTopurl(options);
  if (local || !top) return `file://${join(options.topdir, rel)}`;
  return `${top}/${rel}`;
}

/** Contents of `relpath`, or null when it does not exist (404 / ENOENT). */
export async function readRemoteFile(options: Pick<KojidOptions, 'topurl' | 'topdir'>, relpath: string): Promise<Buffer | null> {
  const rel = relpath.replace(/^\/+/, '');
  try {
    return await readFile(join(options.topdir, rel));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT' && (e as NodeJS.ErrnoException).code !== 'ENOTDIR') throw e;
  }
  const top = firstTopurl(options);
  if (!top) return null;
  const r = await fetch(`${top}/${rel}`, { signal: AbortSignal.timeout(120_000) });
  if (r.status === 404) return null;
  if (!r.ok) throw new GenericError(`cannot fetch ${top}/${rel}: HTTP ${r.status}`);
  return Buffer.from(await r.arrayBuffer());
}

/**
 * BaseTaskHandler.localPath: a local path of `relpath` in the hub's tree — the file itself when
 * the builder sees topdir, else a copy fetched from topurl into `tmpdir` (BuildError when missing).
 */
export async function localPath(options: Pick<KojidOptions, 'topurl' | 'topdir'>, relpath: string, tmpdir: string): Promise<string> {
  const rel = relpath.replace(/^\/+/, '');
  const direct = join(options.topdir, rel);
  if (await access(direct).then(() => true, () => false)) return direct;
  const body = await readRemoteFile(options, rel);
  if (!body) throw new BuildError(`File missing: ${rel} (neither under topdir ${options.topdir} nor at topurl)`);
  const dest = join(tmpdir, 'local', rel);
  await mkdir(dirname(dest), { recursive: true });
  await writeFile(dest, body);
  return dest;
}
