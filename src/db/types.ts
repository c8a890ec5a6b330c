/**
 * The one small interface both database drivers (PGlite, PostgreSQL server) implement.
 * SQL is plain parameterised PostgreSQL with `$1` placeholders; helpers below add the
 * usual one-row / one-value shapes.
 */
export type Row = Record<string, unknown>;
export type Params = readonly unknown[];

export interface RawQueryable {
  rawQuery<T extends Row = Row>(sql: string, params?: Params): Promise<{ rows: T[]; rowCount: number }>;
  /** Run several statements separated by semicolons, no parameters (migrations). */
  rawExec(sql: string): Promise<void>;
}

export interface Leadership {
  /** resolves when the lock is gone (connection lost) */
  lost: Promise<void>;
  release(): Promise<void>;
}

export interface Driver extends RawQueryable {
  readonly kind: 'pglite' | 'postgres';
  /** Run fn inside BEGIN … COMMIT on one connection; ROLLBACK when it throws. */
  transaction<T>(fn: (tx: RawQueryable) => Promise<T>): Promise<T>;
  /**
   * A transaction that runs alone among all writeTransactions of every process on this
   * database: it starts after the previous one committed or rolled back. Every change that
   * takes an event id runs in one, so event ids are handed out in commit order (a reader at
   * any event sees exactly the transactions with lower events) and check-then-write code sees
   * every earlier write. Waiting writers of one process queue in memory, not on connections.
   */
  writeTransaction<T>(fn: (tx: RawQueryable) => Promise<T>): Promise<T>;
  /**
   * Try to become the one holder of a named lock among all processes on this database (the
   * leader of periodic work). Null when another process holds it. The lock lasts until
   * `release` or until the holder's connection ends (its process died): then `lost` resolves.
   * PGlite belongs to one process, which always leads.
   */
  tryLeadership(key: number): Promise<Leadership | null>;
  /**
   * Call `onMessage` for every NOTIFY on `channel` from any process. Resolves to a function
   * that stops listening. PGlite (one process) has nothing to hear from: it never calls back.
   */
  listen(channel: string, onMessage: (payload: string) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

/**
 * A parameter that is not a single value (a struct, say, where a handler expected an id or a
 * name). Carries SQLSTATE 22023 (invalid_parameter_value) like the database's own refusals of
 * bad values, so callers treat both alike: the value came from outside.
 */
export class ParamValueError extends Error {
  readonly code = '22023';
}

function isSingleValue(v: unknown): boolean {
  if (v === null || typeof v !== 'object') return typeof v !== 'function' && typeof v !== 'symbol';
  // Float (valueOf), Date and bytes serialise themselves; other objects have no SQL form
  return v instanceof Date || v instanceof Uint8Array || typeof (v as { valueOf?: unknown }).valueOf === 'function' && (v as object).valueOf() !== v;
}

/** Refuse parameters without an SQL form (before a driver turns them into '[object Object]'). */
export function checkParams(params: Params | undefined): void {
  if (!params) return;
  params.forEach((p, i) => {
    const ok = Array.isArray(p) ? p.every((x) => !Array.isArray(x) && isSingleValue(x)) : isSingleValue(p);
    if (!ok) throw new ParamValueError(`parameter $${i + 1} is ${Array.isArray(p) ? 'a list holding structs' : 'a struct'} where a single value was expected`);
  });
}

/** Query helpers over any queryable (the pool, or one transaction). */
export class Sql {
  /**
   * Set by the hub for read-only calls: a memo of derived data that is flushed when anything
   * changes (see hub/memo.ts). Absent inside writing transactions.
   */
  memo?: { ticket(): number; get<T>(key: string): T | undefined; put(ticket: number, key: string, value: unknown): void };

  constructor(readonly raw: RawQueryable) {}

  async query<T extends Row = Row>(sql: string, params?: Params): Promise<T[]> {
    checkParams(params);
    return (await this.raw.rawQuery<T>(sql, params)).rows;
  }

  /** Rows changed by an INSERT/UPDATE/DELETE. */
  async execute(sql: string, params?: Params): Promise<number> {
    checkParams(params);
    return (await this.raw.rawQuery(sql, params)).rowCount;
  }

  async maybeOne<T extends Row = Row>(sql: string, params?: Params): Promise<T | null> {
    const rows = await this.query<T>(sql, params);
    if (rows.length > 1) throw new Error(`query returned ${rows.length} rows where at most one was expected: ${sql}`);
    return rows[0] ?? null;
  }

  async one<T extends Row = Row>(sql: string, params?: Params): Promise<T> {
    const row = await this.maybeOne<T>(sql, params);
    if (!row) throw new Error(`query returned no row where one was expected: ${sql}`);
    return row;
  }

  async value<T = unknown>(sql: string, params?: Params): Promise<T | null> {
    const row = await this.maybeOne(sql, params);
    if (!row) return null;
    return Object.values(row)[0] as T;
  }
}
