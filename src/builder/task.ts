/**
 * What a handler works with while its task runs — Koji's BaseTaskHandler: the task's id, method
 * and arguments, its session (a subsession of the daemon's, or the daemon's own for foreground
 * tasks), its log, its local work folder, and the subtask calls: `subtask`, `subtask2` and
 * `wait`, which parks until the daemon says an awaited child finished (kojid sends SIGUSR2; here
 * a message on the task process's IPC channel) and then collects the results.
 */
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { KojidOptions } from '../config/kojid.ts';
import type { ClientSession } from '../protocol/client.ts';
import { GenericError } from '../protocol/faults.ts';
import type { XmlRpcStruct, XmlRpcValue } from '../protocol/values.ts';
import type { TaskLog } from './tasklog.ts';
import type { Wakeup } from './wakeup.ts';

/** What foreground (control) tasks may see and change of the daemon. */
export interface TaskManagerView {
  hostId: number;
  /** start of the daemon's session (seconds since the epoch) */
  startTs: number;
  /** set: restart once no task runs */
  restartPending: boolean;
}

export interface TaskEnv {
  session: ClientSession;
  options: KojidOptions;
  log: TaskLog;
  /** notified by the daemon when an awaited subtask may have finished */
  wakeup: Wakeup;
  /** called after each look at the subtasks (so the daemon looks again at its alerts) */
  onPolled?: () => void;
  /** the daemon, for foreground tasks */
  manager?: TaskManagerView;
}

export interface WaitOptions {
  /** wait for every task, not the first to finish */
  all?: boolean;
  /** with `all`: the first failure cancels the others and is raised */
  failany?: boolean;
  /** tasks that may fail: their faults come back as results */
  canfail?: number[] | null;
  /** seconds; the subtasks are canceled and an error raised after that */
  timeout?: number | null;
}

/** koji.pathinfo.taskrelpath */
export function taskRelPath(id: number): string {
  return `tasks/${id % 10000}/${id}`;
}

/** The task's local work folder: WORKDIR/tasks/<id % 10000>/<id>, as kojid. */
export function taskWorkdir(options: Pick<KojidOptions, 'workdir'>, id: number): string {
  return join(options.workdir, taskRelPath(id));
}

/** Seconds to wait without a wake-up before looking at the subtasks anyway (a lost wake-up costs this much). */
const WAIT_POLL_S = 60;

export class TaskContext {
  readonly workdir: string;
  private hostIdCache: number | null = null;
  private infoCache: XmlRpcStruct | null = null;

  constructor(
    readonly id: number,
    readonly method: string,
    /** the task's request (arguments, keyword struct last) */
    readonly params: XmlRpcValue[],
    private readonly env: TaskEnv,
  ) {
    this.workdir = taskWorkdir(env.options, id);
  }

  get session(): ClientSession {
    return this.env.session;
  }
  get options(): KojidOptions {
    return this.env.options;
  }
  get log(): TaskLog {
    return this.env.log;
  }
  get manager(): TaskManagerView {
    if (!this.env.manager) throw new GenericError(`${this.method} must run in the foreground`);
    return this.env.manager;
  }

  /** This host's id. */
  async hostId(): Promise<number> {
    this.hostIdCache ??= await this.session.call<number>('host.getID');
    return this.hostIdCache;
  }

  /** getTaskInfo(id, request=True, strict=True), read once. */
  async taskinfo(): Promise<XmlRpcStruct> {
    this.infoCache ??= await this.session.call<XmlRpcStruct>('getTaskInfo', [this.id], { request: true, strict: true });
    return this.infoCache;
  }

  async createWorkdir(): Promise<void> {
    await this.removeWorkdir();
    await mkdir(this.workdir, { recursive: true });
  }

  async removeWorkdir(): Promise<void> {
    await rm(this.workdir, { recursive: true, force: true });
  }

  /** Folder of the task's output on the hub, under work/. */
  uploadDir(): string {
    return taskRelPath(this.id);
  }

  /** Upload a local file into the task's output (optionally a sub-folder of it). */
  async uploadFile(local: string, relPath?: string, remoteName?: string): Promise<void> {
    const dir = relPath ? `${this.uploadDir()}/${relPath.replace(/^\/+|\/+$/g, '')}` : this.uploadDir();
    await this.session.uploadWrapper(local, dir, remoteName);
  }

  /** host.subtask(method, arglist, parent=this task, **opts): the child's id. */
  subtask(method: string, arglist: XmlRpcValue[], opts: Record<string, XmlRpcValue> = {}): Promise<number> {
    return this.session.call<number>('host.subtask', [method, arglist, this.id], opts);
  }

  /** host.subtask2(this task, taskopts, method, *args, **kwargs) */
  subtask2(taskopts: Record<string, XmlRpcValue>, method: string, args: XmlRpcValue[] = [], kwargs: Record<string, XmlRpcValue> = {}): Promise<number> {
    return this.session.call<number>('host.subtask2', [this.id, taskopts, method, ...args], kwargs);
  }

  /**
   * Koji's BaseTaskHandler.wait: mark the subtasks awaited (null: all children), then sleep until
   * one finishes (or, with `all`, every one), and return their results by task id.
   */
  async wait(subtasks: number | number[] | null = null, o: WaitOptions = {}): Promise<Map<number, XmlRpcValue>> {
    const checked = new Set(o.canfail ?? []);
    const list = typeof subtasks === 'number' ? [subtasks] : subtasks;
    await this.session.call('host.taskSetWait', [this.id, list]);
    this.log.debug(`Waiting on ${JSON.stringify(list)}`);
    const start = Date.now();
    let finished: number[] | null;
    for (;;) {
      const [done, unfinished] = await this.session.call<[number[], number[]]>('host.taskWait', [this.id]);
      this.env.onPolled?.();
      finished = done;
      if (unfinished.length === 0) break;
      if (done.length > 0) {
        if (!o.all) break;
        if (o.failany) {
          for (const t of done) {
            if (checked.has(t)) continue;
            try {
              await this.session.call('getTaskResult', [t]);
              checked.add(t);
            } catch (e) {
              this.log.info(`task ${t} failed or was canceled, cancelling unfinished tasks`);
              await this.session.call('cancelTaskChildren', [this.id]);
              throw e;
            }
          }
        }
      }
      if (o.timeout) {
        const remain = start + o.timeout * 1000 - Date.now();
        if (remain > 0) await this.env.wakeup.wait(remain);
        const duration = (Date.now() - start) / 1000;
        if (duration > o.timeout) {
          this.log.info('Subtasks timed out');
          await this.session.call('cancelTaskChildren', [this.id]);
          throw new GenericError(`Subtasks timed out after ${duration.toFixed(1)} seconds`);
        }
      } else {
        this.log.debug('Pausing...');
        await this.env.wakeup.wait(WAIT_POLL_S * 1000);
        this.log.debug('...waking up');
      }
    }
    this.log.debug('Finished waiting');
    if (o.all) finished = list;
    const results = await this.session.call<Array<[number, XmlRpcValue]>>('host.taskWaitResults', [this.id, finished], { canfail: o.canfail ?? null });
    return new Map(results);
  }
}
