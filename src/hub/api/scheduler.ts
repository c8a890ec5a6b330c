/** scheduler.*: what the hub's task scheduler did and knows (Koji 1.35), and doRun. */
import type { XmlRpcValue } from '../../protocol/values.ts';
import { queryView, type ViewDef } from '../query-view.ts';
import { method, queryOptsSchema, t, type MethodDef } from '../registry.ts';

const TASK_AND_HOST = (table: string) => ({
  method: ['task.method', 'task'],
  state: ['task.state', 'task'],
  owner: ['task.owner', 'task'],
  arch: ['task.arch', 'task'],
  channel_id: ['task.channel_id', 'task'],
  host_name: ['host.name', 'host'],
  host_ready: ['host.ready', 'host'],
  task_id: [`${table}.task_id`, null],
  host_id: [`${table}.host_id`, null],
  id: [`${table}.id`, null],
}) as ViewDef['fields'];

const RUNS: ViewDef = {
  table: 'scheduler_task_runs',
  joins: { task: 'JOIN task ON scheduler_task_runs.task_id = task.id', host: 'JOIN host ON scheduler_task_runs.host_id = host.id' },
  fields: {
    ...TASK_AND_HOST('scheduler_task_runs'),
    active: ['scheduler_task_runs.active', null],
    create_ts: ["date_part('epoch', scheduler_task_runs.create_time)", null],
    start_ts: ["date_part('epoch', task.start_time)", 'task'],
    completion_ts: ["date_part('epoch', task.completion_time)", 'task'],
  },
  defaults: ['id', 'task_id', 'host_id', 'active', 'create_ts'],
};

const REFUSALS: ViewDef = {
  table: 'scheduler_task_refusals',
  joins: { task: 'JOIN task ON scheduler_task_refusals.task_id = task.id', host: 'JOIN host ON scheduler_task_refusals.host_id = host.id' },
  fields: {
    ...TASK_AND_HOST('scheduler_task_refusals'),
    by_host: ['scheduler_task_refusals.by_host', null],
    soft: ['scheduler_task_refusals.soft', null],
    msg: ['scheduler_task_refusals.msg', null],
    ts: ["date_part('epoch', scheduler_task_refusals.time)", null],
  },
  defaults: ['id', 'task_id', 'host_id', 'by_host', 'soft', 'msg', 'ts'],
};

const MESSAGES: ViewDef = {
  table: 'scheduler_log_messages',
  joins: { task: 'LEFT JOIN task ON scheduler_log_messages.task_id = task.id', host: 'LEFT JOIN host ON scheduler_log_messages.host_id = host.id' },
  fields: {
    ...TASK_AND_HOST('scheduler_log_messages'),
    msg_ts: ["date_part('epoch', scheduler_log_messages.msg_time)", null],
    msg: ['scheduler_log_messages.msg', null],
  },
  defaults: ['id', 'task_id', 'host_id', 'msg', 'msg_ts'],
};

export const schedulerMethods: MethodDef[] = [
  method({
    name: 'scheduler.getTaskRuns',
    sig: '(clauses=None, fields=None, opts=None)',
    doc: 'Which host each task was assigned to, when, and whether that run is active.',
    args: { opts: queryOptsSchema },
    handler: (ctx, a) => queryView(ctx.sql, RUNS, a.clauses, a.fields, a.opts ?? { order: 'id' }),
  }),
  method({
    name: 'scheduler.getTaskRefusals',
    sig: '(clauses=None, fields=None)',
    doc: 'Hosts that refused tasks (soft refusals expire after SoftRefusalTimeout).',
    handler: (ctx, a) => queryView(ctx.sql, REFUSALS, a.clauses, a.fields, null),
  }),
  method({
    name: 'scheduler.getLogMessages',
    sig: '(clauses=None, fields=None, opts=None)',
    doc: "The scheduler's log: assignments, timeouts, refusals.",
    args: { opts: queryOptsSchema },
    handler: (ctx, a) => queryView(ctx.sql, MESSAGES, a.clauses, a.fields, a.opts ?? { order: 'id' }),
  }),
  method({
    name: 'scheduler.getHostData',
    sig: '(hostID=None)',
    doc: 'The data builders report for the scheduler (kojid: methods, maxjobs).',
    args: { hostID: t.intish.nullish() },
    async handler(ctx, a) {
      return (await ctx.sql.query(
        `SELECT host_id, data FROM scheduler_host_data${a.hostID != null ? ' WHERE host_id = $1' : ''} ORDER BY host_id`,
        a.hostID != null ? [a.hostID] : [],
      )) as XmlRpcValue;
    },
  }),
  method({
    name: 'scheduler.doRun',
    sig: '(force=False)',
    requires: { perm: 'admin' },
    doc: 'Run the scheduler now (a debugging aid: it runs on its own when tasks or hosts change).',
    args: { force: t.flag },
    async handler(ctx) {
      const r = await ctx.hub.scheduler.runNow();
      if (r === null) {
        // another hub process leads: wake it
        ctx.hub.signals.scheduler('doRun');
        return false;
      }
      return true;
    },
  }),
];

