/** Open the database a hub is configured for: PGlite in a folder, or a PostgreSQL server URL. */
import { readlinkSync } from 'node:fs';
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

/**
 * The process time zone: TZ, else the zone /etc/localtime links to, else ICU's answer. (Asking
 * ICU first would page in ~5 MiB of its data in every hub process for one name.)
 */
export function defaultTimezone(): string {
  if (process.env.TZ) return process.env.TZ;
  try {
    const zone = /\/zoneinfo\/(.+)$/.exec(readlinkSync('/etc/localtime'))?.[1];
    if (zone) return zone;
  } catch {
    /* not a link: ask ICU */
  }
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
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
