/**
 * Helpers for tests of snapshotTag and clone-tag: the snapshot methods in the test hub's
 * catalogue (until the lead registers them in api/index.ts), and completed builds written
 * straight into the database (there is no build import yet).
 */
import { buildRegistry } from '../../src/hub/api/index.ts';
import { snapshotMethods } from '../../src/hub/api/snapshot.ts';
import type { TestHub } from './hub.ts';

/** Until snapshotMethods is in the hub's catalogue, tests put it there themselves. */
export function ensureSnapshotMethods(hub: TestHub): void {
  if (!hub.hub.registry.get('snapshotTag')?.requires) hub.hub.registry = buildRegistry(snapshotMethods);
}

/** A completed build of `nvr`, straight into the database (there is no import yet). */
export async function addBuild(hub: TestHub, nvr: string): Promise<number> {
  const [, name, version, release] = /^(.+)-([^-]+)-([^-]+)$/.exec(nvr)!;
  await hub.db.rawQuery('INSERT INTO package (name) VALUES ($1) ON CONFLICT (name) DO NOTHING', [name]);
  const ev = (await hub.db.rawQuery('SELECT get_event() AS e')).rows[0] as { e: number };
  const r = await hub.db.rawQuery(
    `INSERT INTO build (volume_id, pkg_id, version, release, state, owner, create_event, completion_time)
     SELECT 0, p.id, $2, $3, 1, u.id, $4, now() FROM package p, users u WHERE p.name = $1 AND u.name = 'kojiadmin' RETURNING id`,
    [name, version, release, ev.e],
  );
  return (r.rows[0] as { id: number }).id;
}

