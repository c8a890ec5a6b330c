/** The embedded driver: PostgreSQL compiled to WebAssembly (PGlite), data under a folder. */
import { resolve } from 'node:path';
import v8 from 'node:v8';
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

/**
 * PostgreSQL's shared buffers live in PGlite's WebAssembly memory, which is written as a whole
 * at start-up and never given back: the 128 MB initdb writes into postgresql.conf cost 128 MB
 * of resident memory in every process with a PGlite, before any query. 16 MB (2,048 pages)
 * holds the working set of a development hub; pages beyond it are read again from the files
 * (through the operating system's page cache). A -c option overrides postgresql.conf.
 */
export const PGLITE_SHARED_BUFFERS = '16MB';

/**
 * V8 compiles PGlite's hot functions again with its optimizing compiler in the background, by
 * default on as many threads as it likes; each thread's allocator keeps what the compilations
 * freed (~50 MB more resident memory for good). One background compilation at a time yields the
 * same machine code a little later. Set once, before the first PGlite compiles, unless node was
 * started with its own value.
 */
function limitWasmCompilationThreads(): void {
  if (process.execArgv.some((a) => a.includes('wasm-num-compilation-tasks'))) return;
  v8.setFlagsFromString('--wasm-num-compilation-tasks=1');
}

/** Folders opened by this process (a second PGlite on the same files would corrupt them too). */
const openHere = new Set<string>();

export async function openPglite(dataDir: string | null, timezone: string): Promise<Driver> {
  const dir = dataDir === null ? null : resolve(dataDir);
  if (dir !== null && openHere.has(dir)) throw new Error(`${dir} is already open in this process`);
  // refuses when another process has the folder open; see lock.ts
  const lock = dir === null ? null : lockFolder(dir);
  limitWasmCompilationThreads();
  let db: PGlite;
  try {
    db = await PGlite.create(dir ?? undefined, { parsers, startParams: [...PGlite.defaultStartParams, '-c', `shared_buffers=${PGLITE_SHARED_BUFFERS}`] });
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
