/**
 * One run of a supervised program: a child process in a process group of its own, with an IPC
 * channel it watches so that it stops when its supervisor is gone (see parent.ts), its output
 * read line by line, ready when a line of its standard output says so, stopped with SIGTERM and,
 * after a grace period, SIGKILL to its whole process group.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { SUPERVISED_ENV } from './parent.ts';

export interface ServiceSpec {
  /** short name: log prefix, log file name (`DIR/log/<name>.log`), messages */
  name: string;
  command: string;
  args: string[];
  /** added to the supervisor's environment */
  env?: Record<string, string>;
  cwd?: string;
  /** a line of standard output that says the service is ready */
  ready: RegExp;
  /** how long the service may take to print its ready line (default 120 s) */
  readyTimeoutMs?: number;
  /** how long it may take to stop after SIGTERM before it is killed (default 20 s) */
  stopTimeoutMs?: number;
}

export type Stream = 'stdout' | 'stderr';

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export function exitText(e: Exit): string {
  return e.signal ? `killed by ${e.signal}` : `exit code ${e.code}`;
}

export interface RunHooks {
  /** a line the program wrote; `ready` for the line that said it was ready */
  line(stream: Stream, line: string, ready: boolean): void;
}

/** Calls `fn` with each complete line of `input`, and with the rest when it ends. */
function lines(input: NodeJS.ReadableStream, fn: (l: string) => void): void {
  let rest = '';
  input.setEncoding('utf8');
  input.on('data', (d: string) => {
    const parts = (rest + d).split('\n');
    rest = parts.pop() as string;
    for (const p of parts) fn(p.replace(/\r$/, ''));
  });
  input.on('end', () => {
    if (rest) fn(rest);
    rest = '';
  });
}

export class ServiceRun {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly started = Date.now();
  /** resolves with the ready line; rejects when the process ends first or takes too long */
  readonly ready: Promise<string>;
  /** resolves when the process has ended and its output has been read */
  readonly exited: Promise<Exit>;
  /** the last lines it wrote to stderr (and stdout), for messages about a failed start */
  readonly tail: string[] = [];
  /** how it ended, once it has */
  exit: Exit | null = null;
  private stopping: Promise<Exit> | null = null;

  constructor(
    readonly spec: ServiceSpec,
    hooks: RunHooks,
  ) {
    this.child = spawn(spec.command, spec.args, {
      cwd: spec.cwd,
      env: { ...process.env, ...spec.env, [SUPERVISED_ENV]: '1' },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      // a process group of its own: a terminal's Ctrl-C reaches the supervisor only, which
      // stops the services in order; a kill after the grace period reaches the whole group
      detached: true,
    });
    // the supervisor waits for its services; the channel only tells them it is alive
    this.child.channel?.unref();
    let readyLine: (l: string) => void = () => undefined;
    let notReady: (e: Error) => void = () => undefined;
    this.ready = new Promise<string>((res, rej) => {
      readyLine = res;
      notReady = rej;
    });
    this.ready.catch(() => undefined);
    let isReady = false;
    const timer = setTimeout(() => notReady(new Error(`did not say it was ready within ${(spec.readyTimeoutMs ?? 120_000) / 1000} s`)), spec.readyTimeoutMs ?? 120_000);
    const onLine = (stream: Stream) => (l: string) => {
      this.tail.push(l);
      if (this.tail.length > 20) this.tail.shift();
      const saysReady = !isReady && stream === 'stdout' && spec.ready.test(l);
      if (saysReady) {
        isReady = true;
        clearTimeout(timer);
        readyLine(l);
      }
      hooks.line(stream, l, saysReady);
    };
    lines(this.child.stdout!, onLine('stdout'));
    lines(this.child.stderr!, onLine('stderr'));
    const spawnError = new Promise<Error>((res) => this.child.once('error', res));
    this.exited = new Promise<Exit>((res) => {
      // 'close': the process has ended and its stdout and stderr are read to the end
      this.child.once('close', (code, signal) => res({ code, signal }));
      void spawnError.then((e) => {
        this.tail.push(e.message);
        res({ code: 127, signal: null });
      });
    });
    this.pid = this.child.pid ?? -1;
    void this.exited.then((e) => {
      this.exit = e;
      clearTimeout(timer);
      if (!isReady) notReady(new Error(`ended before it was ready (${exitText(e)})`));
      // what the program left behind in its group (hub workers, a builder's task processes)
      if (this.pid > 0) {
        try {
          process.kill(-this.pid, 'SIGKILL');
        } catch {
          // nothing left
        }
      }
    });
  }

  /** SIGTERM (or `signal`), then SIGKILL to the process group after the spec's grace period. */
  stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<Exit> {
    if (this.stopping) return this.stopping;
    this.signal(signal);
    const timer = setTimeout(() => this.kill(), this.spec.stopTimeoutMs ?? 20_000);
    this.stopping = this.exited.finally(() => clearTimeout(timer));
    return this.stopping;
  }

  /** SIGKILL to the process and everything in its group. */
  kill(): void {
    this.signal('SIGKILL', true);
  }

  private signal(signal: NodeJS.Signals, group = false): void {
    if (this.pid <= 0 || this.child.exitCode !== null || this.child.signalCode !== null) return;
    try {
      process.kill(group ? -this.pid : this.pid, signal);
    } catch {
      // already gone
    }
  }
}
