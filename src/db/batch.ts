/**
 * Point lookups coalesced into one query: lookups of the same kind asked for on the pool within
 * one turn of the event loop (the calls of a multicall, or concurrent requests) are answered by
 * a single statement over all their keys, flushed from `setImmediate` (so a lone lookup waits
 * for nothing but the current I/O phase). Only on the pool: inside a transaction a lookup must
 * see that transaction's own changes, so it runs alone there.
 */
import type { Driver, RawQueryable, Row } from './types.ts';
import { Sql } from './types.ts';

interface Waiter {
  resolve(row: Row | null): void;
  reject(e: unknown): void;
}

/** Runs one batch: the rows found, by the key they were asked with. */
export type BatchRunner = (sql: Sql, keys: string[][]) => Promise<Map<string, Row>>;

export const batchKey = (parts: readonly string[]) => parts.join('\0');

class Batch {
  private pending = new Map<string, { parts: string[]; waiters: Waiter[] }>();
  private scheduled = false;

  constructor(
    private readonly sql: Sql,
    private readonly run: BatchRunner,
  ) {}

  load(parts: string[]): Promise<Row | null> {
    return new Promise((resolve, reject) => {
      const key = batchKey(parts);
      const entry = this.pending.get(key);
      if (entry) entry.waiters.push({ resolve, reject });
      else this.pending.set(key, { parts, waiters: [{ resolve, reject }] });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => void this.flush());
      }
    });
  }

  private async flush(): Promise<void> {
    const batch = this.pending;
    this.pending = new Map();
    this.scheduled = false;
    try {
      const found = await this.run(this.sql, [...batch.values()].map((e) => e.parts));
      for (const [key, e] of batch) {
        const row = found.get(key) ?? null;
        // callers may change their row: each gets its own
        e.waiters.forEach((w, i) => w.resolve(row && i > 0 ? { ...row } : row));
      }
    } catch (err) {
      for (const e of batch.values()) for (const w of e.waiters) w.reject(err);
    }
  }
}

const batches = new WeakMap<RawQueryable, Map<BatchRunner, Batch>>();

function isPool(raw: RawQueryable): raw is Driver {
  return typeof (raw as Partial<Driver>).transaction === 'function';
}

/**
 * The row for `parts` (the key columns' values), looked up together with the other lookups of
 * the same runner in this turn when `sql` is the pool, alone in a transaction.
 */
export async function batchedLookup(sql: Sql, run: BatchRunner, parts: string[]): Promise<Row | null> {
  if (!isPool(sql.raw)) return (await run(sql, [parts])).get(batchKey(parts)) ?? null;
  let byRunner = batches.get(sql.raw);
  if (!byRunner) batches.set(sql.raw, (byRunner = new Map()));
  let batch = byRunner.get(run);
  if (!batch) byRunner.set(run, (batch = new Batch(new Sql(sql.raw), run)));
  return batch.load(parts);
}
