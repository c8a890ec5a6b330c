/**
 * `npm run bench`: load on the hub over loopback with autocannon, against PostgreSQL (when the
 * server at 127.0.0.1:5432 answers) and PGlite. Prints requests/s, p50, p99 per call and the
 * hub's RSS before and after 100,000 requests. Not a test: figures go in README.
 *
 * Suites (BENCH_SUITES, default hub,content,scheduler,repos,builds; also web): see content.ts,
 * scheduler.ts, repos.ts, builds.ts and web.ts.
 *
 * Environment: BENCH_SECONDS (default 10), BENCH_CONNECTIONS (32), BENCH_WORKERS (hub processes
 * on PostgreSQL, default 2), BENCH_ENGINES (pglite,postgres), KOJITS_TEST_PG.
 */
import { encodeCall } from '../src/protocol/encode.ts';
import { ClientSession } from '../src/protocol/client.ts';
import { pgAnswers, startHubProcess, type HubProcess } from './hub-process.ts';
import { benchContent } from './content.ts';
import { benchScheduler } from './scheduler.ts';
import { benchRepos } from './repos.ts';
import { benchBuilds } from './builds.ts';
import { benchWeb } from './web.ts';
import { load as loadWith, type Scenario } from './load.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const PG_URL = process.env.KOJITS_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/postgres';

function load(url: string, s: Scenario, opts: { duration?: number; amount?: number }) {
  return loadWith(url, s, { ...opts, connections: CONNECTIONS });
}

const pgAvailable = () => pgAnswers(PG_URL);

async function scenarios(hub: HubProcess): Promise<Scenario[]> {
  const c = new ClientSession(hub.url, { maxRetries: 0 });
  await c.login('kojiadmin', hub.adminPassword);
  await c.call('addHost', ['bench-host.example.com', ['x86_64', 'aarch64']]);
  const names: string[] = [];
  for (let i = 0; i < 50; i++) names.push(`bench-user-${i}`);
  await c.multiCall(names.map((n) => ({ method: 'createUser', args: [n] })), { strict: true });
  const sinfo = c.sinfo as { 'session-id': number; 'session-key': string };
  // reads never record their callnum, so one value can be replayed (as Koji allows)
  const session = { 'Koji-Session-Id': String(sinfo['session-id']), 'Koji-Session-Key': sinfo['session-key'], 'Koji-Session-Callnum': '1000' };
  const multi = names.map((n) => ({ methodName: 'getUser', params: [n] }));
  c.close();
  return [
    { name: 'getAPIVersion', body: encodeCall('getAPIVersion', []) },
    { name: 'getLoggedInUser (session)', body: encodeCall('getLoggedInUser', []), headers: session },
    { name: 'getHost', body: encodeCall('getHost', ['bench-host.example.com']) },
    { name: 'multiCall 50× getUser', body: encodeCall('multiCall', [multi]) },
  ];
}

function fmt(n: number, w: number): string {
  return String(Math.round(n)).padStart(w);
}

async function benchEngine(engine: 'pglite' | 'postgres', port: number): Promise<string[]> {
  const workers = engine === 'postgres' ? Number(process.env.BENCH_WORKERS ?? 2) : 1;
  const hub = await startHubProcess(engine, { pgAdminUrl: PG_URL, workers, port });
  const lines: string[] = [];
  try {
    const list = await scenarios(hub);
    lines.push(`${engine} (${workers} hub process${workers > 1 ? 'es' : ''}, ${CONNECTIONS} connections, ${SECONDS}s each)`);
    lines.push(`  ${'call'.padEnd(28)} ${'req/s'.padStart(8)} ${'p50 ms'.padStart(7)} ${'p99 ms'.padStart(7)}`);
    for (const s of list) {
      await load(hub.url, s, { duration: 2 }); // warm-up
      const r = await load(hub.url, s, { duration: SECONDS });
      lines.push(`  ${s.name.padEnd(28)} ${fmt(r.rps, 8)} ${fmt(r.p50, 7)} ${fmt(r.p99, 7)}`);
      process.stdout.write(lines[lines.length - 1] + '\n');
    }
    const before = hub.rssKiB();
    await load(hub.url, list[1], { amount: 100_000 });
    const after = hub.rssKiB();
    const growth = ((after - before) / before) * 100;
    lines.push(`  hub RSS after warm-up ${Math.round(before / 1024)} MiB, after 100,000 more requests ${Math.round(after / 1024)} MiB (${growth >= 0 ? '+' : ''}${growth.toFixed(1)}%)`);
  } finally {
    await hub.stop();
  }
  return lines;
}

async function main(): Promise<void> {
  const wanted = (process.env.BENCH_ENGINES ?? 'postgres,pglite').split(',');
  const suites = (process.env.BENCH_SUITES ?? 'hub,content,scheduler,repos,builds').split(',');
  const out: string[] = [];
  let port = 19080;
  for (const engine of suites.includes('hub') ? (wanted as Array<'pglite' | 'postgres'>) : []) {
    if (engine === 'postgres' && !(await pgAvailable())) {
      out.push(`postgres: skipped (no server at ${PG_URL})`);
      continue;
    }
    out.push(...(await benchEngine(engine, port)));
    port += 10;
  }
  if (suites.includes('content')) {
    if (await pgAvailable()) out.push(...(await benchContent(PG_URL, port)));
    else out.push(`content model: skipped (no PostgreSQL server at ${PG_URL})`);
    port += 10;
  }
  if (suites.includes('scheduler')) {
    if (await pgAvailable()) out.push(...(await benchScheduler(PG_URL, port)));
    else out.push(`scheduler: skipped (no PostgreSQL server at ${PG_URL})`);
    port += 10;
  }
  if (suites.includes('repos')) {
    if (await pgAvailable()) out.push(...(await benchRepos(PG_URL, port)));
    else out.push(`repos: skipped (no PostgreSQL server at ${PG_URL})`);
    port += 10;
  }
  if (suites.includes('builds')) {
    if (await pgAvailable()) out.push(...(await benchBuilds(PG_URL, port)));
    else out.push(`builds: skipped (no PostgreSQL server at ${PG_URL})`);
    port += 10;
  }
  if (suites.includes('web')) {
    if (await pgAvailable()) out.push(...(await benchWeb(PG_URL, port)));
    else out.push(`web: skipped (no PostgreSQL server at ${PG_URL})`);
  }
  process.stdout.write('\n' + out.join('\n') + '\n');
}

await main();
