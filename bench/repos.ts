/**
 * Repo generation end to end (part of `npm run bench`, BENCH_SUITES=repos): `kojits up` on a
 * fresh PostgreSQL database (hub, builder and kojira as processes, their shipped configuration),
 * BENCH_REPO_RPMS (default 10,000) small noarch RPMs from builds of 100 packages (repo-rpms.ts),
 * imported with importRPM through the protocol — the bench hard-links the files into the hub's
 * work/ folder instead of uploading them (same machine) — and tagged (one multicall of
 * tagBuildBypass, one commit) into the parent of a target's build tag. Measured with the hub's
 * timestamps (the bench runs on the same machine, same clock):
 *  (a) detection: the tagging commit → the newRepo task created (kojira follows the change);
 *  (b) total: the tagging commit → the repo READY, with the steps between; BENCH_REPO_ROUNDS
 *      times (default 3; the builds untagged in between), the median counts;
 *  (c) bare createrepo_c over the repo's own pkglist, same flags as the builder's, same run
 *      (before (b), after it, at the end: the median counts);
 *  (d) an unchanged tag's regeneration (newRepo, as `koji regen-repo`): call → READY;
 *  (e) one more package tagged (createrepo_c --update): commit → READY, and bare --update.
 */
import { spawn, execFileSync } from 'node:child_process';
import { cpSync, existsSync, linkSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import pg from 'pg';
import { ClientSession } from '../src/protocol/client.ts';
import type { XmlRpcStruct } from '../src/protocol/values.ts';
import { dataLayout } from '../src/setup/layout.ts';
import { benchRpms, type BenchBuild } from './repo-rpms.ts';

const ROOT = new URL('..', import.meta.url).pathname;
const COUNT = Number(process.env.BENCH_REPO_RPMS ?? 10_000);
const READY = 1;
const say = (s: string) => process.stdout.write(`${s}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const s2 = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

export interface Up {
  url: string;
  dataDir: string;
  dbUrl: string;
  kojiDir: string;
  adminPassword: string;
  stop(): Promise<void>;
}

/** `kojits up` on a fresh data folder and database; resolved at its ready line. */
export async function startUp(pgUrl: string, port: number, name = 'repos'): Promise<Up> {
  const dataDir = mkdtempSync(join(tmpdir(), `kojits-bench-${name}-`));
  const dbName = `kojits_bench_${name}_${process.pid}`;
  const admin = new pg.Client({ connectionString: pgUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${dbName}`);
  await admin.end();
  const u = new URL(pgUrl);
  u.pathname = `/${dbName}`;
  const args = [join(ROOT, 'bin/kojits'), 'up', '--data', dataDir, '--https-port', String(port), '--http-port', String(port + 1), '--listen', '127.0.0.1', '--db', u.href];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stderr.on('data', (d) => (out += d));
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d) => {
      out += d;
      // up's banner: "… ready: …; builder NAME ready; kojira ready"
      if (/; kojira ready/.test(out)) resolve();
    });
    child.once('exit', (code) => reject(new Error(`kojits up exited (${code}):\n${out}`)));
  });
  const L = dataLayout(dataDir);
  return {
    url: `http://127.0.0.1:${port + 1}/kojihub`,
    dataDir,
    dbUrl: u.href,
    kojiDir: L.kojiDir,
    adminPassword: readFileSync(L.adminPasswordFile, 'utf8').trim(),
    async stop() {
      await new Promise<void>((r) => {
        child.once('exit', () => r());
        child.kill('SIGTERM');
      });
      if (!process.env.BENCH_KEEP_DB) {
        // the builder's buildroots live outside a private (0700) data folder: see setup/configs.ts builderMockdir
        const mockdir = /^mockdir = (.*)$/m.exec(readFileSync(L.kojidConf, 'utf8'))?.[1];
        if (mockdir && !mockdir.startsWith(dataDir)) rmSync(mockdir, { recursive: true, force: true });
        rmSync(dataDir, { recursive: true, force: true });
        const c = new pg.Client({ connectionString: pgUrl });
        await c.connect();
        await c.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
        await c.end();
      } else say(`  kept ${dataDir} and database ${dbName}`);
    },
  };
}

/** Import the builds: files linked into work/bench-import/<build>/, importRPM in one multicall per build. */
async function importBuilds(admin: ClientSession, kojiDir: string, builds: BenchBuild[]): Promise<void> {
  for (const b of builds) {
    const dir = join(kojiDir, 'work', 'bench-import', b.name);
    mkdirSync(dir, { recursive: true });
    for (const f of [b.srpm, ...b.rpms]) {
      try {
        linkSync(f, join(dir, basename(f)));
      } catch {
        cpSync(f, join(dir, basename(f)));
      }
    }
    const calls = [b.srpm, ...b.rpms].map((f) => ({ method: 'importRPM' as const, args: [`bench-import/${b.name}`, basename(f)] }));
    await admin.multiCall(calls, { strict: true });
  }
}

interface RepoTimes {
  repo: XmlRpcStruct;
  /** ms since the epoch, hub clock */
  taskCreated: number;
  taskOpened: number;
  childCreated: number;
  childOpened: number;
  childDone: number;
  ready: number;
  taskDone: number;
}

/**
 * Wait for a READY repo of the tag made by a task other than `notTask`, then read its task
 * tree's times. The times are the hub's, so a slow poll costs no accuracy; a fast one would take
 * CPU from createrepo_c on a small machine.
 */
async function waitRepo(admin: ClientSession, tagId: number, minEvent: number, notTask: number | null = null): Promise<RepoTimes> {
  const fields = ['id', 'state', 'state_ts', 'task_id', 'create_event'];
  for (let i = 0; ; i++) {
    const rs = await admin.call<XmlRpcStruct[]>('repo.query', [[['tag_id', '=', tagId], ['state', '=', READY], ['create_event', '>=', minEvent]], fields]);
    const repo = rs.find((r) => r.task_id !== notTask);
    if (repo) {
      const task = await admin.call<XmlRpcStruct>('getTaskInfo', [repo.task_id]);
      for (let j = 0; task.completion_ts === null && j < 200; j++) {
        await sleep(100);
        Object.assign(task, await admin.call<XmlRpcStruct>('getTaskInfo', [repo.task_id]));
      }
      const kids = await admin.call<XmlRpcStruct[]>('getTaskChildren', [repo.task_id]);
      const ms = (v: unknown) => (v === null || v === undefined ? NaN : Number(v) * 1000);
      const first = (k: string, f: (a: number, b: number) => number) => (kids.length ? kids.map((c) => ms(c[k])).reduce(f) : NaN);
      return {
        repo,
        taskCreated: ms(task.create_ts),
        taskOpened: ms(task.start_ts),
        childCreated: first('create_ts', Math.min),
        childOpened: first('start_ts', Math.min),
        childDone: first('completion_ts', Math.max),
        ready: ms(repo.state_ts),
        taskDone: ms(task.completion_ts),
      };
    }
    if (i > 10 * 60 * 10) throw new Error(`no READY repo of tag ${tagId} after event ${minEvent}`);
    await sleep(250);
  }
}

/** The steps of a repo's task tree; `alone`: what a newRepo without subtasks did between its start and READY. */
function steps(t: RepoTimes, from: number, alone: string): string {
  const d = (a: number, b: number) => (Number.isNaN(a) || Number.isNaN(b) ? '-' : s2(b - a));
  if (Number.isNaN(t.childCreated)) return `newRepo created ${d(from, t.taskCreated)} → opened ${d(t.taskCreated, t.taskOpened)} → ${alone}, READY ${d(t.taskOpened, t.ready)}`;
  return `newRepo created ${d(from, t.taskCreated)} → opened ${d(t.taskCreated, t.taskOpened)} → repoInit, createrepo made ${d(t.taskOpened, t.childCreated)} → opened ${d(t.childCreated, t.childOpened)} → createrepo_c + upload ${d(t.childOpened, t.childDone)} → repoDone, READY ${d(t.childDone, t.ready)}`;
}

/** The newRepo task's own breakdown: the "steps:" line of its task.log (see builder/step-times.ts). */
function taskSteps(kojiDir: string, taskId: unknown): string {
  const id = Number(taskId);
  try {
    const text = readFileSync(join(kojiDir, 'work', 'tasks', String(id % 10000), String(id), 'task.log'), 'utf8');
    return /steps: (.*)$/m.exec(text)?.[1] ?? 'no steps line in its task.log';
  } catch (e) {
    return `task.log unreadable: ${(e as Error).message}`;
  }
}

/** Wall-clock ms of `createrepo_c` with the builder's flags over the repo's pkglist (out: a fresh folder). */
function bareCreaterepo(repoDir: string, arch: string, update: string | null): number {
  const out = mkdtempSync(join(tmpdir(), 'kojits-bench-bare-'));
  try {
    const args = ['--error-exit-val', '-vd', '-o', out, '-i', join(repoDir, arch, 'pkglist')];
    if (existsSync(join(repoDir, 'groups', 'comps.xml'))) args.push('-g', join(repoDir, 'groups', 'comps.xml'));
    if (update) {
      cpSync(update, join(out, 'repodata'), { recursive: true });
      args.push('--update');
    }
    const t0 = performance.now();
    execFileSync('createrepo_c', [...args, join(repoDir, arch)], { stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 256 << 20 });
    return performance.now() - t0;
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

/** How many times (b) runs (BENCH_REPO_ROUNDS, default 3). */
const BULK_ROUNDS = Math.max(1, Number(process.env.BENCH_REPO_ROUNDS ?? 3));

const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[(xs.length - 1) >> 1];

const lastEvent = async (c: ClientSession) => (await c.call<XmlRpcStruct>('getLastEvent')).id as number;

export async function benchRepos(pgUrl: string, port: number): Promise<string[]> {
  const lines = [`repos (PostgreSQL; kojits up: hub, builder and kojira processes as shipped; ${COUNT.toLocaleString('en')} RPMs)`];
  const out = (s: string) => {
    lines.push(`  ${s}`);
    say(`  ${s}`);
  };
  const builds = await benchRpms(COUNT, say);
  const extra = builds.pop() as BenchBuild;
  const up = await startUp(pgUrl, port);
  const admin = new ClientSession(up.url, { maxRetries: 0, timeout: 600 });
  try {
    await admin.login('kojiadmin', up.adminPassword);
    const t0 = performance.now();
    await importBuilds(admin, up.kojiDir, [...builds, extra]);
    out(`import: ${COUNT + 1} RPMs + ${builds.length + 1} SRPMs with importRPM (files linked into work/, one multicall per build) in ${s2(performance.now() - t0)}`);
    await admin.call('createTag', ['rb']);
    await admin.call('createTag', ['rb-build'], { parent: 'rb', arches: 'x86_64' });
    await admin.call('createBuildTarget', ['rb', 'rb-build', 'rb']);
    await admin.multiCall([...builds, extra].map((b) => ({ method: 'packageListAdd' as const, args: ['rb', b.name], kwargs: { owner: 'kojiadmin' } })), { strict: true });
    const tagId = (await admin.call<XmlRpcStruct>('getTag', ['rb-build'])).id as number;
    // as after any bulk load: the tables' statistics, so that autovacuum does not run during (b)
    const db = new pg.Client({ connectionString: up.dbUrl });
    await db.connect();
    await db.query('VACUUM ANALYZE');
    await db.end();
    // the empty tag's first repo (kojira requests it for the new target)
    const first = await waitRepo(admin, tagId, 0);

    // (c) a first bare createrepo_c before (b), on the same files laid out as repoInit does
    const pre = mkdtempSync(join(tmpdir(), 'kojits-bench-pre-'));
    mkdirSync(join(pre, 'x86_64'));
    symlinkSync(up.kojiDir, join(pre, 'x86_64', 'toplink'));
    const list = builds.flatMap((b) => b.rpms.map((f) => `toplink/packages/${b.name}/1/1/noarch/${basename(f)}\n`));
    writeFileSync(join(pre, 'x86_64', 'pkglist'), list.join(''));
    const bares = [bareCreaterepo(pre, 'x86_64', null)];
    rmSync(pre, { recursive: true, force: true });

    // (a), (b): the bulk tagging, one commit; BULK_ROUNDS times (untagged again in between: the
    // tag's repo goes back to an empty one), the median counts (a busy machine varies)
    let ev0 = 0;
    let bulk = first;
    let repoDir = '';
    const totals: number[] = [];
    for (let round = 1; round <= BULK_ROUNDS; round++) {
      if (round > 1) {
        const evu = (await lastEvent(admin)) + 1;
        await admin.multiCall(builds.map((b) => ({ method: 'untagBuildBypass' as const, args: ['rb', b.nvr] })), { strict: true });
        bulk = await waitRepo(admin, tagId, evu, bulk.repo.task_id as number);
        await sleep(2000);
      }
      ev0 = (await lastEvent(admin)) + 1;
      await admin.multiCall(builds.map((b) => ({ method: 'tagBuildBypass' as const, args: ['rb', b.nvr] })), { strict: true });
      const commit = Date.now();
      bulk = await waitRepo(admin, tagId, ev0, bulk.repo.task_id as number);
      totals.push(bulk.ready - commit);
      repoDir = join(up.kojiDir, 'repos', 'rb-build', String(bulk.repo.id));
      const pkgs = readFileSync(join(repoDir, 'x86_64', 'pkglist'), 'utf8').split('\n').filter(Boolean).length;
      const n = BULK_ROUNDS > 1 ? ` #${round}` : '';
      out(`(a)${n} detection: tagging commit → newRepo task created ${s2(bulk.taskCreated - commit)} (target < 2 s)`);
      out(`(b)${n} total: tagging commit → repo READY (${pkgs.toLocaleString('en')} packages) ${s2(bulk.ready - commit)}`);
      out(`    ${steps(bulk, commit, 'repoInit, createrepo_c (createrepo_inline), upload, repoDone')}`);
      out(`    in the task: ${taskSteps(up.kojiDir, bulk.repo.task_id)}`);
      // (c) bare createrepo_c on the same pkglist, once what follows READY is done (the task's
      // close, the builder's next spare task process), so that it runs alone like the first one
      await sleep(2000);
      if (round === 1) bares.push(bareCreaterepo(repoDir, 'x86_64', null));
    }

    // (d) an unchanged tag's regeneration
    const t1 = Date.now();
    const regenTask = await admin.call<number>('newRepo', ['rb-build']);
    const regen = await waitRepo(admin, tagId, ev0, bulk.repo.task_id as number);
    if (regen.repo.task_id !== regenTask) throw new Error(`the regenerated repo came from task ${String(regen.repo.task_id)}, not ${regenTask}`);
    out(`(d) unchanged tag, newRepo (regen-repo) call → READY ${s2(regen.ready - t1)} (target < 1 s)`);
    out(`    ${steps(regen, t1, 'repoInit, repodata copied, repoDone')}`);
    out(`    in the task: ${taskSteps(up.kojiDir, regen.repo.task_id)}`);

    // (e) one more package
    const ev1 = (await lastEvent(admin)) + 1;
    await admin.call('tagBuildBypass', ['rb', extra.nvr]);
    const commit1 = Date.now();
    const one = await waitRepo(admin, tagId, ev1, regen.repo.task_id as number);
    const oneDir = join(up.kojiDir, 'repos', 'rb-build', String(one.repo.id));
    out(`(e) one package more: tagging commit → READY ${s2(one.ready - commit1)} (createrepo_c --update)`);
    out(`    ${steps(one, commit1, 'repoInit, createrepo_c (createrepo_inline), upload, repoDone')}`);
    out(`    in the task: ${taskSteps(up.kojiDir, one.repo.task_id)}`);
    const bareUpdate = bareCreaterepo(oneDir, 'x86_64', join(repoDir, 'x86_64', 'repodata'));
    out(`    bare createrepo_c --update over the same pkglist ${s2(bareUpdate)}; ratio ${((one.ready - commit1) / bareUpdate).toFixed(2)}`);
    if (!existsSync(join(oneDir, 'x86_64', 'repodata', 'repomd.xml'))) throw new Error(`no repomd.xml in ${oneDir}`);
    // (c), reported last: a third bare run at the end, the median counts (a busy machine varies)
    bares.push(bareCreaterepo(repoDir, 'x86_64', null));
    const bare = median(bares);
    const total = median(totals);
    out(`(c) bare createrepo_c (same packages and flags; before (b), after the first (b), at the end) ${bares.map(s2).join(', ')}`);
    out(`    (b) totals ${totals.map(s2).join(', ')}; median (b) / median (c) = ${(total / bare).toFixed(2)} (target ≤ 1.2)`);
  } finally {
    admin.close();
    await up.stop();
  }
  return lines;
}
