/**
 * The host.* calls builders make about themselves and their tasks (Koji's HostExports): every
 * one needs the caller to be a host with an exclusive session. Plus koji-ts's long poll,
 * kojits.host.waitTasks, which returns as soon as the scheduler assigns the caller a task, an
 * awaited subtask of one of its tasks finishes or one of its own tasks ends (e.g. is canceled)
 * (stock kojid keeps polling every 15 s instead).
 */
import { GenericError, ActionNotAllowed, ParameterError } from '../../protocol/faults.ts';
import { isStruct, newStruct, type XmlRpcValue } from '../../protocol/values.ts';
import { getHost } from '../content/hosts.ts';
import { checkPolicyCtx, policyEnv } from '../policy/hub.ts';
import type { PolicyData } from '../policy/index.ts';
import { method, t, type MethodDef } from '../registry.ts';
import type { CallContext } from '../types.ts';
import { assignedTasks, callingHost, checkIn, hostTasks, setHostData, taskSetWait, taskWait, taskWaitResults } from '../tasks/host.ts';
import { assertHost, freeTask, finishTask, lockForHost, makeTask, taskId, verifyHost, wakeScheduler } from '../tasks/task.ts';

const TASK_FIELDS = `id, state, create_time, date_part('epoch', create_time) AS create_ts, start_time, date_part('epoch', start_time) AS start_ts,
  completion_time, date_part('epoch', completion_time) AS completion_ts, channel_id, host_id, parent, label, waiting, awaited, owner, method, arch, priority, weight`;

function idList(v: unknown, what: string): number[] {
  if (!Array.isArray(v)) throw new ParameterError(`${what} must be a list of task ids`);
  return v.map((x) => taskId(x));
}

/** The XML a builder sends as a task's result: a whole methodResponse. */
function responseText(v: unknown): string {
  if (typeof v !== 'string' || !/<methodResponse[\s>]/.test(v)) throw new ParameterError('response must be the text of an XML-RPC methodResponse');
  return v;
}

/** Koji's host.subtask: an existing child with the same label is returned instead of a new one. */
async function subtask(ctx: CallContext, m: unknown, arglist: unknown, parent: unknown, opts: Record<string, XmlRpcValue>): Promise<number> {
  const host = await callingHost(ctx);
  const pid = taskId(parent);
  await assertHost(ctx, pid, host);
  if ('owner' in opts) throw new ActionNotAllowed('The owner option is not allowed here');
  if (opts.label !== undefined && opts.label !== null) {
    const id = await ctx.sql.value<number>('SELECT id FROM task WHERE parent = $1 AND label = $2', [pid, opts.label]);
    if (id !== null) return id;
  }
  if (!Array.isArray(arglist)) throw new ParameterError('arglist must be a list');
  let args = arglist as XmlRpcValue[];
  if (opts.kwargs !== undefined && opts.kwargs !== null) {
    if (!isStruct(opts.kwargs)) throw new ParameterError('kwargs must be a struct');
    args = [...args, Object.assign(newStruct(), opts.kwargs, { __starstar: true })];
  }
  const { kwargs: _unused, ...taskopts } = opts;
  return makeTask(ctx, m, args, { ...taskopts, parent: pid });
}

/** Wait (up to `timeout` s) for a task assigned to the host, an awaited subtask's end or the end of one of its tasks. */
async function waitTasks(ctx: CallContext, timeout: number): Promise<boolean> {
  const host = await callingHost(ctx);
  const pending = async () => (await assignedTasks(ctx, host)).length > 0 || (await hostTasks(ctx, host)).some((t) => t.alert);
  if (await pending()) return true;
  const ms = Math.max(0, Math.min(timeout, 60)) * 1000;
  return new Promise<boolean>((resolve) => {
    const done = (v: boolean) => {
      clearTimeout(timer);
      offA();
      offF();
      ctx.request.signal?.removeEventListener('abort', abort);
      resolve(v);
    };
    const timer = setTimeout(() => done(false), ms);
    const offA = ctx.hub.signals.onAssigned((hosts) => {
      if (hosts.includes(host)) done(true);
    });
    // a finished task may be a child this host's waiting task awaits, or one of this host's own
    // tasks (canceled: the builder stops its processes at once)
    const ownTask = async (id: number) => (await ctx.sql.value<number>('SELECT host_id FROM task WHERE id = $1', [id])) === host;
    const offF = ctx.hub.signals.onFinished((id) => void (async () => (await ownTask(id)) || (await pending()))().then((p) => p && done(true), () => undefined));
    const abort = () => done(false);
    ctx.request.signal?.addEventListener('abort', abort);
  });
}

const hostCall = (name: string, sig: string, handler: MethodDef['handler'], o: Partial<MethodDef> = {}): MethodDef =>
  method({ name, sig, doc: o.doc, writes: o.writes, args: o.args, bindSig: o.bindSig, requires: 'hostSession', handler });

export const hostTaskMethods: MethodDef[] = [
  hostCall('host.getID', '()', (ctx) => callingHost(ctx)),
  hostCall('host.getHost', '()', async (ctx) => (await getHost(ctx, await callingHost(ctx), { strict: true })) as XmlRpcValue),
  hostCall('host.isEnabled', '()', async (ctx) => {
    const id = await callingHost(ctx);
    return (await ctx.sql.value<boolean>('SELECT enabled FROM host_config WHERE host_id = $1 AND active IS TRUE', [id])) ?? false;
  }),
  hostCall(
    'host.updateHost',
    '(task_load, ready, data=None)',
    async (ctx, a) => {
      const id = await callingHost(ctx);
      const moreRoom = await checkIn(ctx, id, a.task_load as number, a.ready as boolean);
      if (a.data !== null && a.data !== undefined) await setHostData(ctx, id, a.data);
      // a host with more room than before wakes the scheduler
      if (moreRoom) wakeScheduler(ctx, 'host checked in');
      return null;
    },
    { writes: true, args: { task_load: t.number, ready: t.flag } },
  ),
  hostCall(
    'host.setHostData',
    '(hostdata)',
    async (ctx, a) => {
      let data: unknown = a.hostdata;
      if (typeof data === 'string') {
        try {
          data = JSON.parse(data);
        } catch {
          throw new ParameterError('Host data should be a dictionary (or its JSON text)');
        }
      }
      await setHostData(ctx, await callingHost(ctx), data);
      return null;
    },
    { writes: true },
  ),
  hostCall('host.getTasks', '()', async (ctx) => assignedTasks(ctx, await callingHost(ctx))),
  hostCall('host.getLoadData', '()', async (ctx) => {
    const id = await callingHost(ctx);
    const host = (await getHost(ctx, id, { strict: true }))!;
    const chans = await ctx.sql.query<{ channel_id: number }>('SELECT channel_id FROM host_channels WHERE host_id = $1 AND active IS TRUE ORDER BY channel_id', [id]);
    return [[{ ...host, channels: chans.map((c) => c.channel_id) }], await assignedTasks(ctx, id)];
  }),
  hostCall('host.getHostTasks', '()', async (ctx) => hostTasks(ctx, await callingHost(ctx))),
  hostCall(
    'host.openTask',
    '(task_id)',
    async (ctx, a) => {
      const host = await callingHost(ctx);
      const id = taskId(a.task_id);
      if (!(await lockForHost(ctx, id, host, 'OPEN'))) return null;
      return ctx.sql.maybeOne(`SELECT ${TASK_FIELDS}, request FROM task WHERE id = $1`, [id]) as Promise<XmlRpcValue>;
    },
    { writes: true },
  ),
  hostCall(
    'host.refuseTask',
    "(task_id, soft=True, msg='')",
    async (ctx, a) => {
      const host = await callingHost(ctx);
      const id = taskId(a.task_id);
      const owner = await ctx.sql.maybeOne<{ host_id: number | null }>('SELECT host_id FROM task WHERE id = $1', [id]);
      if (!owner) throw new GenericError('query returned no rows');
      if (owner.host_id !== host) {
        ctx.hub.log.warn(`Host ${host} refused unrelated task: ${id}`);
        return null;
      }
      await ctx.sql.execute(
        `INSERT INTO scheduler_task_refusals (task_id, host_id, by_host, soft, msg) VALUES ($1, $2, TRUE, $3, $4)
         ON CONFLICT (task_id, host_id) DO UPDATE SET by_host = TRUE, soft = EXCLUDED.soft, msg = EXCLUDED.msg, time = NOW()`,
        [id, host, a.soft, String(a.msg ?? '')],
      );
      await ctx.sql.execute('INSERT INTO scheduler_log_messages (task_id, host_id, msg) VALUES ($1, $2, $3)', [id, host, `Host refused task: ${String(a.msg ?? '')}`]);
      await freeTask(ctx, id);
      return null;
    },
    { writes: true, args: { soft: t.flag, msg: t.str.nullish() } },
  ),
  ...(['closeTask', 'failTask'] as const).map((m) =>
    hostCall(
      `host.${m}`,
      '(task_id, response)',
      async (ctx, a) => {
        const host = await callingHost(ctx);
        const id = taskId(a.task_id);
        await assertHost(ctx, id, host);
        await finishTask(ctx, id, responseText(a.response), m === 'closeTask' ? 'CLOSED' : 'FAILED');
        return null;
      },
      { writes: true },
    ),
  ),
  hostCall(
    'host.freeTasks',
    '(tasks)',
    async (ctx, a) => {
      const host = await callingHost(ctx);
      // a task freed or given to another host meanwhile is passed over
      for (const id of idList(a.tasks, 'tasks')) if (await verifyHost(ctx, id, host)) await freeTask(ctx, id);
      return null;
    },
    { writes: true },
  ),
  hostCall(
    'host.setTaskWeight',
    '(task_id, weight)',
    async (ctx, a) => {
      const host = await callingHost(ctx);
      const id = taskId(a.task_id);
      await assertHost(ctx, id, host);
      await ctx.sql.execute('UPDATE task SET weight = $1 WHERE id = $2', [a.weight, id]);
      ctx.markChanged();
      return null;
    },
    { writes: true, args: { weight: t.number.refine((w) => w >= 0, 'weight must not be negative') } },
  ),
  hostCall('host.subtask', '(method, arglist, parent, **opts)', (ctx, a) => subtask(ctx, a.method, a.arglist, a.parent, a.opts as Record<string, XmlRpcValue>), { writes: true }),
  hostCall(
    'host.subtask2',
    '(_HostExports__parent, _HostExports__taskopts, _HostExports__method, *args, **opts)',
    (ctx, a) => {
      const taskopts = a._HostExports__taskopts;
      if (!isStruct(taskopts)) throw new ParameterError('task options must be a struct');
      const kw = a.opts as Record<string, XmlRpcValue>;
      const args = [...(a.args as XmlRpcValue[]), ...(Object.keys(kw).length ? [Object.assign(newStruct(), kw, { __starstar: true })] : [])];
      return subtask(ctx, a._HostExports__method, args, a._HostExports__parent, taskopts);
    },
    { writes: true },
  ),
  hostCall(
    'host.taskSetWait',
    '(parent, tasks)',
    async (ctx, a) => {
      await callingHost(ctx);
      await taskSetWait(ctx, taskId(a.parent), a.tasks === null || a.tasks === undefined ? null : idList(a.tasks, 'tasks'));
      return null;
    },
    { writes: true },
  ),
  hostCall(
    'host.taskWait',
    '(parent)',
    async (ctx, a) => {
      await callingHost(ctx);
      return taskWait(ctx, taskId(a.parent));
    },
    { writes: true },
  ),
  hostCall(
    'host.taskWaitResults',
    '(parent, tasks, canfail=None)',
    async (ctx, a) => {
      await callingHost(ctx);
      const tasks = a.tasks === null || a.tasks === undefined ? null : idList(a.tasks, 'tasks');
      const canfail = a.canfail === null || a.canfail === undefined ? [] : idList(a.canfail, 'canfail');
      return taskWaitResults(ctx, taskId(a.parent), tasks, canfail);
    },
    { writes: true },
  ),
  hostCall(
    'host.checkPolicy',
    "(name, data, default='deny', strict=False)",
    async (ctx, a) => {
      await callingHost(ctx);
      const r = await checkPolicyCtx(ctx, String(a.name), a.data as PolicyData, { default: String(a.default), strict: Boolean(a.strict) });
      return [r.allowed, r.reason];
    },
    { args: { name: t.str, data: t.struct, strict: t.flag } },
  ),
  hostCall(
    'host.assertPolicy',
    "(name, data, default='deny')",
    async (ctx, a) => {
      await callingHost(ctx);
      await checkPolicyCtx(ctx, String(a.name), a.data as PolicyData, { default: String(a.default), strict: true });
      return null;
    },
    { args: { name: t.str, data: t.struct } },
  ),
  hostCall(
    'host.evalPolicy',
    '(name, data)',
    async (ctx, a) => {
      await callingHost(ctx);
      if (!ctx.hub.policies.has(String(a.name))) throw new GenericError(`no such policy: ${String(a.name)}`);
      const r = await ctx.hub.policies.evaluate(String(a.name), a.data as PolicyData, policyEnv(ctx));
      return r ? r.raw : null;
    },
    { args: { name: t.str, data: t.struct } },
  ),
  hostCall('kojits.host.waitTasks', '(timeout=15)', (ctx, a) => waitTasks(ctx, a.timeout as number), {
    args: { timeout: t.number },
    doc: 'koji-ts: wait up to timeout seconds (at most 60) until a task is assigned to the calling host, an awaited subtask of its tasks finishes or one of its tasks ends; True if so.',
  }),
];
