/** The PGlite driver's settings that keep a process small (README "Memory"). */
import { describe, expect, it } from 'vitest';
import { openPglite, PGLITE_SHARED_BUFFERS } from '../../src/db/pglite.ts';

describe('PGlite driver', () => {
  it('runs with 16 MB of shared buffers and the time zone asked for', async () => {
    const db = await openPglite(null, 'Europe/Prague');
    try {
      expect(PGLITE_SHARED_BUFFERS).toBe('16MB');
      expect((await db.rawQuery('SHOW shared_buffers')).rows).toEqual([{ shared_buffers: '16MB' }]);
      expect((await db.rawQuery('SHOW TimeZone')).rows).toEqual([{ TimeZone: 'Europe/Prague' }]);
    } finally {
      await db.close();
    }
  });
});
