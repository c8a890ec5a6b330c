/**
 * Session rows cached for read-only calls, so validating a session usually costs no query.
 *
 * Correctness: every write that touches sessions, users or Kerberos principals flushes the
 * cache when its transaction commits — locally at once, and in other hub processes through
 * PostgreSQL NOTIFY (sent inside the transaction, so it is delivered exactly when the change is
 * visible). Calls that write always read the session from the database, inside their
 * transaction, so callnum checks for writes are exact; a read served from a cache entry a few
 * milliseconds stale can at worst pass where Koji would report an out-of-order callnum, which
 * for a read changes nothing. Entries also age out after `maxAgeMs`.
 */
import type { SessionRow } from './session.ts';

/** NOTIFY channel for cache invalidation between hub processes; payload 'sessions' or 'content'. */
export const CACHE_CHANNEL = 'kojits_cache';

interface Entry {
  row: SessionRow;
  key: string;
  hostip: string;
  at: number;
}

export class SessionCache {
  private readonly entries = new Map<number, Entry>();
  /** bumped on every flush; lookups that started before a flush must not fill the cache */
  private generation = 0;

  constructor(private readonly maxEntries = 10_000, private readonly maxAgeMs = 30_000) {}

  get(id: number, key: string, hostip: string): SessionRow | null {
    const e = this.entries.get(id);
    if (!e) return null;
    if (e.key !== key || e.hostip !== hostip || Date.now() - e.at > this.maxAgeMs) {
      this.entries.delete(id);
      return null;
    }
    // a copy: callers adjust fields (expired) on their own copy
    return { ...e.row, krb_principals: [...e.row.krb_principals] };
  }

  /** The generation to pass to `put` for a lookup starting now. */
  ticket(): number {
    return this.generation;
  }

  put(ticket: number, id: number, key: string, hostip: string, row: SessionRow): void {
    if (ticket !== this.generation) return;
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(id, { row: { ...row, krb_principals: [...row.krb_principals] }, key, hostip, at: Date.now() });
  }

  /** Update fields of a cached row after this process wrote them itself (update_time). */
  touch(id: number, fields: Partial<SessionRow>): void {
    const e = this.entries.get(id);
    if (e) Object.assign(e.row, fields);
  }

  flush(): void {
    this.generation += 1;
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }
}
