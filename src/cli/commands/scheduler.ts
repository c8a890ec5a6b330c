/** scheduler-info (task runs, a host's scheduler data) and scheduler-logs, as the stock CLI prints them. */
import { pyRepr, pyStr } from '../../protocol/pyrepr.ts';
import { Float, type XmlRpcStruct, type XmlRpcValue } from '../../protocol/values.ts';
import { UsageError, type Command } from '../command.ts';
import { TASK_STATE, TASK_STATES, stateName } from '../watch.ts';
import { pad } from './cli-util.ts';
import { asctime, toNum } from './common.ts';

const p2 = (n: number) => String(n).padStart(2, '0');

/** time.strftime("%y-%m-%d %H:%M:%S", localtime(ts)), '' for no time */
function formatTs(ts: XmlRpcValue): string {
  if (!ts) return '';
  const d = new Date(Math.floor(toNum(ts)) * 1000);
  return `${p2(d.getFullYear() % 100)}-${p2(d.getMonth() + 1)}-${p2(d.getDate())} ${p2(d.getHours())}:${p2(d.getMinutes())}:${p2(d.getSeconds())}`;
}

export const schedulerCommands: Command[] = [
  {
    name: 'scheduler-info',
    category: 'monitor',
    summary: 'Show information about scheduling',
    // as the stock CLI's usage text
    usage: 'schedulerinfo [options]',
    anon: true,
    options: [
      { name: 'task', short: 't', type: 'int', help: 'Limit data to given task id' },
      { name: 'host', type: 'string', help: 'Limit data to given builder id' },
      { name: 'state', type: 'string', help: 'Limit data to task state' },
      { name: 'limit', type: 'int', default: 100, help: 'Limit data to last N items [default: 100]' },
    ],
    async handler(ctx, o, args) {
      if (o.state !== null && !(TASK_STATES as readonly string[]).includes(o.state as string)) {
        throw new UsageError(`option --state: invalid choice: ${pyStr(o.state as string)} (choose from ${TASK_STATES.map((s) => pyStr(s)).join(', ')})`);
      }
      if (args.length > 0) throw new UsageError('This command takes no arguments');
      let hostId: number | null = null;
      if (o.host) {
        hostId = /^\s*[+-]?\d+\s*$/.test(o.host as string) ? Number(o.host) : Number((await ctx.session.call<XmlRpcStruct>('getHost', [o.host as string], { strict: true })).id);
      }
      const clauses: XmlRpcValue[] = [];
      if (o.task) clauses.push(['task_id', o.task as number]);
      // as the stock CLI: the host as given, name or id
      if (o.host) clauses.push(['host_id', o.host as string]);
      if (o.state) clauses.push(['state', TASK_STATE[o.state as string]]);
      const fields = ['id', 'task_id', 'host_name', 'state', 'create_ts', 'start_ts', 'completion_ts'];
      const kw: Record<string, XmlRpcValue> = { clauses, fields };
      if (o.limit !== null) kw.opts = { order: '-id', limit: o.limit as number };
      let runs = await ctx.session.call<XmlRpcStruct[]>('scheduler.getTaskRuns', [], kw);
      if (o.limit !== null) runs = runs.slice().reverse();
      const row = (r: Record<string, unknown>) =>
        `${pad(r.task_id, 9)} ${pad(r.host_name, 20)} ${pad(r.state, 7)} ${pad(r.create_ts, 17)} ${pad(r.start_ts, 17)} ${pad(r.completion_ts, 17)}`;
      let out = '';
      if (!ctx.global.quiet) {
        const header = row({ task_id: 'Task', host_name: 'Host', state: 'State', create_ts: 'Created', start_ts: 'Started', completion_ts: 'Ended' });
        out += `${header}\n${'-'.repeat(header.length)}\n`;
      }
      for (const r of runs) {
        out += row({ ...r, state: stateName(r.state), create_ts: formatTs(r.create_ts), start_ts: formatTs(r.start_ts), completion_ts: formatTs(r.completion_ts) }) + '\n';
      }
      if (hostId) {
        out += `Host data for ${String(o.host)}:\n`;
        const data = await ctx.session.call<XmlRpcStruct[]>('scheduler.getHostData', [], { hostID: hostId });
        out += data.length ? `${pyRepr(data[0].data)}\n` : '-\n';
      }
      return out;
    },
  },
  {
    name: 'scheduler-logs',
    category: 'monitor',
    summary: 'Query scheduler logs',
    usage: 'scheduler-logs <options>',
    options: [
      { name: 'task', type: 'int', help: 'Filter by task ID' },
      { name: 'host', type: 'string', help: 'Filter by host (name/ID)' },
      { name: 'from', type: 'float', dest: 'from_ts', help: 'Logs from given timestamp' },
      { name: 'to', type: 'float', dest: 'to_ts', help: 'Logs until given timestamp (included)' },
      { name: 'limit', type: 'int', help: 'Limit data to last N items. [default: none]' },
    ],
    async handler(ctx, o, args) {
      if (args.length !== 0) throw new UsageError('There are no arguments for this command');
      if (o.from_ts && o.to_ts && o.limit !== null) throw new UsageError("If both --from and --to are used, --limit shouldn't be used");
      const clauses: XmlRpcValue[] = [];
      if (o.task) clauses.push(['task_id', o.task as number]);
      if (o.host) {
        const id = /^\s*[+-]?\d+\s*$/.test(o.host as string) ? Number(o.host) : (await ctx.session.call<XmlRpcStruct>('getHost', [o.host as string])).id;
        clauses.push(['host_id', id]);
      }
      if (o.from_ts) clauses.push(['msg_ts', '>=', new Float(o.from_ts as number)]);
      if (o.to_ts) clauses.push(['msg_ts', '<', new Float(o.to_ts as number)]);
      const kw: Record<string, XmlRpcValue> = { clauses, fields: ['id', 'task_id', 'host_id', 'host_name', 'msg_ts', 'msg'] };
      if (o.limit !== null) kw.opts = { order: '-id', limit: o.limit as number };
      let logs = await ctx.session.call<XmlRpcStruct[]>('scheduler.getLogMessages', [], kw);
      if (o.limit !== null) logs = logs.slice().reverse();
      const row = (r: Record<string, unknown>) => `${pad(r.task_id, 10)} ${pad(r.host_name, 20)} ${pad(r.time, 25)} ${pad(r.msg, 30)}`;
      let out = '';
      if (!ctx.global.quiet) {
        const h = row({ task_id: 'Task', host_name: 'Host', time: 'Time', msg: 'Message' });
        out += `${h}\n${'-'.repeat(h.length)}\n`;
      }
      for (const l of logs) out += row({ ...l, time: asctime(l.msg_ts) }) + '\n';
      return out;
    },
  },
];
