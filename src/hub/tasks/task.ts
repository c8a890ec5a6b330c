/**
 * Tasks as Koji's hub keeps them: creation (make_task: parent defaults, channel and priority
 * policies, the request stored as XML-RPC methodCall text) and every state change — assign,
 * open, free, close, fail, cancel (recursive, and of a whole task group), priority, weight.
 * Each change takes the task's row lock; callers check who may make it. Changes that give the
 * scheduler something to do (a FREE task, a finished one) wake it after the transaction commits.
 */
import { BUILD_STATES, TASK_STATES } from '../../protocol/enums.ts';
import { encodeCall } from '../../protocol/encode.ts';
import { ActionNotAllowed, GenericError, ParameterError } from '../../protocol/faults.ts';
import type { XmlRpcValue } from '../../protocol/values.ts';
import { parseArches } from '../../util/arch.ts';
import { getHost, lookupChannel } from '../content/hosts.ts';
import { policyEnv } from '../policy/hub.ts';
import type { PolicyData } from '../policy/index.ts';
import type { CallContext } from '../types.ts';
import { nameOrId } from '../lookup.ts';
import { pyStrOf } from '../../protocol/pyrepr.ts';
import { pyTypeName } from '../policy/py.ts';
import { policyDataFromTaskArgs } from './policy-data.ts';

export const TS = TASK_STATES.byName;
const FINISHED: readonly number[] = [TS.CLOSED, TS.CANCELED, TS.FAILED];
export const PRIO_DEFAULT = 20;

/** A task id argument as Koji's convert_value(cast=int) takes it (ints, or their decimal text). */
export function taskId(v: unknown): number {
  const n = typeof v === 'string' && /^\s*[+-]?\d+\s*$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n)) throw wrongType(v, 'int');
  return n;
}

/** Koji's convert_value(cast=…) fault for a value of the wrong type. */
export function wrongType(v: unknown, expected: 'dict' | 'list' | 'str' | 'int'): Error {
  return new ParameterError(`Invalid type for value '${pyStrOf(v)}': <class '${pyTypeName(v)}'>, expected type <class '${expected}'>`);
}

export function isFinished(state: number): boolean {
  return FINISHED.includes(state);
}

interface LockedTask {
  state: number;
  host_id: number | null;
  owner: number;
  parent: number | null;
}

/** The task's row, locked for this transaction (fault when there is none). */
export async function lockTask(ctx: CallContext, id: number): Promise<LockedTask> {
  const r = await ctx.sql.maybeOne<LockedTask & Record<string, unknown>>('SELECT state, host_id, owner, parent FROM task WHERE id = $1 FOR UPDATE', [id]);
  if (!r) throw new GenericError(`No such task: ${id}`);
  return r;
}

/** Koji's Task.verifyHost: the task is OPEN and held by that host. */
export async function verifyHost(ctx: CallContext, id: number, hostId: number | null): Promise<boolean> {
  if (hostId === null) return false;
  const r = await lockTask(ctx, id);
  return r.state === TS.OPEN && r.host_id === hostId;
}

export async function assertHost(ctx: CallContext, id: number, hostId: number): Promise<void> {
  if (!(await verifyHost(ctx, id, hostId))) throw new ActionNotAllowed(`host ${hostId} does not own task ${id}`);
}

export async function verifyOwner(ctx: CallContext, id: number, userId: number | null): Promise<boolean> {
  if (userId === null) return false;
  return (await lockTask(ctx, id)).owner === userId;
}

/** Tell the scheduler (in this and every hub process) that it may have work, once committed. */
export function wakeScheduler(ctx: CallContext, why: string): void {
  ctx.onCommit(() => ctx.hub.signals.scheduler(why));
}

/**
 * Koji's Task.lock: give the task to a host as ASSIGNED or OPEN. Without `force` only a FREE
 * task, or one ASSIGNED to that host, may be taken; anything else answers false (a canceled
 * task, another host's task) without error.
 */
export async function lockForHost(ctx: CallContext, id: number, hostId: number, newstate: 'OPEN' | 'ASSIGNED', force = false): Promise<boolean> {
  if (!force) {
    const r = await lockTask(ctx, id);
    const log = (m: string) => ctx.hub.log.error(`task ${id}: ${m}`);
    if (r.state === TS.FREE) {
      if (r.host_id !== null) return (log(`free but handled by host ${r.host_id}`), false);
    } else if (r.state === TS.ASSIGNED) {
      if (r.host_id === null) return (log('assigned to no host'), false);
      if (r.host_id !== hostId) return false;
      if (newstate === 'ASSIGNED') return (log(`double assign to host ${hostId}`), true);
    } else {
      if (r.state === TS.OPEN && r.host_id === hostId) log(`already open and handled by host ${hostId}`);
      return false;
    }
  }
  await ctx.sql.execute(
    `UPDATE task SET state = $1, host_id = $2${newstate === 'OPEN' ? ', start_time = NOW()' : ''} WHERE id = $3`,
    [TS[newstate], hostId, id],
  );
  ctx.markChanged();
  return true;
}

/** Koji's Task.free: back to FREE, no host (not for finished tasks). */
export async function freeTask(ctx: CallContext, id: number): Promise<true> {
  const r = await lockTask(ctx, id);
  if (isFinished(r.state)) throw new GenericError(`Cannot free task ${id}, state is ${TASK_STATES.name(r.state)}`);
  await ctx.sql.execute('UPDATE task SET state = $1, host_id = NULL WHERE id = $2', [TS.FREE, id]);
  await ctx.sql.execute('UPDATE scheduler_task_runs SET active = FALSE WHERE task_id = $1 AND active', [id]);
  ctx.markChanged();
  wakeScheduler(ctx, 'task freed');
  return true;
}

/** Koji's Task._close: the stored result is the methodResponse text the builder sent. */
export async function finishTask(ctx: CallContext, id: number, result: string, state: 'CLOSED' | 'FAILED'): Promise<void> {
  await ctx.sql.execute('UPDATE task SET result = $1, state = $2, completion_time = NOW() WHERE id = $3', [result, TS[state], id]);
  await ctx.sql.execute('UPDATE scheduler_task_runs SET active = FALSE WHERE task_id = $1 AND active', [id]);
  ctx.markChanged();
  wakeScheduler(ctx, 'task finished');
  ctx.onCommit(() => ctx.hub.signals.taskFinished(id));
}

/**
 * Koji's Task.cancel: true when canceled (or already), false when it had finished. Cancels the
 * task's BUILDING builds and, with `recurse`, its children.
 */
export async function cancelTask(ctx: CallContext, id: number, recurse = true): Promise<boolean> {
  const r = await lockTask(ctx, id);
  if (r.state === TS.CANCELED) return true;
  if (r.state === TS.CLOSED || r.state === TS.FAILED) return false;
  await ctx.sql.execute('UPDATE task SET state = $1, completion_time = NOW() WHERE id = $2', [TS.CANCELED, id]);
  await ctx.sql.execute('UPDATE scheduler_task_runs SET active = FALSE WHERE task_id = $1 AND active', [id]);
  ctx.markChanged();
  const building = await ctx.sql.query<{ id: number }>('SELECT id FROM build WHERE task_id = $1 AND state = $2 FOR UPDATE', [id, BUILD_STATES.byName.BUILDING]);
  if (building.length) {
    await ctx.sql.execute('UPDATE build SET state = $1, completion_time = NOW() WHERE id = ANY($2::int[])', [BUILD_STATES.byName.CANCELED, building.map((b) => b.id)]);
  }
  wakeScheduler(ctx, 'task canceled');
  ctx.onCommit(() => ctx.hub.signals.taskFinished(id));
  if (recurse) await cancelChildren(ctx, id);
  return true;
}

export async function cancelChildren(ctx: CallContext, id: number): Promise<void> {
  const kids = await ctx.sql.query<{ id: number }>('SELECT id FROM task WHERE parent = $1 ORDER BY id', [id]);
  for (const k of kids) await cancelTask(ctx, k.id, true);
}

/** Koji's Task.cancelFull: the whole group from its top-level task (strict: id must be top-level). */
export async function cancelFull(ctx: CallContext, id: number, strict: boolean): Promise<void> {
  let top = id;
  let parent = (await lockTask(ctx, id)).parent;
  if (parent !== null) {
    if (strict) throw new GenericError(`Task ${id} is not top-level (parent=${parent})`);
    const seen = new Set([id]);
    while (parent !== null) {
      if (seen.has(parent)) throw new GenericError(`Task LOOP at task ${id}`);
      top = parent;
      seen.add(top);
      parent = (await lockTask(ctx, top)).parent;
    }
  }
  const list = [top];
  const seen = new Set<number>();
  for (let i = 0; i < list.length; i++) {
    if (seen.has(list[i])) throw new GenericError(`Task LOOP at task ${list[i]}`);
    seen.add(list[i]);
    await cancelTask(ctx, list[i], false);
    for (const k of await ctx.sql.query<{ id: number }>('SELECT id FROM task WHERE parent = $1 ORDER BY id', [list[i]])) list.push(k.id);
  }
}

export async function setPriority(ctx: CallContext, id: number, priority: number, recurse: boolean): Promise<void> {
  await ctx.sql.execute('UPDATE task SET priority = $1 WHERE id = $2', [priority, id]);
  ctx.markChanged();
  if (!recurse) return;
  for (const k of await ctx.sql.query<{ id: number }>('SELECT id FROM task WHERE parent = $1', [id])) await setPriority(ctx, k.id, priority, true);
}

export interface TaskOpts {
  parent?: unknown;
  label?: unknown;
  owner?: unknown;
  arch?: unknown;
  priority?: unknown;
  channel?: unknown;
  assign?: unknown;
  [k: string]: unknown;
}

function toInt(v: unknown, what: string): number {
  const n = typeof v === 'string' && /^\s*[+-]?\d+\s*$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n)) throw new GenericError(`Invalid ${what}: ${String(v)}`);
  return n;
}

/** Channel id from the `channel` policy's answer: `use NAME`, `parent` or `req`. */
async function channelFromPolicy(ctx: CallContext, data: PolicyData, parentChannel: number | null, reqChannel: number | null): Promise<number> {
  const r = await ctx.hub.policies.evaluate('channel', data, policyEnv(ctx));
  if (!r) {
    ctx.hub.log.warn('channel policy returned no result, using default');
    return (await lookupChannel(ctx, 'default', true))!.id;
  }
  const [verb, name] = r.raw.split(/\s+/);
  if (verb === 'use' && name) {
    const ch = (await lookupChannel(ctx, name, true))!;
    if (!ch.enabled) throw new GenericError(`Channel ${name} is disabled.`);
    return ch.id;
  }
  if (verb === 'parent' && parentChannel !== null) return parentChannel;
  if (verb === 'req' && reqChannel !== null) return reqChannel;
  ctx.hub.log.error({ result: r.raw }, 'invalid channel policy result');
  throw new GenericError('invalid channel policy');
}

async function priorityFromPolicy(ctx: CallContext, data: PolicyData, priority: number): Promise<number> {
  const r = await ctx.hub.policies.evaluate('priority', data, policyEnv(ctx));
  if (!r) return priority;
  const [verb, n] = r.raw.split(/\s+/);
  if (verb === 'stay') return priority;
  if ((verb === 'set' || verb === 'adjust') && n !== undefined && /^[+-]?\d+$/.test(n)) return verb === 'set' ? Number(n) : priority + Number(n);
  ctx.hub.log.error({ result: r.raw }, 'invalid priority policy result');
  throw new GenericError('invalid priority policy');
}

/** Koji's make_task; returns the new task's id. */
export async function makeTask(ctx: CallContext, method: unknown, args: XmlRpcValue[], opts: TaskOpts = {}): Promise<number> {
  if (typeof method !== 'string' || method === '') throw new GenericError(`Invalid task method: ${String(method)}`);
  const o: { parent: number | null; label: string | null; owner: number | null; arch: string | null; priority: number | null; assign: number | null } = {
    parent: opts.parent === undefined || opts.parent === null ? null : toInt(opts.parent, 'parent task'),
    label: null,
    owner: null,
    arch: null,
    priority: opts.priority === undefined || opts.priority === null ? null : toInt(opts.priority, 'priority'),
    assign: null,
  };
  if (opts.label !== undefined && opts.label !== null) {
    if (typeof opts.label !== 'string') throw new GenericError(`Invalid label: ${String(opts.label)}`);
    o.label = opts.label;
  }
  if (opts.owner !== undefined && opts.owner !== null) {
    if (typeof opts.owner === 'number') o.owner = opts.owner;
    else {
      const { column, value } = nameOrId(opts.owner);
      const u = await ctx.sql.maybeOne<{ id: number }>(`SELECT id FROM users WHERE ${column} = $1`, [value]);
      if (!u) throw new GenericError(`No such user: ${String(value)}`);
      o.owner = u.id;
    }
  }
  if (opts.arch !== undefined && opts.arch !== null) o.arch = parseArches(String(opts.arch), true).join(' ') || null;
  if (opts.assign !== undefined && opts.assign !== null) {
    o.assign = typeof opts.assign === 'number' ? opts.assign : (await getHost(ctx, opts.assign, { strict: true }))!.id;
  }
  let parentChannel: number | null = null;
  if (o.parent !== null) {
    const p = await ctx.sql.maybeOne<{ state: number; owner: number; channel_id: number; priority: number; arch: string }>(
      'SELECT state, owner, channel_id, priority, arch FROM task WHERE id = $1',
      [o.parent],
    );
    if (!p) throw new GenericError(`Invalid parent task: ${o.parent}`);
    if (p.state !== TS.OPEN) throw new GenericError(`Parent task (id ${o.parent}) is not open`);
    o.priority ??= p.priority - 1;
    o.owner ??= p.owner;
    o.arch ??= p.arch;
    parentChannel = p.channel_id;
  } else {
    o.priority ??= PRIO_DEFAULT;
    o.arch ??= 'noarch';
    if (o.owner === null) {
      if (!ctx.session.loggedIn) throw new GenericError('task must have an owner');
      o.owner = ctx.session.userId;
    }
    o.label = null;
  }
  const data: Record<string, XmlRpcValue> = { method, arch: o.arch, parent: o.parent, label: o.label, owner: o.owner, user_id: o.owner };
  let reqChannel: number | null = null;
  if (opts.channel !== undefined && opts.channel !== null) {
    data.req_channel = opts.channel as XmlRpcValue;
    const ch = await lookupChannel(ctx, opts.channel);
    if (!ch) throw new GenericError(`No such channel: ${String(opts.channel)}`);
    if (!ch.enabled) throw new GenericError(`Channel ${ch.name} is disabled.`);
    reqChannel = ch.id;
  }
  Object.assign(data, await policyDataFromTaskArgs(ctx, method, args));
  const channelId = await channelFromPolicy(ctx, data as PolicyData, parentChannel, reqChannel);
  const priority = await priorityFromPolicy(ctx, data as PolicyData, o.priority);
  const request = encodeCall(method, args);
  const state = o.assign !== null ? TS.ASSIGNED : TS.FREE;
  const id = (await ctx.sql.value<number>(
    `INSERT INTO task (state, owner, method, request, priority, parent, label, channel_id, arch, host_id)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
    [state, o.owner, method, request, priority, o.parent, o.label, channelId, o.arch, o.assign],
  )) as number;
  ctx.markChanged();
  if (state === TS.FREE) wakeScheduler(ctx, 'task created');
  else ctx.onCommit(() => ctx.hub.signals.assigned([o.assign as number]));
  return id;
}
