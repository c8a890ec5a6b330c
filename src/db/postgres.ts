/** The server driver: node-postgres pool against a PostgreSQL server (the production path). */
import pg from 'pg';
import type { Driver, Params, RawQueryable, Row } from './types.ts';
import { parsers } from './typeparsers.ts';

const typeOverrides = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    const p = parsers[oid];
    if (p && format !== 'binary') return p;
    return pg.types.getTypeParser(oid, format as 'text');
  },
};

function wrap(c: pg.Pool | pg.PoolClient): RawQueryable {
  return {
    async rawQuery<T extends Row>(sql: string, params?: Params) {
      const res = await c.query<T>({ text: sql, values: params as unknown[] | undefined, types: typeOverrides as pg.CustomTypesConfig });
      return { rows: res.rows, rowCount: res.rowCount ?? res.rows.length };
    },
    async rawExec(sql: string) {
      await c.query(sql);
    },
  };
}

export async function openPostgres(url: string, timezone: string, poolSize = 10): Promise<Driver> {
  const pool = new pg.Pool({ connectionString: url, max: poolSize, options: `-c TimeZone=${timezone}` });
  // fail fast with a clear message when the server is not there
  try {
    const c = await pool.connect();
    c.release();
  } catch (e) {
    await pool.end();
    throw new Error(`cannot connect to PostgreSQL at ${redact(url)}: ${(e as Error).message}`, { cause: e });
  }
  const base = wrap(pool);
  return {
    kind: 'postgres',
    rawQuery: base.rawQuery,
    rawExec: base.rawExec,
    async transaction<T>(fn: (tx: RawQueryable) => Promise<T>): Promise<T> {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const result = await fn(wrap(client));
        await client.query('COMMIT');
        return result;
      } catch (e) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw e;
      } finally {
        client.release();
      }
    },
    async close() {
      await pool.end();
    },
  };
}

export function redact(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
}
