/**
 * Creating build rows: Koji's new_build as createEmptyBuild uses it (the package is created when
 * needed; a FAILED or CANCELED build of the same N-V-R is recycled; drafts get ",draft_<id>"),
 * and get_next_release (the release after the newest non-draft build of a package version).
 */
import { existsSync, lstatSync, rmSync } from 'node:fs';
import { BUILD_STATES } from '../../protocol/enums.ts';
import { BuildError, GenericError, ParameterError } from '../../protocol/faults.ts';
import { Float, isStruct, type XmlRpcValue } from '../../protocol/values.ts';
import { PathInfo } from '../../util/pathinfo.ts';
import { lookupName } from '../lookup.ts';
import { pyRepr, pyStrOf } from '../../protocol/pyrepr.ts';
import { truthy } from '../registry.ts';
import type { CallContext } from '../types.ts';
import { findBuildId, getBuild, type BuildInfo } from './build.ts';
import { getUser } from '../api/users.ts';
import { verifyDirName, checkPathComponent } from '../names.ts';

const ST = BUILD_STATES.byName;

function isLink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

/** Koji's get_next_release. */
export async function getNextRelease(ctx: CallContext, info: unknown, incrArg: unknown): Promise<string> {
  const incrNum = incrArg instanceof Float ? incrArg.value : typeof incrArg === 'string' && /^\s*[+-]?\d+\s*$/.test(incrArg) ? Number(incrArg) : incrArg;
  if (typeof incrNum !== 'number' || !Number.isFinite(incrNum)) throw new ParameterError('incr parameter must be an integer');
  const incr = BigInt(Math.trunc(incrNum));
  if (!isStruct(info) || !('name' in info) || !('version' in info)) throw new GenericError(`Invalid build_info (name and version required): ${pyRepr(info)}`);
  const release = await ctx.sql.value<string>(
    `SELECT build.release FROM build JOIN package ON build.pkg_id = package.id
      WHERE package.name = $1 AND build.version = $2 AND build.state = ANY($3::int[]) AND NOT build.draft ORDER BY build.id DESC LIMIT 1`,
    [info.name, info.version, [ST.COMPLETE, ST.DELETED, ST.BUILDING]],
  );
  const isDigits = (s: string) => /^\d+$/.test(s);
  if (!release) return String(incr);
  if (isDigits(release)) return String(BigInt(release) + incr);
  const parts = release.split('.');
  if (parts.length === 2 && isDigits(parts[0])) return [String(BigInt(parts[0]) + incr), parts[1]].join('.');
  if (parts.length === 3 && isDigits(parts[2])) return [parts[0], parts[1], String(BigInt(parts[2]) + incr)].join('.');
  throw new BuildError(`Unable to increment release value: ${release}`);
}

/** Koji's new_build for createEmptyBuild (including recycling a failed or canceled build). */
export async function createEmptyBuild(ctx: CallContext, a: Record<string, unknown>): Promise<number> {
  const { name, version, release } = a;
  if (!name) throw new GenericError('No name or package id provided for build');
  verifyDirName(ctx, 'package', name);
  for (const [what, v] of [['version', version], ['release', release]] as const) {
    if (typeof v !== 'string') throw new GenericError(`No ${what} value for build`);
    checkPathComponent(what, v);
  }
  let epoch: number | null = null;
  if (typeof a.epoch === 'number' && Number.isInteger(a.epoch)) epoch = a.epoch;
  else if (typeof a.epoch === 'string' && /^\d+$/.test(a.epoch)) epoch = Number(a.epoch);
  else if (a.epoch != null) throw new GenericError(`Invalid epoch: ${pyRepr(a.epoch)}`);
  const draft = truthy(a.draft);
  const data: Record<string, XmlRpcValue> = { name, version: version as string, release: release as string, epoch, draft };
  if (a.owner != null) data.owner = a.owner as XmlRpcValue;
  const pkg = (await lookupName(ctx.sql, 'package', name, { create: true }))!;
  data.pkg_id = pkg.id;
  if (truthy(data.owner)) data.owner = (await getUser(ctx, data.owner, { strict: true }))!.id;
  Object.assign(data, { extra: null, state: ST.COMPLETE, start_time: 'NOW', completion_time: 'NOW', source: null });
  if (!truthy(data.owner)) data.owner = ctx.session.userId;
  Object.assign(data, { task_id: null, volume_id: 0 });
  const old = await getBuild(ctx.sql, { name, version, release });
  const event = await ctx.event();
  if (old) {
    const oldStr = `${old.nvr} (id=${old.id})`;
    if (draft) throw new GenericError(`Target build already exists: ${oldStr}`);
    return recycleBuild(ctx, old, data, event);
  }
  const id = await ctx.sql.value<number>("SELECT nextval('build_id_seq')::int AS id");
  let rel = release as string;
  if (draft) {
    rel = `${rel},draft_${id}`;
    if ((await findBuildId(ctx.sql, { name, version, release: rel })) !== null) {
      throw new GenericError(`The build already exists: ${pyRepr({ name, version, release: rel })}`);
    }
  }
  await ctx.sql.execute(
    `INSERT INTO build (id, pkg_id, version, release, epoch, draft, state, volume_id, task_id, owner, start_time, completion_time, source, extra, create_event)
     VALUES ($1, $2, $3, $4, $5, $6, $7, 0, NULL, $8, NOW(), NOW(), NULL, NULL, $9)`,
    [id, pkg.id, version, rel, epoch, draft, ST.COMPLETE, data.owner, event],
  );
  return id as number;
}

async function recycleBuild(ctx: CallContext, old: BuildInfo, data: Record<string, XmlRpcValue>, event: number): Promise<number> {
  const st = BUILD_STATES.name(old.state);
  if (st === 'BUILDING') {
    if (data.state === old.state && data.task_id === old.task_id) return old.id;
    throw new GenericError(`Build already in progress (task ${pyStrOf(old.task_id)})`);
  }
  if (st !== 'FAILED' && st !== 'CANCELED') throw new GenericError(`Build already exists (id=${old.id}, state=${st}): ${pyRepr(data)}`);
  const has = (table: string) => ctx.sql.maybeOne(`SELECT 1 AS x FROM ${table} WHERE build_id = $1 LIMIT 1`, [old.id]);
  if (await has('tag_listing')) throw new GenericError('Build already exists. Unable to recycle, has tag history');
  if (await has('rpminfo')) throw new GenericError('Build already exists. Unable to recycle, has rpm data');
  if (await has('archiveinfo')) throw new GenericError('Build already exists. Unable to recycle, has archive data');
  for (const table of ['maven_builds', 'win_builds', 'image_builds', 'build_types']) await ctx.sql.execute(`DELETE FROM ${table} WHERE build_id = $1`, [old.id]);
  await ctx.sql.execute(
    `UPDATE build SET state = $2, task_id = NULL, owner = $3, start_time = NOW(), completion_time = NOW(), epoch = $4, source = NULL, extra = NULL,
       volume_id = 0, create_event = $5 WHERE id = $1`,
    [old.id, data.state, data.owner, data.epoch, event],
  );
  // stray files of the old build, on any volume
  const pi = new PathInfo(ctx.hub.kojiDir);
  for (const v of await ctx.sql.query<{ id: number; name: string }>('SELECT id, name FROM volume')) {
    const dir = pi.build({ ...old, volume_name: v.name });
    if (existsSync(dir) || isLink(dir)) rmSync(dir, { recursive: true, force: true });
  }
  return old.id;
}
