/**
 * A build's life as its build task drives it (Koji's HostExports.initBuild, failBuild,
 * moveBuildToScratch and cancel_build): BUILDING with its task from initBuild, then COMPLETE
 * (import.ts), FAILED or CANCELED — each change made only from BUILDING. A canceled build takes
 * its task group down with it; a canceled task cancels its BUILDING builds (tasks/task.ts).
 */
import { BUILD_STATES } from '../../protocol/enums.ts';
import { GenericError } from '../../protocol/faults.ts';
import { isStruct, type XmlRpcValue } from '../../protocol/values.ts';
import { pyRepr } from '../../protocol/pyrepr.ts';
import { PathInfo } from '../../util/pathinfo.ts';
import { newBuildEntry } from '../content/build-create.ts';
import { getBuild, type BuildInfo } from '../content/build.ts';
import { cancelFull, taskId as toTaskId } from '../tasks/task.ts';
import type { CallContext } from '../types.ts';
import { logMap, pathList, placeInto, workFile } from './files.ts';
import { dedupNoarch } from './import.ts';

const ST = BUILD_STATES.byName;

export async function taskOwner(ctx: CallContext, taskId: number): Promise<number> {
  return (await ctx.sql.value<number>('SELECT owner FROM task WHERE id = $1', [taskId])) as number;
}

/**
 * host.initBuild's work once the host is known to hold data.task_id: the build (new, or a FAILED
 * or CANCELED one of the same N-V-R recycled, or this task's own BUILDING one again) in state
 * BUILDING, owned by the task's owner, typed rpm. Returns its id.
 */
export async function initBuild(ctx: CallContext, data: Record<string, XmlRpcValue>, taskId: number): Promise<number> {
  const id = await newBuildEntry(ctx, {
    name: data.name, version: data.version, release: data.release, epoch: data.epoch, draft: data.draft,
    owner: await taskOwner(ctx, taskId), state: ST.BUILDING, task_id: taskId,
    source: typeof data.source === 'string' ? data.source : null, extra: data.extra ?? null,
  });
  const rpmType = await ctx.sql.value<number>(`SELECT id FROM btype WHERE name = 'rpm'`);
  await ctx.sql.execute('INSERT INTO build_types (build_id, btype_id) VALUES ($1, $2) ON CONFLICT DO NOTHING', [id, rpmType]);
  ctx.markChanged();
  return id;
}

/** The task id in initBuild's data (a fault names what is missing). */
export function initDataTask(data: unknown): { data: Record<string, XmlRpcValue>; taskId: number } {
  if (!isStruct(data)) throw new GenericError(`initBuild data must be a struct (name, version, release, epoch, task_id …), got ${pyRepr(data)}`);
  if (!('task_id' in data)) throw new GenericError(`initBuild data has no task_id: ${pyRepr(data)}`);
  return { data, taskId: toTaskId(data.task_id) };
}

/** Koji's failBuild: BUILDING (and not completed) → FAILED. */
export async function failBuild(ctx: CallContext, buildId: unknown): Promise<void> {
  const b = (await getBuild(ctx.sql, buildId, true)) as BuildInfo;
  const row = (await ctx.sql.maybeOne<{ state: number; completion_time: string | null }>('SELECT state, completion_time FROM build WHERE id = $1 FOR UPDATE', [b.id]))!;
  if (row.state !== ST.BUILDING) throw new GenericError(`cannot update build ${b.id}, state: ${BUILD_STATES.name(row.state)}`);
  if (row.completion_time !== null) throw new GenericError(`cannot update build ${b.id}, completed at ${row.completion_time}`);
  await ctx.sql.execute('UPDATE build SET state = $2, completion_time = NOW() WHERE id = $1', [b.id, ST.FAILED]);
  ctx.markChanged();
}

/**
 * Koji's cancel_build: a BUILDING build → CANCELED (false when it is not BUILDING); with
 * cancelTask its task's whole group is canceled too. CG reservations are dropped.
 */
export async function cancelBuild(ctx: CallContext, buildId: number, cancelTask = true): Promise<boolean> {
  const n = await ctx.sql.execute('UPDATE build SET state = $2, completion_time = NOW() WHERE id = $1 AND state = $3', [buildId, ST.CANCELED, ST.BUILDING]);
  if (n === 0) return false;
  ctx.markChanged();
  const task = await ctx.sql.value<number>('SELECT task_id FROM build WHERE id = $1', [buildId]);
  if (task !== null && cancelTask) await cancelFull(ctx, task, false);
  await ctx.sql.execute('DELETE FROM build_reservations WHERE build_id = $1', [buildId]);
  return true;
}

/** Koji's moveBuildToScratch: the results under scratch/<owner>/task_<id>/ (logs under logs/<arch>/), not imported. */
export async function moveToScratch(ctx: CallContext, taskId: number, srpm: unknown, rpms: unknown, logs: unknown): Promise<void> {
  const paths = [String(srpm), ...dedupNoarch(pathList(rpms, 'rpms'))];
  const files: string[] = [];
  for (const rel of paths) files.push(await workFile(ctx, rel));
  const owner = await ctx.sql.value<string>('SELECT users.name FROM task JOIN users ON users.id = task.owner WHERE task.id = $1', [taskId]);
  const dir = `${new PathInfo(ctx.hub.kojiDir).scratch()}/${owner}/task_${taskId}`;
  for (const fn of files) await placeInto(ctx, fn, dir);
  for (const [key, list] of logMap(logs)) {
    if (key.includes('/') || key.startsWith('.')) throw new GenericError(`Invalid log subdir: ${key}`);
    for (const rel of list) await placeInto(ctx, await workFile(ctx, rel), key ? `${dir}/logs/${key}` : `${dir}/logs`);
  }
}
