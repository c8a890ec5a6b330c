/**
 * A latch for "something happened, look again": `notify()` wakes whoever waits, and a
 * notification that comes while nobody waits is kept for the next wait, so none is lost
 * between checking and sleeping. The daemon's loop waits on one (child processes exiting or
 * reporting, signals), as does a task process waiting for its subtasks (the daemon's wake-ups).
 */
export class Wakeup {
  private pending = false;
  private readonly waiters = new Set<() => void>();

  notify(): void {
    this.pending = true;
    for (const w of [...this.waiters]) w();
  }

  /** Consume a pending notification; true if there was one. */
  take(): boolean {
    const p = this.pending;
    this.pending = false;
    return p;
  }

  /** Wait up to `ms` for a notification (one already pending returns at once); true if notified. */
  wait(ms: number): Promise<boolean> {
    if (this.take()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (notified: boolean) => {
        clearTimeout(timer);
        this.waiters.delete(onNotify);
        if (notified) this.pending = false;
        resolve(notified);
      };
      const onNotify = () => done(true);
      const timer = setTimeout(() => done(false), Math.max(0, ms));
      this.waiters.add(onNotify);
    });
  }

  /**
   * An AbortSignal that aborts at the next notification (at once if one is pending), for a call
   * that should end when something happens here; `dispose` when the call is over.
   */
  abortOnNotify(): { signal: AbortSignal; dispose: () => void } {
    const ac = new AbortController();
    const onNotify = () => ac.abort(new WokenUp());
    this.waiters.add(onNotify);
    if (this.pending) onNotify();
    return { signal: ac.signal, dispose: () => this.waiters.delete(onNotify) };
  }
}

/** The reason of a call aborted by a notification. */
export class WokenUp extends Error {
  override name = 'WokenUp';
}
