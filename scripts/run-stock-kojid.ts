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
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ClientSession } from '../src/protocol/client.ts';
import type { XmlRpcStruct, XmlRpcValue } from '../src/protocol/values.ts';
import { dataLayout } from '../src/setup/layout.ts';
import { callReport, freshPgDatabase, iniValues, parseCalls, startHubAlone, startKojid, stopKojid, writeStockKojidConf } from './stock-daemons.ts';

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
    hub = await startHubAlone(dataDir, port, pgdb?.url ?? null, join(work, 'hub.log'));
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

    const conf = writeStockKojidConf(dataDir, work, { ignoreLoad: opt['ignore-load'] });
    kojid = startKojid(KOJI_SRC as string, conf, work);
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
