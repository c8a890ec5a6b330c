/**
 * Dist repos (Koji's distRepo flow): dist_repo_init makes the INIT row (dist, no opts) and the
 * per-arch directories under repos-dist/<tag>/<id>/ (on a volume: a symlink from the main one),
 * copies the comps file from work/ and writes repo.json; host.distRepoMove moves one arch's
 * uploaded metadata in and hard-links (copies across file systems) each listed rpm, from its
 * signed copy when a key is given, after checking the kojipkgs entry against the database.
 */
import { promises as fsp } from 'node:fs';
import { dirname, relative } from 'node:path';
import { GenericError } from '../../protocol/faults.ts';
import { isStruct, type XmlRpcValue } from '../../protocol/values.ts';
import { REPO_STATES } from '../../protocol/enums.ts';
import { canonArch } from '../../util/arch.ts';
import { PathInfo } from '../../util/pathinfo.ts';
import { getRpm, type RpmRow } from '../content/builds-query.ts';
import { getBuild } from '../content/build.ts';
import { getTag } from '../content/tag.ts';
import { lookupName } from '../lookup.ts';
import { taskId as intValue, wrongType } from '../tasks/task.ts';
import type { CallContext } from '../types.ts';
import { isDir, safeRelPath, saferMove, strictRepo } from './done.ts';
import { RS } from './views.ts';

/** Python's KeyError as a hub fault (code 1), as Koji's dist_repo_init raises it. */
function keyError(key: string): Error {
  const e = new Error(`'${key}'`);
  e.name = 'KeyError';
  return e;
}

/** Koji's dist_repo_init; returns [repo_id, event_id]. */
export async function distRepoInit(ctx: CallContext, tagInfo: unknown, keys: unknown, taskOpts: Record<string, XmlRpcValue>): Promise<[number, number]> {
  if (!Array.isArray(keys)) throw wrongType(keys, 'list');
  const tag = (await getTag(ctx, tagInfo, { strict: true }))!;
  const ev = taskOpts.event === undefined || taskOpts.event === null ? null : intValue(taskOpts.event);
  const volume = taskOpts.volume === undefined || taskOpts.volume === null ? null : (await lookupName(ctx.sql, 'volume', taskOpts.volume, { strict: true }))!.name;
  if (!('arch' in taskOpts)) throw keyError('arch');
  const archList = Array.isArray(taskOpts.arch) ? taskOpts.arch : [];
  const arches = [...new Set(archList.map((a) => canonArch(String(a))))];
  const eventId = ev ?? (await ctx.event());
  const repoId = (await ctx.sql.value<number>('INSERT INTO repo (create_event, tag_id, state, dist) VALUES ($1, $2, $3, TRUE) RETURNING id', [eventId, tag.id, RS.INIT])) as number;
  const pi = new PathInfo(ctx.hub.kojiDir);
  const repoDir = pi.distrepo(repoId, tag.name, volume);
  ctx.onRollback(() => fsp.rm(repoDir, { recursive: true, force: true }));
  for (const a of arches) await fsp.mkdir(`${repoDir}/${a}`, { recursive: true });
  if (volume && volume !== 'DEFAULT') {
    const base = pi.distrepo(repoId, tag.name);
    await fsp.mkdir(dirname(base), { recursive: true });
    await fsp.symlink(relative(dirname(base), repoDir), base);
    ctx.onRollback(() => fsp.rm(base, { force: true }));
  }
  if (taskOpts.comps) {
    if (typeof taskOpts.comps !== 'string') throw wrongType(taskOpts.comps, 'str');
    await fsp.mkdir(`${repoDir}/groups`, { recursive: true });
    await fsp.copyFile(`${pi.work()}/${safeRelPath('comps path', taskOpts.comps)}`, `${repoDir}/groups/comps.xml`);
  }
  const info = { id: repoId, tag: tag.name, tag_id: tag.id, keys, volume, task_opts: taskOpts };
  await fsp.writeFile(`${repoDir}/repo.json`, JSON.stringify(info, null, 2));
  return [repoId, eventId];
}

const RPM_CHECK_KEYS = ['name', 'version', 'release', 'arch', 'epoch', 'size', 'payloadhash', 'build_id'] as const;

async function readJson(fn: string, missing: string): Promise<XmlRpcValue> {
  if (!(await fsp.stat(fn).catch(() => null))?.isFile()) throw new GenericError(missing);
  return JSON.parse(await fsp.readFile(fn, 'utf8')) as XmlRpcValue;
}

/** Koji's host.distRepoMove: one arch of a dist repo into place. */
export async function distRepoMove(ctx: CallContext, repoId: number, uploadPathIn: unknown, arch: unknown): Promise<void> {
  const pi = new PathInfo(ctx.hub.kojiDir);
  const work = pi.work();
  const repo = await strictRepo(ctx, repoId);
  const archDir = `${pi.distrepo(repoId, repo.tag_name)}/${canonArch(String(arch))}`;
  if (!(await isDir(archDir))) throw new GenericError(`Repo arch directory missing: ${archDir}`);
  if (repo.state !== RS.INIT) throw new GenericError(`Repo is in state: ${REPO_STATES.names[repo.state]}`);
  const uploadPath = safeRelPath('upload path', uploadPathIn);
  const files = await readJson(`${work}/${uploadPath}/repo_manifest`, 'Missing repo manifest');
  const kojipkgs = await readJson(`${work}/${uploadPath}/kojipkgs`, 'Missing kojipkgs file');
  if (!Array.isArray(files) || !isStruct(kojipkgs)) throw new GenericError('repo_manifest must be a list and kojipkgs a dictionary');
  const moves: Array<[string, string]> = [];
  for (const f of files) {
    const rel = safeRelPath('manifest entry', f);
    const src = `${work}/${uploadPath}/${rel}`;
    if (!(await fsp.lstat(src).catch(() => null))) throw new GenericError(`uploaded file missing: ${src}`);
    moves.push([src, `${archDir}/${rel}`]);
  }
  const links: Array<[string, string]> = [];
  const buildDirs = new Map<number, string>();
  for (const [bnp, entry] of Object.entries(kojipkgs)) {
    if (!isStruct(entry) || bnp.includes('/') || bnp === '' || bnp.startsWith('.')) throw new GenericError(`Invalid kojipkgs entry: ${bnp}`);
    const db = (await getRpm(ctx.sql, entry.id, true)) as RpmRow;
    for (const key of RPM_CHECK_KEYS) {
      if (!(key in entry) || entry[key] !== db[key]) throw new GenericError(`kojipkgs entry does not match db: file ${bnp}, key ${key}`);
    }
    const sigkey = entry.sigkey;
    const rpm = db as never;
    const rel = sigkey === null || sigkey === undefined || sigkey === '' ? pi.rpm(rpm) : pi.signed(rpm, String(sigkey));
    let dir = buildDirs.get(db.build_id as number);
    if (dir === undefined) {
      dir = pi.build((await getBuild(ctx.sql, db.build_id, true)) as never);
      buildDirs.set(db.build_id as number, dir);
    }
    links.push([`${dir}/${rel}`, `${archDir}/Packages/${bnp[0].toLowerCase()}/${bnp}`]);
  }
  for (const [src, dst] of moves) await saferMove(ctx, src, dst);
  for (const [src, dst] of links) {
    await fsp.mkdir(dirname(dst), { recursive: true });
    if (await fsp.lstat(dst).catch(() => null)) throw new GenericError(`File already in repo: ${dst}`);
    try {
      await fsp.link(src, dst);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EXDEV') throw e;
      await fsp.copyFile(src, dst);
    }
    ctx.onRollback(() => fsp.rm(dst, { force: true }));
  }
}
