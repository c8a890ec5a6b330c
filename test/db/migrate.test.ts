import { describe, expect, it } from 'vitest';
import { migrate, listMigrations } from '../../src/db/migrate.ts';
import { Sql } from '../../src/db/types.ts';
import { pgTimestampToPython } from '../../src/db/typeparsers.ts';
import { Float } from '../../src/protocol/values.ts';
import { engines, freshDatabase } from '../helpers/db.ts';

describe('timestamp text', () => {
  it('is Python str(datetime) with a tz offset', () => {
    expect(pgTimestampToPython('2024-03-12 00:06:28.541893-04')).toBe('2024-03-12 00:06:28.541893-04:00');
    expect(pgTimestampToPython('2024-03-12 00:06:28.5-04')).toBe('2024-03-12 00:06:28.500000-04:00');
    expect(pgTimestampToPython('2024-03-12 00:06:28+05:30')).toBe('2024-03-12 00:06:28+05:30');
    expect(pgTimestampToPython('2024-03-12 00:06:28')).toBe('2024-03-12 00:06:28');
  });
});

describe.each(engines())('migrations on %s', (engine) => {
  it('are recorded, idempotent and seed Koji data', async () => {
    const { db } = await freshDatabase(engine);
    try {
      const sql = new Sql(db);
      const recorded = await sql.query<{ name: string }>('SELECT name FROM kojits_migrations ORDER BY id');
      expect(recorded.map((r) => r.name)).toEqual(listMigrations().map((m) => m.name));
      expect(await migrate(db)).toEqual([]);
      const perms = await sql.query<{ id: number; name: string }>('SELECT id, name FROM permissions ORDER BY id');
      expect(perms.map((p) => p.name)).toEqual(['admin', 'appliance', 'dist-repo', 'host', 'image', 'image-import', 'livecd', 'maven-import', 'repo', 'sign', 'tag', 'target', 'win-admin', 'win-import', 'draft-promoter']);
      const channels = await sql.query<{ id: number; name: string }>('SELECT id, name FROM channels ORDER BY id');
      expect(channels.slice(0, 2)).toEqual([{ id: 1, name: 'default' }, { id: 2, name: 'createrepo' }]);
    } finally {
      await db.close();
    }
  });

  it('a failing migration is rolled back and named', async () => {
    const { db } = await freshDatabase(engine);
    try {
      await expect(migrate(db, [{ id: 999, name: '999_broken', sql: 'CREATE TABLE t999 (x int); SELECT nonsense FROM nowhere;' }])).rejects.toThrow('migration 999_broken failed');
      const sql = new Sql(db);
      expect(await sql.value("SELECT to_regclass('t999')")).toBeNull();
      expect(await sql.value('SELECT id FROM kojits_migrations WHERE id = 999')).toBeNull();
    } finally {
      await db.close();
    }
  });

  it('events are sequential; floats come back as Float and timestamps as text', async () => {
    const { db } = await freshDatabase(engine);
    try {
      const sql = new Sql(db);
      const a = await sql.value<number>('SELECT get_event()');
      const b = await sql.value<number>('SELECT get_event()');
      expect(b).toBe((a as number) + 1);
      const row = await sql.one("SELECT 2.0::float8 AS f, 5::bigint AS b, now() AS t, date_part('epoch', now()) AS ts");
      expect(row.f).toEqual(new Float(2));
      expect(row.b).toBe(5);
      expect(row.t).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{6})?[+-]\d\d:\d\d$/);
      expect(row.ts).toBeInstanceOf(Float);
    } finally {
      await db.close();
    }
  });

  it('transactions roll back on error and savepoints isolate failures', async () => {
    const { db } = await freshDatabase(engine);
    try {
      const sql = new Sql(db);
      await expect(db.transaction(async (tx) => {
        await tx.rawQuery("INSERT INTO channels (name) VALUES ('tx-test')");
        throw new Error('boom');
      })).rejects.toThrow('boom');
      expect(await sql.value("SELECT id FROM channels WHERE name = 'tx-test'")).toBeNull();
      await db.transaction(async (tx) => {
        await tx.rawQuery('SAVEPOINT a');
        await tx.rawQuery("INSERT INTO channels (name) VALUES ('sp-1')");
        await tx.rawQuery('ROLLBACK TO SAVEPOINT a');
        await tx.rawQuery("INSERT INTO channels (name) VALUES ('sp-2')");
      });
      expect(await sql.value("SELECT count(*)::int FROM channels WHERE name IN ('sp-1', 'sp-2')")).toBe(1);
    } finally {
      await db.close();
    }
  });
});
