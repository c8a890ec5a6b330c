/**
 * `sleep 0` tasks through the real builder: a hub process and a `kojits builder` process on
 * loopback; tasks made one after another (each once the previous closed) and then in a burst.
 * Prints create → OPEN and create → CLOSED (hub timestamps) p50/p99, the burst's tasks/s and the
 * RSS of the idle builder and its spare task process.
 * Not a test: figures go in README.
 *
 *   node --import tsx bench/builder.ts
 *
 * Environment: BENCH_TASKS (default 30), BENCH_BURST (20), BENCH_ENGINES (pglite,postgres),
 * BENCH_SPARE (1: the builder keeps a task process started ahead; 0: not), KOJITS_TEST_PG.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClientSession } from '../src/protocol/client.ts';
import type { XmlRpcStruct } from '../src/protocol/values.ts';
import { memoryOf, pgAnswers, startHubProcess } from './hub-process.ts';

const ROOT = new URL('..', import.meta.url).pathname;
const TASKS = Number(process.env.BENCH_TASKS ?? 30);
const BURST = Number(process.env.BENCH_BURST ?? 20);
const PG_URL = process.env.KOJITS_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const SPARE = process.env.BENCH_SPARE !== '0';

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function closed(admin: ClientSession, ids: number[]): Promise<XmlRpcStruct[]> {
  for (;;) {
    const infos = (await admin.multiCall(ids.map((id) => ({ method: 'getTaskInfo', args: [id] })), { strict: true })).map((r) => (r as [XmlRpcStruct])[0]);
    if (infos.every((t) => Number(t.state) === 2)) return infos;
    if (infos.some((t) => Number(t.state) === 5 || Number(t.state) === 3)) throw new Error(`a task failed: ${JSON.stringify(infos.find((t) => Number(t.state) !== 2))}`);
    await sleep(10);
  }
}

async function benchEngine(engine: 'pglite' | 'postgres', port: number): Promise<string[]> {
  const hub = await startHubProcess(engine, { pgAdminUrl: PG_URL, port });
  const dir = mkdtempSync(join(tmpdir(), 'kojits-bench-builder-'));
  const admin = new ClientSession(hub.url, { maxRetries: 0 });
  await admin.login('kojiadmin', hub.adminPassword);
  await admin.call('addHost', ['benchhost', ['x86_64']]);
  await admin.call('kojits.setPassword', ['benchhost', 'bench-pass-1']);
  const conf = join(dir, 'kojid.conf');
  writeFileSync(
    conf,
    `[kojid]\nserver = ${hub.url}\ntopurl = ${hub.url.replace(/kojihub$/, 'kojifiles')}\nuser = benchhost\npassword = bench-pass-1\nworkdir = ${dir}/work\nmockdir = ${dir}\nminspace = 1\nmaxjobs = 10\nmax_load_per_cpu = 0\nspare_task_process = ${SPARE ? 'True' : 'False'}\n`,
  );
  const builder = spawn(process.execPath, [join(ROOT, 'bin/kojits'), 'builder', '-c', conf], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    builder.stdout.on('data', (d) => {
      out += d;
      if (/ready/.test(out)) resolve();
    });
    builder.once('exit', (c) => reject(new Error(`builder exited (${c})`)));
  });
  try {
    // warm-up
    await closed(admin, [await admin.call<number>('makeTask', ['sleep', [0]])]);
    const open: number[] = [];
    const done: number[] = [];
    for (let i = 0; i < TASKS; i++) {
      const id = await admin.call<number>('makeTask', ['sleep', [0]]);
      const [t] = await closed(admin, [id]);
      open.push((Number(t.start_ts) - Number(t.create_ts)) * 1000);
      done.push((Number(t.completion_ts) - Number(t.create_ts)) * 1000);
    }
    // idle: the builder and its spare task process
    await sleep(3000);
    const mem = memoryOf(builder.pid as number);
    const t0 = Date.now();
    const ids = [];
    for (let i = 0; i < BURST; i++) ids.push(await admin.call<number>('makeTask', ['sleep', [0]]));
    await closed(admin, ids);
    const burst = (Date.now() - t0) / 1000;
    const f = (n: number) => n.toFixed(0);
    return [
      `${engine} (spare process ${SPARE ? 'on' : 'off'}), ${TASKS} sleep 0 tasks one after another: create → OPEN p50 ${f(pct(open, 50))} ms, p99 ${f(pct(open, 99))} ms; create → CLOSED p50 ${f(pct(done, 50))} ms, p99 ${f(pct(done, 99))} ms`,
      `${engine}: burst of ${BURST} sleep 0 tasks all CLOSED in ${burst.toFixed(1)} s (${(BURST / burst).toFixed(1)} tasks/s)`,
      `${engine}: RSS of the idle builder ${(mem.parentRss / 1024).toFixed(0)} MiB, its task processes ${mem.childRss.map((k) => (k / 1024).toFixed(0)).join(', ') || 'none'} MiB`,
    ];
  } finally {
    admin.close();
    await new Promise<void>((r) => {
      builder.once('exit', () => r());
      builder.kill('SIGTERM');
    });
    await hub.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

const engines = (process.env.BENCH_ENGINES ?? 'pglite,postgres').split(',') as Array<'pglite' | 'postgres'>;
const out: string[] = [];
let port = 19180;
for (const engine of engines) {
  if (engine === 'postgres' && !(await pgAnswers(PG_URL))) {
    out.push('postgres: server not available, skipped');
    continue;
  }
  out.push(...(await benchEngine(engine, port)));
  port += 10;
}
console.log(out.join('\n'));
