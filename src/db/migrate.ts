/**
 * Numbered SQL migrations (src/db/migrations/NNN_name.sql), shipped with the package and
 * applied in order, each in its own transaction that first takes an advisory lock and records
 * itself in kojits_migrations — two hubs starting at once cannot both apply one.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import type { Driver } from './types.ts';
import { Sql } from './types.ts';

const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations/', import.meta.url));
const LOCK_KEY = 0x6b6f6a69; // "koji"

export interface Migration {
  id: number;
  name: string;
  sql: string;
}

export function listMigrations(dir = MIGRATIONS_DIR): Migration[] {
  return readdirSync(dir)
    .filter((f) => /^\d{3}_[\w-]+\.sql$/.test(f))
    .sort()
    .map((f) => ({ id: Number(f.slice(0, 3)), name: f.replace(/\.sql$/, ''), sql: readFileSync(join(dir, f), 'utf8') }));
}

/** Apply every migration not yet recorded; returns the names applied. */
export async function migrate(db: Driver, migrations = listMigrations()): Promise<string[]> {
  const sql = new Sql(db);
  await sql.execute(`CREATE TABLE IF NOT EXISTS kojits_migrations (
    id INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT NOW())`);
  const applied: string[] = [];
  for (const m of migrations) {
    const done = await db.transaction(async (tx) => {
      const t = new Sql(tx);
      await t.query('SELECT pg_advisory_xact_lock($1)', [LOCK_KEY]);
      if (await t.maybeOne('SELECT id FROM kojits_migrations WHERE id = $1', [m.id])) return false;
      await t.execute('INSERT INTO kojits_migrations (id, name) VALUES ($1, $2)', [m.id, m.name]);
      try {
        await tx.rawExec(m.sql);
      } catch (e) {
        throw new Error(`migration ${m.name} failed: ${(e as Error).message}`, { cause: e });
      }
      return true;
    });
    if (done) applied.push(m.name);
  }
  return applied;
}
