/**
 * The builder daemon as real processes (`bin/kojits builder`) against a hub on loopback: tasks
 * from creation to CLOSED with their logs, subtasks and waits (canfail, nesting, dependantTask),
 * unknown methods, cancel stopping a whole process tree, a builder killed with -9 (its task
 * processes die with it; the task is run again — after HostTimeout by another builder, or at
 * once by a restarted one — and never twice at the same time), the exclusive lock, two builders
 * sharing work, clean stops, and the control tasks (restartHosts, shutdown). Each test keeps its
 * tasks in channels of its own.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alive, processTree } from '../../src/builder/proctree.ts';
import type { ClientSession } from '../../src/protocol/client.ts';
import type { XmlRpcStruct, XmlRpcValue } from '../../src/protocol/values.ts';
import { startKojits, stopAll, type Proc } from '../cmd/proc.ts';
import { buildHost, startBuilder, taskIn, until, ST, type BuildHost } from '../helpers/builder.ts';
import { engines } from '../helpers/db.ts';
import { startTestHub, type TestHub } from '../helpers/hub.ts';

/** A builder plugin: a task that starts a small process tree (one process in a session of its own) and waits. */
const TREE_PLUGIN = `
import { spawn } from 'node:child_process';
export const handlers = [{
  methods: ['treetask'],
  className: 'TreeTask',
  params: '(seconds=300)',
  weight: 0.5,
  run(task, a) {
    return new Promise((resolve) => {
      const sh = spawn('sh', ['-c', 'sleep ' + a.seconds + ' & setsid sleep ' + a.seconds + ' & wait'], { stdio: 'ignore' });
      task.log.info('started sh ' + sh.pid);
      sh.on('exit', () => resolve(null));
    });
  },
}];
`;

/** The pid of the process the builder runs task `id` in (from its log), once the handler runs. */
async function taskPid(b: Proc, id: number): Promise<number> {
  const pid = await until(`a process for task ${id}`, async () => {
    const m = new RegExp(`Task ${id} \\(\\w+\\) running in process (\\d+)`).exec(b.output());
    return m ? Number(m[1]) : null;
  });
  await until(`task ${id} running`, async () => b.output().includes(`"task":${id},"msg":"Running task ${id} `));
  return pid;
}

describe.each(engines())('the builder daemon on %s', (engine) => {
  let hub: TestHub;
  let admin: ClientSession;
  let dir: string;
  let main: BuildHost;
  let mainProc: Proc;
  const info = (id: number) => admin.call<XmlRpcStruct>('getTaskInfo', [id]);
  const task = (method: string, args: XmlRpcValue[], channel: string, kw: Record<string, XmlRpcValue> = {}) => admin.call<number>('makeTask', [method, args], { channel, ...kw });
  const host = (name: string, o: { conf?: string; channel?: string; capacity?: number } = {}) => buildHost(admin, dir, hub.httpUrl as string, name, { channel: name, ...o });
  const log = async (id: number) => Buffer.from(await admin.call<string>('downloadTaskOutput', [id, 'task.log']), 'base64').toString('utf8');

  beforeAll(async () => {
    // a silent host is not ready after 4 s and its open tasks are freed after 5 s (Koji's order:
    // ReadyTimeout < HostTimeout); the scheduler looks every second. Builders check in every second.
    hub = await startTestHub(engine, { conf: '[hub]\nReadyTimeout = 4\nHostTimeout = 5\nRunInterval = 1\n', scheduler: { manual: false } });
    admin = await hub.login();
    dir = mkdtempSync(join(tmpdir(), 'kojits-builder-'));
    mkdirSync(join(dir, 'plugins'));
    writeFileSync(join(dir, 'plugins', 'treetask.mjs'), TREE_PLUGIN);
    main = await host('main', { conf: `plugin = treetask\npluginpath = ${join(dir, 'plugins')}` });
    mainProc = await startBuilder(main);
  });
  afterAll(async () => {
    await stopAll();
    await hub?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('runs a sleep task to CLOSED in a process of its own, its log uploaded while it runs', async () => {
    const t0 = Date.now();
    const quick = await task('sleep', [0], 'main');
    await taskIn(admin, quick, [ST.CLOSED]);
    const latency = Date.now() - t0;
    console.log(`${engine}: sleep 0, created → CLOSED in ${latency} ms`);
    expect(latency).toBeLessThan(5000);

    const id = await task('sleep', [2], 'main');
    const pid = await taskPid(mainProc, id);
    expect(pid).not.toBe(mainProc.pid);
    // the log is on the hub before the task ends
    await until('task.log while the task runs', async () => (await admin.call<string[]>('listTaskOutput', [id])).includes('task.log') && Number((await info(id)).state) === ST.OPEN);
    const done = await taskIn(admin, id, [ST.CLOSED, ST.FAILED]);
    expect(done).toMatchObject({ state: ST.CLOSED, host_id: main.id, method: 'sleep' });
    expect(Number(done.weight)).toBe(0.25);
    expect(await admin.call('getTaskResult', [id])).toBeNull();
    const text = await log(id);
    expect(text).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} \[INFO\] koji\.build\.SleepTask: Sleeping for 2 seconds$/m);
    expect(text).toContain('[INFO] koji.build.SleepTask: Finished sleeping');
    await until(`process ${pid} gone`, async () => !alive(pid));
    // the host checked in: ready, with the methods and maxjobs it reported
    const h = await admin.call<XmlRpcStruct>('getHost', [main.name]);
    expect(h).toMatchObject({ ready: true });
    const data = await admin.call<XmlRpcStruct[]>('scheduler.getHostData', [main.id]);
    expect(data[0].data).toMatchObject({ maxjobs: 10, methods: expect.arrayContaining(['sleep', 'waittest', 'treetask', 'default']) });
  });

  it('waittest: subtasks sleep, the child marked canfail fails, the parent is CLOSED; dependantTask waits for it', async () => {
    const id = await task('waittest', [2, 1], 'main');
    const parent = await taskIn(admin, id, [ST.CLOSED, ST.FAILED], 60_000);
    expect(parent.state).toBe(ST.CLOSED);
    const kids = await admin.call<XmlRpcStruct[]>('getTaskChildren', [id]);
    const byLabel = Object.fromEntries(kids.map((k) => [String(k.label), k]));
    expect(Object.keys(byLabel).sort()).toEqual(['0', '1', 'bad']);
    expect([byLabel['0'].state, byLabel['1'].state, byLabel.bad.state]).toEqual([ST.CLOSED, ST.CLOSED, ST.FAILED]);
    await expect(admin.call('getTaskResult', [byLabel.bad.id])).rejects.toMatchObject({ faultCode: 1, message: expect.stringMatching(/^Traceback \(most recent call last\):\n[\s\S]*TypeError: 'str' object cannot be interpreted as an integer\n$/) });
    expect(await log(id)).toContain(`${String(byLabel.bad.id)}: {'faultCode': 1, 'faultString':`);

    const dep = await task('dependantTask', [[id, 'junk'], [['sleep', [0]]]], 'main');
    expect((await taskIn(admin, dep, [ST.CLOSED, ST.FAILED], 30_000)).state).toBe(ST.CLOSED);
    expect((await admin.call<XmlRpcStruct[]>('getTaskChildren', [dep])).map((k) => [k.method, k.state])).toEqual([['sleep', ST.CLOSED]]);
  });

  it('an unknown method fails with Koji\'s text; arguments that do not fit fail with its ParameterError text', async () => {
    const id = await task('frobnicate', [1, 2], 'main');
    expect((await taskIn(admin, id, [ST.CLOSED, ST.FAILED])).state).toBe(ST.FAILED);
    await expect(admin.call('getTaskResult', [id])).rejects.toMatchObject({ faultCode: 1000, message: 'Invalid method: frobnicate' });
    const bad = await task('sleep', [], 'main');
    await taskIn(admin, bad, [ST.FAILED]);
    await expect(admin.call('getTaskResult', [bad])).rejects.toMatchObject({ faultCode: 1019, message: "SleepTask.handler() missing 1 required positional argument: 'n'" });
  });

  it('fork: the task closes at once and what it started does not outlive it', async () => {
    const id = await task('fork', [2, 30], 'main');
    const pid = await taskPid(mainProc, id);
    await taskIn(admin, id, [ST.CLOSED]);
    // the sleeps stayed in the task's process group
    await until('the leftovers of fork stopped', async () => !processTree(pid, pid).length, 10_000);
  });

  it('nested subtasks: subtask 1 → subtask 0 → sleep 15, each waiting for its child', async () => {
    const id = await task('subtask', [1], 'main');
    const done = await taskIn(admin, id, [ST.CLOSED, ST.FAILED], 50_000);
    expect(done.state).toBe(ST.CLOSED);
    const [child] = await admin.call<XmlRpcStruct[]>('getTaskChildren', [id]);
    expect(child).toMatchObject({ method: 'subtask', label: 'foo', state: ST.CLOSED });
    const [grandchild] = await admin.call<XmlRpcStruct[]>('getTaskChildren', [child.id]);
    expect(grandchild).toMatchObject({ method: 'sleep', label: 'bar', state: ST.CLOSED });
    expect(await admin.call('getTaskRequest', [grandchild.id])).toEqual([15]);
  }, 60_000);

  it('cancel stops the task\'s whole process tree, sessions of their own included', async () => {
    const id = await task('treetask', [], 'main');
    const pid = await taskPid(mainProc, id);
    // the task process, sh and two sleeps (one in a session of its own)
    const tree = await until('the process tree', async () => {
      const t = processTree(pid, pid);
      return t.length >= 4 ? t : null;
    });
    const t0 = Date.now();
    await admin.call('cancelTask', [id]);
    await until('the tree gone', async () => tree.every((p) => !alive(p)), 15_000);
    console.log(`${engine}: cancel → process tree gone in ${Date.now() - t0} ms`);
    expect((await info(id)).state).toBe(ST.CANCELED);
    // the builder goes on
    const next = await task('sleep', [0], 'main');
    await taskIn(admin, next, [ST.CLOSED]);
  });

  it('a builder killed with -9: its task process dies with it, and after HostTimeout another builder runs the task — never both at once', async () => {
    const a = await host('ka', { channel: 'kill' });
    const b = await host('kb', { channel: 'kill' });
    const pa = await startBuilder(a);
    const id = await task('sleep', [3], 'kill');
    const pid = await taskPid(pa, id);
    await taskIn(admin, id, [ST.OPEN]);
    const killedAt = Date.now();
    pa.child.kill('SIGKILL');
    const pb = startKojits(['builder', '-c', b.conf]);
    let deadAt = 0;
    let movedAt = 0;
    await until('the task on the second builder', async () => {
      if (!deadAt && !alive(pid)) deadAt = Date.now();
      const t = await info(id);
      if (!movedAt && t.host_id === b.id) movedAt = Date.now();
      return Number(t.state) === ST.CLOSED ? t : null;
    }, 40_000, 20);
    expect(deadAt).toBeGreaterThan(0);
    expect(deadAt - killedAt).toBeLessThan(3000);
    expect(movedAt).toBeGreaterThan(deadAt);
    const runs = await admin.call<XmlRpcStruct[]>('scheduler.getTaskRuns', [[['task_id', '=', id]]]);
    expect(runs.map((r) => r.host_id)).toEqual([a.id, b.id]);
    expect(await pb.stop()).toBe(0);
  });

  it('a builder started again after kill -9 needs --force-lock, then frees the task it no longer runs and runs it again', async () => {
    const h = await host('kr');
    const p1 = await startBuilder(h);
    const id = await task('sleep', [2], 'kr');
    const pid = await taskPid(p1, id);
    p1.child.kill('SIGKILL');
    await until(`process ${pid} gone`, async () => !alive(pid), 5000);
    // the killed daemon's session still holds the host's lock
    const refused = startKojits(['builder', '-c', h.conf]);
    expect(await refused.exited).toBe(1);
    expect(refused.output()).toContain('Error: Unable to get lock. Trying using --force-lock');
    const p2 = await startBuilder(h, ['--force-lock']);
    await taskIn(admin, id, [ST.CLOSED], 30_000);
    expect(p2.output()).toContain(`freeing stale tasks: ${id}`);
    const runs = await admin.call<XmlRpcStruct[]>('scheduler.getTaskRuns', [[['task_id', '=', id]]]);
    expect(runs.map((r) => r.host_id)).toEqual([h.id, h.id]);
    expect(await p2.stop()).toBe(0);
  });

  it('a second builder for the same host is refused; the first goes on', async () => {
    const second = startKojits(['builder', '-c', main.conf]);
    expect(await second.exited).toBe(1);
    expect(second.output()).toMatch(/kojits builder: Error: Unable to get lock\. Trying using --force-lock/);
    const id = await task('sleep', [0], 'main');
    await taskIn(admin, id, [ST.CLOSED]);
  });

  it('two builders share the work', async () => {
    const s1 = await host('s1', { channel: 'share', conf: 'maxjobs = 1' });
    const s2 = await host('s2', { channel: 'share', conf: 'maxjobs = 1' });
    const [p1, p2] = await Promise.all([startBuilder(s1), startBuilder(s2)]);
    const ids: number[] = [];
    for (let i = 0; i < 4; i++) ids.push(await task('sleep', [1], 'share'));
    let most = 0;
    await until('all four CLOSED', async () => {
      const all = await Promise.all(ids.map(info));
      for (const hid of [s1.id, s2.id]) most = Math.max(most, all.filter((t) => t.host_id === hid && Number(t.state) === ST.OPEN).length);
      return all.every((t) => Number(t.state) === ST.CLOSED);
    }, 40_000, 20);
    const hosts = new Set((await Promise.all(ids.map(info))).map((t) => t.host_id));
    expect(hosts).toEqual(new Set([s1.id, s2.id]));
    // maxjobs = 1: never two at once on one host
    expect(most).toBe(1);
    expect(await p1.stop()).toBe(0);
    expect(await p2.stop()).toBe(0);
  });

  it('SIGTERM: the builder stops its tasks, frees them and checks in as not ready', async () => {
    const h = await host('term');
    const p = await startBuilder(h);
    const id = await task('sleep', [30], 'term');
    const pid = await taskPid(p, id);
    await taskIn(admin, id, [ST.OPEN]);
    expect(await p.stop('SIGTERM')).toBe(0);
    expect(alive(pid)).toBe(false);
    expect(await info(id)).toMatchObject({ state: ST.FREE, host_id: null });
    expect(await admin.call<XmlRpcStruct>('getHost', [h.name])).toMatchObject({ ready: false });
    await admin.call('cancelTask', [id]);
  });

  it('restartHosts: the builder restarts in place (new session) and the verify task passes', async () => {
    const h = await host('rh');
    const p = await startBuilder(h);
    const before = await admin.call<XmlRpcStruct>('getHost', [h.name]);
    const id = await task('restartHosts', [{ channel: 'rh' }], 'rh');
    const done = await taskIn(admin, id, [ST.CLOSED, ST.FAILED], 50_000);
    expect(done.state).toBe(ST.CLOSED);
    const kids = await admin.call<XmlRpcStruct[]>('getTaskChildren', [id]);
    expect(kids.map((k) => [k.method, k.label, k.state]).sort()).toEqual([
      ['restart', `restart ${h.id}`, ST.CLOSED],
      ['restartVerify', `sleep ${h.id}`, ST.CLOSED],
    ]);
    expect(await admin.call('getTaskResult', [kids.find((k) => k.method === 'restart')?.id])).toBe('graceful restart initiated');
    expect(p.output()).toContain('Restarting');
    expect(p.child.exitCode).toBeNull();
    expect(before.ready).toBe(true);
    expect(await p.stop()).toBe(0);
  }, 60_000);

  it('shutdown: the builder stops; the task is freed as kojid leaves it', async () => {
    const h = await host('sd');
    const p = await startBuilder(h);
    const id = await task('shutdown', [], 'sd');
    expect(await p.exited).toBe(0);
    expect(await info(id)).toMatchObject({ state: ST.FREE });
    await admin.call('cancelTask', [id]);
  });
});
