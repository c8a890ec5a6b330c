/**
 * Content-model benchmark (part of `npm run bench`): seeds a Fedora-shaped data set on the
 * PostgreSQL server (bench/content-seed.ts: 20,000 packages, 100,000 builds, 400,000 RPMs, a
 * 4-level inheritance chain, 30,000 builds tagged in the base tag and a few thousand in each
 * child), then times the read calls Koji is slow at through a hub process and prints the first
 * (uncached) time and p50/p99 of repeats per call; then loads the point lookups (getBuild by
 * N-V-R, a multiCall of 50 getBuild) with autocannon; host.repoInit of the base tag (the repo
 * skeleton a newRepo task asks for); the seeding rate and the hub's RSS.
 * Repeated large listings come from the hub's reply cache (src/hub/reply-cache.ts).
 *
 * Environment: BENCH_WORKERS (hub processes, default 2), BENCH_SECONDS (load, default 10),
 * BENCH_POINT_CONNECTIONS (load, default 8, as the comparison with the stock hub).
 */
import pg from 'pg';
import { performance } from 'node:perf_hooks';
import { encodeCall } from '../src/protocol/encode.ts';
import { ClientSession } from '../src/protocol/client.ts';
import { startHubProcess } from './hub-process.ts';
import { BUILDS_PER_PACKAGE, PACKAGES, RPMS_PER_BUILD, seedContent } from './content-seed.ts';
import { load } from './load.ts';

const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 20);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const POINT_CONNECTIONS = Number(process.env.BENCH_POINT_CONNECTIONS ?? 8);

function pct(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
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

/** Fail when a reply (or a multicall entry of it) is a fault: load tools only count HTTP statuses. */
export async function expectNoFault(url: string, sc: { name: string; body: string }): Promise<string> {
  const text = await (await fetch(url, { method: 'POST', headers: { 'Content-Type': 'text/xml' }, body: sc.body })).text();
  if (text.includes('faultCode')) throw new Error(`${sc.name} answered a fault: ${text.slice(0, 400)}`);
  return text;
}

/** host.repoInit of the base tag, as a build host (rows read, files written, one transaction). */
async function timeRepoInit(url: string, adminPassword: string): Promise<string> {
  const admin = new ClientSession(url, { maxRetries: 0 });
  const host = new ClientSession(url, { maxRetries: 0 });
  try {
    await admin.login('kojiadmin', adminPassword);
    await admin.call('addHost', ['bench-repo-host', ['x86_64']]);
    await admin.call('kojits.setPassword', ['bench-repo-host', 'bench-repo-host-1']);
    await host.login('bench-repo-host', 'bench-repo-host-1');
    await host.call('exclusiveSession');
    const t = performance.now();
    const [repoId] = await host.call<[number, number]>('host.repoInit', ['f99']);
    const ms = performance.now() - t;
    const n = await admin.call<number>('listTaggedRPMS', ['f99'], { latest: true, inherit: true }).then((r) => (r as unknown as unknown[][])[0].length);
    return `  host.repoInit(f99): ${ms.toFixed(0)} ms for ${n} rpms in 2 arches (repo ${repoId})`;
  } finally {
    admin.close();
    host.close();
  }
}

/** Point-lookup bodies on the seeded data (also used by bench/compare-stock-hub.ts). */
export function pointLookups(nvr: string, nvrs: string[]): Array<{ name: string; body: string }> {
  return [
    { name: 'getBuild(NVR)', body: encodeCall('getBuild', [nvr]) },
    { name: `multiCall ${nvrs.length}× getBuild`, body: encodeCall('multiCall', [nvrs.map((n) => ({ methodName: 'getBuild', params: [n] }))]) },
  ];
}

export async function benchContent(pgAdminUrl: string, port: number): Promise<string[]> {
  const workers = Number(process.env.BENCH_WORKERS ?? 2);
  const hub = await startHubProcess('postgres', { pgAdminUrl, workers, port });
  const lines: string[] = [];
  let maxRss = 0;
  const sampleRss = () => (maxRss = Math.max(maxRss, hub.rssKiB()));
  try {
    const s = await seedContent(hub.dbUrl as string).catch((e: Error) => {
      throw new Error(`seeding failed: ${e.message}`, { cause: e });
    });
    // rows written behind the hubs' backs: tell their caches
    const db = new pg.Client({ connectionString: hub.dbUrl as string });
    await db.connect();
    await db.query(`NOTIFY kojits_cache, 'content'`);
    await db.end();
    sampleRss();
    lines.push(`content model on PostgreSQL (${workers} hub process${workers > 1 ? 'es' : ''}): ${PACKAGES} packages, ${PACKAGES * BUILDS_PER_PACKAGE} builds, ${PACKAGES * BUILDS_PER_PACKAGE * RPMS_PER_BUILD} rpms, 4-level inheritance`);
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
    lines.push(`  point lookups, autocannon, ${POINT_CONNECTIONS} connections, ${SECONDS}s each:`);
    lines.push(`  ${'call'.padEnd(36)} ${'req/s'.padStart(8)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)}`);
    for (const sc of pointLookups(s.sampleNvr, s.nvrs)) {
      await expectNoFault(hub.url, sc);
      await load(hub.url, sc, { connections: POINT_CONNECTIONS, duration: 2 }); // warm-up
      const r = await load(hub.url, sc, { connections: POINT_CONNECTIONS, duration: SECONDS });
      sampleRss();
      lines.push(`  ${sc.name.padEnd(36)} ${String(Math.round(r.rps)).padStart(8)} ${String(r.p50).padStart(8)} ${String(r.p99).padStart(8)}`);
      process.stdout.write(lines[lines.length - 1] + '\n');
    }
    lines.push(await timeRepoInit(hub.url, hub.adminPassword));
    process.stdout.write(lines[lines.length - 1] + '\n');
    sampleRss();
    lines.push(`  hub RSS peak during the run: ${Math.round(maxRss / 1024)} MiB`);
  } finally {
    await hub.stop();
  }
  return lines;
}
