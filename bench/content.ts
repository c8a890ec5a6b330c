/**
 * Content-model benchmark (part of `npm run bench`): seeds a Fedora-shaped data set on the
 * PostgreSQL server — 20,000 packages, 100,000 builds, 400,000 RPMs, a 4-level inheritance
 * chain, 30,000 builds tagged in the base tag and a few thousand in each child — partly through
 * the hub API (tags, inheritance) and directly in the database where the API would need real
 * RPM files; then times the read calls Koji is slow at through a hub process, and prints
 * the first (uncached) time and p50/p99 of repeats per call, the seeding rate and the hub's RSS.
 * Repeated large listings come from the hub's reply cache (src/hub/reply-cache.ts).
 */
import pg from 'pg';
import { performance } from 'node:perf_hooks';
import { ClientSession } from '../src/protocol/client.ts';
import { encodeCall } from '../src/protocol/encode.ts';
import { startHubProcess, type HubProcess } from './hub-process.ts';

const PACKAGES = Number(process.env.BENCH_PACKAGES ?? 20_000);
const BUILDS_PER_PACKAGE = 5;
const RPMS_PER_BUILD = 4;
const BASE_TAGGED = Number(process.env.BENCH_BASE_TAGGED ?? 30_000);
const CHILD_TAGGED = 3_000;
const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 20);

function pct(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

async function seed(hub: HubProcess, dbUrl: string): Promise<{ seconds: number; rows: number; leaf: string; oldEvent: number; samplePkg: string; sampleNvr: string; sampleBuild: number }> {
  const t0 = performance.now();
  const c = new ClientSession(hub.url, { maxRetries: 0 });
  await c.login('kojiadmin', hub.adminPassword);
  await c.call('createTag', ['f99'], { arches: 'x86_64 aarch64' });
  await c.call('createTag', ['f99-updates'], { parent: 'f99' });
  await c.call('createTag', ['f99-updates-testing'], { parent: 'f99-updates' });
  await c.call('createTag', ['f99-build'], { parent: 'f99-updates-testing' });
  c.close();
  const db = new pg.Client({ connectionString: dbUrl });
  db.on('error', () => undefined); // the database is dropped at the end of the run
  await db.connect();
  const q = (sql: string, params: unknown[] = []) => db.query(sql, params);
  const tag = async (name: string) => (await q('SELECT id FROM tag WHERE name = $1', [name])).rows[0].id as number;
  const [base, upd, testing, leaf] = [await tag('f99'), await tag('f99-updates'), await tag('f99-updates-testing'), await tag('f99-build')];
  const ev = async () => (await q('SELECT get_event() AS e')).rows[0].e as number;
  await q('BEGIN');
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
  const rows = (await q(`SELECT (SELECT count(*) FROM build) + (SELECT count(*) FROM rpminfo) + (SELECT count(*) FROM tag_listing) + (SELECT count(*) FROM tag_packages) AS n`)).rows[0].n;
  const sample = (await q(`SELECT b.id, p.name, p.name || '-' || b.version || '-' || b.release AS nvr FROM build b JOIN package p ON p.id = b.pkg_id WHERE p.name = 'pkg-01234' ORDER BY b.id LIMIT 1`)).rows[0];
  await db.end();
  return { seconds: (performance.now() - t0) / 1000, rows: Number(rows), leaf: 'f99-build', oldEvent, samplePkg: sample.name, sampleNvr: sample.nvr, sampleBuild: sample.id };
}

/** Time one call over HTTP, counting the hub's work and the transfer (the reply is read, not parsed). */
async function timeCall(url: string, method: string, params: unknown[]): Promise<{ ms: number; bytes: number }> {
  const body = encodeCall(method, params as never);
  const t = performance.now();
  const res = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'text/xml' }, body });
  // read the bytes without decoding them into a string: the client's own parsing is not hub time
  const bytes = Buffer.from(await res.arrayBuffer());
  const ms = performance.now() - t;
  const head = bytes.subarray(0, 200).toString('utf8');
  if (head.includes('<fault>')) throw new Error(`${method} failed: ${bytes.subarray(0, 400).toString('utf8')}`);
  return { ms, bytes: bytes.length };
}

export async function benchContent(pgAdminUrl: string, port: number): Promise<string[]> {
  const hub = await startHubProcess('postgres', { pgAdminUrl, workers: 1, port });
  const lines: string[] = [];
  let maxRss = 0;
  const sampleRss = () => (maxRss = Math.max(maxRss, hub.rssKiB()));
  try {
    const dbUrl = (() => {
      const u = new URL(pgAdminUrl);
      u.pathname = `/kojits_bench_${process.pid}`;
      return u.href;
    })();
    const s = await seed(hub, dbUrl).catch((e: Error) => {
      throw new Error(`seeding failed: ${e.message}`, { cause: e });
    });
    sampleRss();
    lines.push(`content model on PostgreSQL: ${PACKAGES} packages, ${PACKAGES * BUILDS_PER_PACKAGE} builds, ${PACKAGES * BUILDS_PER_PACKAGE * RPMS_PER_BUILD} rpms, 4-level inheritance`);
    lines.push(`  seeded ${s.rows} rows in ${s.seconds.toFixed(1)} s (${Math.round(s.rows / s.seconds)} rows/s)`);
    const kw = (o: Record<string, unknown>) => ({ ...o, __starstar: true });
    const calls: Array<[string, string, unknown[]]> = [
      ['listTagged(leaf, inherit, latest)', 'listTagged', [s.leaf, kw({ inherit: true, latest: true })]],
      ['getLatestBuilds(leaf, package)', 'getLatestBuilds', [s.leaf, kw({ package: s.samplePkg })]],
      ['getBuild(NVR)', 'getBuild', [s.sampleNvr]],
      ['listRPMs(buildID)', 'listRPMs', [kw({ buildID: s.sampleBuild })]],
      ['getFullInheritance(leaf)', 'getFullInheritance', [s.leaf]],
      ['listTagged(base) at old event', 'listTagged', ['f99', kw({ event: s.oldEvent, latest: true })]],
      ['queryHistory(tag=leaf)', 'queryHistory', [kw({ tag: s.leaf })]],
    ];
    lines.push(`  ${'call'.padEnd(36)} ${'first ms'.padStart(8)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'reply'.padStart(9)}`);
    for (const [label, m, params] of calls) {
      const times: number[] = [];
      let bytes = 0;
      try {
        const first = await timeCall(hub.url, m, params);
        for (let i = 0; i < ITERATIONS; i++) {
          const r = await timeCall(hub.url, m, params);
          times.push(r.ms);
          bytes = r.bytes;
          sampleRss();
        }
        lines.push(`  ${label.padEnd(36)} ${first.ms.toFixed(1).padStart(8)} ${pct(times, 50).toFixed(1).padStart(8)} ${pct(times, 99).toFixed(1).padStart(8)} ${(bytes / 1024 / 1024).toFixed(1).padStart(6)} MB`);
      } catch (e) {
        lines.push(`  ${label.padEnd(36)} failed: ${(e as Error).message.slice(0, 120)}`);
      }
      process.stdout.write(lines[lines.length - 1] + '\n');
    }
    lines.push(`  hub RSS peak during the run: ${Math.round(maxRss / 1024)} MiB`);
  } finally {
    await hub.stop();
  }
  return lines;
}
