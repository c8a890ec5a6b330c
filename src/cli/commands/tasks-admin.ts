/**
 * The commands that make and steer tasks: make-task, cancel, free-task, resubmit,
 * set-task-priority, assign-task, restart-hosts. Those that start a task watch it unless told
 * not to or running in the background (the stock CLI's _running_in_bg).
 */
import { GenericError, KojiError } from '../../protocol/faults.ts';
import { pyRepr } from '../../protocol/pyrepr.ts';
import type { XmlRpcStruct, XmlRpcValue } from '../../protocol/values.ts';
import { parseNVR } from '../../util/nvr.ts';
import { CliError, UsageError, type CliContext, type Command, type Options } from '../command.ts';
import { TASK_STATE, watchTasks } from '../watch.ts';
import { argFilterJson, pyIntOf } from './cli-util.ts';
import { isFault } from './common.ts';
import { printTaskInfo } from './tasks-info.ts';

export const WAIT_OPTIONS = (what: string) => [
  { name: 'wait', type: 'bool' as const, help: `Wait on ${what}, even if running in the background` },
  { name: 'nowait', type: 'bool' as const, dest: 'wait', value: false, help: "Don't wait on task" },
];

/** Whether to watch a new task: --wait, or no --nowait and not in the background. */
export const shouldWait = (ctx: CliContext, wait: unknown) => wait === true || ((wait === null || wait === undefined) && !ctx.runningInBackground());

/** The stock CLI logs out, then watches anonymously. */
export async function watchNew(ctx: CliContext, id: number | number[], quiet: boolean) {
  await ctx.session.logout();
  const rv = await watchTasks(ctx, Array.isArray(id) ? id : [id], { quiet, pollInterval: ctx.config.poll_interval, topurl: ctx.config.topurl });
  return { output: '', exitCode: rv };
}

const quietOf = (ctx: CliContext, o: Options) => (o.quiet as boolean | null) ?? ctx.global.quiet;

export const taskAdminCommands: Command[] = [
  {
    name: 'make-task',
    category: 'admin',
    summary: 'Create an arbitrary task',
    usage: 'make-task [options] <method> [<arg> ...]',
    options: [
      { name: 'channel', type: 'string', help: 'set channel' },
      { name: 'priority', type: 'string', help: 'set priority' },
      { name: 'watch', type: 'bool', help: 'watch the task' },
      { name: 'arch', type: 'string', help: 'set arch' },
    ],
    async handler(ctx, o, args) {
      if (args.length < 1) throw new UsageError('Please specify task method at least');
      const taskopts: Record<string, XmlRpcValue> = {};
      for (const k of ['channel', 'priority', 'arch']) if (o[k] !== null) taskopts[k] = o[k] as string;
      const id = await ctx.session.call<number>('makeTask', [], { method: args[0], arglist: args.slice(1).map((a) => argFilterJson(a, false)), ...taskopts });
      ctx.print(`Created task id ${id}\n`);
      if (ctx.runningInBackground() || !o.watch) return;
      return watchNew(ctx, id, ctx.global.quiet);
    },
  },
  {
    name: 'cancel',
    category: 'build',
    summary: 'Cancel tasks and/or builds',
    usage: 'cancel [options] <task_id|build> [<task_id|build> ...]',
    options: [
      { name: 'justone', type: 'bool', help: 'Do not cancel subtasks' },
      { name: 'full', type: 'bool', help: 'Full cancellation (admin only)' },
      { name: 'force', type: 'bool', help: 'Allow subtasks with --full' },
    ],
    async handler(ctx, o, args) {
      if (args.length === 0) throw new UsageError('You must specify at least one task id or build');
      const tasks: number[] = [];
      const builds: string[] = [];
      for (const a of args) {
        if (/^\s*[+-]?\d+\s*$/.test(a)) tasks.push(Number(a));
        else {
          try {
            parseNVR(a);
          } catch {
            throw new UsageError('please specify only task ids (integer) or builds (n-v-r)');
          }
          builds.push(a);
        }
      }
      const calls: Array<{ method: string; args: XmlRpcValue[]; kwargs: Record<string, XmlRpcValue> }> = [];
      const kw: Record<string, XmlRpcValue> = {};
      let method = 'cancelTask';
      if (o.justone) kw.recurse = false;
      else if (o.full) {
        method = 'cancelTaskFull';
        if (o.force) kw.strict = false;
      }
      for (const t of tasks) calls.push({ method, args: [t], kwargs: kw });
      for (const b of builds) calls.push({ method: 'cancelBuild', args: [b], kwargs: { strict: true } });
      const results = calls.length ? await ctx.session.multiCall(calls, { strict: false, batch: 100 }) : [];
      let failed = false;
      for (const r of results) {
        if (!isFault(r)) continue;
        ctx.warn(r.faultString);
        failed = true;
      }
      return { output: '', exitCode: failed ? 1 : 0 };
    },
  },
  {
    name: 'free-task',
    category: 'admin',
    summary: 'Free a task',
    usage: 'free-task [options] <task_id> [<task_id> ...]',
    async handler(ctx, _o, args) {
      const ids = args.map((a) => {
        if (!/^\s*[+-]?\d+\s*$/.test(a)) throw new UsageError('task_id must be an integer');
        return Number(a);
      });
      if (!ids.length) throw new UsageError('please specify at least one task_id');
      for (const id of ids) await ctx.session.call('freeTask', [id]);
    },
  },
  {
    name: 'resubmit',
    category: 'build',
    summary: 'Retry a canceled or failed task, using the same parameter as the original task.',
    usage: 'resubmit [options] <task_id>',
    options: [
      ...WAIT_OPTIONS('task'),
      // as the stock CLI: --nowatch sets a value nothing reads
      { name: 'nowatch', type: 'bool', dest: 'nowait', help: 'An alias for --nowait' },
      { name: 'quiet', type: 'bool', help: 'Do not print the task information' },
    ],
    async handler(ctx, o, args) {
      if (args.length !== 1) throw new UsageError('Please specify a single task ID');
      const quiet = quietOf(ctx, o);
      const id = pyIntOf(args[0]);
      if (!quiet) {
        ctx.print('Resubmitting the following task:\n');
        await printTaskInfo(ctx, id, 0, false, true);
      }
      const newId = await ctx.session.call<number>('resubmitTask', [id]);
      if (!quiet) ctx.print(`Resubmitted task ${id} as new task ${newId}\n`);
      if (shouldWait(ctx, o.wait)) return watchNew(ctx, newId, quiet);
    },
  },
  {
    name: 'set-task-priority',
    category: 'admin',
    summary: 'Set task priority',
    usage: 'set-task-priority [options] --priority=<priority> <task_id> [<task_id> ...]',
    options: [
      { name: 'priority', type: 'int', help: 'New priority' },
      { name: 'recurse', type: 'bool', default: false, help: 'Change priority of child tasks as well' },
    ],
    async handler(ctx, o, args) {
      if (args.length === 0) throw new UsageError('You must specify at least one task id');
      if (o.priority === null) throw new UsageError('You must specify --priority');
      const ids = args.map((a) => {
        if (!/^\s*[+-]?\d+\s*$/.test(a)) throw new UsageError('Task numbers must be integers');
        return Number(a);
      });
      if (!(await ctx.session.call('hasPerm', ['admin']))) {
        const user = await ctx.session.call<XmlRpcStruct>('getLoggedInUser');
        throw new CliError(`admin permission required (logged in as ${String(user.name)})`);
      }
      for (const id of ids) {
        try {
          await ctx.session.call('setTaskPriority', [id, o.priority as number, Boolean(o.recurse)]);
        } catch (e) {
          if (!(e instanceof KojiError)) throw e;
          ctx.warn(`Can't update task priority on closed task: ${id}`);
        }
      }
    },
  },
  {
    name: 'assign-task',
    category: 'admin',
    summary: 'Assign a task to a host',
    usage: 'assign-task <task_id> <hostname>',
    options: [{ name: 'force', short: 'f', type: 'bool', default: false, help: 'force to assign a non-free task' }],
    async handler(ctx, o, args) {
      if (args.length !== 2) throw new UsageError('please specify a task id and a hostname');
      const id = pyIntOf(args[0]);
      const hostname = args[1];
      if (!(await ctx.session.call('getTaskInfo', [id], { request: false }))) throw new GenericError(`No such task: ${id}`);
      if (!(await ctx.session.call('getHost', [hostname]))) throw new GenericError(`No such host: ${hostname}`);
      if (!(await ctx.session.call('hasPerm', ['admin']))) throw new UsageError('This action requires admin privileges');
      const ok = await ctx.session.call('assignTask', [id, hostname, Boolean(o.force)]);
      return ok ? `assigned task ${id} to host ${hostname}\n` : `failed to assign task ${id} to host ${hostname}\n`;
    },
  },
  {
    name: 'restart-hosts',
    category: 'admin',
    summary: 'Restart enabled hosts',
    usage: 'restart-hosts [options]',
    options: [
      ...WAIT_OPTIONS('the task'),
      { name: 'quiet', type: 'bool', help: 'Do not print the task information' },
      { name: 'force', type: 'bool', help: 'Ignore checks and force operation' },
      { name: 'channel', type: 'string', help: 'Only hosts in this channel' },
      { name: 'arch', short: 'a', type: 'append', help: 'Limit to hosts of this architecture (can be given multiple times)' },
      { name: 'timeout', type: 'int', metavar: 'N', help: 'Time out after N seconds' },
    ],
    async handler(ctx, o, args) {
      if (args.length > 0) throw new UsageError('restart-hosts does not accept arguments');
      if (!o.force) {
        const others = await ctx.session.call<XmlRpcStruct[]>('listTasks', [{ method: 'restartHosts', state: [TASK_STATE.FREE, TASK_STATE.OPEN, TASK_STATE.ASSIGNED] }]);
        if (others.length) {
          ctx.warn('Found other restartHosts tasks running.');
          ctx.warn(`Task ids: ${pyRepr(others.map((t) => t.id))}`);
          throw new CliError('Use --force to run anyway');
        }
      }
      const callopts: Record<string, XmlRpcValue> = {};
      if (o.channel) callopts.channel = o.channel as string;
      if ((o.arch as string[]).length) callopts.arches = o.arch as string[];
      if (o.timeout) callopts.timeout = o.timeout as number;
      const id = Object.keys(callopts).length
        ? await ctx.session.call<number>('restartHosts', [], { options: callopts })
        : await ctx.session.call<number>('restartHosts');
      if (shouldWait(ctx, o.wait)) return watchNew(ctx, id, quietOf(ctx, o));
    },
  },
];
