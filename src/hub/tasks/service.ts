/**
 * The scheduler as a long-running part of every hub process, with exactly one leader among all
 * hubs on a database (an advisory lock held on its own connection; when the leader dies its
 * connection ends and another hub takes over within `retryMs`). The leader runs a pass when
 * signalled (task created, freed or finished; host checked in) — coalesced, never two at once —
 * and every `tickMs` for the timeouts. Passes run in their own write transactions, never inside
 * a request's; on PGlite they queue with the requests' transactions for a moment only.
 */
import { SCHEDULER_LOCK } from '../../db/serial.ts';
import type { Leadership } from '../../db/types.ts';
import type { Hub } from '../types.ts';
import { schedulerPass, type PassResult } from './scheduler.ts';

export interface Clock {
  /** seconds since the epoch */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() / 1000 };

export interface SchedulerOptions {
  clock?: Clock;
  /** ms between passes without signals (timeouts) */
  tickMs?: number;
  /** ms between attempts to become leader */
  retryMs?: number;
  /** tests: run passes only through runNow (no signals, no ticks) */
  manual?: boolean;
  /** ms to wait after a signal for others of the same burst (default 5) */
  debounceMs?: number;
}

export class SchedulerService {
  private leadership: Leadership | null = null;
  private stopped = false;
  private running: Promise<void> | null = null;
  private again = false;
  private timer: NodeJS.Timeout | null = null;
  private retry: NodeJS.Timeout | null = null;
  private soon: NodeJS.Timeout | null = null;
  private readonly debounceMs: number;
  private unsubscribe: (() => void) | null = null;
  readonly clock: Clock;
  private readonly tickMs: number;
  private readonly retryMs: number;
  private readonly manual: boolean;
  /** the last pass's result (tests, scheduler-info) */
  last: PassResult | null = null;
  passes = 0;

  constructor(
    private readonly hub: Hub,
    o: SchedulerOptions = {},
  ) {
    this.clock = o.clock ?? systemClock;
    this.tickMs = o.tickMs ?? Math.min(hub.options.RunInterval, 5) * 1000;
    this.retryMs = o.retryMs ?? 5000;
    this.manual = o.manual ?? false;
    this.debounceMs = o.debounceMs ?? 5;
  }

  get isLeader(): boolean {
    return this.leadership !== null;
  }

  start(): void {
    if (!this.manual) this.unsubscribe = this.hub.signals.onScheduler(() => this.kick());
    void this.campaign();
  }

  private async campaign(): Promise<void> {
    if (this.stopped || this.leadership) return;
    try {
      this.leadership = await this.hub.db.tryLeadership(SCHEDULER_LOCK);
    } catch (e) {
      this.hub.log.warn({ err: (e as Error).message }, 'scheduler: cannot try for leadership');
    }
    if (this.stopped) {
      await this.leadership?.release();
      this.leadership = null;
      return;
    }
    if (!this.leadership) {
      this.retry = setTimeout(() => void this.campaign(), this.retryMs);
      this.retry.unref();
      return;
    }
    this.hub.log.info('scheduler: this hub process leads');
    void this.leadership.lost.then(() => {
      if (this.stopped) return;
      this.hub.log.warn('scheduler: leadership lost');
      this.leadership = null;
      void this.campaign();
    });
    if (!this.manual) this.kick();
  }

  /**
   * Run a pass soon: after `debounceMs`, so that the signals of a burst (a multicall making 500
   * tasks, many hosts checking in) make one pass; or right after the one running.
   */
  kick(): void {
    if (!this.leadership || this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.soon) return;
    this.soon = setTimeout(() => {
      this.soon = null;
      if (this.running) this.again = true;
      else this.running = this.loop().finally(() => (this.running = null));
    }, this.debounceMs);
  }

  private async loop(): Promise<void> {
    do {
      this.again = false;
      if (this.timer) clearTimeout(this.timer);
      try {
        this.last = await schedulerPass(this.hub, this.clock.now());
        this.passes += 1;
        const hosts = [...new Set(this.last.assigned.map((a) => a.host))];
        if (hosts.length) this.hub.signals.assigned(hosts);
        // freed tasks may go elsewhere at once; a long queue is taken FREE_TASK_LIMIT at a time
        if (this.last.freed.length || this.last.more) this.again = true;
      } catch (e) {
        this.hub.log.error({ err: e }, 'scheduler pass failed');
      }
    } while (this.again && !this.stopped && this.leadership);
    if (!this.stopped && this.leadership && !this.manual) {
      this.timer = setTimeout(() => this.kick(), this.tickMs);
      this.timer.unref();
    }
  }

  /** Run one pass now and return what it did (scheduler.doRun, tests). */
  async runNow(): Promise<PassResult | null> {
    if (!this.leadership) return null;
    while (this.running) await this.running;
    const pass = schedulerPass(this.hub, this.clock.now());
    this.running = pass.then(() => undefined, () => undefined).finally(() => (this.running = null));
    const r = await pass;
    this.last = r;
    this.passes += 1;
    const hosts = [...new Set(r.assigned.map((a) => a.host))];
    if (hosts.length) this.hub.signals.assigned(hosts);
    return r;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    if (this.timer) clearTimeout(this.timer);
    if (this.retry) clearTimeout(this.retry);
    if (this.soon) clearTimeout(this.soon);
    while (this.running) await this.running;
    await this.leadership?.release();
    this.leadership = null;
  }
}
