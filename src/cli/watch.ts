/**
 * Watching tasks and their logs, as the stock CLI's koji_cli.lib does (TaskWatcher,
 * watch_tasks, watch_logs, list_task_output_all_volumes): the lines it prints, in its order,
 * polling the hub every `poll_interval` seconds. Lines go out through ctx.print as they come.
 */
import { StringDecoder } from 'node:string_decoder';
import { Fault, KojiError } from '../protocol/faults.ts';
import { pyRepr } from '../protocol/pyrepr.ts';
import type { XmlRpcStruct } from '../protocol/values.ts';
import { PathInfo } from '../util/pathinfo.ts';
import { CliError, type CliContext } from './command.ts';
import { taskLabel } from './task-label.ts';

export const TASK_STATES = ['FREE', 'OPEN', 'CLOSED', 'CANCELED', 'ASSIGNED', 'FAILED'] as const;
export const TASK_STATE: Record<string, number> = Object.fromEntries(TASK_STATES.map((s, i) => [s, i]));
const DONE = new Set([2, 3, 5]);

export const stateName = (s: unknown): string => TASK_STATES[Number(s)] ?? 'BADSTATE';
export const isDoneState = (s: unknown): boolean => DONE.has(Number(s));

const sleep = (seconds: number) => new Promise((r) => setTimeout(r, seconds * 1000));

/** Python's "<class>: <str(e)>" of a hub failure; a fault of no Koji class is xmlrpc's Fault. */
export function exceptionText(e: unknown): string {
  if (e instanceof Fault) return `Fault: <Fault ${e.faultCode}: ${pyRepr(e.faultString)}>`;
  if (e instanceof KojiError) return `${e.name}: ${e.message.trim()}`;
  throw e;
}

/** list_task_output_all_volumes: {filename: [volume, …]} */
export async function listTaskOutputAllVolumes(ctx: CliContext, taskId: number): Promise<Record<string, string[]>> {
  return ctx.session.call<Record<string, string[]>>('listTaskOutput', [taskId], { all_volumes: true });
}

/** One watched task (koji_cli.lib.TaskWatcher). */
export class TaskWatcher {
  info: XmlRpcStruct | null = null;

  constructor(
    private readonly ctx: CliContext,
    readonly id: number,
    readonly level = 0,
    private readonly quiet = false,
    private readonly topurl: string | null = null,
  ) {}

  str(): string {
    const indent = '  '.repeat(this.level);
    return this.info ? `${indent}${this.id} ${taskLabel(this.info)}` : `${indent}${this.id}`;
  }

  /** The failure of a FAILED task, "<class>: <message>". */
  async failure(): Promise<string> {
    if (Number(this.info?.state) !== TASK_STATE.FAILED) return '';
    try {
      await this.ctx.session.call('getTaskResult', [this.id]);
      return '';
    } catch (e) {
      return exceptionText(e);
    }
  }

  /** Refresh and print a new or changed state; true when the state changed. */
  async update(): Promise<boolean> {
    if (this.isDone()) return false;
    const last = this.info;
    this.info = await this.ctx.session.call<XmlRpcStruct | null>('getTaskInfo', [this.id], { request: true });
    if (!this.info) {
      if (!this.quiet) this.ctx.print(`No such task id: ${this.id}\n`);
      throw new CliError('', 1);
    }
    if (last) {
      if (Number(last.state) === Number(this.info.state)) return false;
      if (!this.quiet) this.ctx.print(`${this.str()}: ${await this.displayState(last)} -> ${await this.displayState(this.info)}\n`);
      return true;
    }
    if (!this.quiet) this.ctx.print(`${this.str()}: ${await this.displayState(this.info, this.level)}\n`);
    return false;
  }

  isDone(): boolean {
    return this.info !== null && isDoneState(this.info.state);
  }

  isSuccess(): boolean {
    return this.info !== null && Number(this.info.state) === TASK_STATE.CLOSED;
  }

  async displayState(info: XmlRpcStruct | null, level = 0): Promise<string> {
    if (!info) return 'unknown';
    const state = Number(info.state);
    if (state === TASK_STATE.OPEN || state === TASK_STATE.ASSIGNED) {
      const name = stateName(state).toLowerCase();
      if (!info.host_id) return name;
      const host = await this.ctx.session.call<XmlRpcStruct>('getHost', [info.host_id]);
      return `${name} (${String(host.name)})`;
    }
    if (state !== TASK_STATE.FAILED) return stateName(state).toLowerCase();
    let s = `FAILED: ${await this.failure()}`;
    if (this.topurl) {
      const output = await listTaskOutputAllVolumes(this.ctx, this.id);
      const pi = new PathInfo(this.topurl);
      const indent = '  '.repeat(level + 1);
      const logs = Object.entries(output)
        .flatMap(([file, volumes]) => volumes.map((v) => [file, v] as const))
        .filter(([file]) => file.endsWith('log'))
        .map(([file, v]) => `${indent}${pi.task(this.id, v)}/${file}`);
      if (logs.length) s += `\n${indent}Relevant logs:\n${logs.join('\n')}`;
    }
    return s;
  }
}

function tasklistStatus(tasks: Map<number, TaskWatcher>): string {
  const n = { free: 0, open: 0, done: 0, failed: 0 };
  for (const t of tasks.values()) {
    const s = Number(t.info?.state);
    if (s === TASK_STATE.FAILED) n.failed++;
    else if (s === TASK_STATE.CLOSED || s === TASK_STATE.CANCELED) n.done++;
    else if (s === TASK_STATE.OPEN || s === TASK_STATE.ASSIGNED) n.open++;
    else if (s === TASK_STATE.FREE) n.free++;
  }
  return `  ${n.free} free  ${n.open} open  ${n.done} done  ${n.failed} failed\n`;
}

function taskResults(tasks: Map<number, TaskWatcher>): string {
  let out = '';
  for (const t of tasks.values()) {
    if (t.level !== 0) continue;
    const s = Number(t.info?.state);
    if (s === TASK_STATE.CLOSED) out += `${t.str()} completed successfully\n`;
    else if (s === TASK_STATE.FAILED) out += `${t.str()} failed\n`;
    else if (s === TASK_STATE.CANCELED) out += `${t.str()} was canceled\n`;
    else out += `${t.str()} has not completed\n`;
  }
  return out;
}

export interface WatchOptions {
  quiet?: boolean;
  pollInterval: number;
  topurl?: string | null;
}

/** watch_tasks: follow the tasks and their children until all are done; 1 when a top task did not succeed. */
export async function watchTasks(ctx: CliContext, ids: number[], o: WatchOptions): Promise<number> {
  if (ids.length === 0) return 0;
  const quiet = Boolean(o.quiet);
  if (!quiet) ctx.print('Watching tasks (this may be safely interrupted)...\n');
  let rv = 0;
  const tasks = new Map<number, TaskWatcher>();
  for (const id of ids) tasks.set(id, new TaskWatcher(ctx, id, 0, quiet, o.topurl ?? null));
  for (;;) {
    let allDone = true;
    for (const [id, task] of [...tasks]) {
      const changed = await task.update();
      if (!task.isDone()) allDone = false;
      else {
        if (changed && !quiet) ctx.print(tasklistStatus(tasks));
        if (task.level === 0 && !task.isSuccess()) rv = 1;
      }
      for (const child of await ctx.session.call<XmlRpcStruct[]>('getTaskChildren', [id])) {
        const cid = Number(child.id);
        if (tasks.has(cid)) continue;
        const w = new TaskWatcher(ctx, cid, task.level + 1, quiet, o.topurl ?? null);
        tasks.set(cid, w);
        await w.update();
        // new children: look again, they may have children too
        allDone = false;
      }
    }
    if (allDone) {
      if (!quiet) ctx.print('\n' + taskResults(tasks));
      return rv;
    }
    await sleep(o.pollInterval);
  }
}

/** watch_logs: print the tasks' logs as they grow ("==> task:volume:file: <==" headers) until the tasks are done. */
export async function watchLogs(ctx: CliContext, ids: number[], o: { log?: string | null; follow?: boolean }, pollInterval: number): Promise<void> {
  ctx.print('Watching logs (this may be safely interrupted)...\n');
  const tasklist = [...ids];
  const offsets = new Map<number, Map<string, number>>(ids.map((id) => [id, new Map()]));
  const decoders = new Map<string, StringDecoder>();
  let lastlog: string | null = null;
  for (;;) {
    for (const id of [...tasklist]) {
      const info = await ctx.session.call<XmlRpcStruct | null>('getTaskInfo', [id]);
      if (!info) {
        ctx.print(`No such task id: ${id}\n`);
        throw new CliError('', 1);
      }
      if (isDoneState(info.state)) tasklist.splice(tasklist.indexOf(id), 1);
      const output = await listTaskOutputAllVolumes(ctx, id);
      const files = Object.entries(output).flatMap(([file, volumes]) => volumes.map((v) => [file, v] as const));
      const logs = files.filter(([file]) => (o.log ? file === o.log : file.endsWith('log')));
      const taskOffsets = offsets.get(id) as Map<string, number>;
      for (const [log, volume] of logs) {
        const key = `${log}\0${volume}`;
        for (;;) {
          const at = taskOffsets.get(key) ?? 0;
          const b64 = await ctx.session.call<string>('downloadTaskOutput', [id, log, at, 16384], { volume });
          const chunk = Buffer.from(b64, 'base64');
          taskOffsets.set(key, at + chunk.length);
          if (!chunk.length) break;
          const currlog = `${id}:${volume}:${log}:`;
          if (currlog !== lastlog) {
            if (lastlog) ctx.print('\n');
            ctx.print(`==> ${currlog} <==\n`);
            lastlog = currlog;
          }
          const dk = `${id}\0${key}`;
          if (!decoders.has(dk)) decoders.set(dk, new StringDecoder('utf8'));
          ctx.print((decoders.get(dk) as StringDecoder).write(chunk));
        }
      }
      if (o.follow) {
        for (const child of await ctx.session.call<XmlRpcStruct[]>('getTaskChildren', [id])) {
          const cid = Number(child.id);
          if (tasklist.includes(cid)) continue;
          tasklist.push(cid);
          offsets.set(cid, new Map());
        }
      }
    }
    if (tasklist.length === 0) return;
    await sleep(pollInterval);
  }
}
