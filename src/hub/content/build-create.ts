/**
 * Creating build rows: Koji's new_build, for createEmptyBuild and host.initBuild (the package is
 * created when needed; a FAILED or CANCELED build of the same N-V-R is recycled; drafts get
 * ",draft_<id>"), and get_next_release (the release after the newest non-draft build of a package version).
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
import { encodeStoredJson } from './stored-json.ts';

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

/** What Koji's new_build takes besides the N-V-R: the defaults are createEmptyBuild's (COMPLETE now, no task). */
export interface NewBuildData {
  name: unknown;
  version: unknown;
  release: unknown;
  epoch?: unknown;
  draft?: unknown;
  owner?: unknown;
  /** default COMPLETE; a BUILDING build has no completion time */
  state?: number;
  task_id?: number | null;
  source?: string | null;
  extra?: XmlRpcValue;
}

/** Koji's createEmptyBuild. */
export function createEmptyBuild(ctx: CallContext, a: Record<string, unknown>): Promise<number> {
  return newBuildEntry(ctx, { name: a.name, version: a.version, release: a.release, epoch: a.epoch, draft: a.draft, owner: a.owner });
}

/**
 * Koji's new_build: the package is created when needed; a FAILED or CANCELED build of the same
 * N-V-R (with no tags, rpms or archives) is recycled; a BUILDING one is reused only by its own
 * task; drafts get ",draft_<id>" and never replace anything.
 */
export async function newBuildEntry(ctx: CallContext, a: NewBuildData): Promise<number> {
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
  const state = a.state ?? ST.COMPLETE;
  const extra = a.extra === undefined || a.extra === null ? null : encodeStoredJson(a.extra, 'build extra');
  // the keys in Koji's order, for the repr in "Build already exists" faults
  const data: Record<string, XmlRpcValue> = { name, version: version as string, release: release as string, epoch, draft };
  if (a.owner != null) data.owner = a.owner as XmlRpcValue;
  const pkg = (await lookupName(ctx.sql, 'package', name, { create: true }))!;
  data.pkg_id = pkg.id;
  if (truthy(data.owner)) data.owner = (await getUser(ctx, data.owner, { strict: true }))!.id;
  Object.assign(data, { extra, state, start_time: 'NOW', completion_time: state === ST.BUILDING ? null : 'NOW', source: a.source ?? null });
  if (!truthy(data.owner)) data.owner = ctx.session.userId;
  Object.assign(data, { task_id: a.task_id ?? null, volume_id: 0 });
  const row: BuildRow = { state, task_id: a.task_id ?? null, owner: data.owner as number, epoch, source: a.source ?? null, extra };
  const old = await getBuild(ctx.sql, { name, version, release });
  const event = await ctx.event();
  if (old) {
    const oldStr = `${old.nvr} (id=${old.id})`;
    if (draft) throw new GenericError(`Target build already exists: ${oldStr}`);
    return recycleBuild(ctx, old, data, row, event);
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
     VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $8, $9, NOW(), ${completion(state)}, $10, $11, $12)`,
    [id, pkg.id, version, rel, epoch, draft, state, row.task_id, row.owner, row.source, extra, event],
  );
  return id as number;
}

interface BuildRow {
  state: number;
  task_id: number | null;
  owner: number;
  epoch: number | null;
  source: string | null;
  extra: string | null;
}

/** A build in progress has no completion time yet. */
const completion = (state: number) => (state === ST.BUILDING ? 'NULL' : 'NOW()');

async function recycleBuild(ctx: CallContext, old: BuildInfo, data: Record<string, XmlRpcValue>, row: BuildRow, event: number): Promise<number> {
  const st = BUILD_STATES.name(old.state);
  if (st === 'BUILDING') {
    // the controlling task restarted and called initBuild again
    if (row.state === old.state && row.task_id === old.task_id) return old.id;
    throw new GenericError(`Build already in progress (task ${pyStrOf(old.task_id)})`);
  }
  if (st !== 'FAILED' && st !== 'CANCELED') throw new GenericError(`Build already exists (id=${old.id}, state=${st}): ${pyRepr(data)}`);
  const has = (table: string) => ctx.sql.maybeOne(`SELECT 1 AS x FROM ${table} WHERE build_id = $1 LIMIT 1`, [old.id]);
  if (await has('tag_listing')) throw new GenericError('Build already exists. Unable to recycle, has tag history');
  if (await has('rpminfo')) throw new GenericError('Build already exists. Unable to recycle, has rpm data');
  if (await has('archiveinfo')) throw new GenericError('Build already exists. Unable to recycle, has archive data');
  for (const table of ['maven_builds', 'win_builds', 'image_builds', 'build_types']) await ctx.sql.execute(`DELETE FROM ${table} WHERE build_id = $1`, [old.id]);
  await ctx.sql.execute(
    `UPDATE build SET state = $2, task_id = $3, owner = $4, start_time = NOW(), completion_time = ${completion(row.state)}, epoch = $5, source = $6, extra = $7,
       volume_id = 0, create_event = $8 WHERE id = $1`,
    [old.id, row.state, row.task_id, row.owner, row.epoch, row.source, row.extra, event],
  );
  // stray files of the old build, on any volume
  const pi = new PathInfo(ctx.hub.kojiDir);
  for (const v of await ctx.sql.query<{ id: number; name: string }>('SELECT id, name FROM volume')) {
    const dir = pi.build({ ...old, volume_name: v.name });
    if (existsSync(dir) || isLink(dir)) rmSync(dir, { recursive: true, force: true });
  }
  return old.id;
}
