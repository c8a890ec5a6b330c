/**
 * Files a builder uploaded under work/ (tasks/N/TASK/…), as the build calls name them: paths
 * relative to the work dir, checked to stay inside it. Build logs go to the build's data/logs
 * (Koji's import_build_log). Files are linked into place within the transaction (see placeFile):
 * the task's output stays listed and downloadable, and a rolled-back import leaves nothing.
 */
import { promises as fsp } from 'node:fs';
import { basename, join, normalize } from 'node:path';
import { GenericError } from '../../protocol/faults.ts';
import { PathInfo } from '../../util/pathinfo.ts';
import type { BuildInfo } from '../content/build.ts';
import { placeFile } from '../content/rpmimport.ts';
import type { CallContext } from '../types.ts';

/** The absolute path of an uploaded file named relative to work/ (fault when it is missing). */
export async function workFile(ctx: CallContext, relpath: unknown): Promise<string> {
  if (typeof relpath !== 'string' || relpath === '') throw new GenericError(`Invalid upload path: ${String(relpath)}`);
  const rel = normalize(relpath);
  if (rel.startsWith('/') || rel === '..' || rel.startsWith('../')) throw new GenericError(`Invalid upload path (outside the work dir): ${relpath}`);
  const fn = join(new PathInfo(ctx.hub.kojiDir).work(), rel);
  if (!(await fsp.stat(fn).catch(() => null))) throw new GenericError(`No such file: ${fn}`);
  return fn;
}

/** A list of relative paths (Koji's convert_value(cast=list)). */
export function pathList(v: unknown, what: string): string[] {
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw new GenericError(`${what} must be a list of paths relative to the work dir`);
  return v as string[];
}

/** logs: {subdir (an arch, or '' for none): [relpath, …]}. */
export function logMap(v: unknown): Array<[string, string[]]> {
  if (v === null || v === undefined) return [];
  if (typeof v !== 'object' || Array.isArray(v)) throw new GenericError('logs must be a struct of {arch: [paths relative to the work dir]}');
  return Object.entries(v as Record<string, unknown>).map(([k, files]) => [k, pathList(files, `logs[${k}]`)]);
}

/** A regular file (not a link) — Koji will not import anything else as a log or an archive. */
async function assertRegular(fn: string, what: string): Promise<void> {
  const st = await fsp.lstat(fn);
  if (!st.isFile()) throw new GenericError(`Error importing ${what}. ${fn} is not a regular file.`);
}

/** Koji's import_build_log: the file into the build's data/logs[/subdir]. */
export async function importBuildLog(ctx: CallContext, fn: string, build: BuildInfo, subdir: string | null): Promise<void> {
  let dir = new PathInfo(ctx.hub.kojiDir).buildLogs(build);
  if (subdir) {
    if (subdir.includes('/') || subdir.startsWith('.')) throw new GenericError(`Invalid log subdir: ${subdir}`);
    dir = join(dir, subdir);
  }
  await assertRegular(fn, 'build log');
  await placeFile(ctx, fn, join(dir, basename(fn)));
}

/** Link an uploaded file into a folder outside the database's view (scratch results). */
export async function placeInto(ctx: CallContext, fn: string, dir: string): Promise<void> {
  await assertRegular(fn, 'file');
  await placeFile(ctx, fn, join(dir, basename(fn)));
}
