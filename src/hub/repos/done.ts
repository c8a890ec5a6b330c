/**
 * Finishing a repo: Koji's host.repoDone — the createrepo results uploaded under work/ moved
 * into <arch>/repodata/, READY, the `latest` link. Moved files go back to the upload area when
 * the call's transaction fails.
 */
import { promises as fsp } from 'node:fs';
import { dirname } from 'node:path';
import { GenericError, ParameterError } from '../../protocol/faults.ts';
import { isStruct, type XmlRpcValue } from '../../protocol/values.ts';
import { pyStrOf } from '../../protocol/pyrepr.ts';
import { canonArch } from '../../util/arch.ts';
import { PathInfo } from '../../util/pathinfo.ts';
import { wrongType } from '../tasks/task.ts';
import type { CallContext } from '../types.ts';
import { linkIfLatest, setRepoState } from './state.ts';
import { repoInfo, RS, type RepoRow } from './views.ts';

/** A relative path from a host that must stay inside its directory. */
export function safeRelPath(what: string, p: unknown): string {
  if (typeof p !== 'string' || p === '' || p.startsWith('/') || p.split('/').some((c) => c === '..')) {
    throw new GenericError(`Invalid ${what}: ${pyStrOf(p)} (a relative path without '..' is expected)`);
  }
  return p;
}

/** Koji's safer_move: rename, refusing to replace; moved back if the transaction fails. */
export async function saferMove(ctx: CallContext, src: string, dst: string): Promise<void> {
  const st = await fsp.lstat(dst).catch(() => null);
  if (st) throw new GenericError(st.isSymbolicLink() ? `Destination is a symlink: ${dst}` : `Destination exists: ${dst}`);
  await fsp.mkdir(dirname(dst), { recursive: true });
  await fsp.rename(src, dst);
  ctx.onRollback(() => fsp.rename(dst, src).catch(() => undefined));
}

export async function isDir(p: string): Promise<boolean> {
  return (await fsp.stat(p).catch(() => null))?.isDirectory() ?? false;
}

export async function strictRepo(ctx: CallContext, repoId: number): Promise<RepoRow> {
  const r = await repoInfo(ctx.sql, repoId);
  if (!r) throw new GenericError('query returned no rows');
  return r;
}

/** Koji's host.repoDone. `data` = {arch: [uploadpath, [files]]}. */
export async function repoDone(ctx: CallContext, repoId: number, data: unknown, expire: boolean, jsonUpdates: unknown): Promise<void> {
  const repo = await strictRepo(ctx, repoId);
  if (!isStruct(data)) throw wrongType(data, 'dict');
  if (repo.state !== RS.INIT) throw new GenericError(`Repo ${repo.id} not in INIT state (got ${repo.state})`);
  const pi = new PathInfo(ctx.hub.kojiDir);
  const repoDir = pi.repo(repoId, repo.tag_name);
  const work = pi.work();
  if (isStruct(jsonUpdates) && Object.keys(jsonUpdates).length) {
    const fn = `${repoDir}/repo.json`;
    const old = await fsp.readFile(fn, 'utf8');
    await fsp.writeFile(fn, JSON.stringify({ ...JSON.parse(old), ...jsonUpdates }, null, 2));
    ctx.onRollback(() => fsp.writeFile(fn, old));
  }
  if (!repo.dist) {
    for (const [arch, entry] of Object.entries(data)) {
      if (!Array.isArray(entry) || entry.length !== 2 || !Array.isArray(entry[1])) throw new ParameterError(`repo data for ${arch} must be [uploadpath, [files]]`);
      const uploadPath = safeRelPath('upload path', entry[0]);
      const archDir = `${repoDir}/${canonArch(arch)}`;
      if (!(await isDir(archDir))) throw new GenericError(`Repo arch directory missing: ${archDir}`);
      await fsp.mkdir(`${archDir}/repodata`, { recursive: true });
      for (const f of entry[1] as XmlRpcValue[]) {
        const fn = safeRelPath('file name', f);
        const src = `${work}/${uploadPath}/${fn}`;
        const dst = fn.endsWith('pkglist') ? `${archDir}/${fn}` : `${archDir}/repodata/${fn}`;
        if (!(await fsp.lstat(src).catch(() => null))) throw new GenericError(`uploaded file missing: ${src}`);
        await saferMove(ctx, src, dst);
      }
    }
  }
  if (expire) {
    ctx.hub.log.warn('expire option for repoDone call is deprecated');
    await setRepoState(ctx, repoId, RS.EXPIRED);
    return;
  }
  await setRepoState(ctx, repoId, RS.READY);
  await linkIfLatest(ctx, repo);
}
