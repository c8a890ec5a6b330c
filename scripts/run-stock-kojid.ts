/**
 * Compatibility check (a development tool, not a test): runs Koji's own build host daemon, the
 * stock Python kojid from a Koji source tree, against a fresh koji-ts hub, makes Koji's test
 * tasks `sleep`, `waittest` and `subtask` as the admin, waits until they are CLOSED and reports
 * how long they took and which hub calls kojid made.
 *
 *   KOJI_SRC=/path/to/unpacked/koji-1.35.3 node --import tsx scripts/run-stock-kojid.ts [options]
 *
 *   --db postgres://HOST:PORT/DB   run the hub on PostgreSQL: a fresh database is created on that
 *                                  server (DB is only used to connect) and dropped afterwards
 *   --port N                       HTTPS port of the hub (N+1: plain HTTP); default 23443
 *   --timeout S                    seconds to wait for the tasks; default 240
 *   --keep                         keep the temporary folder (data folder, kojid's logs)
 *   --hold                         after the tasks, keep the hub and kojid running (for trying more
 *                                  with a koji CLI) until SIGINT/SIGTERM, then report
 *   --ignore-load                  make kojid see a load average of 0 (a sitecustomize.py in the
 *                                  temporary folder): kojid is not ready while the machine's load
 *                                  average exceeds 4 × its CPUs, which a shared machine may
 *
 * Needs /usr/bin/python3 with Debian's python3-dnf python3-librepo python3-cheetah python3-rpm
 * python3-six python3-requests python3-dateutil python3-defusedxml. The `multilib` module
 * Debian lacks is stubbed in the temporary folder. kojid needs `/etc/mock/koji` and always
 * writes `/var/log/kojid.log`: run as root, it runs in a private mount namespace (`unshare -m`)
 * where /etc has a throw-away overlay holding /etc/mock/koji and /var/log is the temporary
 * folder's; otherwise /etc/mock/koji must exist. The calls are read from kojid's own
 * `--debug-xmlrpc` log. Nothing from the Koji tree is stored in this repository.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { parseIni } from '../src/config/ini.ts';
import { ClientSession } from '../src/protocol/client.ts';
import type { XmlRpcStruct, XmlRpcValue } from '../src/protocol/values.ts';
import { dataLayout } from '../src/setup/layout.ts';

const ROOT = new URL('..', import.meta.url).pathname;
const KOJI_SRC = process.env.KOJI_SRC;
if (!KOJI_SRC || !existsSync(join(KOJI_SRC, 'builder/kojid'))) {
  process.stderr.write('set KOJI_SRC to an unpacked Koji source tree (with builder/kojid)\n');
  process.exit(2);
}
const { values: opt } = parseArgs({ options: { db: { type: 'string' }, port: { type: 'string', default: '23443' }, timeout: { type: 'string', default: '240' }, keep: { type: 'boolean', default: false }, 'ignore-load': { type: 'boolean', default: false }, hold: { type: 'boolean', default: false } } });

const STATES = ['FREE', 'OPEN', 'CLOSED', 'CANCELED', 'ASSIGNED', 'FAILED'];
const TASKS: Array<[string, XmlRpcValue[]]> = [
  ['sleep', [1]],
  ['waittest', [3, 2]], // WaitTestTask(count, seconds=10): 3 sleeps of 2 s and a failing one it may fail
  ['subtask', [2]], // SubtaskTask(n=4): subtask 1 → subtask 0 → sleep 15
];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const say = (s: string) => process.stdout.write(`${s}\n`);
const fmtS = (s: number | null | undefined) => (s === null || s === undefined ? '-' : `${s.toFixed(1)} s`);

interface Task extends XmlRpcStruct {
  id: number;
  method: string;
  state: number;
  parent: number | null;
  create_ts: number;
  start_ts: number | null;
  completion_ts: number | null;
}

/** A fresh database on the server of `url` (for --db), and how to drop it. */
async function freshPgDatabase(url: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `kojits_stockkojid_${process.pid}_${Date.now()}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const u = new URL(url);
  u.pathname = `/${name}`;
  return {
    url: u.href,
    drop: async () => {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

/** `kojits up` on a fresh data folder, resolved once it prints its ready line. */
async function startHub(dataDir: string, port: number, dbUrl: string | null, logFile: string): Promise<ChildProcess> {
  const args = [join(ROOT, 'bin/kojits'), 'up', '--data', dataDir, '--https-port', String(port), '--http-port', String(port + 1)];
  if (dbUrl) args.push('--db', dbUrl);
  const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const log = (d: Buffer) => {
    out += d;
    appendFileSync(logFile, d);
  };
  proc.stderr?.on('data', log);
  await new Promise<void>((resolve, reject) => {
    proc.stdout?.on('data', (d: Buffer) => {
      log(d);
      if (out.includes('ready')) resolve();
    });
    proc.on('exit', (code) => reject(new Error(`kojits up exited (${code}):\n${out}`)));
  });
  return proc;
}

function iniValues(file: string): Map<string, string> {
  const sec = parseIni(readFileSync(file, 'utf8'), file).get('kojid');
  if (!sec) throw new Error(`${file} has no [kojid] section`);
  return sec.values;
}

/** kojid's configuration: the data folder's kojid.conf (server, certificate) with local folders and a 1 s poll. */
function writeStockConf(dataDir: string, work: string): string {
  const L = dataLayout(dataDir);
  const ours = iniValues(L.kojidConf);
  for (const d of ['work', 'mock', 'varlog', 'pylib']) mkdirSync(join(work, d), { recursive: true });
  mkdirSync(join(L.kojiDir, 'repos'), { recursive: true });
  const conf = {
    server: ours.get('server'),
    topurl: ours.get('topurl'),
    topdir: L.kojiDir,
    workdir: join(work, 'work'),
    mockdir: join(work, 'mock'),
    sleeptime: 1,
    maxjobs: 10,
    minspace: 1,
    user: ours.get('user'),
    cert: ours.get('cert'),
    serverca: ours.get('serverca'),
  };
  const file = join(work, 'kojid.conf');
  writeFileSync(file, `[kojid]\n${Object.entries(conf).map(([k, v]) => `${k} = ${v}`).join('\n')}\n`);
  // kojid imports `from multilib import multilib` (Debian has no python3-multilib): it only has to import
  mkdirSync(join(work, 'pylib/multilib'), { recursive: true });
  writeFileSync(join(work, 'pylib/multilib/__init__.py'), '');
  writeFileSync(join(work, 'pylib/multilib/multilib.py'), '# stub: run-stock-kojid.ts\n');
  if (opt['ignore-load']) writeFileSync(join(work, 'pylib/sitecustomize.py'), 'import os\nos.getloadavg = lambda: (0.0, 0.0, 0.0)\n');
  return file;
}

/** Starts kojid in the foreground; its stderr (log lines with pids) goes to work/kojid.err. */
function startKojid(conf: string, work: string): { proc: ChildProcess; varlog: string; namespaced: boolean } {
  const varlog = join(work, 'varlog');
  const kojid = ['/usr/bin/python3', join(KOJI_SRC as string, 'builder/kojid'), '--fg', '--force-lock', '--debug', '--debug-xmlrpc', '-c', conf];
  const env = { ...process.env, PYTHONPATH: `${KOJI_SRC}:${join(work, 'pylib')}` };
  const errFile = join(work, 'kojid.err');
  const stdio = ['ignore', 'ignore', openSync(errFile, 'w')] as const;
  const isRoot = process.getuid?.() === 0;
  if (isRoot && spawnSync('unshare', ['-m', 'true']).status === 0) {
    mkdirSync(join(work, 'etc-upper'), { recursive: true });
    mkdirSync(join(work, 'etc-work'), { recursive: true });
    const setup = [
      existsSync('/etc/mock/koji') ? '' : `mount -t overlay overlay -o lowerdir=/etc,upperdir=${work}/etc-upper,workdir=${work}/etc-work /etc && mkdir -p /etc/mock/koji &&`,
      `mount --bind ${varlog} /var/log &&`,
      'exec "$@"',
    ].join(' ');
    const proc = spawn('unshare', ['-m', '--propagation', 'private', 'sh', '-c', setup, 'sh', ...kojid], { env, stdio: [...stdio], detached: true });
    return { proc, varlog, namespaced: true };
  }
  if (!existsSync('/etc/mock/koji')) throw new Error('kojid needs /etc/mock/koji (run as root to get a private mount namespace, or create it)');
  say('note: not root: kojid writes /var/log/kojid.log of this machine');
  const proc = spawn(kojid[0], kojid.slice(1), { env, stdio: [...stdio], detached: true });
  return { proc, varlog: '/var/log', namespaced: false };
}

async function stopKojid(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise((r) => proc.once('exit', r));
  proc.kill('SIGTERM');
  const t = await Promise.race([exited.then(() => true), sleep(15_000).then(() => false)]);
  // its forked task processes are in its process group
  if (!t && proc.pid) process.kill(-proc.pid, 'SIGKILL');
  await exited;
}

interface Call {
  pid: string;
  session: string | null;
  method: string;
  fault: string | null;
}

/**
 * kojid's calls from its --debug-xmlrpc log: `headers:`, `data:` (the methodCall) and `body:`
 * (the response) lines. stderr's lines carry the pid (from main() on); the log file holds all
 * of them, the start-up calls included.
 */
function parseCalls(fileLog: string, errLog: string, mainPid: string): Call[] {
  const read = (text: string, withPid: boolean): Call[] => {
    const calls: Call[] = [];
    const last = new Map<string, Call>();
    const session = new Map<string, string | null>();
    for (const line of text.split('\n')) {
      const pid = withPid ? (/\{(\d+)\}/.exec(line)?.[1] ?? '?') : mainPid;
      const h = /headers: .*'Koji-Session-Id': '(\d+)'/.exec(line);
      if (/ url: /.test(line)) session.set(pid, null);
      if (h) session.set(pid, h[1]);
      const m = /data: .*<methodName>([^<]+)<\/methodName>/.exec(line);
      if (m) {
        const c: Call = { pid, session: session.get(pid) ?? null, method: m[1], fault: null };
        calls.push(c);
        last.set(pid, c);
      }
      if (/ body: /.test(line) && line.includes('<fault>')) {
        const c = last.get(pid);
        const s = /faultString<\/name>(?:\\n)?<value>(?:<string>)?(.*?)<\/(?:string|value)>/.exec(line);
        if (c) c.fault = s ? s[1] : 'fault';
      }
    }
    return calls;
  };
  const all = read(fileLog, false);
  const withPids = read(errLog, true);
  // the file has every call; its first ones (before stderr logging began) are the start-up
  return [...all.slice(0, Math.max(0, all.length - withPids.length)), ...withPids];
}

/** a → b → b → c as "a → b ×2 → c". */
function seq(methods: string[]): string {
  const out: string[] = [];
  for (let i = 0; i < methods.length; ) {
    let j = i;
    while (j < methods.length && methods[j] === methods[i]) j++;
    out.push(j - i > 1 ? `${methods[i]} ×${j - i}` : methods[i]);
    i = j;
  }
  return out.join(' → ');
}

function callReport(calls: Call[], mainPid: string, taskOfPid: Map<string, string>): string[] {
  const lines: string[] = [];
  const main = calls.filter((c) => c.pid === mainPid);
  const pids = [...new Set(calls.map((c) => c.pid))];
  lines.push(`kojid made ${calls.length} calls (${main.length} in the main process, the rest in ${pids.length - 1} task processes); ${calls.filter((c) => c.fault).length} answered with a fault`);
  const startup = main.slice(0, main.findIndex((c) => c.method === 'listBuildroots'));
  lines.push(`  start-up:       ${seq(startup.map((c) => c.method))}`);
  const loopStart = startup.length;
  const loopEnd = main.findIndex((c, i) => i > loopStart && c.method === 'listBuildroots');
  lines.push(`  first loop:     ${seq(main.slice(loopStart, loopEnd < 0 ? undefined : loopEnd).map((c) => c.method))}`);
  const took = main.findIndex((c) => c.method === 'host.openTask');
  if (took >= 0) lines.push(`  taking a task:  ${seq(main.slice(Math.max(0, took - 1), took + 3).map((c) => c.method))}`);
  for (const pid of pids.filter((p) => p !== mainPid)) {
    const cs = calls.filter((c) => c.pid === pid);
    lines.push(`  task ${taskOfPid.get(pid) ?? '?'} in process ${pid}, subsession ${cs[0].session ?? '?'}: ${seq(cs.map((c) => c.method))}`);
  }
  const counts = new Map<string, number>();
  for (const c of calls) counts.set(c.method, (counts.get(c.method) ?? 0) + 1);
  lines.push(`  calls per method: ${[...counts].sort((a, b) => b[1] - a[1]).map(([m, n]) => `${m} ${n}`).join(', ')}`);
  for (const c of calls.filter((x) => x.fault)) lines.push(`  FAULT ${c.method} (pid ${c.pid}): ${c.fault}`);
  return lines;
}

async function allTasks(admin: ClientSession, top: number[]): Promise<Task[]> {
  const ids = new Set<number>(top);
  for (const id of top) {
    const d = await admin.call<Record<string, Array<{ id: number }>>>('getTaskDescendents', [id]);
    for (const kids of Object.values(d)) for (const k of kids) ids.add(k.id);
  }
  const out: Task[] = [];
  for (const id of [...ids].sort((a, b) => a - b)) out.push(await admin.call<Task>('getTaskInfo', [id]));
  return out;
}

function taskLine(t: Task, args: XmlRpcValue): string {
  const dispatch = t.start_ts !== null ? t.start_ts - t.create_ts : null;
  const run = t.start_ts !== null && t.completion_ts !== null ? t.completion_ts - t.start_ts : null;
  const total = t.completion_ts !== null ? t.completion_ts - t.create_ts : null;
  return `  ${String(t.id).padStart(4)} ${`${t.method}(${JSON.stringify(args).slice(1, -1)})`.padEnd(22)} ${(STATES[t.state] ?? String(t.state)).padEnd(8)} parent ${String(t.parent ?? '-').padEnd(4)} created→open ${fmtS(dispatch).padStart(7)}  open→done ${fmtS(run).padStart(7)}  total ${fmtS(total).padStart(7)}`;
}

async function main(): Promise<number> {
  const pgdb = opt.db ? await freshPgDatabase(opt.db) : null;
  const work = mkdtempSync(join(tmpdir(), 'kojits-stockkojid-'));
  const dataDir = join(work, 'data');
  const port = Number(opt.port);
  let hub: ChildProcess | null = null;
  let kojid: ReturnType<typeof startKojid> | null = null;
  let ok: boolean;
  try {
    const t0 = Date.now();
    hub = await startHub(dataDir, port, pgdb?.url ?? null, join(work, 'hub.log'));
    say(`hub ready on ${pgdb ? 'PostgreSQL' : 'PGlite'} (${((Date.now() - t0) / 1000).toFixed(1)} s); data folder ${dataDir}`);
    const L = dataLayout(dataDir);
    const server = iniValues(L.kojidConf).get('server') as string;
    const admin = new ClientSession(server, { cert: L.adminPem, serverca: L.serverCa });
    await admin.sslLogin();
    const builder = iniValues(L.kojidConf).get('user') as string;
    const host = await admin.call<XmlRpcStruct | null>('getHost', [builder]);
    if (!host) throw new Error(`the hub has no host ${builder}`);
    const channels = await admin.call<Array<{ name: string }>>('listChannels', [], { hostID: host.id as number });
    if (!channels.some((c) => c.name === 'default')) throw new Error(`host ${builder} is not in the default channel: ${channels.map((c) => c.name).join(', ')}`);
    say(`build host ${builder} (id ${String(host.id)}, arches ${String(host.arches)}, channels ${channels.map((c) => c.name).join(', ')})`);

    const conf = writeStockConf(dataDir, work);
    kojid = startKojid(conf, work);
    say(`kojid started (pid ${kojid.proc.pid}${kojid.namespaced ? ', private mount namespace' : ''}): /usr/bin/python3 ${KOJI_SRC}/builder/kojid --fg --force-lock --debug --debug-xmlrpc -c ${conf}`);
    const kojidExit = new Promise<string>((r) => kojid?.proc.once('exit', (code, sig) => r(`kojid exited (${code ?? sig})`)));

    // checked in: host.updateHost was called
    const t1 = Date.now();
    for (;;) {
      const h = await admin.call<XmlRpcStruct>('getHost', [builder]);
      if (h.update_ts) break;
      if (Date.now() - t1 > 60_000) throw new Error('kojid did not check in within 60 s');
      const gone = await Promise.race([kojidExit, sleep(300).then(() => null)]);
      if (gone) throw new Error(gone);
    }
    say(`kojid checked in (${((Date.now() - t1) / 1000).toFixed(1)} s after start)`);

    const top: Array<{ id: number; args: XmlRpcValue[] }> = [];
    for (const [m, args] of TASKS) top.push({ id: await admin.call<number>('makeTask', [m, args]), args });
    say(`made tasks ${top.map((t, i) => `${t.id} ${TASKS[i][0]}(${TASKS[i][1].join(', ')})`).join(', ')}`);
    const deadline = Date.now() + Number(opt.timeout) * 1000;
    let tasks: Task[] = [];
    for (;;) {
      tasks = await allTasks(admin, top.map((t) => t.id));
      const tops = tasks.filter((t) => top.some((x) => x.id === t.id));
      if (tops.every((t) => [2, 3, 5].includes(t.state))) break;
      if (Date.now() > deadline) break;
      const gone = await Promise.race([kojidExit, sleep(500).then(() => null)]);
      if (gone) {
        say(gone);
        break;
      }
    }
    const argsOf = async (t: Task) => top.find((x) => x.id === t.id)?.args ?? (await admin.call<XmlRpcValue>('getTaskRequest', [t.id]));
    say('\ntasks:');
    for (const t of tasks) say(taskLine(t, await argsOf(t)));
    ok = tasks.filter((t) => top.some((x) => x.id === t.id)).every((t) => t.state === 2);
    // the failing sleep('BAD_ARG') of waittest is meant to fail
    const unexpected = tasks.filter((t) => t.state !== 2 && !(t.method === 'sleep' && t.state === 5));
    if (unexpected.length) ok = false;
    for (const t of tasks.filter((x) => x.state === 5)) {
      const r = await admin.call('getTaskResult', [t.id]).catch((e: Error) => e.message);
      say(`  task ${t.id} failed: ${String(r).trim().split('\n').slice(-1)[0]}`);
    }
    if (!ok) {
      say('\nscheduler log (last 30):');
      const log = await admin.call<XmlRpcStruct[]>('scheduler.getLogMessages', [], { fields: ['task_id', 'host_id', 'msg'] });
      for (const m of log.slice(-30)) say(`  task ${String(m.task_id)} host ${String(m.host_id)}: ${String(m.msg)}`);
    }
    if (opt.hold) {
      say(`\nholding: hub and kojid keep running; e.g. PYTHONPATH=${KOJI_SRC}:${KOJI_SRC}/cli /usr/bin/python3 ${KOJI_SRC}/cli/koji -c ${L.kojiConf} -p kojits make-task sleep 30`);
      say('SIGINT or SIGTERM stops them and prints the report');
      await new Promise<void>((r) => {
        process.once('SIGINT', r);
        process.once('SIGTERM', r);
      });
    }
  } catch (e) {
    say(`\nerror: ${(e as Error).message}`);
    ok = false;
  } finally {
    if (kojid) await stopKojid(kojid.proc);
    if (hub) {
      const exited = new Promise((r) => hub?.once('exit', r));
      hub.kill('SIGTERM');
      await exited;
    }
    await pgdb?.drop();
  }
  if (kojid) {
    const fileLog = existsSync(join(kojid.varlog, 'kojid.log')) ? readFileSync(join(kojid.varlog, 'kojid.log'), 'utf8') : '';
    const errLog = readFileSync(join(work, 'kojid.err'), 'utf8');
    say('');
    // kojid logs "pids: {task: pid, …}" whenever it forks a task
    const taskOfPid = new Map<string, string>();
    for (const m of errLog.matchAll(/ pids: \{([^}]*)\}/g)) for (const [, task, pid] of m[1].matchAll(/(\d+): (\d+)/g)) taskOfPid.set(pid, task);
    for (const l of callReport(parseCalls(fileLog, errLog, String(kojid.proc.pid)), String(kojid.proc.pid), taskOfPid)) say(l);
    say(`  waiting parents woken through 'alert' in host.getHostTasks: ${errLog.split('\n').filter((l) => l.includes('Waking up task')).length} times`);
    const loadLines = errLog.split('\n').filter((l) => / Load average [\d.]+ > /.test(l)).length;
    if (loadLines) say(`  kojid was not ready ${loadLines} times because of the machine's load average`);
    const problems = readFileSync(join(work, 'hub.log'), 'utf8').split('\n').filter((l) => /"level":(40|50|60)/.test(l));
    say(`hub: ${problems.length} warnings or errors logged`);
    for (const l of problems.slice(0, 10)) {
      const j = JSON.parse(l) as { level: number; msg?: string; err?: { message?: string } };
      say(`  [${j.level}] ${j.msg ?? ''}: ${(j.err?.message ?? '').split('\n')[0]}`);
    }
    if (!ok) {
      say('\nkojid log (last 40 lines without XML-RPC dumps):');
      for (const l of errLog.split('\n').filter((x) => !/ koji:\d+ (url|headers|data|body|cert|verify|stream|timeout): /.test(x)).slice(-40)) say(`  ${l}`);
      if (/ Load average [\d.]+ > /.test(errLog)) say("hint: kojid was not ready because of the machine's load average; --ignore-load makes it see 0");
    }
  }
  if (opt.keep) say(`\nkept ${work}`);
  else rmSync(work, { recursive: true, force: true });
  say(ok ? '\nOK: the stock kojid ran sleep, waittest and subtask to CLOSED' : '\nFAILED');
  return ok ? 0 : 1;
}

process.exit(await main());
