/**
 * Watching tasks and their logs, as the stock CLI's koji_cli.lib does (TaskWatcher,
 * watch_tasks, watch_logs, list_task_output_all_volumes): the lines it prints, in its order,
 * polling the hub every `poll_interval` seconds. Lines go out through ctx.print as they come.
 */
import { basename } from 'node:path';
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

/**
 * Ctrl-C while watching (Python's KeyboardInterrupt): the watch loops notice it at their next
 * pause and end with exit code 1 instead of the process dying.
 */
class Interrupt {
  private fired = false;
  private wake: (() => void) | null = null;
  private readonly onSignal = () => {
    this.fired = true;
    this.wake?.();
  };

  constructor() {
    process.on('SIGINT', this.onSignal);
  }

  /** Sleep; true when interrupted. */
  async pause(seconds: number): Promise<boolean> {
    if (!this.fired) {
      await new Promise<void>((r) => {
        const t = setTimeout(r, seconds * 1000);
        this.wake = () => {
          clearTimeout(t);
          r();
        };
      });
    }
    return this.fired;
  }

  close(): void {
    process.off('SIGINT', this.onSignal);
  }
}

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
    readonly topurl: string | null = null,
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
  const interrupt = new Interrupt();
  try {
    for (;;) {
      if (await watchRound(ctx, tasks, quiet, (v) => (rv = v))) return rv;
      if (await interrupt.pause(o.pollInterval)) {
        if (!quiet) await printStillRunning(ctx, tasks);
        return 1;
      }
    }
  } finally {
    interrupt.close();
  }
}

/** The stock CLI's message when a watch is interrupted. */
async function printStillRunning(ctx: CliContext, tasks: Map<number, TaskWatcher>): Promise<void> {
  const prog = basename(process.argv[1] ?? '') || 'koji';
  const running: string[] = [];
  for (const t of tasks.values()) if (!t.isDone()) running.push(`${t.str()}: ${await t.displayState(t.info, t.level)}`);
  ctx.print(`Tasks still running. You can continue to watch with the '${prog} watch-task' command.\nRunning Tasks:\n${running.join('\n')}\n`);
}

/** One pass of watch_tasks' loop: true when all tasks are done (the results are printed then). */
async function watchRound(ctx: CliContext, tasks: Map<number, TaskWatcher>, quiet: boolean, fail: (rv: number) => void): Promise<boolean> {
  let allDone = true;
  for (const [id, task] of [...tasks]) {
    const changed = await task.update();
    if (!task.isDone()) allDone = false;
    else {
      if (changed && !quiet) ctx.print(tasklistStatus(tasks));
      if (task.level === 0 && !task.isSuccess()) fail(1);
    }
    for (const child of await ctx.session.call<XmlRpcStruct[]>('getTaskChildren', [id])) {
      const cid = Number(child.id);
      if (tasks.has(cid)) continue;
      const w = new TaskWatcher(ctx, cid, task.level + 1, quiet, task.topurl);
      tasks.set(cid, w);
      await w.update();
      // new children: look again, they may have children too
      allDone = false;
    }
  }
  if (allDone && !quiet) ctx.print('\n' + taskResults(tasks));
  return allDone;
}

interface LogState {
  tasklist: number[];
  offsets: Map<number, Map<string, number>>;
  decoders: Map<string, StringDecoder>;
  lastlog: string | null;
}

/** One task's turn in watch_logs: drop it when done, print what its logs gained, add its children with --follow. */
async function watchTaskLogs(ctx: CliContext, id: number, st: LogState, o: { log?: string | null; follow?: boolean }): Promise<void> {
  const info = await ctx.session.call<XmlRpcStruct | null>('getTaskInfo', [id]);
  if (!info) {
    ctx.print(`No such task id: ${id}\n`);
    throw new CliError('', 1);
  }
  if (isDoneState(info.state)) st.tasklist.splice(st.tasklist.indexOf(id), 1);
  const output = await listTaskOutputAllVolumes(ctx, id);
  const files = Object.entries(output).flatMap(([file, volumes]) => volumes.map((v) => [file, v] as const));
  const logs = files.filter(([file]) => (o.log ? file === o.log : file.endsWith('log')));
  const taskOffsets = st.offsets.get(id) as Map<string, number>;
  for (const [log, volume] of logs) {
    const key = `${log}\0${volume}`;
    for (;;) {
      const at = taskOffsets.get(key) ?? 0;
      const chunk = Buffer.from(await ctx.session.call<string>('downloadTaskOutput', [id, log, at, 16384], { volume }), 'base64');
      taskOffsets.set(key, at + chunk.length);
      if (!chunk.length) break;
      const currlog = `${id}:${volume}:${log}:`;
      if (currlog !== st.lastlog) {
        if (st.lastlog) ctx.print('\n');
        ctx.print(`==> ${currlog} <==\n`);
        st.lastlog = currlog;
      }
      const dk = `${id}\0${key}`;
      if (!st.decoders.has(dk)) st.decoders.set(dk, new StringDecoder('utf8'));
      ctx.print((st.decoders.get(dk) as StringDecoder).write(chunk));
    }
  }
  if (!o.follow) return;
  for (const child of await ctx.session.call<XmlRpcStruct[]>('getTaskChildren', [id])) {
    const cid = Number(child.id);
    if (st.tasklist.includes(cid)) continue;
    // as the stock CLI: a child seen again starts over (its offsets are reset)
    st.tasklist.push(cid);
    st.offsets.set(cid, new Map());
  }
}

/** watch_logs: print the tasks' logs as they grow ("==> task:volume:file: <==" headers) until the tasks are done; 1 when interrupted. */
export async function watchLogs(ctx: CliContext, ids: number[], o: { log?: string | null; follow?: boolean }, pollInterval: number): Promise<number> {
  ctx.print('Watching logs (this may be safely interrupted)...\n');
  const st: LogState = { tasklist: [...ids], offsets: new Map(ids.map((id) => [id, new Map()])), decoders: new Map(), lastlog: null };
  const interrupt = new Interrupt();
  try {
    for (;;) {
      for (const id of [...st.tasklist]) await watchTaskLogs(ctx, id, st, o);
      if (st.tasklist.length === 0) return 0;
      if (await interrupt.pause(pollInterval)) return 1;
    }
  } finally {
    interrupt.close();
  }
}
