/**
 * The task listing and monitoring commands of the stock CLI: list-tasks, taskinfo, watch-task,
 * watch-logs (their selection options are koji_cli.lib._list_tasks).
 */
import { GenericError } from '../../protocol/faults.ts';
import type { XmlRpcStruct, XmlRpcValue } from '../../protocol/values.ts';
import { parseArches } from '../../util/arch.ts';
import { CliError, UsageError, type CliContext, type Command, type OptionSpec, type Options } from '../command.ts';
import { taskLabel } from '../task-label.ts';
import { stateName, TASK_STATE, watchLogs, watchTasks } from '../watch.ts';
import { parseTimeOption, timeArg } from './builds-fmt.ts';
import { pad, pyIntOf } from './cli-util.ts';
import { printTaskInfo } from './tasks-info.ts';

const TIME_HELP = 'time is specified as timestamp or date/time in any format which can be parsed by dateutil.parser. e.g. "2020-12-31 12:35" or "December 31st 12:35"';

const SELECTION: OptionSpec[] = [
  { name: 'user', type: 'string', help: 'Only tasks for this user' },
  { name: 'arch', type: 'string', help: 'Only tasks for this architecture' },
  { name: 'method', type: 'string', help: 'Only tasks of this method' },
  { name: 'channel', type: 'string', help: 'Only tasks in this channel' },
  { name: 'host', type: 'string', help: 'Only tasks for this host' },
];

/** Stop the command with exit code 1 after a line on stdout (the stock CLI's print + sys.exit(1)). */
function exitAfter(ctx: CliContext, line: string): never {
  ctx.print(line + '\n');
  throw new CliError('', 1);
}

export type TaskTree = XmlRpcStruct & { children?: TaskTree[]; sub?: boolean };

/** koji_cli.lib._list_tasks: the unfinished (or, with --all, all) tasks matching the options, children threaded under parents. */
export async function listTasks(ctx: CliContext, o: Options): Promise<TaskTree[]> {
  const callopts: Record<string, XmlRpcValue> = { decode: true };
  if (!o.all) callopts.state = [TASK_STATE.FREE, TASK_STATE.OPEN, TASK_STATE.ASSIGNED];
  if (o.after) callopts.startedAfter = timeArg(o.after as number);
  if (o.before) callopts.startedBefore = timeArg(o.before as number);
  if (o.mine) {
    if (o.user) throw new GenericError("Can't specify 'mine' and 'user' in same time");
    const user = await ctx.session.call<XmlRpcStruct | null>('getLoggedInUser');
    if (!user) exitAfter(ctx, 'Unable to determine user');
    callopts.owner = user.id;
  }
  if (o.user) {
    const user = await ctx.session.call<XmlRpcStruct | null>('getUser', [o.user as string]);
    if (!user) exitAfter(ctx, `No such user: ${String(o.user)}`);
    callopts.owner = user.id;
  }
  if (o.arch) callopts.arch = parseArches(o.arch as string);
  if (o.method) callopts.method = o.method as string;
  if (o.channel) {
    const chan = await ctx.session.call<XmlRpcStruct | null>('getChannel', [o.channel as string]);
    if (!chan) exitAfter(ctx, `No such channel: ${String(o.channel)}`);
    callopts.channel_id = chan.id;
  }
  if (o.host) {
    const host = await ctx.session.call<XmlRpcStruct | null>('getHost', [o.host as string]);
    if (!host) exitAfter(ctx, `No such host: ${String(o.host)}`);
    callopts.host_id = host.id;
  }
  const tasklist = await ctx.session.call<TaskTree[]>('listTasks', [callopts, { order: 'priority,create_time' }]);
  const byId = new Map(tasklist.map((t) => [t.id, t]));
  for (const t of tasklist) {
    if (t.parent === null || t.parent === undefined) continue;
    const parent = byId.get(t.parent);
    if (!parent) continue;
    (parent.children ??= []).push(t);
    t.sub = true;
  }
  return tasklist;
}

/** koji_cli.lib.print_task (and its children, print_task_recurse) */
function taskLines(t: TaskTree, depth = 0): string {
  const indent = depth ? '  '.repeat(depth - 1) + ' +' : '';
  const line = `${pad(t.id, 8)} ${pad(t.priority, 4)} ${pad(t.owner_name, 20)} ${pad(stateName(t.state), 8)} ${pad(t.arch, 10)} ${indent}${taskLabel(t)}\n`;
  return line + (t.children ?? []).map((c) => taskLines(c, depth + 1)).join('');
}

/** Task ids from the command line (parser.error for anything else). */
function taskIds(args: string[], message: string): number[] {
  return args.map((a) => {
    if (!/^\s*[+-]?\d+\s*$/.test(a)) throw new UsageError(message);
    return Number(a);
  });
}

export const taskCommands: Command[] = [
  {
    name: 'list-tasks',
    category: 'info',
    summary: 'Print the list of tasks',
    usage: 'list-tasks [options]',
    options: [
      { name: 'mine', type: 'bool', help: 'Just print your tasks' },
      ...SELECTION,
      { name: 'quiet', type: 'bool', help: 'Do not display the column headers' },
      { name: 'before', type: 'string', help: `List tasks completed before this time, ${TIME_HELP}` },
      { name: 'after', type: 'string', help: 'List tasks completed after this time (same format as for --before' },
      { name: 'all', type: 'bool', help: 'List also finished tasks (valid only with --after)' },
    ],
    async handler(ctx, o, args) {
      for (const k of ['before', 'after']) if (o[k] !== null) o[k] = parseTimeOption(`--${k}`, o[k] as string);
      if (args.length !== 0) throw new UsageError('This command takes no arguments');
      if (o.all && !o.after) throw new UsageError('--all must be used with --after');
      const tasks = await listTasks(ctx, o);
      if (!tasks.length) return '(no tasks)\n';
      let out = (o.quiet ?? ctx.global.quiet) ? '' : 'ID       Pri  Owner                State    Arch       Name\n';
      for (const t of tasks) if (!t.sub) out += taskLines(t);
      return out;
    },
  },
  {
    name: 'taskinfo',
    category: 'info',
    summary: 'Show information about a task',
    usage: 'taskinfo [options] <task_id> [<task_id> ...]',
    anon: true,
    options: [
      { name: 'recurse', short: 'r', type: 'bool', help: 'Show children of this task as well' },
      { name: 'verbose', short: 'v', type: 'bool', help: 'Be verbose' },
    ],
    async handler(ctx, o, args) {
      if (args.length < 1) throw new UsageError('You must specify at least one task ID');
      for (const a of args) await printTaskInfo(ctx, pyIntOf(a), 0, Boolean(o.recurse), Boolean(o.verbose));
    },
  },
  {
    name: 'watch-task',
    category: 'monitor',
    summary: 'Track progress of particular tasks',
    usage: 'watch-task [options] <task id> [<task id> ...]',
    anon: true,
    options: [
      { name: 'quiet', type: 'bool', help: 'Do not print the task information' },
      { name: 'mine', type: 'bool', help: 'Just watch your tasks' },
      ...SELECTION,
    ],
    async handler(ctx, o, args) {
      const quiet = (o.quiet as boolean | null) ?? ctx.global.quiet;
      const selection = o.mine || o.user || o.arch || o.method || o.channel || o.host;
      if (args.length && selection) throw new UsageError('Selection options cannot be combined with a task list');
      let ids: number[];
      if (selection) {
        ids = (await listTasks(ctx, o)).map((t) => Number(t.id));
        if (!ids.length) return '(no tasks)\n';
      } else {
        ids = taskIds(args, 'task id must be an integer');
        if (!ids.length) throw new UsageError('at least one task id must be specified');
      }
      const rv = await watchTasks(ctx, ids, { quiet, pollInterval: ctx.config.poll_interval, topurl: ctx.config.topurl });
      return { output: '', exitCode: rv };
    },
  },
  {
    name: 'watch-logs',
    category: 'monitor',
    summary: 'Watch logs in realtime',
    usage: 'watch-logs [options] <task id> [<task id> ...]',
    anon: true,
    options: [
      { name: 'log', type: 'string', help: 'Watch only a specific log' },
      { name: 'mine', type: 'bool', help: 'Watch logs for all your tasks, task_id arguments are forbidden in this case.' },
      { name: 'follow', short: 'f', type: 'bool', help: 'Follow spawned child tasks' },
    ],
    async handler(ctx, o, args) {
      let ids: number[];
      if (o.mine) {
        if (args.length) throw new UsageError('Selection options cannot be combined with a task list');
        ids = (await listTasks(ctx, o)).map((t) => Number(t.id));
        if (!ids.length) return "You've no active tasks.\n";
      } else ids = taskIds(args, 'task id must be an integer');
      if (!ids.length) throw new UsageError('at least one task id must be specified');
      return { output: '', exitCode: await watchLogs(ctx, ids, { log: o.log as string | null, follow: Boolean(o.follow) }, ctx.config.poll_interval) };
    },
  },
];
