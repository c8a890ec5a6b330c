/**
 * Databases for tests: every engine this run covers (PGlite always; the PostgreSQL server when
 * the global set-up found one), each test file getting fresh, migrated databases.
 */
import pg from 'pg';
import { inject } from 'vitest';
import { openDatabase } from '../../src/db/open.ts';
import type { Driver } from '../../src/db/types.ts';

export type Engine = 'pglite' | 'postgres';

export function engines(): Engine[] {
  return inject('pgAdminUrl') ? ['pglite', 'postgres'] : ['pglite'];
}

let counter = 0;

/** A fresh migrated database on `engine`, and the URL it lives at (null for PGlite). */
export async function freshDatabase(engine: Engine): Promise<{ db: Driver; url: string | null }> {
  if (engine === 'pglite') return { db: await openDatabase({ url: null }), url: null };
  const adminUrl = inject('pgAdminUrl');
  const name = `${inject('runId')}_${process.pid}_${++counter}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name} TEMPLATE ${inject('pgTemplate')}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return { db: await openDatabase({ url: url.href }), url: url.href };
}
