/** The server driver: node-postgres pool against a PostgreSQL server (the production path). */
import { createHash } from 'node:crypto';
import pg from 'pg';
import type { Driver, Params, RawQueryable, Row } from './types.ts';
import { parsers } from './typeparsers.ts';
import { LOCK_NAMESPACE, Queue, WRITE_LOCK } from './serial.ts';

const typeOverrides = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    const p = parsers[oid];
    if (p && format !== 'binary') return p;
    return pg.types.getTypeParser(oid, format as 'text');
  },
};

/**
 * Statements with parameters are prepared once per connection (named by a short hash of their
 * text): the hub runs the same few hundred statements over and over.
 */
const statementNames = new Map<string, string>();
function statementName(sql: string): string {
  let name = statementNames.get(sql);
  if (!name) {
    name = 'k' + createHash('sha1').update(sql).digest('hex').slice(0, 20);
    if (statementNames.size < 5000) statementNames.set(sql, name);
  }
  return name;
}

function wrap(c: pg.Pool | pg.PoolClient): RawQueryable {
  return {
    async rawQuery<T extends Row>(sql: string, params?: Params) {
      const prepared = params && params.length > 0 ? { name: statementName(sql) } : {};
      const res = await c.query<T>({ text: sql, values: params as unknown[] | undefined, types: typeOverrides as pg.CustomTypesConfig, ...prepared });
      return { rows: res.rows, rowCount: res.rowCount ?? res.rows.length };
    },
    async rawExec(sql: string) {
      await c.query(sql);
    },
  };
}

export async function openPostgres(url: string, timezone: string, poolSize = 10): Promise<Driver> {
  // big listings sort tens of thousands of rows: give them memory instead of temp files
  const pool = new pg.Pool({ connectionString: url, max: poolSize, options: `-c TimeZone=${timezone} -c work_mem=32MB` });
  // fail fast with a clear message when the server is not there
  try {
    const c = await pool.connect();
    c.release();
  } catch (e) {
    await pool.end();
    throw new Error(`cannot connect to PostgreSQL at ${redact(url)}: ${(e as Error).message}`, { cause: e });
  }
  const base = wrap(pool);
  const listeners = new Set<pg.Client>();
  const writers = new Queue();
  async function transaction<T>(fn: (tx: RawQueryable) => Promise<T>, lock = false): Promise<T> {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      if (lock) await client.query('SELECT pg_advisory_xact_lock($1, $2)', [LOCK_NAMESPACE, WRITE_LOCK]);
      const result = await fn(wrap(client));
      await client.query('COMMIT');
      return result;
    } catch (e) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw e;
    } finally {
      client.release();
    }
  }
  return {
    kind: 'postgres',
    rawQuery: base.rawQuery,
    rawExec: base.rawExec,
    transaction: (fn) => transaction(fn),
    writeTransaction: (fn) => writers.run(() => transaction(fn, true)),
    async tryLeadership(key: number) {
      const client = new pg.Client({ connectionString: url });
      client.on('error', () => undefined);
      await client.connect();
      const got = (await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1, $2) AS ok', [LOCK_NAMESPACE, key])).rows[0]?.ok;
      if (!got) {
        await client.end().catch(() => undefined);
        return null;
      }
      listeners.add(client);
      const lost = new Promise<void>((r) => client.once('end', () => r()));
      return {
        lost,
        async release() {
          listeners.delete(client);
          await client.end().catch(() => undefined);
        },
      };
    },
    async listen(channel: string, onMessage: (payload: string) => void) {
      if (!/^[a-z_][a-z0-9_]*$/.test(channel)) throw new Error(`bad channel name ${channel}`);
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      client.on('notification', (n) => {
        if (n.channel === channel) onMessage(n.payload ?? '');
      });
      client.on('error', () => undefined);
      await client.query(`LISTEN ${channel}`);
      listeners.add(client);
      return async () => {
        listeners.delete(client);
        await client.end().catch(() => undefined);
      };
    },
    async close() {
      await Promise.all([...listeners].map((c) => c.end().catch(() => undefined)));
      await pool.end();
    },
  };
}

export function redact(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
}
