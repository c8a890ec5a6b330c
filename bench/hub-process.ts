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
  /** the database made for the run (PostgreSQL), null on PGlite */
  dbUrl: string | null;
  adminPassword: string;
  rssKiB(): number;
  stop(): Promise<void>;
}

function run(args: string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(join(ROOT, 'bin/kojits'), args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (out += d));
    p.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`kojits ${args[0]} failed (${code}): ${out}`))));
  });
}

function statusKiB(pid: number, field: string, file = 'status'): number {
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/${file}`, 'utf8'));
  return m ? Number(m[1]) : 0;
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

/** A process and its descendants (hub workers and whatever they run). */
export function processTree(pid: number): number[] {
  const parents = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parents.set(ppid, [...(parents.get(ppid) ?? []), Number(entry)]);
    } catch {
      /* process went away */
    }
  }
  const out = [pid];
  for (let i = 0; i < out.length; i++) out.push(...(parents.get(out[i]) ?? []));
  return out;
}

export interface TreeMemory {
  /** KiB of the parent (primary or master) */
  parentRss: number;
  /** KiB of each descendant (the workers) */
  childRss: number[];
  /** KiB: proportional set size of all, shared pages counted once */
  pss: number;
}

export function memoryOf(pid: number): TreeMemory {
  const [parent, ...children] = processTree(pid);
  const rss = (p: number) => {
    try {
      return statusKiB(p, 'VmRSS');
    } catch {
      return 0;
    }
  };
  let pss = 0;
  for (const p of [parent, ...children]) {
    try {
      pss += statusKiB(p, 'Pss', 'smaps_rollup');
    } catch {
      /* gone */
    }
  }
  return { parentRss: rss(parent), childRss: children.map(rss), pss };
}

/** RSS of a process and its children (hub workers), KiB. */
export function rssOf(pid: number): number {
  const m = memoryOf(pid);
  return m.parentRss + m.childRss.reduce((a, b) => a + b, 0);
}

export async function startHubProcess(
  engine: 'pglite' | 'postgres',
  /** dbName: reuse that database when it exists, and keep it at the end */
  o: { pgAdminUrl?: string; workers?: number; port: number; dbName?: string },
): Promise<HubProcess> {
  const dataDir = mkdtempSync(join(tmpdir(), `kojits-bench-${engine}-`));
  let dbUrl: string | null = null;
  let dbName: string | null = null;
  if (engine === 'postgres') {
    dbName = o.dbName ?? `kojits_bench_${process.pid}`;
    const admin = new pg.Client({ connectionString: o.pgAdminUrl });
    await admin.connect();
    const exists = (await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [dbName])).rowCount;
    if (!o.dbName || !exists) {
      await admin.query(`DROP DATABASE IF EXISTS ${dbName}`);
      await admin.query(`CREATE DATABASE ${dbName}`);
    }
    await admin.end();
    const u = new URL(o.pgAdminUrl as string);
    u.pathname = `/${dbName}`;
    dbUrl = u.href;
  }
  await run(['init', '--data', dataDir, '--http-port', String(o.port), '--https-port', String(o.port + 1), ...(dbUrl ? ['--db', dbUrl] : [])]);
  const args = ['hub', '--config', join(dataDir, 'etc/hub.conf'), ...(dbUrl ? ['--db', dbUrl] : ['--pglite', join(dataDir, 'db')])];
  const env = { KOJITS_HUB_HTTPSPORT: '0', KOJITS_HUB_HUBWORKERS: String(o.workers ?? 1), KOJITS_HUB_LISTENADDRESS: '127.0.0.1', KOJITS_HUB_LOGLEVEL: 'ERROR' };
  // run as an executable, so that the V8 flags of its #! line apply
  const child: ChildProcess = spawn(join(ROOT, 'bin/kojits'), args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
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
    dbUrl,
    adminPassword: readFileSync(join(dataDir, 'client/admin-password'), 'utf8').trim(),
    rssKiB: () => rssOf(child.pid as number),
    async stop() {
      await new Promise<void>((r) => {
        child.once('exit', () => r());
        child.kill('SIGTERM');
      });
      rmSync(dataDir, { recursive: true, force: true });
      if (dbName && !o.dbName && !process.env.BENCH_KEEP_DB) {
        const admin = new pg.Client({ connectionString: o.pgAdminUrl });
        await admin.connect();
        await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
        await admin.end();
      }
    },
  };
}
