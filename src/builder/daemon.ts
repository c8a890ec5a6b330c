/**
 * The build daemon's task manager — kojid's TaskManager and main loop. Each round:
 *
 * 1. updateTasks: `host.getHostTasks` (this host's OPEN tasks): tasks open here that this daemon
 *    does not run (a previous instance was killed) are freed; a task whose awaited subtask
 *    finished (`alert`) has its process woken; the load is the sum of the weights of tasks not
 *    waiting; processes that exited are cleaned up (their leftovers in their process group
 *    stopped, their subsession expired); a task canceled or taken away has its process tree
 *    stopped.
 * 2. getNextTask: `host.getHost`, readiness (enabled, load ≤ capacity, fewer than maxjobs tasks,
 *    free space, load average), `host.updateHost(load, ready, data={methods, maxjobs})`, then
 *    `host.getTasks` and the first assigned task it can take: `getTaskInfo(id, request=True)`,
 *    `host.openTask`, `host.setTaskWeight`, a subsession and a task process (or, for control
 *    tasks, the daemon itself).
 *
 * Between rounds kojid sleeps `sleeptime` (15 s). This daemon instead waits in
 * `kojits.host.waitTasks(sleeptime)`, which the hub answers as soon as a task is assigned to this
 * host or an awaited subtask finishes, and which is cut short when a task process exits or
 * reports, or a signal comes — so a task starts within a fraction of a second. Against a hub
 * without that call it sleeps `sleeptime` like kojid (woken early by its own processes).
 * waitTasks answers at once while the hub has something pending for the host (assigned tasks,
 * alerts); when the last round left such things in place (a task process not yet done with its
 * wake-up, assigned tasks it cannot take now), the daemon waits for its own events only, up to 2 s.
 */
import { existsSync, statfsSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import type { Logger } from 'pino';
import type { KojidOptions } from '../config/kojid.ts';
import type { ClientSession } from '../protocol/client.ts';
import { encodeFault, encodeResponse } from '../protocol/encode.ts';
import { TASK_STATES } from '../protocol/enums.ts';
import { ActionNotAllowed, AuthError, AuthExpired, RetryError } from '../protocol/faults.ts';
import type { XmlRpcStruct, XmlRpcValue } from '../protocol/values.ts';
import { clientOptions, type Connection } from './connect.ts';
import { ServerExit, ServerRestart } from './errors.ts';
import { handlerWeight, type HandlerRegistry, type TaskHandler } from './handlers/registry.ts';
import type { FromTask } from './ipc.ts';
import { executeTask } from './run-task.ts';
import { TaskContext, type TaskManagerView } from './task.ts';
import { TaskLog } from './tasklog.ts';
import { TaskProcess } from './task-process.ts';
import { Wakeup } from './wakeup.ts';
import { pruneRoots } from './buildroot/backends.ts';

const TS = TASK_STATES.byName;

/** Seconds a task process may live on after its task finished before it is stopped. */
const LINGER_S = 60;

/** A spare task process is stopped after this long without a task. */
const SPARE_IDLE_MS = 300_000;
/**
 * A spare taken by a task whose handler says `busyStart` (newRepo, createrepo) is replaced this
 * long after, or as soon as a task process ends: starting Node.js and loading the handlers takes
 * ~0.5 s of CPU, which at once would compete with the task that just started (on the 2-core bench
 * machine a newRepo's host.repoInit and createrepo_c were slowed by it). A task that comes
 * meanwhile starts a process of its own, as without a spare. Other tasks' spares are replaced at
 * once (back-to-back short tasks find the next one loaded: `sleep 0` tasks one after another
 * took p50 ~300 ms created → CLOSED with every replacement delayed, ~235 ms without).
 */
const SPARE_REPLACE_MS = 5_000;
const PRUNE_EVERY_MS = 3_600_000;

/** How long the hub is given to answer the calls of a stop. */
const SHUTDOWN_CALLS_MS = 15_000;

export interface ManagerOptions {
  options: KojidOptions;
  log: Logger;
  /** the pino level task processes log at */
  logLevel: string;
  /** called once, after the first check-in, with a line for stdout */
  onReady?: (line: string) => void;
}

interface HostTask {
  id: number;
  waiting: boolean | null;
  weight: number;
  alert?: boolean;
}

interface Running {
  id: number;
  method: string;
  proc: TaskProcess;
  subsession: number | null;
  /** when the hub first showed the task finished while its process still ran */
  lingerSince: number | null;
}

export interface RunResult {
  /** restart (ServerRestart): log in again and go on */
  restart: boolean;
  code: number;
}

export class TaskManager implements TaskManagerView {
  readonly session: ClientSession;
  readonly hostId: number;
  readonly startTs: number;
  restartPending = false;
  private readonly options: KojidOptions;
  private readonly log: Logger;
  private readonly running = new Map<number, Running>();
  private taskLoad = 0;
  private hostdata: XmlRpcStruct = {};
  private status = '';
  /** the reason for not being ready last logged */
  private told: string | null = null;
  /** tasks with an alert at the last look, and assigned tasks left untaken */
  private alerted = 0;
  private untaken = 0;
  private foreground: number | null = null;
  private spare: TaskProcess | null = null;
  /** set while a taken spare waits to be replaced */
  private spareTimer: NodeJS.Timeout | null = null;
  private lastTask = Date.now();
  private readonly wakeup = new Wakeup();
  private stopping: string | null = null;
  private hasWaitTasks = true;
  private announced = false;
  private readonly handlers: HandlerRegistry;
  private readonly o: ManagerOptions;
  private readonly login: string;

  constructor(conn: Connection, handlers: HandlerRegistry, o: ManagerOptions) {
    this.session = conn.session;
    this.hostId = conn.hostId;
    this.startTs = conn.startTs;
    this.login = conn.login;
    this.handlers = handlers;
    this.options = o.options;
    this.log = o.log;
    this.o = o;
  }

  /** Stop at the next occasion (signals): free the tasks and leave. */
  stop(why: string): void {
    if (!this.stopping) this.log.warn(`Exiting (${why})`);
    this.stopping = why;
    this.wakeup.notify();
  }

  /** Restart once no task runs (SIGUSR1, as kojid). */
  gracefulRestart(): void {
    this.log.warn('Initiating graceful restart');
    this.restartPending = true;
    this.wakeup.notify();
  }

  /** The tasks running now (tests, diagnostics). */
  runningTasks(): Array<{ id: number; method: string; pid: number }> {
    return [...this.running.values()].map((r) => ({ id: r.id, method: r.method, pid: r.proc.pid }));
  }

  /** Kill every task process at once (the daemon is exiting abnormally). */
  killAllNow(): void {
    for (const p of [...[...this.running.values()].map((r) => r.proc), this.spare]) {
      if (!p) continue;
      try {
        process.kill(-p.pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
  }

  async run(): Promise<RunResult> {
    let code = 0;
    let restart = false;
    if (this.options.spare_task_process) this.spare = this.spawn();
    while (!this.stopping) {
      let taken = false;
      try {
        await this.updateTasks();
        taken = await this.getNextTask();
      } catch (e) {
        if (e instanceof ServerExit) {
          this.log.warn('Exiting (shutdown task)');
          break;
        }
        if (e instanceof ServerRestart) {
          this.log.warn('Restarting');
          restart = true;
          break;
        }
        if (e instanceof AuthExpired) {
          this.log.error('Session expired');
          code = 1;
          break;
        }
        if (e instanceof RetryError) throw e;
        if (e instanceof AuthError) {
          this.log.error(`Authentication error: ${e.message}`);
          code = 1;
          break;
        }
        if (this.stopping) break;
        this.log.error((e as Error).stack ?? String(e));
      }
      if (!taken) {
        this.pruneBuildroots();
        await this.idle();
      }
      this.trimSpare();
    }
    this.log.warn('Shutting down, please wait...');
    await this.shutdown();
    return { restart, code };
  }

  private lastPrune = 0;

  /**
   * Now and then (hourly, when idle, not while tasks run): drop cached buildroots whose repo is
   * gone or that were not used for a week, and leftovers of crashed builds (bwrap backend).
   */
  private pruneBuildroots(): void {
    if (this.running.size || Date.now() - this.lastPrune < PRUNE_EVERY_MS || this.options.buildroot_backend === 'mock') return;
    this.lastPrune = Date.now();
    void pruneRoots(this.options)
      .then((removed) => removed.length && this.log.info(`removed ${removed.length} cached buildroot(s): ${removed.join(', ')}`))
      .catch((e: Error) => this.log.warn(`pruning cached buildroots: ${e.message}`));
  }

  /** An idle builder does not keep a spare process (it is started again with the next task). */
  private trimSpare(): void {
    if (!this.spare || Date.now() - this.lastTask < SPARE_IDLE_MS) return;
    this.log.info(`stopping the spare task process ${this.spare.pid} (no task for ${SPARE_IDLE_MS / 1000} s)`);
    void this.spare.kill();
    this.spare = null;
  }

  private spawn(): TaskProcess {
    const p = this.spawnProcess();
    p.prepare({ type: 'prepare', server: this.options.server as string, client: clientOptions(this.options) });
    return p;
  }

  private spawnProcess(): TaskProcess {
    return TaskProcess.spawn({
      exit: (p) => {
        if (p === this.spare) this.spare = null;
        if (p.taskId !== null) {
          this.log.info(`Task ${p.taskId} (pid ${p.pid}) exited: ${p.exitSignal ? `signal ${p.exitSignal}` : `code ${p.exitCode}`}${p.outcome ? `, ${p.outcome}` : ''}`);
          // what it started and left behind goes with it
          void p.reapGroup();
          // its CPU is free: a replacement spare that waits need not wait longer
          if (this.spareTimer) this.startSpare();
        }
        this.wakeup.notify();
      },
      message: (_p, m: FromTask) => {
        // a task process looked at its subtasks: the alert that woke it is gone, look again
        if (m.type === 'done' || (m.type === 'polled' && this.alerted > 0)) this.wakeup.notify();
      },
    });
  }

  /** Wait for the next round: the hub's long poll, cut short by events of this daemon. */
  private async idle(): Promise<void> {
    if (this.stopping || this.wakeup.take()) return;
    const sleeptime = this.options.sleeptime;
    const sticky = this.alerted > 0 || this.untaken > 0;
    if (sticky || !this.hasWaitTasks) {
      await this.wakeup.wait((sticky ? Math.min(sleeptime, 2) : sleeptime) * 1000);
      return;
    }
    const { signal, dispose } = this.wakeup.abortOnNotify();
    try {
      await this.session.call('kojits.host.waitTasks', [sleeptime], undefined, { signal });
    } catch (e) {
      if (signal.aborted) return;
      if (/Invalid method|not implemented/.test((e as Error).message)) {
        this.hasWaitTasks = false;
        this.log.info(`the hub has no kojits.host.waitTasks: polling every ${sleeptime} s`);
      } else this.log.error(`waiting for tasks: ${(e as Error).message}`);
      await this.wakeup.wait(sleeptime * 1000);
    } finally {
      dispose();
      // a round follows: it sees whatever happened
      this.wakeup.take();
    }
  }

  /** kojid's updateTasks. */
  private async updateTasks(): Promise<void> {
    const list = await this.session.call<HostTask[]>('host.getHostTasks');
    // processes that exited: their tasks are done (or, still open, freed below)
    for (const r of [...this.running.values()]) {
      if (!r.proc.hasExited) continue;
      this.running.delete(r.id);
      await this.expire(r.subsession);
    }
    const open = new Map<number, HostTask>();
    const stale: number[] = [];
    let load = 0;
    this.alerted = 0;
    for (const t of list) {
      const r = this.running.get(t.id);
      if (!r) {
        // open here but not run by this daemon: after a restart, or a task process that ended
        // without finishing its task
        if (t.id !== this.foreground) stale.push(t.id);
        continue;
      }
      open.set(t.id, t);
      if (t.alert) {
        this.log.info(`Waking up task ${t.id}`);
        this.alerted += 1;
        r.proc.wake();
      }
      if (!t.waiting) load += Number(t.weight);
    }
    this.taskLoad = load;
    if (stale.length) {
      this.log.info(`freeing stale tasks: ${stale.join(', ')}`);
      await this.session.call('host.freeTasks', [stale]);
    }
    for (const r of [...this.running.values()]) {
      if (open.has(r.id)) continue;
      // canceled, freed, reassigned — or finished, its process about to exit
      const info = await this.session.call<XmlRpcStruct | null>('getTaskInfo', [r.id]);
      const state = info ? Number(info.state) : null;
      if (state === TS.CLOSED || state === TS.FAILED) {
        r.lingerSince ??= Date.now();
        if (Date.now() - r.lingerSince < LINGER_S * 1000) continue;
        this.log.warn(`Killing lingering task ${r.id} (pid ${r.proc.pid})`);
      } else if (state === TS.CANCELED) this.log.info(`Killing canceled task ${r.id} (pid ${r.proc.pid})`);
      else this.log.info(`Killing reassigned task ${r.id} (pid ${r.proc.pid})`);
      this.running.delete(r.id);
      await r.proc.kill();
      await this.expire(r.subsession);
    }
  }

  /** kojid's cleanupTask after the process is gone: expire the task's subsession. */
  private async expire(subsession: number | null, signal?: AbortSignal): Promise<void> {
    if (subsession === null) return;
    try {
      await this.session.call('logoutChild', [subsession], undefined, { signal });
    } catch {
      // the task process logged out already
    }
  }

  private hostData(): XmlRpcStruct {
    return { methods: this.handlers.methods(), maxjobs: this.options.maxjobs };
  }

  /** kojid's getNextTask: check in, then take the first assigned task that can be taken. */
  private async getNextTask(): Promise<boolean> {
    const ready = await this.readyForTask();
    await this.session.call('host.updateHost', [this.taskLoad, ready], { data: this.hostData() });
    this.announce();
    const tasks = await this.session.call<XmlRpcStruct[]>('host.getTasks');
    // assigned tasks keep the hub's long poll answering at once: left untaken, they make the
    // next wait a short local one
    this.untaken = tasks.length;
    if (!ready) {
      // why, once per change (kojid says it at INFO every round); a full builder is no news
      if (this.status !== this.told) {
        if (/^(Full queue|Over capacity)/.test(this.status)) this.log.info(`Not ready for tasks: ${this.status}`);
        else this.log.warn(`Not ready for tasks: ${this.status}`);
      }
      this.told = this.status;
      return false;
    }
    if (this.told !== null) this.log.info('Ready for tasks again');
    this.told = null;
    for (const task of tasks) {
      const id = Number(task.id);
      if (this.running.has(id)) {
        // run here, but apparently given again: updateTasks stops the old run first
        this.log.info(`Task ${id} reassigned`);
        continue;
      }
      if (Number(task.state) !== TS.ASSIGNED) {
        this.log.error(`Received task ${id} is not assigned, state=${String(task.state)}`);
        continue;
      }
      if (Number(task.host_id) !== this.hostId) {
        this.log.error(`Received task ${id} is not ours, host=${String(task.host_id)}`);
        continue;
      }
      if (await this.takeTask(task)) return true;
    }
    return false;
  }

  private announce(): void {
    if (this.announced) return;
    this.announced = true;
    const name = String(this.hostdata.name ?? `host ${this.hostId}`);
    this.o.onReady?.(
      `koji-ts builder ready: host ${name} (id ${this.hostId}) on ${this.options.server} (${this.login}), maxjobs ${this.options.maxjobs}, methods ${this.handlers.methods().join(' ')}`,
    );
  }

  /** kojid's readyForTask. */
  private async readyForTask(): Promise<boolean> {
    if (this.restartPending) {
      if (this.running.size) {
        this.status = 'Pending restart';
        return false;
      }
      throw new ServerRestart();
    }
    this.hostdata = await this.session.call<XmlRpcStruct>('host.getHost');
    if (!this.hostdata.enabled) {
      this.status = 'Host is disabled';
      return false;
    }
    const capacity = Number(this.hostdata.capacity);
    if (this.taskLoad > capacity) {
      this.status = `Over capacity: task load (${this.taskLoad.toFixed(2)}) exceeds capacity (${capacity.toFixed(2)})`;
      return false;
    }
    if (this.running.size >= this.options.maxjobs) {
      this.status = 'Full queue';
      return false;
    }
    if (!this.checkSpace()) return false;
    const limit = this.options.max_load_per_cpu * cpus().length;
    const load = loadavg()[0];
    if (limit > 0 && load > limit) {
      this.status = `Load average ${load.toFixed(2)} > ${limit.toFixed(2)}`;
      return false;
    }
    this.status = 'ready';
    return true;
  }

  /** Free space where build roots go (mockdir; the work folder while there is no mockdir). */
  private checkSpace(): boolean {
    const dir = existsSync(this.options.mockdir) ? this.options.mockdir : this.options.workdir;
    const st = statfsSync(dir);
    const mb = Math.floor((st.bavail * st.bsize) / 1024 / 1024);
    if (mb < this.options.minspace) {
      this.status = `Insufficient disk space at ${dir}: ${mb} MB, ${this.options.minspace} MB required`;
      this.log.warn(this.status);
      return false;
    }
    return true;
  }

  /** A context for the daemon's own look at a task (weight, host check). */
  private context(id: number, method: string, params: XmlRpcValue[], handler: TaskHandler): TaskContext {
    return new TaskContext(id, method, params, { session: this.session, options: this.options, log: new TaskLog(null, this.log, `koji.build.${handler.className}`), wakeup: new Wakeup(), manager: this });
  }

  /** kojid's takeTask. */
  private async takeTask(task: XmlRpcStruct): Promise<boolean> {
    const id = Number(task.id);
    const method = String(task.method);
    this.log.info(`Attempting to take task ${id}`);
    // a method no handler serves fails with Koji's "Invalid method" (the default handler)
    const handler = this.handlers.get(method) ?? (this.handlers.get('default') as TaskHandler);
    const info = await this.session.call<XmlRpcStruct | null>('getTaskInfo', [id], { request: true });
    if (!info || info.request === null || info.request === undefined) {
      this.log.warn(`Task '${id}' has no request`);
      return false;
    }
    const params = info.request as XmlRpcValue[];
    const ctx = this.context(id, method, params, handler);
    if (handler.checkHost) {
      let valid = false;
      try {
        valid = await handler.checkHost(ctx, this.hostdata);
      } catch (e) {
        this.log.warn(`Error during host check: ${(e as Error).stack ?? String(e)}`);
      }
      if (!valid) {
        this.log.info(`Skipping task ${id} (${method}) due to host check`);
        if (Number(task.state) === TS.ASSIGNED) await this.session.call('host.refuseTask', [id], { soft: false, msg: 'failed host check' });
        return false;
      }
    }
    const data = await this.session.call<XmlRpcStruct | null>('host.openTask', [id]);
    if (!data) {
      this.log.warn(`Could not open task ${id}`);
      return false;
    }
    try {
      await this.session.call('host.setTaskWeight', [id, await handlerWeight(handler, ctx)]);
    } catch (e) {
      if (!(e instanceof ActionNotAllowed)) throw e;
      const info2 = await this.session.call<XmlRpcStruct>('getTaskInfo', [id]);
      if (Number(info2.host_id) !== this.hostId) {
        this.log.warn(`Task ${id} was reassigned`);
        return false;
      }
      if (Number(info2.state) !== TS.OPEN) {
        this.log.warn(`Task ${id} changed is ${TASK_STATES.name(Number(info2.state))}`);
        return false;
      }
      throw e;
    }
    if (handler.foreground) await this.runForeground(id, method, params, handler);
    else await this.forkTask(id, method, params);
    return true;
  }

  /** A control task, run here with the daemon's session (kojid's Foreground handlers). */
  private async runForeground(id: number, method: string, params: XmlRpcValue[], handler: TaskHandler): Promise<void> {
    this.log.info('running task in foreground');
    this.foreground = id;
    try {
      await executeTask({ id, method, params, handler, registry: this.handlers, session: this.session, options: this.options, log: this.log.child({ task: id }), wakeup: new Wakeup(), manager: this });
    } catch (e) {
      // a ServerExit leaves `foreground` set: the task is freed when the daemon stops
      if (!(e instanceof ServerExit)) this.foreground = null;
      throw e;
    }
    this.foreground = null;
  }

  /** kojid's forkTask: a subsession and a process of its own for the task (the spare, started ahead, when there is one). */
  private async forkTask(id: number, method: string, params: XmlRpcValue[]): Promise<void> {
    const sub = await this.session.subsession();
    const sinfo = sub.sinfo as NonNullable<typeof sub.sinfo>;
    sub.close();
    let proc: TaskProcess;
    try {
      proc = this.spare && !this.spare.hasExited ? this.spare : this.spawn();
    } catch (e) {
      await this.failToStart(id, e as Error);
      await this.expire(sinfo['session-id']);
      return;
    }
    this.spare = null;
    this.lastTask = Date.now();
    // the round goes on while the process loads
    proc.start(
      {
        type: 'start',
        id,
        method,
        request: encodeResponse(params),
        server: this.options.server as string,
        client: clientOptions(this.options),
        session: sinfo,
        options: this.options,
        logLevel: this.o.logLevel,
      },
      (e) => void this.failToStart(id, e),
    );
    this.running.set(id, { id, method, proc, subsession: sinfo['session-id'], lingerSince: null });
    this.log.info(`Task ${id} (${method}) running in process ${proc.pid}`);
    if (!this.options.spare_task_process || this.stopping) return;
    if (!this.handlers.get(method)?.busyStart) this.startSpare();
    else if (!this.spareTimer) {
      this.spareTimer = setTimeout(() => this.startSpare(), SPARE_REPLACE_MS);
      this.spareTimer.unref();
    }
  }

  /** The replacement spare (see SPARE_REPLACE_MS), unless one is there or the daemon stops. */
  private startSpare(): void {
    if (this.spareTimer) clearTimeout(this.spareTimer);
    this.spareTimer = null;
    if (this.stopping || (this.spare && !this.spare.hasExited)) return;
    try {
      this.spare = this.spawn();
    } catch (e) {
      this.log.error(`cannot start a spare task process: ${(e as Error).message}`);
    }
  }

  /** A task whose process cannot start fails (rather than bounce between hosts). */
  private async failToStart(id: number, e: Error): Promise<void> {
    const text = `cannot start a process for task ${id}: ${e.message}`;
    this.log.error(text);
    await this.session.call('host.failTask', [id, encodeFault(1, text)]).catch((err: Error) => this.log.error(`task ${id}: ${err.message}`));
  }

  /** kojid's shutdown: stop the task processes, free their tasks, check in as not ready. */
  private async shutdown(): Promise<void> {
    const runs = [...this.running.values()];
    if (this.spareTimer) clearTimeout(this.spareTimer);
    this.spareTimer = null;
    await Promise.all([...runs.map((r) => r.proc.kill()), this.spare?.kill()]);
    this.spare = null;
    // a hub that does not answer must not keep the daemon from stopping
    const signal = AbortSignal.timeout(SHUTDOWN_CALLS_MS);
    for (const r of runs) await this.expire(r.subsession, signal);
    const ids = runs.map((r) => r.id);
    if (this.foreground !== null) ids.push(this.foreground);
    try {
      // not ready first: the hub's scheduler, woken by the freed tasks, must not give them back here
      await this.session.call('host.updateHost', [0.0, false], undefined, { signal });
      if (ids.length) await this.session.call('host.freeTasks', [ids], undefined, { signal });
    } catch (e) {
      this.log.warn(`shutting down: ${(e as Error).message}`);
    }
    this.running.clear();
  }
}
