/** The embedded driver: PostgreSQL compiled to WebAssembly (PGlite), data under a folder. */
import { resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import type { Driver, Params, RawQueryable, Row } from './types.ts';
import { parsers } from './typeparsers.ts';
import { lockFolder } from './lock.ts';

type PgliteLike = Pick<PGlite, 'query' | 'exec'>;

function wrap(q: PgliteLike): RawQueryable {
  return {
    async rawQuery<T extends Row>(sql: string, params?: Params) {
      const res = await q.query<T>(sql, params as unknown[] | undefined);
      return { rows: res.rows, rowCount: res.affectedRows ?? res.rows.length };
    },
    async rawExec(sql: string) {
      await q.exec(sql);
    },
  };
}

/** Folders opened by this process (a second PGlite on the same files would corrupt them too). */
const openHere = new Set<string>();

export async function openPglite(dataDir: string | null, timezone: string): Promise<Driver> {
  const dir = dataDir === null ? null : resolve(dataDir);
  if (dir !== null && openHere.has(dir)) throw new Error(`${dir} is already open in this process`);
  // refuses when another process has the folder open; see lock.ts
  const lock = dir === null ? null : lockFolder(dir);
  let db: PGlite;
  try {
    db = await PGlite.create(dir ?? undefined, { parsers });
    await db.exec(`SET TimeZone TO '${timezone.replace(/'/g, "''")}'`);
  } catch (e) {
    lock?.release();
    throw e;
  }
  if (dir !== null) openHere.add(dir);
  const base = wrap(db);
  let closed = false;
  return {
    kind: 'pglite',
    rawQuery: base.rawQuery,
    rawExec: base.rawExec,
    async transaction<T>(fn: (tx: RawQueryable) => Promise<T>): Promise<T> {
      return db.transaction(async (tx) => fn(wrap(tx)));
    },
    async listen() {
      // a PGlite database belongs to one process: there are no other hubs to hear from
      return async () => undefined;
    },
    async close() {
      if (closed) return;
      closed = true;
      try {
        await db.close();
      } finally {
        if (dir !== null) openHere.delete(dir);
        lock?.release();
      }
    },
  };
}
