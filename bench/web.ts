/**
 * Web benchmark (part of `npm run bench`, BENCH_SUITES=web): the content data set of
 * bench/content-seed.ts (20,000 packages, 100,000 builds, 400,000 RPMs, 4-level inheritance) on
 * PostgreSQL, plus what the web shows besides content (a host, 200 users, a build target, a repo
 * of the leaf tag, 60,000 tasks), behind a hub process; `kojits web` in front of it as a process
 * with its own HTTP port. Every page type is fetched sequentially (a warm-up, then
 * BENCH_WEB_REQUESTS times) and timed end to end (the HTML read whole); then the same pages are
 * rendered by a WebApp in this process whose hub client times its calls, which gives the time a
 * page spends waiting for the hub (the union of its calls' spans, as pages make calls in
 * parallel) and how many requests and calls it makes.
 *
 * Environment: BENCH_WORKERS (hub processes, default 2), BENCH_WEB_REQUESTS (default 20),
 * BENCH_WEB_PAGES (comma-separated labels or page names, to time only some),
 * BENCH_WEB_KEEP_DB=1 (the database kojits_web_bench_kept is kept at the end and reused without
 * seeding when it exists: for repeated runs while working on the pages).
 */
import http from 'node:http';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { pino } from 'pino';
import { parseWebConfig } from '../src/config/web.ts';
import { ClientSession } from '../src/protocol/client.ts';
import type { XmlRpcStruct, XmlRpcValue } from '../src/protocol/values.ts';
import { WebApp } from '../src/web/app.ts';
import { describeContent, seedContent, type Described } from './content-seed.ts';
import { startHubProcess, type HubProcess } from './hub-process.ts';

const ROOT = new URL('..', import.meta.url).pathname;
const REQUESTS = Number(process.env.BENCH_WEB_REQUESTS ?? 20);
const KEEP_DB = 'kojits_web_bench_kept';
const HOST = 'bench-web-host.example.com';
const USERS = 200;
/** top-level build tasks, each with TASK_CHILDREN buildArch subtasks */
const TOP_TASKS = 20_000;
const TASK_CHILDREN = 2;
/** the page targets of the issue */
const TARGET_P50 = 100;
const TARGET_P99 = 300;

type Row = XmlRpcStruct;
const say = (s: string) => process.stdout.write(`${s}\n`);

function pct(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

/** The hub client of a WebApp that records how long its requests take and how many calls they carry. */
class TimedSession extends ClientSession {
  spans: Array<[number, number]> = [];
  calls = 0;

  override async callAny<T = XmlRpcValue>(method: string, args: XmlRpcValue[] = [], kwargs?: Record<string, XmlRpcValue>, o = {}): Promise<T> {
    const t = performance.now();
    if (method !== 'multiCall') this.calls++;
    else this.calls += (args[0] as unknown[]).length;
    try {
      return await super.callAny<T>(method, args, kwargs, o);
    } finally {
      this.spans.push([t, performance.now()]);
    }
  }

  reset(): void {
    this.spans = [];
    this.calls = 0;
  }

  /** ms covered by at least one request (calls made in parallel count once) */
  busy(): number {
    const s = [...this.spans].sort((a, b) => a[0] - b[0]);
    let total = 0;
    let end = -Infinity;
    for (const [a, b] of s) {
      if (b <= end) continue;
      total += b - Math.max(a, end);
      end = b;
    }
    return total;
  }
}

/** What the web shows besides the content set (made once per database), and the ids the pages show. */
async function addExtras(hub: HubProcess): Promise<{ taskID: number; hostID: number; targetID: number; repoID: number | null; rpmID: number; userID: number }> {
  // anonymous reads: a kept database has the admin password of the run that made it
  const admin = new ClientSession(hub.url, { maxRetries: 0 });
  try {
    let host = await admin.call<Row | null>('getHost', [HOST]);
    if (!host) {
      await admin.login('kojiadmin', hub.adminPassword);
      const t = performance.now();
      await admin.call('addHost', [HOST, ['x86_64', 'aarch64']]);
      const names = Array.from({ length: USERS }, (_, i) => `bench-web-user-${String(i).padStart(3, '0')}`);
      await admin.multiCall(names.map((n) => ({ method: 'createUser', args: [n] })), { strict: true });
      await admin.call('createBuildTarget', ['f99-candidate', 'f99-build', 'f99-updates-testing']);
      // one task made through the hub; the others are copies of its request, by SQL
      const sample = await admin.call<number>('makeTask', ['build', ['git://example.com/pkg-01234.git#abc', 'f99-candidate', {}]], { channel: 'default' });
      const db = new pg.Client({ connectionString: hub.dbUrl as string });
      await db.connect();
      try {
        const hostID = (await admin.call<Row>('getHost', [HOST])).id as number;
        const users = (await db.query(`SELECT min(id) AS lo, max(id) AS hi FROM users WHERE name LIKE 'bench-web-user-%'`)).rows[0];
        await db.query('BEGIN');
        // closed build tasks of the bench users, a day apart at most, with their buildArch children on the host
        await db.query(
          `INSERT INTO task (state, create_time, start_time, completion_time, channel_id, host_id, owner, method, request, arch, priority, weight)
           SELECT 2, now() - (i || ' s')::interval, now() - (i || ' s')::interval, now() - (i || ' s')::interval + '5 min', t.channel_id, NULL,
                  $2::int + (i % ($3::int - $2::int + 1)), 'build', t.request, 'noarch', 20, 0.2
             FROM task t CROSS JOIN generate_series(1, $4::int) i WHERE t.id = $1`,
          [sample, users.lo, users.hi, TOP_TASKS],
        );
        await db.query(
          `INSERT INTO task (state, create_time, start_time, completion_time, channel_id, host_id, parent, label, owner, method, request, arch, priority, weight)
           SELECT p.state, p.create_time, p.start_time, p.completion_time, p.channel_id, $2, p.id, a.arch, p.owner, 'buildArch', p.request, a.arch, 19, 1.5
             FROM task p CROSS JOIN (SELECT unnest(ARRAY['x86_64', 'aarch64']) AS arch LIMIT $3) a WHERE p.method = 'build' AND p.id <> $1`,
          [sample, hostID, TASK_CHILDREN],
        );
        await db.query('COMMIT');
        await db.query('ANALYZE task');
      } finally {
        await db.end();
      }
      // a repo of the leaf tag, as a build host makes it
      await admin.call('kojits.setPassword', [HOST, 'bench-web-host-1']);
      const hs = new ClientSession(hub.url, { maxRetries: 0 });
      try {
        await hs.login(HOST, 'bench-web-host-1');
        await hs.call('exclusiveSession');
        const [repoID] = await hs.call<[number, number]>('host.repoInit', ['f99-build']);
        await hs.call('host.repoDone', [repoID, {}]);
      } finally {
        hs.close();
      }
      say(`  web extras (host, ${USERS} users, target, ${TOP_TASKS * (1 + TASK_CHILDREN) + 1} tasks, a repo) in ${((performance.now() - t) / 1000).toFixed(1)} s`);
      host = await admin.call<Row>('getHost', [HOST]);
    }
    const task = (await admin.call<Row[]>('listTasks', [], { opts: { method: 'build', parent: null }, queryOpts: { order: '-id', limit: 1 } }))[0];
    const target = await admin.call<Row>('getBuildTarget', ['f99-candidate']);
    const repo = await admin.call<Row | null>('getRepo', ['f99-build']);
    const user = await admin.call<Row>('getUser', ['bench-web-user-007']);
    const rpm = (await admin.call<Row[]>('listRPMs', [], { arches: 'x86_64', queryOpts: { order: '-id', limit: 1 } }))[0];
    return { taskID: task.id as number, hostID: host.id as number, targetID: target.id as number, repoID: repo ? (repo.id as number) : null, rpmID: rpm.id as number, userID: user.id as number };
  } finally {
    admin.close();
  }
}

/** `kojits web` as a process on its own HTTP port, in front of the hub. */
async function startWebProcess(hubUrl: string, port: number): Promise<{ url: string; stop(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'kojits-bench-web-'));
  const conf = join(dir, 'web.conf');
  writeFileSync(conf, webConf(hubUrl, port));
  const child: ChildProcess = spawn(join(ROOT, 'bin/kojits'), ['web', '-c', conf], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (d) => {
      out += d;
      const m = /ready: (http:\/\/\S+\/koji\/)/.exec(out);
      if (m) resolve(m[1].replace(/\/koji\/$/, ''));
    });
    child.on('exit', (code) => reject(new Error(`web exited (${code}): ${out}`)));
  });
  return {
    url,
    stop: () =>
      new Promise<void>((r) => {
        child.once('exit', () => r());
        child.kill('SIGTERM');
        rmSync(dir, { recursive: true, force: true });
      }),
  };
}

function webConf(hubUrl: string, port: number): string {
  return `[web]\nSiteName = bench\nKojiHubURL = ${hubUrl}\nKojiFilesURL = http://127.0.0.1:${port}/kojifiles\nListenAddress = 127.0.0.1\nHTTPPort = ${port}\nLogLevel = ERROR\n`;
}

/** A WebApp in this process, on a loopback port, whose hub client is timed. */
async function startTimedWeb(hubUrl: string): Promise<{ url: string; hub: TimedSession; stop(): Promise<void> }> {
  const opts = parseWebConfig(webConf(hubUrl, 1), 'bench-web.conf');
  // as the web's own client (src/web/logins.ts hubClient), without a CA
  const hub = new TimedSession(hubUrl, { maxRetries: 1, retryInterval: 0.5, timeout: 120, anonRetry: true });
  const app = new WebApp({ opts, hub, log: pino({ level: 'silent' }) });
  const server = http.createServer(app.listener());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    hub,
    stop: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

async function fetchPage(url: string, label: string): Promise<{ ms: number; bytes: number }> {
  const t = performance.now();
  const res = await fetch(url, { redirect: 'manual' });
  const body = await res.arrayBuffer();
  const ms = performance.now() - t;
  if (res.status !== 200) throw new Error(`${label}: HTTP ${res.status}: ${Buffer.from(body).toString('utf8').replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').slice(0, 300)}`);
  return { ms, bytes: body.byteLength };
}

interface PageFigures {
  label: string;
  first: number;
  p50: number;
  p99: number;
  kb: number;
  hubP50: number;
  hubP99: number;
  requests: number;
  calls: number;
}

/** The pages, by label: every page type of the web on the data set. */
function pageList(s: Described, x: Awaited<ReturnType<typeof addExtras>>, tagID: number, pkgID: number, buildID: number): Array<[string, string]> {
  const pages: Array<[string, string]> = [
    ['summary', '/koji/'],
    ['tasks', '/koji/tasks'],
    ['tasks (all)', '/koji/tasks?state=all&view=flat'],
    ['taskinfo', `/koji/taskinfo?taskID=${x.taskID}`],
    ['builds', '/koji/builds'],
    ['builds (tag)', `/koji/builds?tagID=${tagID}`],
    ['builds (tag, page 2)', `/koji/builds?tagID=${tagID}&start=50`],
    ['builds (tag, by nvr)', `/koji/builds?tagID=${tagID}&order=nvr`],
    ['buildinfo', `/koji/buildinfo?buildID=${buildID}`],
    ['packages', '/koji/packages'],
    ['packages (tag)', `/koji/packages?tagID=${tagID}`],
    ['packageinfo', `/koji/packageinfo?packageID=${pkgID}`],
    ['rpminfo', `/koji/rpminfo?rpmID=${x.rpmID}`],
    ['tags', '/koji/tags'],
    ['taginfo', `/koji/taginfo?tagID=${tagID}`],
    ['buildtargets', '/koji/buildtargets'],
    ['buildtargetinfo', `/koji/buildtargetinfo?targetID=${x.targetID}`],
    ['users', '/koji/users'],
    ['userinfo', `/koji/userinfo?userID=${x.userID}`],
    ['userinfo (admin)', '/koji/userinfo?userID=1'],
    ['hosts', '/koji/hosts'],
    ['hostinfo', `/koji/hostinfo?hostID=${x.hostID}`],
    ['search (packages)', `/koji/search?terms=${encodeURIComponent('pkg-012*')}&type=package&match=glob`],
    ['search (builds)', `/koji/search?terms=${encodeURIComponent('pkg-012*-1.*')}&type=build&match=glob`],
    ['reports', '/koji/reports'],
    ['buildsbyuser', '/koji/buildsbyuser'],
    ['packagesbyuser', '/koji/packagesbyuser'],
    ['tasksbyuser', '/koji/tasksbyuser'],
    ['tasksbyhost', '/koji/tasksbyhost'],
    ['rpmsbyhost', '/koji/rpmsbyhost'],
    ['buildsbystatus', '/koji/buildsbystatus?days=-1'],
    ['buildsbytarget', '/koji/buildsbytarget?days=-1'],
  ];
  if (x.repoID !== null) pages.splice(16, 0, ['repoinfo', `/koji/repoinfo?repoID=${x.repoID}`]);
  void s;
  const only = process.env.BENCH_WEB_PAGES?.split(',').filter(Boolean);
  return only ? pages.filter(([label, path]) => only.some((o) => label === o || path.startsWith(`/koji/${o}`))) : pages;
}

export async function benchWeb(pgAdminUrl: string, port: number): Promise<string[]> {
  const workers = Number(process.env.BENCH_WORKERS ?? 2);
  const keep = Boolean(process.env.BENCH_WEB_KEEP_DB);
  const hub = await startHubProcess('postgres', { pgAdminUrl, workers, port, dbName: keep ? KEEP_DB : undefined });
  const lines: string[] = [];
  let web: Awaited<ReturnType<typeof startWebProcess>> | null = null;
  let timed: Awaited<ReturnType<typeof startTimedWeb>> | null = null;
  try {
    let s = await describeContent(hub.dbUrl as string);
    if (!s) {
      const seeded = await seedContent(hub.dbUrl as string);
      say(`  seeded ${seeded.rows} rows in ${seeded.seconds.toFixed(1)} s`);
      s = seeded;
    }
    const x = await addExtras(hub);
    // rows written behind the hubs' backs: tell their caches
    const db = new pg.Client({ connectionString: hub.dbUrl as string });
    await db.connect();
    await db.query(`NOTIFY kojits_cache, 'content'`);
    await db.end();
    const admin = new ClientSession(hub.url, { maxRetries: 0 });
    const leaf = await admin.call<Row>('getTag', [s.leaf]);
    const pkg = await admin.call<Row>('getPackage', [s.samplePkg]);
    const tagged = await admin.call<number>('count', ['listTagged', leaf.id as number], { inherit: true });
    admin.close();
    web = await startWebProcess(hub.url, port + 5);
    timed = await startTimedWeb(hub.url);
    const pages = pageList(s, x, leaf.id as number, pkg.id as number, s.sampleBuild);
    lines.push(`web (kojits web process in front of ${workers} hub process${workers > 1 ? 'es' : ''} on PostgreSQL; content set, ${TOP_TASKS * (1 + TASK_CHILDREN) + 1} tasks, ${USERS + 2} users; tag ${String(leaf.name)} shows ${tagged} builds with inheritance)`);
    lines.push(`  ${REQUESTS} requests per page one at a time after one warm-up ("first"); hub = the time the page waits for the hub (WebApp in this process, its calls timed); targets p50 < ${TARGET_P50} ms, p99 < ${TARGET_P99} ms`);
    lines.push(`  ${'page'.padEnd(22)} ${'first'.padStart(7)} ${'p50 ms'.padStart(7)} ${'p99 ms'.padStart(7)} ${'hub p50'.padStart(7)} ${'hub p99'.padStart(7)} ${'reqs'.padStart(4)} ${'calls'.padStart(5)} ${'KiB'.padStart(5)}`);
    say(lines.join('\n'));
    const figures: PageFigures[] = [];
    for (const [label, path] of pages) {
      try {
        const first = await fetchPage(`${web.url}${path}`, label);
        const times: number[] = [];
        for (let i = 0; i < REQUESTS; i++) times.push((await fetchPage(`${web.url}${path}`, label)).ms);
        // the same page in this process, its hub calls timed
        await fetchPage(`${timed.url}${path}`, label);
        const hubTimes: number[] = [];
        let requests = 0;
        let calls = 0;
        for (let i = 0; i < REQUESTS; i++) {
          timed.hub.reset();
          await fetchPage(`${timed.url}${path}`, label);
          hubTimes.push(timed.hub.busy());
          requests = timed.hub.spans.length;
          calls = timed.hub.calls;
        }
        const f: PageFigures = { label, first: first.ms, p50: pct(times, 50), p99: pct(times, 99), kb: first.bytes / 1024, hubP50: pct(hubTimes, 50), hubP99: pct(hubTimes, 99), requests, calls };
        figures.push(f);
        const miss = f.p50 >= TARGET_P50 || f.p99 >= TARGET_P99 ? '  MISSES TARGET' : '';
        const n = (v: number) => v.toFixed(v < 10 ? 1 : 0).padStart(7);
        lines.push(`  ${label.padEnd(22)} ${n(f.first)} ${n(f.p50)} ${n(f.p99)} ${n(f.hubP50)} ${n(f.hubP99)} ${String(requests).padStart(4)} ${String(calls).padStart(5)} ${f.kb.toFixed(0).padStart(5)}${miss}`);
      } catch (e) {
        lines.push(`  ${label.padEnd(22)} failed: ${(e as Error).message.slice(0, 200)}`);
      }
      say(lines[lines.length - 1]);
    }
    const misses = figures.filter((f) => f.p50 >= TARGET_P50 || f.p99 >= TARGET_P99);
    lines.push(`  ${figures.length} pages, ${misses.length ? `${misses.length} miss the targets: ${misses.map((f) => f.label).join(', ')}` : 'all within the targets'}; web + hub RSS after: ${Math.round(hub.rssKiB() / 1024)} MiB (hub)`);
  } finally {
    await timed?.stop();
    await web?.stop();
    await hub.stop();
  }
  return lines;
}
