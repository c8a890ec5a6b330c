/**
 * What build hosts do with tasks (Koji's Host class): who the calling host is, check-ins,
 * the tasks it holds, waiting on subtasks and collecting their results.
 */
import { TASK_STATES } from '../../protocol/enums.ts';
import { AuthError, GenericError, faultToError } from '../../protocol/faults.ts';
import { isStruct, type XmlRpcValue } from '../../protocol/values.ts';
import { decodeTaskXml } from './xml.ts';
import type { CallContext } from '../types.ts';

const TS = TASK_STATES.byName;

/** Koji's Host() + verify(): the caller's host id; a host user with an exclusive session. */
export async function callingHost(ctx: CallContext): Promise<number> {
  const s = ctx.session;
  const id = s.loggedIn ? await s.hostId() : null;
  if (id === null) {
    if (s.loggedIn) throw new AuthError(`User ${s.userId} is not a host`);
    throw new AuthError('Not logged-in');
  }
  if (!s.exclusive) throw new AuthError('This method requires an exclusive session');
  return id;
}

/**
 * Koji's host.updateHost: the heartbeat. True when the host has more room than it said before
 * (it became ready, or its load went down): then the scheduler may have work for it.
 */
export async function checkIn(ctx: CallContext, hostId: number, load: number, ready: boolean): Promise<boolean> {
  const before = await ctx.sql.maybeOne<{ ready: boolean; task_load: unknown }>('SELECT ready, task_load FROM host WHERE id = $1 FOR UPDATE', [hostId]);
  await ctx.sql.execute('UPDATE host SET task_load = $1, ready = $2, update_time = NOW() WHERE id = $3', [load, ready, hostId]);
  ctx.markChanged();
  return ready && (!before || !before.ready || Number(before.task_load) > load);
}

export async function setHostData(ctx: CallContext, hostId: number, data: unknown): Promise<void> {
  if (!isStruct(data)) throw new GenericError('Host data should be a dictionary');
  await ctx.sql.execute(
    'INSERT INTO scheduler_host_data (host_id, data) VALUES ($1, $2) ON CONFLICT (host_id) DO UPDATE SET data = EXCLUDED.data',
    [hostId, JSON.stringify(data)],
  );
}

/** [finished, unfinished] awaited children of `parent`. */
async function waitCheck(ctx: CallContext, parent: number): Promise<[number[], number[]]> {
  const rows = await ctx.sql.query<{ id: number; state: number }>('SELECT id, state FROM task WHERE parent = $1 AND awaited IS TRUE ORDER BY id', [parent]);
  const done = rows.filter((r) => r.state === TS.CLOSED || r.state === TS.FAILED || r.state === TS.CANCELED).map((r) => r.id);
  return [done, rows.filter((r) => !done.includes(r.id)).map((r) => r.id)];
}

/** The host's OPEN tasks, with `alert` where an awaited child has finished. */
export async function hostTasks(ctx: CallContext, hostId: number): Promise<Array<Record<string, XmlRpcValue>>> {
  const rows = await ctx.sql.query<{ id: number; waiting: boolean | null; weight: unknown }>(
    'SELECT id, waiting, weight FROM task WHERE host_id = $1 AND state = $2 ORDER BY id',
    [hostId, TS.OPEN],
  );
  const out: Array<Record<string, XmlRpcValue>> = [];
  for (const r of rows) {
    const t: Record<string, XmlRpcValue> = { id: r.id, waiting: r.waiting, weight: r.weight as XmlRpcValue };
    if (r.waiting && (await waitCheck(ctx, r.id))[0].length) t.alert = true;
    out.push(t);
  }
  return out;
}

/** The host's ASSIGNED tasks in the order to take them. */
export async function assignedTasks(ctx: CallContext, hostId: number): Promise<XmlRpcValue[]> {
  return ctx.sql.query(
    `SELECT id, state, channel_id, host_id, arch, method, priority, date_part('epoch', create_time) AS create_ts
       FROM task WHERE host_id = $1 AND state = $2 ORDER BY priority, create_ts`,
    [hostId, TS.ASSIGNED],
  ) as Promise<XmlRpcValue[]>;
}

export async function taskSetWait(ctx: CallContext, parent: number, tasks: number[] | null): Promise<void> {
  await ctx.sql.execute('UPDATE task SET waiting = TRUE WHERE id = $1', [parent]);
  if (tasks === null) await ctx.sql.execute('UPDATE task SET awaited = TRUE WHERE parent = $1', [parent]);
  else if (tasks.length) {
    await ctx.sql.execute('UPDATE task SET awaited = TRUE WHERE id = ANY($1::int[]) AND parent = $2', [tasks, parent]);
    await ctx.sql.execute('UPDATE task SET awaited = FALSE WHERE NOT (id = ANY($1::int[])) AND parent = $2 AND awaited IS TRUE', [tasks, parent]);
  } else ctx.hub.log.warn(`taskSetWait called on empty task list by parent: ${parent}`);
  ctx.markChanged();
}

export async function taskWait(ctx: CallContext, parent: number): Promise<[number[], number[]]> {
  const [finished, unfinished] = await waitCheck(ctx, parent);
  if (finished.length) {
    await ctx.sql.execute('UPDATE task SET awaited = FALSE WHERE id = ANY($1::int[])', [finished]);
    ctx.markChanged();
  }
  return [finished, unfinished];
}

/** Koji's taskWaitResults: [[id, result], …]; a child's fault is raised unless it may fail. */
export async function taskWaitResults(ctx: CallContext, parent: number, tasks: number[] | null, canfail: number[]): Promise<XmlRpcValue[]> {
  await ctx.sql.execute('UPDATE task SET waiting = FALSE WHERE id = $1', [parent]);
  await ctx.sql.execute('UPDATE task SET awaited = FALSE WHERE parent = $1', [parent]);
  ctx.markChanged();
  let ids = tasks;
  if (ids === null) {
    const rows = await ctx.sql.query<{ id: number }>('SELECT id FROM task WHERE parent = $1 AND state = ANY($2::int[]) ORDER BY id', [parent, [TS.CLOSED, TS.FAILED, TS.CANCELED]]);
    ids = rows.map((r) => r.id);
  }
  const out: XmlRpcValue[] = [];
  for (const id of ids) {
    const r = await ctx.sql.maybeOne<{ state: number; result: string | null }>('SELECT state, result FROM task WHERE id = $1', [id]);
    if (!r) throw new GenericError('No such task');
    const mayFail = canfail.includes(id);
    if (r.state === TS.CANCELED) {
      const text = `Task ${id} is canceled`;
      if (!mayFail) throw new GenericError(text);
      out.push([id, { faultCode: GenericError.faultCode, faultString: text }]);
      continue;
    }
    if (r.state !== TS.CLOSED && r.state !== TS.FAILED) throw new GenericError(`Task ${id} is not finished`);
    const v = decodeTaskXml(String(r.result ?? ''));
    if (isStruct(v) && 'faultCode' in v) {
      if (!mayFail) throw faultToError(Number(v.faultCode), String(v.faultString));
      out.push([id, v]);
    } else out.push([id, (v as XmlRpcValue[])[0]]);
  }
  return out;
}
