/**
 * Compatibility check (a development tool, not a test): Koji's own repo daemons against a fresh
 * koji-ts hub. Starts `kojits hub` and a build host alone (not `kojits up`: our kojira must not
 * run), then the stock Python kojira from a Koji source tree, with a kojira.conf of Koji's keys
 * only (kojits init's, with short lifetimes so that expiry and deletion happen during the run).
 * A tag with extra `repo.auto = true` and `repo.lag = -600` (auto requests look repo.lag seconds
 * into the past, rounded down to 600 s: a negative lag points at the latest change) gets builds
 * tagged; the stock kojira's autoregen thread files repo requests, its regen thread runs the
 * hub's queue (`repo.checkQueue`), the build host runs newRepo/createrepo, the repo gets READY.
 * Then `newRepo` as `koji regen-repo` makes one, and the lifetimes expire and delete old repos.
 *
 *   KOJI_SRC=/path/to/unpacked/koji-1.35.3 node --import tsx scripts/run-stock-kojira.ts [options]
 *
 *   --builder ours|stock   the build host: `kojits builder` (default) or the stock Python kojid
 *                          (run as in run-stock-kojid.ts), which then runs the repo tasks
 *   --db postgres://HOST:PORT/DB   the hub on PostgreSQL (a fresh database, dropped afterwards)
 *   --port N               HTTPS port of the hub (N+1: plain HTTP); default 26443
 *   --timeout S            seconds to wait for each repo; default 120
 *   --keep                 keep the temporary folder (data folder, logs)
 *
 * Needs /usr/bin/python3 with python3-requests, -dateutil, -defusedxml (and kojid's modules for
 * --builder stock), createrepo_c, rpmbuild (test fixtures). Prints the repos made, the calls
 * stock kojira made (from its --debug-xmlrpc log) and every fault, traceback or error it logged.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import { ClientSession } from '../src/protocol/client.ts';
import type { XmlRpcStruct } from '../src/protocol/values.ts';
import { dataLayout } from '../src/setup/layout.ts';
import { buildFixture } from '../test/rpm/build-fixtures.ts';
import { callReport, freshPgDatabase, parseCalls, startHubAlone, startKojid, startService, stopKojid, stopProcess, writeStockKojidConf } from './stock-daemons.ts';

const KOJI_SRC = process.env.KOJI_SRC;
if (!KOJI_SRC || !existsSync(join(KOJI_SRC, 'util/kojira'))) {
  process.stderr.write('set KOJI_SRC to an unpacked Koji source tree (with util/kojira)\n');
  process.exit(2);
}
const { values: opt } = parseArgs({
  options: { builder: { type: 'string', default: 'ours' }, db: { type: 'string' }, port: { type: 'string', default: '26443' }, timeout: { type: 'string', default: '120' }, keep: { type: 'boolean', default: false } },
});
if (opt.builder !== 'ours' && opt.builder !== 'stock') throw new Error(`--builder is ours or stock, not ${opt.builder}`);

const READY = 1;
const STATES = ['INIT', 'READY', 'EXPIRED', 'DELETED', 'PROBLEM'];
const TAG = 'stock-auto';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const say = (s: string) => process.stdout.write(`${s}\n`);

/** kojira.conf: kojits init's keys, short lifetimes, a 5 s sleep. */
function writeKojiraConf(dataDir: string, work: string): string {
  const L = dataLayout(dataDir);
  const ours = readFileSync(L.kojiraConf, 'utf8');
  const keep = ours.split('\n').filter((l) => /^(server|topdir|cert|serverca|check_external_repos|ignore_other_volumes)\s*=/.test(l));
  const file = join(work, 'kojira.conf');
  writeFileSync(file, ['[kojira]', ...keep, `logfile = ${join(work, 'kojira.log')}`, 'sleeptime = 5', 'repo_lifetime = 20', 'expired_repo_lifetime = 10', 'recheck_period = 5', 'debug = True', ''].join('\n'));
  return file;
}

function startKojira(conf: string, work: string): ChildProcess {
  const args = [join(KOJI_SRC as string, 'util/kojira'), '--fg', '--force-lock', '--debug', '--debug-xmlrpc', '-c', conf];
  const err = openSync(join(work, 'kojira.err'), 'w');
  return spawn('/usr/bin/python3', args, { env: { ...process.env, PYTHONPATH: KOJI_SRC }, stdio: ['ignore', err, err], detached: true });
}

/** The first READY repo of TAG made at `minEvent` or later (by task `task` when given). */
async function waitRepo(admin: ClientSession, minEvent: number, what: string, gone: () => string | null, task?: number): Promise<XmlRpcStruct> {
  const t0 = Date.now();
  for (;;) {
    const clauses = [['tag_name', '=', TAG], ['state', '=', READY], ['create_event', '>=', minEvent], ...(task ? [['task_id', '=', task]] : [])];
    const rs = await admin.call<XmlRpcStruct[]>('repo.query', [clauses, ['id', 'create_event', 'task_id']]);
    if (rs.length) {
      say(`  ${what}: repo ${String(rs[0].id)} READY ${((Date.now() - t0) / 1000).toFixed(1)} s later (task ${String(rs[0].task_id)})`);
      return rs[0];
    }
    const why = gone();
    if (why) throw new Error(`${why} while waiting for ${what}`);
    if (Date.now() - t0 > Number(opt.timeout) * 1000) throw new Error(`no READY repo of ${TAG} at event ${minEvent} or later after ${opt.timeout} s (${what})`);
    await sleep(500);
  }
}

const lastEvent = async (c: ClientSession) => (await c.call<XmlRpcStruct>('getLastEvent')).id as number;

/** Koji's debug-xmlrpc lines of kojira: calls per method and faults. */
function kojiraReport(work: string): string[] {
  const log = readFileSync(join(work, 'kojira.log'), 'utf8');
  const text = log + readFileSync(join(work, 'kojira.err'), 'utf8');
  const calls = parseCalls(log, '', 'kojira');
  const lines = callReport(calls, 'kojira', new Map()).filter((l) => !/^\s+(start-up|first loop|taking a task):/.test(l));
  lines[0] = `stock kojira made ${calls.length} calls; ${calls.filter((c) => c.fault).length} answered with a fault`;
  const errors = text.split('\n').filter((l) => /\b(ERROR|CRITICAL|Traceback)\b/.test(l) && !/ koji:\d+ (body|data): /.test(l));
  lines.push(`kojira logged ${errors.length} error lines`);
  for (const l of [...new Set(errors)].slice(0, 15)) lines.push(`  ${l.slice(0, 300)}`);
  return lines;
}

async function main(): Promise<number> {
  const pgdb = opt.db ? await freshPgDatabase(opt.db) : null;
  const work = mkdtempSync(join(tmpdir(), 'kojits-stockkojira-'));
  const dataDir = join(work, 'data');
  const port = Number(opt.port);
  const L = dataLayout(dataDir);
  let hub: ChildProcess | null = null;
  let builder: ChildProcess | null = null;
  let kojid: ReturnType<typeof startKojid> | null = null;
  let kojira: ChildProcess | null = null;
  let ok = false;
  try {
    hub = await startHubAlone(dataDir, port, pgdb?.url ?? null, join(work, 'hub.log'));
    say(`hub ready on ${pgdb ? 'PostgreSQL' : 'PGlite'}; data folder ${dataDir}`);
    mkdirSync(join(L.kojiDir, 'repos'), { recursive: true });
    if (opt.builder === 'stock') {
      const conf = writeStockKojidConf(dataDir, work, { ignoreLoad: true });
      kojid = startKojid(KOJI_SRC as string, conf, work);
      say(`stock kojid started (pid ${kojid.proc.pid}): ${KOJI_SRC}/builder/kojid -c ${conf}`);
    } else {
      builder = await startService(['builder', '-c', L.kojidConf], join(work, 'builder.log'), { KOJITS_KOJID_MAX_LOAD_PER_CPU: '0' });
      say('kojits builder ready');
    }
    const admin = new ClientSession(`http://127.0.0.1:${port + 1}/kojihub`, { maxRetries: 0, timeout: 300 });
    await admin.login('kojiadmin', readFileSync(L.adminPasswordFile, 'utf8').trim());
    const arch = String((await admin.call<XmlRpcStruct[]>('listHosts'))[0].arches).split(' ')[0];
    for (const name of ['empty', 'extra']) {
      const f = buildFixture(name);
      for (const file of [f.srpm, ...f.rpms]) {
        await admin.uploadWrapper(file, `stock-kojira/${name}`);
        await admin.call('importRPM', [`stock-kojira/${name}`, basename(file)]);
      }
    }
    await admin.call('createTag', [TAG], { arches: arch, extra: { 'repo.auto': true, 'repo.lag': -600 } });
    for (const p of ['empty', 'extra']) await admin.call('packageListAdd', [TAG, p], { owner: 'kojiadmin' });
    const builds = (await admin.call<XmlRpcStruct[]>('listBuilds')).map((b) => String(b.nvr));
    say(`tag ${TAG} (arches ${arch}, extra repo.auto = true, repo.lag = -600); builds ${builds.join(', ')}`);

    const conf = writeKojiraConf(dataDir, work);
    kojira = startKojira(conf, work);
    say(`stock kojira started (pid ${kojira.pid}): ${KOJI_SRC}/util/kojira --fg --force-lock --debug --debug-xmlrpc -c ${conf}`);
    const exits: string[] = [];
    kojira.once('exit', (c, s) => exits.push(`stock kojira exited (${c ?? s})`));
    kojid?.proc.once('exit', (c, s) => exits.push(`stock kojid exited (${c ?? s})`));
    builder?.once('exit', (c, s) => exits.push(`kojits builder exited (${c ?? s})`));
    const gone = () => exits[0] ?? null;

    const first = await waitRepo(admin, 0, 'the empty tag (repo.auto)', gone);
    for (const [i, nvr] of builds.entries()) {
      const ev = (await lastEvent(admin)) + 1;
      await admin.call('tagBuildBypass', [TAG, nvr]);
      await waitRepo(admin, ev, `after tagging ${nvr} (${i + 1} of ${builds.length})`, gone);
    }
    const ev = await lastEvent(admin);
    const task = await admin.call<number>('newRepo', [TAG]);
    await waitRepo(admin, ev, `newRepo (regen-repo) task ${task}`, gone, task);
    // repo_lifetime 20 s, expired_repo_lifetime 10 s: the first repo goes EXPIRED, then DELETED
    const t0 = Date.now();
    let state = READY;
    while (Date.now() - t0 < Number(opt.timeout) * 1000 && state !== 3 && !gone()) {
      await sleep(1000);
      state = (await admin.call<XmlRpcStruct>('repoInfo', [first.id])).state as number;
    }
    const firstDir = join(L.kojiDir, 'repos', TAG, String(first.id));
    for (let i = 0; i < 60 && existsSync(firstDir); i++) await sleep(500);
    say(`  the first repo ${String(first.id)}: ${STATES[state]} after ${((Date.now() - t0) / 1000).toFixed(0)} s; its folder ${existsSync(firstDir) ? 'is still there' : 'was removed'}`);
    const all = await admin.call<XmlRpcStruct[]>('repo.query', [[['tag_name', '=', TAG]], ['id', 'state', 'task_id']]);
    say(`repos of ${TAG}: ${all.map((r) => `${String(r.id)} ${STATES[r.state as number]}`).join(', ')}`);
    const tasks: XmlRpcStruct[] = [];
    for (const method of ['newRepo', 'createrepo']) tasks.push(...(await admin.call<XmlRpcStruct[]>('listTasks', [{ method }])));
    const bad = tasks.filter((t) => t.state !== 2);
    say(`repo tasks: ${tasks.length} (${tasks.filter((t) => t.method === 'newRepo').length} newRepo), not CLOSED: ${bad.length ? bad.map((t) => `${String(t.id)} ${String(t.method)} state ${String(t.state)}`).join(', ') : 'none'}`);
    for (const t of bad.filter((x) => x.state === 5)) say(`  task ${String(t.id)}: ${String(await admin.call('getTaskResult', [t.id]).catch((e: Error) => e.message)).split('\n').slice(-2).join(' ')}`);
    ok = state === 3 && !existsSync(firstDir) && tasks.length > 0 && bad.length === 0 && !gone();
    admin.close();
  } catch (e) {
    say(`\nerror: ${(e as Error).message}`);
  } finally {
    if (kojira && kojira.exitCode === null) {
      kojira.kill('SIGTERM');
      await Promise.race([new Promise((r) => kojira?.once('exit', r)), sleep(10_000)]);
    }
    if (kojid) await stopKojid(kojid.proc);
    await stopProcess(builder);
    await stopProcess(hub);
    await pgdb?.drop();
  }
  say('');
  if (existsSync(join(work, 'kojira.log'))) for (const l of kojiraReport(work)) say(l);
  if (kojid) {
    const fileLog = join(kojid.varlog, 'kojid.log');
    const errLog = readFileSync(join(work, 'kojid.err'), 'utf8');
    const pid = String(kojid.proc.pid);
    const taskOfPid = new Map<string, string>();
    for (const m of errLog.matchAll(/ pids: \{([^}]*)\}/g)) for (const [, task, p] of m[1].matchAll(/(\d+): (\d+)/g)) taskOfPid.set(p, task);
    const lines = callReport(parseCalls(existsSync(fileLog) ? readFileSync(fileLog, 'utf8') : '', errLog, pid), pid, taskOfPid);
    lines[0] = lines[0].replace(/^kojid/, 'stock kojid');
    for (const l of lines.filter((x) => !/^\s+(start-up|first loop|taking a task):/.test(x))) say(l);
  }
  const hubProblems = readFileSync(join(work, 'hub.log'), 'utf8').split('\n').filter((l) => /"level":(40|50|60)/.test(l));
  say(`hub: ${hubProblems.length} warnings or errors logged`);
  for (const l of hubProblems.slice(0, 10)) say(`  ${l.slice(0, 300)}`);
  if (opt.keep) say(`\nkept ${work}`);
  else rmSync(work, { recursive: true, force: true });
  say(ok ? `\nOK: stock kojira (with ${opt.builder === 'stock' ? 'the stock kojid' : 'kojits builder'}) kept the repo.auto tag's repos current, regen-repo worked, old repos expired and were deleted` : '\nFAILED');
  return ok ? 0 : 1;
}

process.exit(await main());
