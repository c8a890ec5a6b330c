/**
 * The content data set of the benchmarks, written with SQL only, so the same rows can go into a
 * koji-ts database and into one made from stock Koji's schema (the tables used here have the
 * same columns in both): 4 tags in an inheritance chain, 20,000 packages, 100,000 builds,
 * 400,000 RPMs, 30,000 builds tagged in the base tag over 30 events and 3,000 in each child.
 * Builds, tags and packages are owned by user 1 (the admin).
 */
import pg from 'pg';
import { performance } from 'node:perf_hooks';

export const PACKAGES = Number(process.env.BENCH_PACKAGES ?? 20_000);
export const BUILDS_PER_PACKAGE = 5;
export const RPMS_PER_BUILD = 4;
const BASE_TAGGED = Number(process.env.BENCH_BASE_TAGGED ?? 30_000);
const CHILD_TAGGED = 3_000;

export interface Seeded {
  seconds: number;
  rows: number;
  leaf: string;
  oldEvent: number;
  samplePkg: string;
  sampleNvr: string;
  sampleBuild: number;
  /** 50 N-V-Rs of different packages, for multicalls */
  nvrs: string[];
}

/** `postgres://…/postgres` with another database name. */
export function dbUrlFor(adminUrl: string, dbName: string): string {
  const u = new URL(adminUrl);
  u.pathname = `/${dbName}`;
  return u.href;
}

export type Described = Omit<Seeded, 'seconds' | 'oldEvent'>;

async function describe(db: pg.Client): Promise<Described> {
  const q = (sql: string, params: unknown[] = []) => db.query(sql, params);
  const rows = (await q(`SELECT (SELECT count(*) FROM build) + (SELECT count(*) FROM rpminfo) + (SELECT count(*) FROM tag_listing) + (SELECT count(*) FROM tag_packages) AS n`)).rows[0].n;
  const sample = (await q(`SELECT b.id, p.name, p.name || '-' || b.version || '-' || b.release AS nvr FROM build b JOIN package p ON p.id = b.pkg_id WHERE p.name = 'pkg-01234' ORDER BY b.id LIMIT 1`)).rows[0];
  const nvrs = (await q(`SELECT p.name || '-' || b.version || '-' || b.release AS nvr FROM build b JOIN package p ON p.id = b.pkg_id WHERE p.name LIKE 'pkg-01%' AND b.version = '1.2' ORDER BY p.name LIMIT 50`)).rows.map((r) => r.nvr as string);
  return { rows: Number(rows), leaf: 'f99-build', samplePkg: sample.name, sampleNvr: sample.nvr, sampleBuild: sample.id, nvrs };
}

/** The samples of a database seeded before (null when it holds no seeded content). */
export async function describeContent(dbUrl: string): Promise<Described | null> {
  const db = new pg.Client({ connectionString: dbUrl });
  await db.connect();
  try {
    const seeded = (await db.query(`SELECT 1 FROM tag WHERE name = 'f99-build'`)).rowCount;
    return seeded ? await describe(db) : null;
  } finally {
    await db.end();
  }
}

export async function seedContent(dbUrl: string): Promise<Seeded> {
  const t0 = performance.now();
  const db = new pg.Client({ connectionString: dbUrl });
  db.on('error', () => undefined); // the database may be dropped while we still hold it
  await db.connect();
  const q = (sql: string, params: unknown[] = []) => db.query(sql, params);
  const ev = async () => (await q('SELECT get_event() AS e')).rows[0].e as number;
  try {
    await q('BEGIN');
    const e0 = await ev();
    const tagIds: number[] = [];
    for (const [i, name] of ['f99', 'f99-updates', 'f99-updates-testing', 'f99-build'].entries()) {
      const id = (await q('INSERT INTO tag (name) VALUES ($1) RETURNING id', [name])).rows[0].id as number;
      await q('INSERT INTO tag_config (tag_id, arches, create_event, creator_id) VALUES ($1, $2, $3, 1)', [id, i === 0 ? 'x86_64 aarch64' : null, e0]);
      if (i > 0) {
        await q(
          `INSERT INTO tag_inheritance (tag_id, parent_id, priority, maxdepth, intransitive, noconfig, pkg_filter, create_event, creator_id)
           VALUES ($1, $2, 0, NULL, FALSE, FALSE, '', $3, 1)`,
          [id, tagIds[i - 1], e0],
        );
      }
      tagIds.push(id);
    }
    const [base, upd, testing, leaf] = tagIds;
    const e1 = await ev();
    await q(`INSERT INTO package (name) SELECT 'pkg-' || lpad(i::text, 5, '0') FROM generate_series(1, $1::int) i`, [PACKAGES]);
    const firstPkg = (await q(`SELECT min(id) AS id FROM package WHERE name LIKE 'pkg-%'`)).rows[0].id as number;
    // 5 builds per package, versions 1.0 … 1.4
    await q(
      `INSERT INTO build (pkg_id, version, release, state, owner, create_event, volume_id, start_time, completion_time)
       SELECT $1::int + (i % $2::int), '1.' || (i / $2::int), '1.fc99', 1, 1, $3::int, 0, now(), now() FROM generate_series(0, $2::int * $4::int - 1) i`,
      [firstPkg, PACKAGES, e1, BUILDS_PER_PACKAGE],
    );
    await q(
      `INSERT INTO rpminfo (build_id, name, version, release, arch, draft, external_repo_id, payloadhash, size, buildtime)
       SELECT b.id, p.name || CASE WHEN a.n = 0 THEN '' ELSE '-sub' || a.n END, b.version, b.release, a.arch, FALSE, 0, md5(b.id::text || a.arch), 123456, 1700000000
         FROM build b JOIN package p ON p.id = b.pkg_id
         CROSS JOIN (VALUES (0, 'src'), (0, 'x86_64'), (1, 'x86_64'), (2, 'noarch')) AS a(n, arch)
        WHERE p.name LIKE 'pkg-%'`,
    );
    await q(`INSERT INTO tag_packages (package_id, tag_id, blocked, create_event, creator_id) SELECT id, $1, FALSE, $2, 1 FROM package WHERE name LIKE 'pkg-%'`, [base, e1]);
    await q(`INSERT INTO tag_package_owners (package_id, tag_id, owner, create_event, creator_id) SELECT id, $1, 1, $2, 1 FROM package WHERE name LIKE 'pkg-%'`, [base, e1]);
    // a few packages blocked in the middle tag
    await q(`INSERT INTO tag_packages (package_id, tag_id, blocked, create_event, creator_id) SELECT id, $1, TRUE, $2, 1 FROM package WHERE name LIKE 'pkg-%' AND id % 200 = 0`, [upd, e1]);
    await q(`INSERT INTO tag_package_owners (package_id, tag_id, owner, create_event, creator_id) SELECT id, $1, 1, $2, 1 FROM package WHERE name LIKE 'pkg-%' AND id % 200 = 0`, [upd, e1]);
    // base: the first 30,000 builds, tagged over many events (history to query at an old event)
    const batches = 30;
    const per = Math.ceil(BASE_TAGGED / batches);
    let oldEvent = 0;
    for (let i = 0; i < batches; i++) {
      const e = await ev();
      if (i === batches / 2) oldEvent = e;
      await q(
        `INSERT INTO tag_listing (build_id, tag_id, create_event, creator_id)
         SELECT id, $1, $2, 1 FROM build WHERE pkg_id >= $3 ORDER BY id OFFSET $4 LIMIT $5`,
        [base, e, firstPkg, i * per, per],
      );
    }
    // children: newer builds of some packages
    for (const [t, offset] of [[upd, 40_000], [testing, 60_000], [leaf, 80_000]] as const) {
      const e = await ev();
      await q(`INSERT INTO tag_listing (build_id, tag_id, create_event, creator_id) SELECT id, $1, $2, 1 FROM build WHERE pkg_id >= $3 ORDER BY id OFFSET $4 LIMIT $5`, [t, e, firstPkg, offset, CHILD_TAGGED]);
    }
    await q('COMMIT');
    await q('ANALYZE');
    return { ...(await describe(db)), seconds: (performance.now() - t0) / 1000, oldEvent };
  } finally {
    await db.end();
  }
}
