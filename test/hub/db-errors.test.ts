/** Database errors become Koji faults with plain words, on both engines' real errors. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GenericError, ParameterError } from '../../src/protocol/faults.ts';
import { databaseFault } from '../../src/hub/db-errors.ts';
import type { Driver } from '../../src/db/types.ts';
import { engines, freshDatabase } from '../helpers/db.ts';

describe.each(engines())('database errors on %s', (engine) => {
  let db: Driver;
  const faultOf = async (sql: string, params: unknown[] = []) => databaseFault(await db.rawQuery(sql, params).then(() => null, (e: unknown) => e));

  beforeAll(async () => {
    db = (await freshDatabase(engine)).db;
    await db.rawQuery(`INSERT INTO package (name) VALUES ('dup')`);
  });
  afterAll(async () => db?.close());

  it('unique violations name the object and the key', async () => {
    const f = await faultOf(`INSERT INTO package (name) VALUES ('dup')`);
    expect(f).toBeInstanceOf(GenericError);
    expect(f?.message).toBe('package with name "dup" already exists (a concurrent change may have created it); check and retry');
  });

  it('foreign keys, casts and ranges', async () => {
    expect((await faultOf('INSERT INTO user_perms (user_id, perm_id, creator_id) VALUES ($1, 1, $1)', [99999]))?.message).toMatch(/^user perms refers to something that does not exist/);
    const range = await faultOf('SELECT * FROM package WHERE id = $1', [2 ** 40]);
    expect(range).toBeInstanceOf(ParameterError);
    expect(range?.message).toMatch(/out of range/);
    const cast = await faultOf('SELECT $1::bigint', ['1.5']);
    expect(cast).toBeInstanceOf(ParameterError);
    expect(cast?.message).toMatch(/^invalid value: invalid input syntax for type bigint/);
  });

  it('other errors are not database faults', () => {
    expect(databaseFault(new TypeError('x'))).toBeNull();
    expect(databaseFault(Object.assign(new Error('x'), { code: 'ENOENT' }))).toBeNull();
  });
});
