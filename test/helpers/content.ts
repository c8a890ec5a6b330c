/**
 * Content for hub and CLI tests, written straight into the database (there is no build import
 * yet): packages, completed builds (with an event of their own) and rpminfo rows, repos and
 * external repos.
 */
import { createHash } from 'node:crypto';
import type { TestHub } from './hub.ts';

async function one<T>(hub: TestHub, sql: string, params: unknown[] = []): Promise<T> {
  const r = await hub.db.rawQuery(sql, params);
  return r.rows[0] as T;
}

/** A new event (as every hub change gets one). */
export async function newEvent(hub: TestHub): Promise<number> {
  return (await one<{ e: number }>(hub, 'SELECT get_event() AS e')).e;
}

export async function packageId(hub: TestHub, name: string): Promise<number> {
  const row = await one<{ id: number } | undefined>(hub, 'SELECT id FROM package WHERE name = $1', [name]);
  if (row) return row.id;
  return (await one<{ id: number }>(hub, 'INSERT INTO package (name) VALUES ($1) RETURNING id', [name])).id;
}

export interface BuildSpec {
  owner?: string;
  state?: number;
  epoch?: number | null;
  volume?: number;
  /** seconds since the epoch */
  completion?: number;
  draft?: boolean;
}

/** Insert a build of `nvr` (package created as needed); returns the build id. */
export async function addBuild(hub: TestHub, nvr: string, o: BuildSpec = {}): Promise<number> {
  const m = /^(.+)-([^-]+)-([^-]+)$/.exec(nvr);
  if (!m) throw new Error(`bad nvr ${nvr}`);
  const [, name, version, release] = m;
  const pkg = await packageId(hub, name);
  const ev = await newEvent(hub);
  const owner = (await one<{ id: number }>(hub, 'SELECT id FROM users WHERE name = $1', [o.owner ?? 'kojiadmin'])).id;
  const state = o.state ?? 1;
  const row = await one<{ id: number }>(
    hub,
    `INSERT INTO build (volume_id, pkg_id, version, release, epoch, state, owner, create_event, completion_time)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, CASE WHEN $6 = 0 THEN NULL ELSE to_timestamp($9) END) RETURNING id`,
    [o.volume ?? 0, pkg, version, release, o.epoch ?? null, state, owner, ev, o.completion ?? 1700000000],
  );
  return row.id;
}

/** Insert rpminfo rows for a build: one per arch, named after the package unless given. */
export async function addRpms(hub: TestHub, buildId: number, arches: string[], name?: string): Promise<number[]> {
  const b = await one<{ name: string; version: string; release: string; epoch: number | null }>(
    hub,
    'SELECT p.name, b.version, b.release, b.epoch FROM build b JOIN package p ON p.id = b.pkg_id WHERE b.id = $1',
    [buildId],
  );
  const ids: number[] = [];
  for (const arch of arches) {
    const r = await one<{ id: number }>(
      hub,
      `INSERT INTO rpminfo (build_id, name, version, release, epoch, arch, draft, external_repo_id, payloadhash, size, buildtime)
       VALUES ($1, $2, $3, $4, $5, $6, false, 0, $7, 1024, 1700000000) RETURNING id`,
      [buildId, name ?? b.name, b.version, b.release, b.epoch, arch, createHash('md5').update(`${name ?? b.name}-${b.version}-${b.release}.${arch}`).digest('hex')],
    );
    ids.push(r.id);
  }
  return ids;
}

export async function addSig(hub: TestHub, rpmId: number, sigkey: string): Promise<void> {
  await hub.db.rawQuery("INSERT INTO rpmsigs (rpm_id, sigkey, sighash) VALUES ($1, $2, md5($2))", [rpmId, sigkey]);
}

/** A repo row for a tag (READY unless told), created at a new event; returns its id. */
export async function addRepo(hub: TestHub, tag: string, o: { state?: number; dist?: boolean; creation?: number } = {}): Promise<number> {
  const ev = await newEvent(hub);
  const r = await one<{ id: number }>(
    hub,
    `INSERT INTO repo (create_event, tag_id, state, dist, creation_time, begin_event)
     SELECT $1, id, $2, $3, to_timestamp($4), $1 FROM tag WHERE name = $5 RETURNING id`,
    [ev, o.state ?? 1, o.dist ?? false, o.creation ?? 1700000000 + ev, tag],
  );
  return r.id;
}

/** An external repo (its url at a new event); returns its id. */
export async function addExternalRepo(hub: TestHub, name: string, url: string): Promise<number> {
  const ev = await newEvent(hub);
  const r = await one<{ id: number }>(hub, 'INSERT INTO external_repo (name) VALUES ($1) RETURNING id', [name]);
  await hub.db.rawQuery("INSERT INTO external_repo_config (external_repo_id, url, create_event, creator_id) VALUES ($1, $2, $3, (SELECT id FROM users WHERE name = 'kojiadmin'))", [r.id, url, ev]);
  return r.id;
}

/** Link an external repo to a tag. */
export async function linkExternalRepo(hub: TestHub, tag: string, repo: string, priority: number, o: { mergeMode?: string; arches?: string | null } = {}): Promise<void> {
  const ev = await newEvent(hub);
  await hub.db.rawQuery(
    `INSERT INTO tag_external_repos (tag_id, external_repo_id, priority, merge_mode, arches, create_event, creator_id)
     SELECT t.id, e.id, $3, $4, $5, $6, (SELECT id FROM users WHERE name = 'kojiadmin') FROM tag t, external_repo e WHERE t.name = $1 AND e.name = $2`,
    [tag, repo, priority, o.mergeMode ?? 'koji', o.arches ?? null, ev],
  );
}
