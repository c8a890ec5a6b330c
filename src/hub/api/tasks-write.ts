/**
 * Changing tasks through the public API: makeTask (admins), cancelTask/cancelTaskChildren
 * (owner, the task's host, or admin), cancelTaskFull, freeTask, setTaskPriority, assignTask
 * (admin), resubmitTask (owner or admin), restartHosts (host permission), taskFinished.
 */
import { TASK_STATES } from '../../protocol/enums.ts';
import { ActionNotAllowed, GenericError, ParameterError } from '../../protocol/faults.ts';
import { isStruct, type XmlRpcValue } from '../../protocol/values.ts';
import { getHost, lookupChannel } from '../content/hosts.ts';
import { method, t, type MethodDef } from '../registry.ts';
import type { CallContext } from '../types.ts';
import { cancelChildren, cancelFull, cancelTask, freeTask, isFinished, lockForHost, lockTask, makeTask, setPriority, taskId, verifyHost, verifyOwner } from '../tasks/task.ts';
import { decodeTaskXml } from '../tasks/xml.ts';

const TS = TASK_STATES.byName;

/** The task's owner, the host holding it, or an admin. */
async function assertMayCancel(ctx: CallContext, id: number): Promise<void> {
  if (await verifyOwner(ctx, id, ctx.session.userId)) return;
  if (await verifyHost(ctx, id, ctx.session.loggedIn ? await ctx.session.hostId() : null)) return;
  if (!(await ctx.session.hasPerm('admin'))) throw new ActionNotAllowed('Cannot cancel task, not owner');
}

/** Koji's scheduler.do_assign (assignTask): force takes a task that is not free; override pins it. */
async function assignTask(ctx: CallContext, id: number, hostInfo: unknown, force: boolean, override: boolean): Promise<boolean> {
  const host = (await getHost(ctx, hostInfo, { strict: true }))!;
  if (!(await lockForHost(ctx, id, host.id, 'ASSIGNED', force))) {
    await ctx.sql.execute('INSERT INTO scheduler_log_messages (task_id, host_id, msg) VALUES ($1, $2, $3)', [id, host.id, 'Assignment failed']);
    return false;
  }
  await ctx.sql.execute('INSERT INTO scheduler_log_messages (task_id, host_id, msg) VALUES ($1, $2, $3)', [id, host.id, override ? 'Assigning task (override)' : 'Assigning task']);
  await ctx.sql.execute('UPDATE scheduler_task_runs SET active = FALSE WHERE task_id = $1 AND active', [id]);
  // an override has no run entry, so the scheduler never takes it back
  if (!override) await ctx.sql.execute('INSERT INTO scheduler_task_runs (task_id, host_id) VALUES ($1, $2)', [id, host.id]);
  ctx.onCommit(() => ctx.hub.signals.assigned([host.id]));
  return true;
}

async function resubmitTask(ctx: CallContext, id: number): Promise<number> {
  ctx.session.assertLogin();
  const r = await ctx.sql.maybeOne<{ state: number; parent: number | null; owner: number; method: string; arch: string; channel_id: number; priority: number; request: string }>(
    'SELECT state, parent, owner, method, arch, channel_id, priority, request FROM task WHERE id = $1',
    [id],
  );
  if (!r) throw new GenericError('query returned no rows');
  if (r.state !== TS.CANCELED && r.state !== TS.FAILED) throw new GenericError('only canceled or failed tasks may be resubmitted');
  if (r.parent !== null) throw new GenericError('only top-level tasks may be resubmitted');
  if (ctx.session.userId !== r.owner && !(await ctx.session.hasPerm('admin'))) throw new GenericError('only the task owner or an admin may resubmit a task');
  const channel = (await lookupChannel(ctx, r.channel_id, true))!;
  return makeTask(ctx, r.method, decodeTaskXml(r.request) as XmlRpcValue[], { arch: r.arch, channel: channel.name, priority: r.priority });
}

export const taskWriteMethods: MethodDef[] = [
  method({
    name: 'makeTask',
    sig: '(*args, **opts)',
    bindSig: '(method, arglist, **opts)',
    requires: { perm: 'admin' },
    writes: true,
    doc: 'Create a task by hand (admins; mainly for debugging): makeTask(method, arglist, parent=, label=, arch=, priority=, channel=, assign=).',
    async handler(ctx, a) {
      const opts = a.opts as Record<string, XmlRpcValue>;
      if ('owner' in opts) throw new ActionNotAllowed('The owner option is not allowed here');
      if (!Array.isArray(a.arglist)) throw new ParameterError('arglist must be a list');
      return makeTask(ctx, a.method, a.arglist as XmlRpcValue[], opts);
    },
  }),
  method({
    name: 'cancelTask',
    sig: '(task_id, recurse=True)',
    requires: 'login',
    writes: true,
    doc: 'Cancel a task (and, with recurse, its subtasks): its owner, its host or an admin.',
    args: { recurse: t.flag },
    async handler(ctx, a) {
      const id = taskId(a.task_id);
      await assertMayCancel(ctx, id);
      await cancelTask(ctx, id, a.recurse);
      return null;
    },
  }),
  method({
    name: 'cancelTaskFull',
    sig: '(task_id, strict=True)',
    requires: { perm: 'admin' },
    writes: true,
    doc: 'Cancel a task and every task in its group (strict: the task must be top-level).',
    args: { strict: t.flag },
    async handler(ctx, a) {
      await cancelFull(ctx, taskId(a.task_id), a.strict);
      return null;
    },
  }),
  method({
    name: 'cancelTaskChildren',
    sig: '(task_id)',
    requires: 'login',
    writes: true,
    doc: "Cancel a task's subtasks, but not the task itself.",
    async handler(ctx, a) {
      const id = taskId(a.task_id);
      await assertMayCancel(ctx, id);
      await cancelChildren(ctx, id);
      return null;
    },
  }),
  method({
    name: 'freeTask',
    sig: '(task_id)',
    requires: { perm: 'admin' },
    writes: true,
    doc: 'Free a task: back to FREE, for the scheduler to assign again.',
    async handler(ctx, a) {
      await freeTask(ctx, taskId(a.task_id));
      return null;
    },
  }),
  method({
    name: 'setTaskPriority',
    sig: '(task_id, priority, recurse=True)',
    requires: { perm: 'admin' },
    writes: true,
    doc: 'Set the priority of a task (and, with recurse, its subtasks); lower runs first.',
    args: { priority: t.intish, recurse: t.flag },
    async handler(ctx, a) {
      const id = taskId(a.task_id);
      if (isFinished((await lockTask(ctx, id)).state)) throw new GenericError("Finished task's priority can't be updated");
      await setPriority(ctx, id, a.priority, a.recurse);
      return null;
    },
  }),
  method({
    name: 'assignTask',
    sig: '(task_id, host, force=False, override=False)',
    requires: { perm: 'admin' },
    writes: true,
    doc: 'Assign a task to a host (admins); force takes a task that is not free, override keeps the scheduler from reassigning it.',
    args: { force: t.flag, override: t.flag },
    handler: (ctx, a) => assignTask(ctx, taskId(a.task_id), a.host, a.force, a.override),
  }),
  method({
    name: 'resubmitTask',
    sig: '(taskID)',
    requires: 'login',
    writes: true,
    doc: 'Run a canceled or failed top-level task again with the same request (its owner or an admin); returns the new task id.',
    handler: (ctx, a) => resubmitTask(ctx, taskId(a.taskID)),
  }),
  method({
    name: 'restartHosts',
    sig: '(priority=5, options=None)',
    requires: { perm: 'host' },
    writes: true,
    doc: 'Create a restartHosts task (restarts the builders one channel at a time).',
    args: { priority: t.intish },
    async handler(ctx, a) {
      let args: XmlRpcValue[];
      if (a.options === null || a.options === undefined) args = [];
      else if (isStruct(a.options)) args = [a.options];
      else throw new ParameterError(`Invalid type of options: ${typeof a.options}`);
      return makeTask(ctx, 'restartHosts', args, { priority: a.priority });
    },
  }),
  method({
    name: 'taskFinished',
    sig: '(taskId)',
    doc: 'True when the task is CLOSED, CANCELED or FAILED.',
    async handler(ctx, a) {
      const st = await ctx.sql.value<number>('SELECT state FROM task WHERE id = $1', [taskId(a.taskId)]);
      if (st === null) throw new GenericError('query returned no rows');
      return isFinished(st);
    },
  }),
];
