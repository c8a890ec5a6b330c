/**
 * Start a hub as a separate process (so its RSS can be read) from a fresh data folder, on PGlite
 * or a PostgreSQL database made for the run.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

const ROOT = new URL('..', import.meta.url).pathname;

export interface HubProcess {
  url: string;
  pid: number;
  dataDir: string;
  adminPassword: string;
  rssKiB(): number;
  stop(): Promise<void>;
}

function run(args: string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [join(ROOT, 'bin/kojits'), ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (out += d));
    p.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`kojits ${args[0]} failed (${code}): ${out}`))));
  });
}

/** Whether the PostgreSQL server at `url` answers. */
export async function pgAnswers(url: string): Promise<boolean> {
  const c = new pg.Client({ connectionString: url });
  try {
    await c.connect();
    await c.end();
    return true;
  } catch {
    return false;
  }
}

function rssOne(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : 0;
}

/** RSS of a process and its children (hub workers), KiB. */
export function rssOf(pid: number): number {
  let total = rssOne(pid);
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) total += rssOne(Number(entry));
    } catch {
      /* process went away */
    }
  }
  return total;
}

export async function startHubProcess(engine: 'pglite' | 'postgres', o: { pgAdminUrl?: string; workers?: number; port: number }): Promise<HubProcess> {
  const dataDir = mkdtempSync(join(tmpdir(), `kojits-bench-${engine}-`));
  let dbUrl: string | null = null;
  let dbName: string | null = null;
  if (engine === 'postgres') {
    dbName = `kojits_bench_${process.pid}`;
    const admin = new pg.Client({ connectionString: o.pgAdminUrl });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${dbName}`);
    await admin.query(`CREATE DATABASE ${dbName}`);
    await admin.end();
    const u = new URL(o.pgAdminUrl as string);
    u.pathname = `/${dbName}`;
    dbUrl = u.href;
  }
  await run(['init', '--data', dataDir, '--http-port', String(o.port), '--https-port', String(o.port + 1), ...(dbUrl ? ['--db', dbUrl] : [])]);
  const args = ['hub', '--config', join(dataDir, 'etc/hub.conf'), ...(dbUrl ? ['--db', dbUrl] : ['--pglite', join(dataDir, 'db')])];
  const env = { KOJITS_HUB_HTTPSPORT: '0', KOJITS_HUB_HUBWORKERS: String(o.workers ?? 1), KOJITS_HUB_LISTENADDRESS: '127.0.0.1', KOJITS_HUB_LOGLEVEL: 'ERROR' };
  const child: ChildProcess = spawn(process.execPath, [join(ROOT, 'bin/kojits'), ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (d) => {
      out += d;
      const m = /ready: .*?(http:\/\/\S+\/kojihub)/.exec(out);
      if (m) resolve(m[1].replace('localhost', '127.0.0.1'));
    });
    child.on('exit', (code) => reject(new Error(`hub exited (${code}): ${out}`)));
  });
  return {
    url,
    pid: child.pid as number,
    dataDir,
    adminPassword: readFileSync(join(dataDir, 'client/admin-password'), 'utf8').trim(),
    rssKiB: () => rssOf(child.pid as number),
    async stop() {
      await new Promise<void>((r) => {
        child.once('exit', () => r());
        child.kill('SIGTERM');
      });
      rmSync(dataDir, { recursive: true, force: true });
      if (dbName && !process.env.BENCH_KEEP_DB) {
        const admin = new pg.Client({ connectionString: o.pgAdminUrl });
        await admin.connect();
        await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
        await admin.end();
      }
    },
  };
}
