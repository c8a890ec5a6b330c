/** Open the database a hub is configured for: PGlite in a folder, or a PostgreSQL server URL. */
import { openPostgres } from './postgres.ts';
import type { Driver } from './types.ts';
import { migrate } from './migrate.ts';

export interface DbTarget {
  /** postgres:// URL of a server; null → PGlite */
  url: string | null;
  /** PGlite data folder (null = in memory) */
  pgliteDir?: string | null;
  timezone?: string;
  poolSize?: number;
}

export function defaultTimezone(): string {
  return process.env.TZ || Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

export async function openDatabase(t: DbTarget, opts: { migrate?: boolean } = {}): Promise<Driver> {
  const tz = t.timezone ?? defaultTimezone();
  // PGlite is imported only when used: a hub on a PostgreSQL server does not carry it
  const db = t.url ? await openPostgres(t.url, tz, t.poolSize) : await (await import('./pglite.ts')).openPglite(t.pgliteDir ?? null, tz);
  if (opts.migrate !== false) {
    try {
      await migrate(db);
    } catch (e) {
      await db.close();
      throw e;
    }
  }
  return db;
}
