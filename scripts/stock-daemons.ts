/**
 * What the compatibility scripts share (run-stock-kojid.ts, run-stock-kojira.ts): a fresh
 * PostgreSQL database, the stock kojid's configuration and process (in a private mount namespace
 * when run as root), and the report of the XML-RPC calls a stock daemon made, read from its
 * --debug-xmlrpc log. Development tools, not tests.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { parseIni } from '../src/config/ini.ts';
import { dataLayout } from '../src/setup/layout.ts';

const ROOT = new URL('..', import.meta.url).pathname;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const say = (s: string) => process.stdout.write(`${s}\n`);

/** A fresh database on the server of `url` (for --db), and how to drop it. */
export async function freshPgDatabase(url: string): Promise<{ url: string; drop: () => Promise<void> }> {
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


export function iniValues(file: string): Map<string, string> {
  const sec = parseIni(readFileSync(file, 'utf8'), file).get('kojid');
  if (!sec) throw new Error(`${file} has no [kojid] section`);
  return sec.values;
}

/** kojid's configuration: the data folder's kojid.conf (server, certificate) with local folders and a 1 s poll. */
export function writeStockKojidConf(dataDir: string, work: string, o: { ignoreLoad?: boolean; extra?: Record<string, string | number> } = {}): string {
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
    ...(o.extra ?? {}),
  };
  const file = join(work, 'kojid.conf');
  writeFileSync(file, `[kojid]\n${Object.entries(conf).map(([k, v]) => `${k} = ${v}`).join('\n')}\n`);
  // kojid imports `from multilib import multilib` (Debian has no python3-multilib): it only has to import
  mkdirSync(join(work, 'pylib/multilib'), { recursive: true });
  writeFileSync(join(work, 'pylib/multilib/__init__.py'), '');
  writeFileSync(join(work, 'pylib/multilib/multilib.py'), '# stub: run-stock-kojid.ts\n');
  if (o.ignoreLoad) writeFileSync(join(work, 'pylib/sitecustomize.py'), 'import os\nos.getloadavg = lambda: (0.0, 0.0, 0.0)\n');
  return file;
}

/** Starts kojid in the foreground; its stderr (log lines with pids) goes to work/kojid.err. */
export function startKojid(kojiSrc: string, conf: string, work: string): { proc: ChildProcess; varlog: string; namespaced: boolean } {
  const varlog = join(work, 'varlog');
  const kojid = ['/usr/bin/python3', join(kojiSrc, 'builder/kojid'), '--fg', '--force-lock', '--debug', '--debug-xmlrpc', '-c', conf];
  const env = { ...process.env, PYTHONPATH: `${kojiSrc}:${join(work, 'pylib')}` };
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

export async function stopKojid(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise((r) => proc.once('exit', r));
  proc.kill('SIGTERM');
  const t = await Promise.race([exited.then(() => true), sleep(15_000).then(() => false)]);
  // its forked task processes are in its process group
  if (!t && proc.pid) process.kill(-proc.pid, 'SIGKILL');
  await exited;
}

export interface Call {
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
export function parseCalls(fileLog: string, errLog: string, mainPid: string): Call[] {
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
export function seq(methods: string[]): string {
  const out: string[] = [];
  for (let i = 0; i < methods.length; ) {
    let j = i;
    while (j < methods.length && methods[j] === methods[i]) j++;
    out.push(j - i > 1 ? `${methods[i]} ×${j - i}` : methods[i]);
    i = j;
  }
  return out.join(' → ');
}

export function callReport(calls: Call[], mainPid: string, taskOfPid: Map<string, string>): string[] {
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

/** `kojits ARGS…` to completion; its output, or an error with it. */
export function kojits(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [join(ROOT, 'bin/kojits'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (out += d));
    p.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`kojits ${args[0]} failed (${code}):\n${out}`))));
  });
}

/** A kojits service (hub, builder) with its output appended to `log`, resolved at its ready line. */
export async function startService(args: string[], log: string, env: NodeJS.ProcessEnv = {}): Promise<ChildProcess> {
  const fd = openSync(log, 'a');
  const p = spawn(process.execPath, [join(ROOT, 'bin/kojits'), ...args], { stdio: ['ignore', 'pipe', fd], env: { ...process.env, ...env } });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    p.stdout?.on('data', (d: Buffer) => {
      out += d;
      writeFileSync(log, d, { flag: 'a' });
      if (/\bready\b/.test(out)) resolve();
    });
    p.once('exit', (code) => reject(new Error(`kojits ${args[0]} exited (${code}); see ${log}`)));
  });
  return p;
}

/**
 * A fresh data folder (`kojits init`: certificates, configs, the database with the admin, kojira
 * and the build host) and `kojits hub` alone on it — not `kojits up`, whose builder and kojira
 * would compete with the stock daemons for the host's and kojira's exclusive sessions.
 */
export async function startHubAlone(dataDir: string, port: number, dbUrl: string | null, log: string): Promise<ChildProcess> {
  await kojits(['init', '--data', dataDir, '--https-port', String(port), '--http-port', String(port + 1), '--listen', '127.0.0.1', ...(dbUrl ? ['--db', dbUrl] : [])]);
  const L = dataLayout(dataDir);
  return startService(['hub', '--config', L.hubConf, ...(dbUrl ? ['--db', dbUrl] : ['--pglite', L.dbDir])], log);
}

/** SIGTERM, then SIGKILL after 15 s. */
export async function stopProcess(p: ChildProcess | null): Promise<void> {
  if (!p || p.exitCode !== null || p.signalCode !== null) return;
  const exited = new Promise((r) => p.once('exit', r));
  p.kill('SIGTERM');
  await Promise.race([exited, sleep(15_000).then(() => p.kill('SIGKILL'))]);
}
