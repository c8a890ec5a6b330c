/**
 * Koji's import_build, as host.completeBuild runs it: the SRPM, RPMs and logs a build task's
 * children uploaded become the contents of the BUILDING build the task made with initBuild —
 * one transaction that checks the SRPM against the build, picks the volume by policy, marks the
 * build COMPLETE, records every rpm with the buildroot it was built in (brmap) and links the
 * files to their pathinfo places. A failure anywhere leaves the build BUILDING and no files.
 *
 * Koji compares duplicate noarch rpms of different arches with rpmdiff and keeps the first; we
 * keep the first too, but do not diff them (their payloads may legitimately differ in build
 * time only; Koji's rpmdiff ignores exactly that).
 */
import { basename } from 'node:path';
import { BUILD_STATES } from '../../protocol/enums.ts';
import { GenericError } from '../../protocol/faults.ts';
import type { XmlRpcValue } from '../../protocol/values.ts';
import { pyStrOf } from '../../protocol/pyrepr.ts';
import { getBuild, type BuildInfo } from '../content/build.ts';
import { insertBuildRpm, readPackage } from '../content/rpmimport.ts';
import { policyDataFromTask } from '../tasks/policy-data.ts';
import type { CallContext } from '../types.ts';
import { loadBuildroot } from './buildroot.ts';
import { importBuildLog, logMap, pathList, workFile } from './files.ts';
import { checkVolumePolicy, ensureVolumeSymlink } from './volume.ts';

const ST = BUILD_STATES.byName;

/** Koji's check_noarch_rpms without the rpmdiff: the first of same-named noarch rpms is kept. */
export function dedupNoarch(rpms: string[]): string[] {
  const seen = new Set<string>();
  return rpms.filter((p) => {
    if (!p.endsWith('.noarch.rpm')) return true;
    const name = basename(p);
    if (seen.has(name)) return false;
    seen.add(name);
    return true;
  });
}

export interface ImportBuildArgs {
  taskId: number;
  buildId: number;
  srpm: unknown;
  rpms: unknown;
  brmap: unknown;
  logs: unknown;
}

function brmapOf(v: unknown): Map<string, number> {
  if (v === null || v === undefined) return new Map();
  if (typeof v !== 'object' || Array.isArray(v)) throw new GenericError('brmap must be a struct of {relpath: buildroot id}');
  const m = new Map<string, number>();
  for (const [k, id] of Object.entries(v as Record<string, unknown>)) {
    if (typeof id !== 'number' || !Number.isInteger(id)) throw new GenericError(`brmap[${k}] must be a buildroot id, got ${pyStrOf(id as XmlRpcValue)}`);
    m.set(k, id);
  }
  return m;
}

export async function importBuild(ctx: CallContext, a: ImportBuildArgs): Promise<BuildInfo> {
  const brmap = brmapOf(a.brmap);
  if (typeof a.srpm !== 'string') throw new GenericError('srpm must be a path relative to the work dir');
  const rpmPaths = dedupNoarch(pathList(a.rpms, 'rpms'));
  const logs = logMap(a.logs);
  const files = new Map<string, string>();
  for (const rel of [a.srpm, ...rpmPaths]) files.set(rel, await workFile(ctx, rel));
  for (const br of new Set(brmap.values())) await loadBuildroot(ctx, br);

  const srpmFn = files.get(a.srpm)!;
  const src = await readPackage(srpmFn);
  if (!src.info.sourcepackage) throw new GenericError(`not a source package: ${srpmFn}`);
  const policyData: Record<string, XmlRpcValue> = {
    package: src.info.name, version: src.info.version, release: src.info.release,
    buildroots: [...brmap.values()], import: true, import_type: 'rpm',
    ...(await policyDataFromTask(ctx, a.taskId)),
  };
  const vol = (await checkVolumePolicy(ctx, policyData, { dflt: 'DEFAULT' }))!;

  // locked first: a second completeBuild of the same build waits, then sees it COMPLETE
  await ctx.sql.maybeOne('SELECT id FROM build WHERE id = $1 FOR UPDATE', [a.buildId]);
  const binfo = (await getBuild(ctx.sql, a.buildId, true)) as BuildInfo;
  const release = binfo.draft ? `${src.info.release},draft_${binfo.id}` : src.info.release;
  const fromRpm: Record<string, XmlRpcValue> = { name: src.info.name, version: src.info.version, release, epoch: src.info.epoch, task_id: a.taskId };
  for (const key of ['name', 'version', 'release', 'epoch', 'task_id']) {
    if (fromRpm[key] !== binfo[key]) throw new GenericError(`Unable to complete build: ${key} mismatch (build: ${pyStrOf(binfo[key])}, rpm: ${pyStrOf(fromRpm[key])})`);
  }
  if (binfo.state !== ST.BUILDING) throw new GenericError(`Unable to complete build: state is ${BUILD_STATES.name(binfo.state)}`);
  await ctx.sql.execute('UPDATE build SET state = $2, completion_time = NOW(), volume_id = $3 WHERE id = $1', [binfo.id, ST.COMPLETE, vol.id]);
  ctx.markChanged();
  const build = (await getBuild(ctx.sql, binfo.id, true)) as BuildInfo;

  const srpmName = `${build.name}-${build.version}-${src.info.release}.src.rpm`;
  for (const rel of [a.srpm, ...rpmPaths]) {
    const fn = files.get(rel)!;
    const { pkg, info } = rel === a.srpm ? src : await readPackage(fn);
    const expected = `${info.name}-${info.version}-${info.release}.${info.arch}.rpm`;
    if (basename(fn) !== expected) throw new GenericError(`bad filename: ${basename(fn)} (expected ${expected})`);
    if (info.sourcepackage ? basename(fn) !== srpmName : info.sourcerpm !== srpmName) {
      throw new GenericError(`srpm mismatch for ${fn}: ${info.sourcepackage ? basename(fn) : String(info.sourcerpm)} (expected ${srpmName})`);
    }
    await insertBuildRpm(ctx, fn, pkg, info, build, brmap.get(rel) ?? null);
  }
  for (const [key, list] of logs) {
    for (const rel of list) await importBuildLog(ctx, await workFile(ctx, rel), build, key || null);
  }
  ensureVolumeSymlink(ctx.hub.kojiDir, build);
  return build;
}
