/**
 * The scheduler under load (part of `npm run bench`, BENCH_SUITES=scheduler): a hub process on
 * PostgreSQL; 100 simulated build hosts speaking the host API over HTTP (two channels, two
 * arches, capacities 2-8), each waiting with kojits.host.waitTasks and closing every task it
 * gets at once (sleep 0); then
 *  (b) dispatch latency with idle hosts: tasks made one at a time, time from makeTask returning
 *      to host.openTask returning, p50/p99;
 *  (a) the assignment rate: 10,000 tasks queued while no host is ready, then every host checks
 *      in with room for all: time until all are ASSIGNED;
 *  (c) fairness: 3,000 tasks of one user queued, then one of another user, hosts working: when
 *      the lone user's task opens.
 */
import { ClientSession } from '../src/protocol/client.ts';
import { encodeResponse } from '../src/protocol/encode.ts';
import type { XmlRpcStruct, XmlRpcValue } from '../src/protocol/values.ts';
import { startHubProcess, type HubProcess } from './hub-process.ts';

const HOSTS = Number(process.env.BENCH_SCHED_HOSTS ?? 100);
const TASKS = Number(process.env.BENCH_SCHED_TASKS ?? 10_000);
const BULK = Math.round(TASKS * 0.3);

interface SimHost {
  name: string;
  session: ClientSession;
  opened: Map<number, number>;
  stop: boolean;
  done: Promise<void>;
}

/** The host's loop: check in, take what is assigned, open and close it at once; else wait. */
async function simHostLoop(h: SimHost, maxjobs: number): Promise<void> {
  const session = h.session;
  while (!h.stop) {
    await session.call('host.updateHost', [0.0, true], { data: { maxjobs } });
    const tasks = await session.call<XmlRpcStruct[]>('host.getTasks');
    if (!tasks.length) {
      await session.call('kojits.host.waitTasks', [1]);
      continue;
    }
    for (const t of tasks) {
      const id = t.id as number;
      if (!(await session.call('host.openTask', [id]))) continue;
      h.opened.set(id, performance.now());
      await session.call('host.closeTask', [id, encodeResponse(null)]);
    }
  }
}

/** A build host that takes whatever it is assigned and closes it at once. */
async function simHost(url: string, name: string): Promise<SimHost> {
  const session = new ClientSession(url, { maxRetries: 0, timeout: 120 });
  await session.login(name, `${name}-pw-1`);
  await session.call('exclusiveSession');
  const h: SimHost = { name, session, opened: new Map(), stop: false, done: Promise.resolve() };
  h.done = simHostLoop(h, 8);
  return h;
}

function pct(xs: number[], p: number): number {
  const s = xs.slice().sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((s.length * p) / 100))] ?? NaN;
}

async function setUp(hub: HubProcess): Promise<ClientSession> {
  const admin = new ClientSession(hub.url, { maxRetries: 0, timeout: 600 });
  await admin.login('kojiadmin', hub.adminPassword);
  await admin.call('addChannel', ['bench2']);
  const calls: Array<{ method: 'addHost' | 'kojits.setPassword' | 'editHost' | 'addHostToChannel' | 'createUser' | 'grantPermission'; args: XmlRpcValue[]; kwargs?: Record<string, XmlRpcValue> }> = [];
  for (let i = 0; i < HOSTS; i++) {
    const name = `sim${i}`;
    calls.push({ method: 'addHost', args: [name, i % 2 ? ['x86_64'] : ['aarch64']] });
    calls.push({ method: 'kojits.setPassword', args: [name, `${name}-pw-1`] });
    calls.push({ method: 'editHost', args: [name], kwargs: { capacity: 2 + (i % 4) * 2 } });
    if (i % 3 === 0) calls.push({ method: 'addHostToChannel', args: [name, 'bench2'] });
  }
  for (const u of ['bulk', 'lone']) {
    calls.push({ method: 'createUser', args: [u] });
    calls.push({ method: 'grantPermission', args: [u, 'admin'] });
    calls.push({ method: 'kojits.setPassword', args: [u, `${u}-pw-1`] });
  }
  for (let i = 0; i < calls.length; i += 200) await admin.multiCall(calls.slice(i, i + 200), { strict: true });
  return admin;
}

async function makeTasks(c: ClientSession, n: number, i0 = 0): Promise<number[]> {
  const ids: number[] = [];
  for (let start = 0; start < n; start += 500) {
    const batch = Array.from({ length: Math.min(500, n - start) }, (_, j) => {
      const i = i0 + start + j;
      return { method: 'makeTask' as const, args: ['sleep', [0]] as XmlRpcValue[], kwargs: { arch: i % 5 === 0 ? 'x86_64' : 'noarch', ...(i % 7 === 0 ? { channel: 'bench2' } : {}) } };
    });
    ids.push(...(await c.multiCall(batch, { strict: true })).map((r) => (r as [number])[0]));
  }
  return ids;
}

export async function benchScheduler(pgUrl: string, port: number): Promise<string[]> {
  const hub = await startHubProcess('postgres', { pgAdminUrl: pgUrl, workers: 1, port });
  const lines = [`scheduler (PostgreSQL, 1 hub process, ${HOSTS} simulated hosts over HTTP, sleep 0 tasks)`];
  const hosts: SimHost[] = [];
  try {
    const admin = await setUp(hub);
    const login = async (u: string) => {
      const c = new ClientSession(hub.url, { maxRetries: 0, timeout: 600 });
      await c.login(u, `${u}-pw-1`);
      return c;
    };
    const bulk = await login('bulk');
    const lone = await login('lone');
    for (let i = 0; i < HOSTS; i++) hosts.push(await simHost(hub.url, `sim${i}`));
    // (b) dispatch latency with idle hosts
    const lat: number[] = [];
    for (let i = 0; i < 200; i++) {
      const [id] = await makeTasks(admin, 1, i);
      const t0 = performance.now();
      for (;;) {
        const at = hosts.map((h) => h.opened.get(id)).find((v) => v !== undefined);
        if (at !== undefined) {
          lat.push(at - t0);
          break;
        }
        await new Promise((r) => setTimeout(r, 2));
      }
    }
    lines.push(`  dispatch, idle hosts: makeTask → host.openTask p50 ${pct(lat, 50).toFixed(0)} ms, p99 ${pct(lat, 99).toFixed(0)} ms (200 tasks one at a time)`);
    process.stdout.write(lines[lines.length - 1] + '\n');
    for (const h of hosts) h.stop = true;
    await Promise.all(hosts.map((h) => h.done));
    // (a) assignment rate: TASKS queued while no host is ready, then every host checks in once
    // with room for all of them
    for (const h of hosts) await h.session.call('host.updateHost', [0.0, false], { data: { maxjobs: 1000 } });
    await admin.multiCall(hosts.map((h) => ({ method: 'editHost' as const, args: [h.name], kwargs: { capacity: 1000 } })), { strict: true });
    const q0 = performance.now();
    await makeTasks(admin, TASKS);
    const queued = performance.now();
    const ready0 = performance.now();
    await Promise.all(hosts.map((h) => h.session.call('host.updateHost', [0.0, true], { data: { maxjobs: 1000 } })));
    const count = (state: number) => admin.call<number>('listTasks', [{ state: [state] }], { queryOpts: { countOnly: true } });
    while ((await count(4)) < TASKS) await new Promise((r) => setTimeout(r, 20));
    const assigned = (performance.now() - ready0) / 1000;
    lines.push(`  ${TASKS.toLocaleString('en')} queued tasks (made in ${((queued - q0) / 1000).toFixed(1)} s) assigned to ${HOSTS} hosts in ${assigned.toFixed(2)} s after they checked in: ${Math.round(TASKS / assigned).toLocaleString('en')} assignments/s`);
    process.stdout.write(lines[lines.length - 1] + '\n');
    // clear the stage: those tasks are canceled, hosts get ordinary capacities
    const open = await admin.call<XmlRpcStruct[]>('listTasks', [{ state: [0, 4] }], { queryOpts: { asList: false } });
    for (let i = 0; i < open.length; i += 500) {
      await admin.multiCall(open.slice(i, i + 500).map((t) => ({ method: 'cancelTask' as const, args: [t.id as number] })), { strict: true });
    }
    await admin.multiCall(hosts.map((h) => ({ method: 'editHost' as const, args: [h.name], kwargs: { capacity: 4 } })), { strict: true });
    // (c) fairness: BULK tasks of one user queued, then one of another user; hosts work
    const bulkIds = await makeTasks(bulk, BULK);
    const loneMade = performance.now();
    // noarch in the default channel, like most of the bulk tasks (makeTasks: i = 1)
    const [loneId] = await makeTasks(lone, 1, 1);
    for (const h of hosts) {
      h.stop = false;
      h.done = simHostLoop(h, 8);
    }
    const t0 = performance.now();
    const all = [...bulkIds, loneId];
    for (;;) {
      const done = all.filter((id) => hosts.some((h) => h.opened.has(id))).length;
      if (done === all.length) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const secs = (performance.now() - t0) / 1000;
    const loneAt = hosts.map((h) => h.opened.get(loneId)).find((v) => v !== undefined) as number;
    const order = [...all].sort((x, y) => (hosts.map((h) => h.opened.get(x)).find(Boolean) as number) - (hosts.map((h) => h.opened.get(y)).find(Boolean) as number));
    lines.push(`  ${BULK.toLocaleString('en')} tasks of one user then 1 of another, hosts working (capacity 4, maxjobs 8): all done in ${secs.toFixed(1)} s (${Math.round(all.length / secs)} tasks/s through open → close); the lone task opened ${((loneAt - loneMade) / 1000).toFixed(2)} s after it was made, ${order.indexOf(loneId) + 1}th of ${all.length}`);
    const runs = await admin.call<number>('scheduler.getTaskRuns', [], { opts: { countOnly: true } });
    lines.push(`  task runs recorded: ${runs.toLocaleString('en')}; hub RSS ${Math.round(hub.rssKiB() / 1024)} MiB`);
    for (const c of [admin, bulk, lone]) c.close();
  } finally {
    for (const h of hosts) h.stop = true;
    await Promise.all(hosts.map((h) => h.done.catch(() => undefined)));
    for (const h of hosts) h.session.close();
    await hub.stop();
  }
  return lines;
}
