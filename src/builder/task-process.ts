/**
 * Task processes as the daemon sees them: `bin/kojits _task` (with the daemon's node options)
 * started in its own process group (detached) with an IPC channel, stderr shared with the daemon. A process is started before it
 * is needed (the spare), so that taking a task does not wait for Node.js to load; it gets its task
 * with `start`. Stopping one stops its whole tree (proctree.killTree).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { kojitsCommand } from '../cmd/child.ts';
import type { FromTask, PrepareMessage, StartMessage, ToTask } from './ipc.ts';
import { killTree } from './proctree.ts';
import type { Outcome } from './run-task.ts';

export interface TaskProcessEvents {
  /** the process exited */
  exit(p: TaskProcess): void;
  /** a message came (polled, done) */
  message(p: TaskProcess, m: FromTask): void;
}

/** How long a new process may take to load (the first start after a change compiles the sources). */
const HELLO_TIMEOUT_MS = 120_000;

export class TaskProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  /** resolves when the process has loaded and waits for its task */
  readonly ready: Promise<void>;
  readonly exited: Promise<void>;
  exitCode: number | null = null;
  exitSignal: NodeJS.Signals | null = null;
  hasExited = false;
  /** what the task process reported at the end */
  outcome: Outcome | 'exit' | null = null;
  taskId: number | null = null;
  /** stopped by the daemon (cancel, shutdown): not a failure */
  killed = false;

  private constructor(child: ChildProcess, events: TaskProcessEvents) {
    this.child = child;
    this.pid = child.pid as number;
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exitCode = code;
        this.exitSignal = signal;
        this.hasExited = true;
        resolve();
        events.exit(this);
      });
    });
    this.ready = new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`task process ${this.pid} did not start within ${HELLO_TIMEOUT_MS / 1000} s`)), HELLO_TIMEOUT_MS);
      timer.unref();
      child.on('message', (m: FromTask) => {
        if (m.type === 'hello') {
          clearTimeout(timer);
          resolve();
          return;
        }
        if (m.type === 'done') this.outcome = m.outcome;
        events.message(this, m);
      });
      void this.exited.then(() => {
        clearTimeout(timer);
        reject(new Error(`task process ${this.pid} exited (${this.exitSignal ?? this.exitCode}) before it started`));
      });
    });
    // a spare that fails is noticed when it is used
    this.ready.catch(() => undefined);
  }

  static spawn(events: TaskProcessEvents): TaskProcess {
    const c = kojitsCommand(['_task']);
    const child = spawn(c.command, c.args, { detached: true, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    if (child.pid === undefined) throw new Error('cannot start a task process');
    return new TaskProcess(child, events);
  }

  private send(m: ToTask): void {
    if (this.child.connected) this.child.send(m, (e) => void e);
  }

  /** Let a spare process connect to the hub and load its handlers while it waits (once it is up). */
  prepare(m: PrepareMessage): void {
    this.ready.then(
      () => this.send(m),
      () => undefined,
    );
  }

  /** Give the process its task (once it is up: the caller need not wait for that); `onFailure` if it never comes up. */
  start(m: StartMessage, onFailure: (e: Error) => void): void {
    this.taskId = m.id;
    this.ready.then(
      () => this.send(m),
      (e: Error) => {
        if (!this.killed) onFailure(e);
      },
    );
  }

  /** An awaited subtask may have finished. */
  wake(): void {
    this.send({ type: 'wake' });
  }

  /** Stop the process and everything it started; resolves when they are gone. */
  async kill(graceMs = 2000): Promise<void> {
    this.killed = true;
    await killTree(this.pid, { pgid: this.pid, graceMs });
    if (!this.hasExited) {
      this.child.kill('SIGKILL');
      await this.exited;
    }
  }

  /** After it exited: stop what it left behind in its process group. */
  async reapGroup(): Promise<void> {
    await killTree(null, { pgid: this.pid, graceMs: 500 });
  }
}
