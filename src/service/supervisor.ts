/**
 * A supervisor of long-running programs (the hub, the builder; later kojira and web), each a
 * child process that runs alone with only its own config (see process.ts):
 *
 * - start: the services in order, each once the one before it is ready; one that ends or
 *   times out before it is ready fails the start, and everything started is stopped again;
 * - logs: every line a service writes goes to `<logDir>/<name>.log` (with the supervisor's
 *   notes about it) and to the `output` callback (the console, prefixed `[name]`);
 * - restarts: a service that ends after its start is started again after a back-off (1 s,
 *   doubling up to 30 s; back to 1 s once a run lasted a minute);
 * - stop: the services in reverse order, each with SIGTERM and then SIGKILL after its grace
 *   period; kill() ends them all at once.
 */
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { exitText, ServiceRun, type Exit, type ServiceSpec, type Stream } from './process.ts';

export interface Backoff {
  initialMs: number;
  maxMs: number;
  /** a run that lasted this long resets the delay to initialMs */
  resetAfterMs: number;
}

export const DEFAULT_BACKOFF: Backoff = { initialMs: 1000, maxMs: 30_000, resetAfterMs: 60_000 };

export interface SupervisorOptions {
  services: ServiceSpec[];
  /** folder of the per-service log files; none when null */
  logDir: string | null;
  /** a line a service wrote; `ready` for the line that said it was ready */
  output?: (service: string, stream: Stream, line: string, ready: boolean) => void;
  /** the supervisor's own notes (restarts, exits) */
  note?: (line: string) => void;
  backoff?: Backoff;
}

/** A service that could not be started: its name, how it ended and its last lines. */
export class StartError extends Error {
  constructor(
    readonly service: string,
    readonly reason: string,
    readonly tail: string[],
  ) {
    super(`${service} could not start: ${reason}`);
  }
}

export type ServiceState = 'waiting' | 'starting' | 'ready' | 'restarting' | 'stopped';

export interface ServiceStatus {
  name: string;
  state: ServiceState;
  pid: number | null;
  /** starts after the first one */
  restarts: number;
  readyLine: string | null;
  lastExit: Exit | null;
}

interface Slot {
  spec: ServiceSpec;
  run: ServiceRun | null;
  state: ServiceState;
  restarts: number;
  /** consecutive failed runs, for the back-off */
  failures: number;
  readyLine: string | null;
  lastExit: Exit | null;
  timer: NodeJS.Timeout | null;
}

export class Supervisor {
  private readonly slots: Slot[];
  private stopping: Promise<void> | null = null;
  private readonly backoff: Backoff;
  private readonly logs = new Map<string, WriteStream>();

  constructor(private readonly o: SupervisorOptions) {
    this.slots = o.services.map((spec) => ({ spec, run: null, state: 'waiting', restarts: 0, failures: 0, readyLine: null, lastExit: null, timer: null }));
    this.backoff = o.backoff ?? DEFAULT_BACKOFF;
    if (o.logDir) mkdirSync(o.logDir, { recursive: true });
  }

  get stopped(): boolean {
    return this.stopping !== null;
  }

  /**
   * Start every service in order; resolves with their ready lines (by name) once all are ready,
   * or with null when stop() was called meanwhile. Throws StartError after stopping what it
   * started when one cannot start.
   */
  async start(): Promise<Map<string, string> | null> {
    for (const slot of this.slots) {
      if (this.stopping) break;
      const run = this.spawn(slot);
      try {
        await run.ready;
      } catch (e) {
        if (this.stopping) break;
        // ready fails when the process has ended, or when it took too long
        const reason = run.exit ? exitText(run.exit) : `it ${(e as Error).message}`;
        await this.stop();
        throw new StartError(slot.spec.name, reason, run.tail);
      }
    }
    if (this.stopping) {
      await this.stopping;
      return null;
    }
    return new Map(this.slots.map((s) => [s.spec.name, s.readyLine as string]));
  }

  /** Stop every service, last started first (each with SIGTERM, then SIGKILL after its grace period). */
  stop(): Promise<void> {
    if (this.stopping) return this.stopping;
    this.stopping = (async () => {
      for (const s of [...this.slots].reverse()) {
        if (s.timer) clearTimeout(s.timer);
        s.timer = null;
        const run = s.run;
        if (run) {
          this.log(s, `stopping (pid ${run.pid})`);
          const e = await run.stop();
          this.log(s, `stopped (${exitText(e)})`);
        }
        s.state = 'stopped';
      }
      await Promise.all([...this.logs.values()].map((w) => new Promise<void>((r) => w.end(r))));
      this.logs.clear();
    })();
    return this.stopping;
  }

  /** SIGKILL to every service still running (and what it started), and no more restarts. */
  kill(): Promise<void> {
    const stopping = this.stop();
    for (const s of this.slots) s.run?.kill();
    return stopping;
  }

  status(): ServiceStatus[] {
    return this.slots.map((s) => ({ name: s.spec.name, state: s.state, pid: s.run?.pid ?? null, restarts: s.restarts, readyLine: s.readyLine, lastExit: s.lastExit }));
  }

  private spawn(slot: Slot): ServiceRun {
    const { spec } = slot;
    slot.state = 'starting';
    const run = new ServiceRun(spec, {
      line: (stream, line, ready) => {
        this.file(spec.name, line);
        this.o.output?.(spec.name, stream, line, ready);
      },
    });
    slot.run = run;
    this.file(spec.name, `--- ${new Date().toISOString()} kojits up: started ${spec.name} (pid ${run.pid}): ${[spec.command, ...spec.args].join(' ')}`);
    run.ready.then(
      (line) => {
        slot.state = 'ready';
        slot.readyLine = line;
        if (slot.restarts) this.note(slot, `${spec.name} is running again (pid ${run.pid})`);
      },
      () => undefined,
    );
    void run.exited.then((exit) => this.exited(slot, run, exit));
    return run;
  }

  private exited(slot: Slot, run: ServiceRun, exit: Exit): void {
    if (slot.run !== run) return;
    slot.run = null;
    slot.lastExit = exit;
    if (this.stopping || slot.state === 'starting' && slot.restarts === 0) {
      // stopping, or the first start failed: start() reports it
      this.file(slot.spec.name, `--- ${new Date().toISOString()} kojits up: ${slot.spec.name} ended (${exitText(exit)})`);
      return;
    }
    const upMs = Date.now() - run.started;
    slot.failures = upMs >= this.backoff.resetAfterMs ? 1 : slot.failures + 1;
    const delay = Math.min(this.backoff.maxMs, this.backoff.initialMs * 2 ** (slot.failures - 1));
    slot.state = 'restarting';
    this.note(slot, `${slot.spec.name} (pid ${run.pid}) ended (${exitText(exit)}) after ${seconds(upMs)}; starting it again in ${seconds(delay)}`);
    slot.timer = setTimeout(() => {
      slot.timer = null;
      if (this.stopping) return;
      slot.restarts += 1;
      this.spawn(slot);
    }, delay);
  }

  private note(slot: Slot, line: string): void {
    this.file(slot.spec.name, `--- ${new Date().toISOString()} kojits up: ${line}`);
    this.o.note?.(line);
  }

  private log(slot: Slot, what: string): void {
    this.file(slot.spec.name, `--- ${new Date().toISOString()} kojits up: ${slot.spec.name} ${what}`);
  }

  private file(name: string, line: string): void {
    if (!this.o.logDir) return;
    let w = this.logs.get(name);
    if (!w) {
      w = createWriteStream(join(this.o.logDir, `${name}.log`), { flags: 'a' });
      // a full disk or a removed folder must not stop the services
      w.on('error', () => undefined);
      this.logs.set(name, w);
    }
    w.write(line + '\n');
  }
}

function seconds(ms: number): string {
  return ms < 10_000 ? `${Math.round(ms / 100) / 10} s` : `${Math.round(ms / 1000)} s`;
}
