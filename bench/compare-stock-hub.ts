/**
 * Side by side (a development tool, not a test): the stock Koji hub under gunicorn and
 * `kojits hub`, each with 2 worker processes, each on its own fresh database on the same
 * PostgreSQL server (stock: Koji's schemas/schema.sql; ours: our migrations), seeded with the same
 * content (bench/content-seed.ts), loaded in turns with the same request bodies; prints req/s per
 * round (min–max and median over the rounds) and the memory of each hub's processes.
 *
 *   KOJI_SRC=/path/to/unpacked/koji-1.35.3 node --import tsx bench/compare-stock-hub.ts
 *
 * Needs Debian's gunicorn python3-psycopg2 python3-requests python3-dateutil python3-defusedxml
 * python3-six python3-rpm (the stock hub runs from KOJI_SRC with /usr/bin/python3) and wrk
 * (falls back to autocannon without it). Nothing from the Koji tree is stored here.
 *
 * Our hub runs as bin/kojits runs it: compiled by esbuild on first start after a change
 * (bin/sources.mjs).
 *
 * Environment: CMP_SECONDS (per load, 10), CMP_ROUNDS (3), CMP_CONNECTIONS (8), CMP_WORKERS (2),
 * CMP_HUBS (stock,kojits), CMP_CALLS (getBuild,multiCall), KOJITS_TEST_PG (admin URL of the server),
 * BENCH_PACKAGES (size of the data set), CMP_KEEP_DBS=1 (databases koji_stock_bench_kept and
 * kojits_bench_kept are kept at the end, and reused without seeding when they exist: for
 * repeated runs while working on the hub).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { decodeResponse } from '../src/protocol/decode.ts';
import { isStruct } from '../src/protocol/values.ts';
import { dbUrlFor, describeContent, PACKAGES, seedContent, type Described } from './content-seed.ts';
import { expectNoFault, pointLookups } from './content.ts';
import { memoryOf, processTree, startHubProcess, type TreeMemory } from './hub-process.ts';
import { load } from './load.ts';

const KOJI_SRC = process.env.KOJI_SRC;
const PG_URL = process.env.KOJITS_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const SECONDS = Number(process.env.CMP_SECONDS ?? 10);
const ROUNDS = Number(process.env.CMP_ROUNDS ?? 3);
const CONNECTIONS = Number(process.env.CMP_CONNECTIONS ?? 8);
const WORKERS = Number(process.env.CMP_WORKERS ?? 2);
const HUBS = (process.env.CMP_HUBS ?? 'stock,kojits').split(',');
const CALLS = (process.env.CMP_CALLS ?? 'getBuild,multiCall').split(',');
const KEEP_DBS = Boolean(process.env.CMP_KEEP_DBS);
const PYTHON = '/usr/bin/python3';

interface Hub {
  label: string;
  url: string;
  pid: number;
  /** its database, to find the PostgreSQL backends that serve it */
  dbName: string;
  stop(): Promise<void>;
}

/** CPU time (user + system) of processes, in clock ticks (1/100 s). */
function cpuTicks(pids: number[]): number {
  let n = 0;
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      n += Number(f[11]) + Number(f[12]);
    } catch {
      /* gone */
    }
  }
  return n;
}

/** Server processes of the connections to a database (PostgreSQL runs on this machine). */
async function backendPids(dbName: string): Promise<number[]> {
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  try {
    return (await c.query('SELECT pid FROM pg_stat_activity WHERE datname = $1', [dbName])).rows.map((r) => r.pid as number);
  } finally {
    await c.end();
  }
}

async function adminQuery(sql: string): Promise<void> {
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

/** A database with stock Koji's schema and its admin user (id 1, like ours after `kojits init`). */
async function createStockDatabase(name: string): Promise<string> {
  const url = dbUrlFor(PG_URL, name);
  if (KEEP_DBS && (await describeContent(url).catch(() => null))) return url;
  await adminQuery(`DROP DATABASE IF EXISTS ${name}`);
  await adminQuery(`CREATE DATABASE ${name}`);
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query(readFileSync(join(KOJI_SRC as string, 'schemas/schema.sql'), 'utf8'));
    await c.query(`INSERT INTO users (name, status, usertype) VALUES ('kojiadmin', 0, 0)`);
    await c.query(`INSERT INTO user_perms (user_id, perm_id, creator_id) SELECT 1, id, 1 FROM permissions WHERE name = 'admin'`);
  } finally {
    await c.end();
  }
  return url;
}

/** libpq key=value string for psycopg2 from a postgres:// URL. */
function libpqDsn(url: string): string {
  const u = new URL(url);
  const parts = [`dbname=${u.pathname.slice(1)}`, `host=${u.hostname}`, `port=${u.port || '5432'}`];
  if (u.username) parts.push(`user=${decodeURIComponent(u.username)}`);
  if (u.password) parts.push(`password=${decodeURIComponent(u.password)}`);
  return parts.join(' ');
}

async function waitForHub(url: string, proc: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 60_000;
  let exited = false;
  proc.once('exit', () => (exited = true));
  while (Date.now() < deadline) {
    if (exited) throw new Error(`hub exited before answering:\n${log()}`);
    try {
      const text = await (await fetch(url, { method: 'POST', headers: { 'Content-Type': 'text/xml' }, body: '<?xml version="1.0"?><methodCall><methodName>getAPIVersion</methodName><params/></methodCall>' })).text();
      if (text.includes('<int>1</int>')) return;
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`hub did not answer within 60 s:\n${log()}`);
}

function stopProcess(proc: ChildProcess): Promise<void> {
  return new Promise((r) => {
    if (proc.exitCode !== null || proc.signalCode !== null) return r();
    proc.once('exit', () => r());
    proc.kill('SIGTERM');
  });
}

/** The stock hub: Koji's WSGI application from KOJI_SRC under gunicorn, with a hub.conf of its own. */
async function startStockHub(dbUrl: string, port: number): Promise<Hub> {
  const dir = mkdtempSync(join(tmpdir(), 'koji-stock-hub-'));
  writeFileSync(join(dir, 'hub.conf'), `[hub]\nDBConnectionString = ${libpqDsn(dbUrl)}\nKojiDir = ${join(dir, 'koji')}\nLogLevel = WARNING\n`);
  // gunicorn passes no per-application settings: tell Koji where its config is through the environ
  writeFileSync(
    join(dir, 'stock_hub_wsgi.py'),
    [
      'import os',
      'from kojihub.kojixmlrpc import application as koji_application',
      'def application(environ, start_response):',
      "    environ['koji.hub.ConfigFile'] = os.environ['KOJI_HUB_CONFIG']",
      "    environ['koji.hub.ConfigDir'] = os.environ['KOJI_HUB_CONFIG'] + '.d'",
      '    return koji_application(environ, start_response)',
      '',
    ].join('\n'),
  );
  let out = '';
  const proc = spawn(PYTHON, ['-m', 'gunicorn', '--workers', String(WORKERS), '--bind', `127.0.0.1:${port}`, '--chdir', dir, 'stock_hub_wsgi:application'], {
    env: { ...process.env, KOJI_HUB_CONFIG: join(dir, 'hub.conf'), PYTHONPATH: `${KOJI_SRC}:${dir}` },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  proc.stdout?.on('data', (d) => (out += d));
  proc.stderr?.on('data', (d) => (out += d));
  const url = `http://127.0.0.1:${port}/kojihub`;
  await waitForHub(url, proc, () => out);
  return {
    label: `stock Koji hub (gunicorn, ${WORKERS} workers)`,
    url,
    pid: proc.pid as number,
    dbName: new URL(dbUrl).pathname.slice(1),
    async stop() {
      await stopProcess(proc);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function startOurHub(port: number): Promise<{ hub: Hub; dbUrl: string }> {
  const h = await startHubProcess('postgres', { pgAdminUrl: PG_URL, workers: WORKERS, port, dbName: KEEP_DBS ? 'kojits_bench_kept' : undefined });
  const dbUrl = h.dbUrl as string;
  return { hub: { label: `kojits hub (HubWorkers=${WORKERS})`, url: h.url, pid: h.pid, dbName: new URL(dbUrl).pathname.slice(1), stop: () => h.stop() }, dbUrl };
}

/** wrk when installed (C, lighter on this small machine), else autocannon. Returns req/s. */
async function loadRps(url: string, sc: { name: string; body: string }, seconds: number): Promise<number> {
  if (spawnSync('wrk', ['--version']).error) return (await load(url, sc, { connections: CONNECTIONS, duration: seconds })).rps;
  const dir = mkdtempSync(join(tmpdir(), 'kojits-wrk-'));
  try {
    writeFileSync(join(dir, 'body.xml'), sc.body);
    writeFileSync(
      join(dir, 'post.lua'),
      `wrk.method = "POST"\nwrk.headers["Content-Type"] = "text/xml"\nlocal f = io.open("${join(dir, 'body.xml')}", "rb")\nwrk.body = f:read("*a")\nf:close()\n`,
    );
    const r = spawnSync('wrk', ['-t', '2', '-c', String(CONNECTIONS), '-d', `${seconds}s`, '--timeout', '30s', '-s', join(dir, 'post.lua'), url], { encoding: 'utf8' });
    const rps = /Requests\/sec:\s+([\d.]+)/.exec(r.stdout);
    const bad = /Non-2xx or 3xx responses: (\d+)/.exec(r.stdout);
    if (!rps) throw new Error(`wrk failed: ${r.stdout}${r.stderr}`);
    if (bad) throw new Error(`${sc.name}: ${bad[1]} non-2xx replies`);
    return Number(rps[1]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The two hubs must answer the same thing: same keys, same N-V-R. Prints differing keys. */
async function compareReplies(hubs: Hub[], sc: { name: string; body: string }): Promise<void> {
  const keys: Array<Set<string>> = [];
  for (const h of hubs) {
    const r = decodeResponse(await expectNoFault(h.url, sc));
    const v = r.ok ? r.value : null;
    const first = Array.isArray(v) ? (v[0] as unknown[])[0] : v;
    if (!isStruct(first)) throw new Error(`${h.label}: ${sc.name} did not return a build`);
    keys.push(new Set(Object.keys(first)));
  }
  if (keys.length === 2) {
    const only = (a: Set<string>, b: Set<string>) => [...a].filter((k) => !b.has(k));
    const [s, o] = keys;
    if (only(s, o).length || only(o, s).length) process.stdout.write(`  note: ${sc.name} keys only in stock: [${only(s, o)}], only in ours: [${only(o, s)}]\n`);
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const mib = (kib: number) => Math.round(kib / 1024);

function describeMemory(m: TreeMemory): string {
  const workers = m.childRss.reduce((a, b) => a + b, 0);
  return `RSS ${mib(m.parentRss + workers)} MiB (parent ${mib(m.parentRss)} + children ${m.childRss.map(mib).join(' + ')}), PSS ${mib(m.pss)} MiB`;
}

async function main(): Promise<void> {
  if (!KOJI_SRC || !existsSync(join(KOJI_SRC, 'kojihub/kojixmlrpc.py'))) {
    process.stderr.write('set KOJI_SRC to an unpacked Koji 1.35 source tree\n');
    process.exit(2);
  }
  const check = spawnSync(PYTHON, ['-c', 'import gunicorn, psycopg2, requests, dateutil, defusedxml, six, rpm'], { encoding: 'utf8' });
  if (check.status !== 0) {
    process.stderr.write(`${PYTHON} lacks a module the stock hub needs (apt-get install gunicorn python3-psycopg2 python3-requests python3-dateutil python3-defusedxml python3-six python3-rpm):\n${check.stderr}`);
    process.exit(2);
  }
  const hubs: Hub[] = [];
  const stockDb = KEEP_DBS ? 'koji_stock_bench_kept' : `koji_stock_bench_${process.pid}`;
  let samples: Described | null = null;
  /** seed a database, or find what an earlier run seeded in a kept one */
  const content = async (label: string, url: string): Promise<Described> => {
    const kept = KEEP_DBS ? await describeContent(url) : null;
    if (kept) return kept;
    const seeded = await seedContent(url);
    process.stdout.write(`${label}: seeded ${seeded.rows} rows in ${seeded.seconds.toFixed(1)} s\n`);
    return seeded;
  };
  try {
    if (HUBS.includes('stock')) {
      const url = await createStockDatabase(stockDb);
      samples = await content(`stock database ${stockDb}`, url);
      hubs.push(await startStockHub(url, 19300));
    }
    if (HUBS.includes('kojits')) {
      const ours = await startOurHub(19310);
      samples = await content('our database', ours.dbUrl);
      // written behind the hub's back: drop whatever its caches hold
      const c = new pg.Client({ connectionString: ours.dbUrl });
      await c.connect();
      await c.query(`NOTIFY kojits_cache, 'content'`);
      await c.end();
      hubs.push(ours.hub);
    }
    const s = samples as Described;
    const scenarios = pointLookups(s.sampleNvr, s.nvrs).filter((sc) => CALLS.some((c) => sc.name.startsWith(c)));
    for (const sc of scenarios) await compareReplies(hubs, sc);
    const rps = new Map<string, number[]>();
    const cpu = new Map<string, Array<[number, number]>>();
    const mem = new Map<string, TreeMemory>();
    const idle = new Map<string, TreeMemory>();
    for (const h of hubs) idle.set(h.label, memoryOf(h.pid));
    process.stdout.write(`${PACKAGES} packages; ${CONNECTIONS} connections, ${SECONDS} s per load, ${ROUNDS} rounds, hubs in turn\n`);
    for (let round = 1; round <= ROUNDS; round++) {
      for (const sc of scenarios) {
        for (const h of hubs) {
          await loadRps(h.url, sc, 2); // warm-up
          const hubPids = processTree(h.pid);
          const pgPids = await backendPids(h.dbName);
          const before = [cpuTicks(hubPids), cpuTicks(pgPids)];
          const r = await loadRps(h.url, sc, SECONDS);
          const requests = r * SECONDS;
          const key = `${sc.name}\t${h.label}`;
          rps.set(key, [...(rps.get(key) ?? []), r]);
          // ms of CPU per request (ticks are 10 ms)
          cpu.set(key, [...(cpu.get(key) ?? []), [((cpuTicks(hubPids) - before[0]) * 10) / requests, ((cpuTicks(pgPids) - before[1]) * 10) / requests]]);
          const m = memoryOf(h.pid);
          const prev = mem.get(h.label);
          if (!prev || m.parentRss + m.childRss.reduce((a, b) => a + b, 0) > prev.parentRss + prev.childRss.reduce((a, b) => a + b, 0)) mem.set(h.label, m);
          const [hubMs, pgMs] = (cpu.get(key) as Array<[number, number]>).at(-1) as [number, number];
          process.stdout.write(`  round ${round}  ${sc.name.padEnd(24)} ${h.label.padEnd(36)} ${Math.round(r).toString().padStart(6)} req/s   CPU/request: hub ${hubMs.toFixed(2)} ms, PostgreSQL ${pgMs.toFixed(2)} ms\n`);
        }
      }
    }
    process.stdout.write('\nreq/s, median (min–max) over the rounds\n');
    for (const sc of scenarios) {
      const cells = hubs.map((h) => {
        const xs = rps.get(`${sc.name}\t${h.label}`) as number[];
        return { h, med: median(xs), text: `${Math.round(median(xs))} (${Math.round(Math.min(...xs))}–${Math.round(Math.max(...xs))})` };
      });
      const ratio = cells.length === 2 ? `  ours/stock ${(cells[1].med / cells[0].med).toFixed(2)}×` : '';
      process.stdout.write(`  ${sc.name.padEnd(24)} ${cells.map((c) => `${c.h.label}: ${c.text}`).join('   ')}${ratio}\n`);
    }
    process.stdout.write('\nCPU ms per request, median over the rounds: hub processes + PostgreSQL backends\n');
    for (const sc of scenarios) {
      const cells = hubs.map((h) => {
        const xs = cpu.get(`${sc.name}\t${h.label}`) as Array<[number, number]>;
        const [a, b] = [median(xs.map((x) => x[0])), median(xs.map((x) => x[1]))];
        return `${h.label}: ${a.toFixed(2)} + ${b.toFixed(2)}`;
      });
      process.stdout.write(`  ${sc.name.padEnd(24)} ${cells.join('   ')}\n`);
    }
    process.stdout.write('\nmemory (after start-up; then the largest after a load)\n');
    for (const h of hubs) {
      process.stdout.write(`  ${h.label}\n    idle:       ${describeMemory(idle.get(h.label) as TreeMemory)}\n    after load: ${describeMemory(mem.get(h.label) as TreeMemory)}\n`);
    }
  } finally {
    for (const h of hubs) await h.stop();
    if (HUBS.includes('stock')) {
      if (!KEEP_DBS) await adminQuery(`DROP DATABASE IF EXISTS ${stockDb} WITH (FORCE)`);
    }
  }
}

await main();
