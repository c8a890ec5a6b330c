/** The embedded driver: PostgreSQL compiled to WebAssembly (PGlite), data under a folder. */
import { PGlite } from '@electric-sql/pglite';
import type { Driver, Params, RawQueryable, Row } from './types.ts';
import { parsers } from './typeparsers.ts';

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

export async function openPglite(dataDir: string | null, timezone: string): Promise<Driver> {
  const db = await PGlite.create(dataDir ?? undefined, { parsers });
  await db.exec(`SET TimeZone TO '${timezone.replace(/'/g, "''")}'`);
  const base = wrap(db);
  return {
    kind: 'pglite',
    rawQuery: base.rawQuery,
    rawExec: base.rawExec,
    async transaction<T>(fn: (tx: RawQueryable) => Promise<T>): Promise<T> {
      return db.transaction(async (tx) => fn(wrap(tx)));
    },
    // PGlite runs one transaction at a time and every query waits for it: already serial
    async writeTransaction<T>(fn: (tx: RawQueryable) => Promise<T>): Promise<T> {
      return db.transaction(async (tx) => fn(wrap(tx)));
    },
    async tryLeadership() {
      let release!: () => void;
      const lost = new Promise<void>((r) => (release = r));
      return { lost, release: async () => release() };
    },
    async listen() {
      // a PGlite database belongs to one process: there are no other hubs to hear from
      return async () => undefined;
    },
    async close() {
      await db.close();
    },
  };
}
