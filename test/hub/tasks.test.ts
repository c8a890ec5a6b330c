/**
 * Tasks on the hub: makeTask, the scheduler assigning to ready hosts, the host API (open,
 * weight, subtasks with labels, waits, results with canfail, close/fail), who may do what
 * (1004 "host H does not own task T", non-hosts, non-admins), cancel (recursive, whole
 * groups), free, priority, assign, resubmit, fair order between owners and the timeouts with
 * an injected clock.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeFault, encodeResponse } from '../../src/protocol/encode.ts';
import { ActionNotAllowed, AuthError, GenericError } from '../../src/protocol/faults.ts';
import type { ClientSession } from '../../src/protocol/client.ts';
import type { XmlRpcStruct, XmlRpcValue } from '../../src/protocol/values.ts';
import type { Clock } from '../../src/hub/tasks/service.ts';
import { engines } from '../helpers/db.ts';
import { startTestHub, type TestHub } from '../helpers/hub.ts';

type Task = XmlRpcStruct & { id: number; state: number; host_id: number | null; priority: number };
const ST = { FREE: 0, OPEN: 1, CLOSED: 2, CANCELED: 3, ASSIGNED: 4, FAILED: 5 };

class TestClock implements Clock {
  offset = 0;
  now(): number {
    return Date.now() / 1000 + this.offset;
  }
}

/** A build host logged in with an exclusive session, as kojid does. */
async function hostSession(hub: TestHub, admin: ClientSession, name: string, o: { capacity?: number; arches?: string[] } = {}): Promise<ClientSession> {
  await admin.call('addHost', [name, o.arches ?? ['x86_64']]);
  if (o.capacity) await admin.call('editHost', [name], { capacity: o.capacity });
  await admin.call('kojits.setPassword', [name, `${name}-pass-1`]);
  const c = await hub.login(name, `${name}-pass-1`);
  await c.call('exclusiveSession');
  return c;
}

describe.each(engines())('tasks on %s', (engine) => {
  let hub: TestHub;
  let admin: ClientSession;
  let alice: ClientSession;
  let b1: ClientSession;
  let b2: ClientSession;
  const clock = new TestClock();
  const info = (id: number) => admin.call<Task>('getTaskInfo', [id]);
  const schedule = () => hub.hub.scheduler.runNow();

  beforeAll(async () => {
    hub = await startTestHub(engine, { scheduler: { clock, manual: true } });
    admin = await hub.login();
    await admin.call('createUser', ['alice']);
    await admin.call('kojits.setPassword', ['alice', 'alice-pass-1']);
    alice = await hub.login('alice', 'alice-pass-1');
    b1 = await hostSession(hub, admin, 'b1');
    b2 = await hostSession(hub, admin, 'b2');
  });
  afterAll(async () => hub?.stop());

  it('a task runs its course: FREE → ASSIGNED (to a ready host) → OPEN → CLOSED with its result', async () => {
    const id = await admin.call<number>('makeTask', ['sleep', [1]]);
    expect(await info(id)).toMatchObject({ state: ST.FREE, method: 'sleep', arch: 'noarch', priority: 20, host_id: null, parent: null });
    expect(await admin.call('getTaskRequest', [id])).toEqual([1]);
    // no host is ready yet
    await schedule();
    expect((await info(id)).state).toBe(ST.FREE);
    await b1.call('host.updateHost', [0.0, true], { data: { methods: ['sleep'], maxjobs: 5 } });
    await schedule();
    expect(await info(id)).toMatchObject({ state: ST.ASSIGNED, host_id: await b1.call<number>('host.getID') });
    const assigned = await b1.call<Task[]>('host.getTasks');
    expect(assigned.map((t) => t.id)).toEqual([id]);
    expect(await b2.call('host.getTasks')).toEqual([]);
    // another host cannot open it
    expect(await b2.call('host.openTask', [id])).toBeNull();
    const opened = await b1.call<XmlRpcStruct>('host.openTask', [id]);
    expect(opened).toMatchObject({ id, state: ST.OPEN, method: 'sleep' });
    expect(String(opened.request)).toContain('<methodName>sleep</methodName>');
    await b1.call('host.setTaskWeight', [id, 1.5]);
    expect((await b1.call<XmlRpcStruct[]>('host.getHostTasks')).map((t) => [t.id, t.waiting, Number(t.weight)])).toEqual([[id, null, 1.5]]);
    const b2id = await b2.call<number>('host.getID');
    await expect(b2.call('host.closeTask', [id, encodeResponse(null)])).rejects.toThrow(`host ${b2id} does not own task ${id}`);
    await b1.call('host.closeTask', [id, encodeResponse({ done: 1 })]);
    expect(await info(id)).toMatchObject({ state: ST.CLOSED });
    expect(await admin.call('getTaskResult', [id])).toEqual({ done: 1 });
    expect(await admin.call('taskFinished', [id])).toBe(true);
    const runs = await admin.call<XmlRpcStruct[]>('scheduler.getTaskRuns', [[['task_id', '=', id]]]);
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ task_id: id, active: false });
  });

  it('a failed task keeps its fault; getTaskResult raises it', async () => {
    const id = await admin.call<number>('makeTask', ['fork', []], { assign: 'b1' });
    expect(await info(id)).toMatchObject({ state: ST.ASSIGNED });
    await b1.call('host.openTask', [id]);
    await b1.call('host.failTask', [id, encodeFault(1005, 'it broke')]);
    expect((await info(id)).state).toBe(ST.FAILED);
    await expect(admin.call('getTaskResult', [id])).rejects.toMatchObject({ faultCode: 1005, message: 'it broke' });
  });

  it('a fault code with no Koji class (kojid reports a Python exception as fault 1) is re-raised as stored', async () => {
    const parent = await admin.call<number>('makeTask', ['waittest', [1]], { assign: 'b1' });
    await b1.call('host.openTask', [parent]);
    const child = await b1.call<number>('host.subtask', ['sleep', ['BAD_ARG'], parent]);
    await admin.call('assignTask', [child, 'b1']);
    await b1.call('host.openTask', [child]);
    const tb = "Traceback (most recent call last):\n  File \"daemon.py\", line 1421, in runTask\nTypeError: 'str' object cannot be interpreted as an integer\n";
    await b1.call('host.failTask', [child, encodeFault(1, tb)]);
    await expect(admin.call('getTaskResult', [child])).rejects.toMatchObject({ faultCode: 1, message: tb });
    expect(await admin.call('getTaskResult', [child], { raise_fault: false })).toEqual({ faultCode: 1, faultString: tb });
    await expect(b1.call('host.taskWaitResults', [parent, [child]])).rejects.toMatchObject({ faultCode: 1, message: tb });
    await b1.call('host.closeTask', [parent, encodeResponse(null)]);
  });

  it('subtasks: labels find the same child, waits report finished children, canfail keeps a child fault', async () => {
    const parent = await admin.call<number>('makeTask', ['waittest', [3, 2]], { assign: 'b1' });
    await b1.call('host.openTask', [parent]);
    const c1 = await b1.call<number>('host.subtask', ['sleep', [1], parent], { label: 'one' });
    expect(await b1.call('host.subtask', ['sleep', [1], parent], { label: 'one' })).toBe(c1);
    const c2 = await b1.call<number>('host.subtask2', [parent, { label: 'two' }, 'sleep', 2], { extra: 'x' });
    expect(await info(c1)).toMatchObject({ parent, priority: 19, label: 'one', state: ST.FREE });
    expect(await admin.call('getTaskRequest', [c2])).toEqual([2, { extra: 'x', __starstar: true }]);
    await b1.call('host.taskSetWait', [parent, null]);
    expect(await b1.call('host.taskWait', [parent])).toEqual([[], [c1, c2]]);
    // the children run on b2
    for (const c of [c1, c2]) {
      await admin.call('assignTask', [c, 'b2']);
      await b2.call('host.openTask', [c]);
    }
    await b2.call('host.closeTask', [c1, encodeResponse('ok')]);
    expect((await b1.call<XmlRpcStruct[]>('host.getHostTasks')).find((t) => t.id === parent)).toMatchObject({ waiting: true, alert: true });
    await b2.call('host.failTask', [c2, encodeFault(1000, 'child failed')]);
    expect(await b1.call('host.taskWait', [parent])).toEqual([[c1, c2], []]);
    await expect(b1.call('host.taskWaitResults', [parent, [c1, c2]])).rejects.toThrow('child failed');
    expect(await b1.call('host.taskWaitResults', [parent, [c1, c2]], { canfail: [c2] })).toEqual([
      [c1, 'ok'],
      [c2, { faultCode: 1000, faultString: 'child failed' }],
    ]);
    await b1.call('host.closeTask', [parent, encodeResponse(null)]);
  });

  it('who may do what', async () => {
    await expect(alice.call('makeTask', ['sleep', [1]])).rejects.toThrow(ActionNotAllowed);
    await expect(alice.call('host.getID')).rejects.toMatchObject({ faultCode: 1002, message: expect.stringMatching(/^User \d+ is not a host$/) });
    await expect(hub.anon().call('host.getID')).rejects.toThrow(AuthError);
    const shared = await hub.login('b1', 'b1-pass-1');
    await expect(shared.call('host.getID')).rejects.toThrow('User locked by another session');
    await expect(admin.call('makeTask', ['sleep', [1]], { owner: 'alice' })).rejects.toThrow('The owner option is not allowed here');
    await expect(admin.call('getTaskInfo', [999999], { strict: true })).rejects.toThrow(GenericError);
    const id = await admin.call<number>('makeTask', ['sleep', [1]], { assign: 'b1' });
    await b1.call('host.openTask', [id]);
    await expect(b1.call('host.subtask', ['sleep', [1], id], { owner: 1 })).rejects.toThrow('The owner option is not allowed here');
    await expect(b2.call('host.subtask', ['sleep', [1], id])).rejects.toThrow(/does not own task/);
    await expect(alice.call('cancelTask', [id])).rejects.toThrow('Cannot cancel task, not owner');
    await expect(b1.call('host.closeTask', [id, 'not xml'])).rejects.toThrow('methodResponse');
    expect((await info(id)).state).toBe(ST.OPEN);
    // the host holding it may cancel it
    await b1.call('cancelTask', [id]);
    expect((await info(id)).state).toBe(ST.CANCELED);
  });

  it('cancel: recursive, of a finished task (nothing), of a whole group; free; priority; resubmit', async () => {
    const top = await alice.call<number>('makeTask', ['sleep', [1]]).catch(() => null);
    expect(top).toBeNull();
    const parent = await admin.call<number>('makeTask', ['waittest', [1]], { assign: 'b1' });
    await b1.call('host.openTask', [parent]);
    const child = await b1.call<number>('host.subtask', ['sleep', [1], parent]);
    const grandchildParent = await admin.call<number>('makeTask', ['sleep', [1]]);
    await admin.call('cancelTaskFull', [child], { strict: false });
    expect((await info(parent)).state).toBe(ST.CANCELED);
    expect((await info(child)).state).toBe(ST.CANCELED);
    await expect(admin.call('cancelTaskFull', [child])).rejects.toThrow(`Task ${child} is not top-level (parent=${parent})`);
    await admin.call('cancelTask', [grandchildParent]);
    expect((await info(grandchildParent)).state).toBe(ST.CANCELED);
    const again = await admin.call<number>('resubmitTask', [grandchildParent]);
    expect(await info(again)).toMatchObject({ state: ST.FREE, method: 'sleep' });
    await expect(admin.call('resubmitTask', [again])).rejects.toThrow('only canceled or failed tasks may be resubmitted');
    await admin.call('setTaskPriority', [again, 5]);
    expect((await info(again)).priority).toBe(5);
    await admin.call('assignTask', [again, 'b2']);
    expect((await info(again)).state).toBe(ST.ASSIGNED);
    await admin.call('freeTask', [again]);
    expect(await info(again)).toMatchObject({ state: ST.FREE, host_id: null });
    await admin.call('cancelTask', [again]);
    await expect(admin.call('setTaskPriority', [again, 1])).rejects.toThrow("Finished task's priority can't be updated");
    await expect(admin.call('freeTask', [again])).rejects.toThrow(`Cannot free task ${again}, state is CANCELED`);
  });

  it('fair order: one owner with many queued tasks does not starve another of the same priority', async () => {
    await admin.call('createUser', ['bulk']);
    await admin.call('grantPermission', ['bulk', 'admin']);
    await admin.call('kojits.setPassword', ['bulk', 'bulk-pass-1']);
    const bulk = await hub.login('bulk', 'bulk-pass-1');
    const many: number[] = [];
    for (let i = 0; i < 12; i++) many.push(await bulk.call<number>('makeTask', ['sleep', [1]]));
    const lone = await admin.call<number>('makeTask', ['sleep', [1]]);
    // room for two tasks in all
    await admin.call('editHost', ['b1'], { capacity: 2.0 });
    await b1.call('host.updateHost', [0.0, true], { data: { maxjobs: 2 } });
    await b2.call('host.updateHost', [0.0, false]);
    await schedule();
    expect((await info(lone)).state).toBe(ST.ASSIGNED);
    expect((await info(many[0])).state).toBe(ST.ASSIGNED);
    expect((await info(many[1])).state).toBe(ST.FREE);
    for (const id of [...many, lone]) await admin.call('cancelTask', [id]);
  });

  it('timeouts (injected clock): a silent host is not ready; its OPEN tasks are freed and go elsewhere', async () => {
    await b1.call('host.updateHost', [0.0, true], { data: { maxjobs: 5 } });
    await b2.call('host.updateHost', [0.0, false]);
    const id = await admin.call<number>('makeTask', ['sleep', [1]]);
    await schedule();
    expect((await info(id)).state).toBe(ST.ASSIGNED);
    await b1.call('host.openTask', [id]);
    // b1 falls silent; b2 keeps checking in
    clock.offset = 1000;
    await b2.call('host.updateHost', [0.0, true]);
    // b2 checked in at real time, "1000 s ago" for the scheduler: move its update_time forward
    await hub.db.rawQuery(`UPDATE host SET update_time = to_timestamp($1) WHERE name = 'b2'`, [clock.now()]);
    const r = await schedule();
    expect(r?.notReady).toContain(await b1.call<number>('host.getID'));
    expect(r?.freed).toContain(id);
    await schedule();
    expect(await info(id)).toMatchObject({ state: ST.ASSIGNED, host_id: await b2.call<number>('host.getID') });
    const log = await admin.call<XmlRpcStruct[]>('scheduler.getLogMessages', [[['task_id', '=', id]]], { fields: ['msg'] });
    expect(log.map((m) => m.msg)).toEqual(['Assigning task', 'Freeing task from unresponsive host', 'Assigning task']);
    // an assignment not taken up within AssignTimeout is freed; the host checked in since: a refusal
    clock.offset = 2000;
    await hub.db.rawQuery(`UPDATE host SET update_time = to_timestamp($1) WHERE name = 'b2'`, [clock.now()]);
    await schedule();
    expect((await info(id)).state).toBe(ST.FREE);
    const refusals = await admin.call<XmlRpcStruct[]>('scheduler.getTaskRefusals', [[['task_id', '=', id]]]);
    expect(refusals).toMatchObject([{ task_id: id, by_host: false, soft: true, msg: 'assignment timeout' }]);
    clock.offset = 0;
    await admin.call('cancelTask', [id]);
  });

  it('kojits.host.waitTasks returns as soon as a task is assigned to the caller', async () => {
    await b1.call('host.updateHost', [0.0, true], { data: { maxjobs: 5 } });
    await hub.db.rawQuery(`UPDATE host SET update_time = NOW()`);
    const waiting = b1.call<boolean>('kojits.host.waitTasks', [20]);
    const t0 = Date.now();
    const id = await admin.call<number>('makeTask', ['sleep', [0]], { assign: 'b1' });
    expect(await waiting).toBe(true);
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect((await b1.call<Task[]>('host.getTasks')).map((t) => t.id)).toContain(id);
    expect(await b2.call<boolean>('kojits.host.waitTasks', [0.2])).toBe(false);
    await admin.call('cancelTask', [id]);
  });

  it('kojits.host.waitTasks returns when one of the caller\'s tasks is canceled', async () => {
    const id = await admin.call<number>('makeTask', ['sleep', [0]], { assign: 'b1' });
    await b1.call('host.openTask', [id]);
    const waiting = b1.call<boolean>('kojits.host.waitTasks', [20]);
    const other = b2.call<boolean>('kojits.host.waitTasks', [1]);
    const t0 = Date.now();
    await admin.call('cancelTask', [id]);
    expect(await waiting).toBe(true);
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(await other).toBe(false);
  });

  it('restartHosts makes a task; scheduler.getHostData shows what builders reported', async () => {
    const id = await admin.call<number>('restartHosts');
    expect(await info(id)).toMatchObject({ method: 'restartHosts', priority: 5 });
    await admin.call('cancelTask', [id]);
    const data = await admin.call<Array<{ host_id: number; data: XmlRpcValue }>>('scheduler.getHostData');
    expect(data.find((d) => d.host_id === 0)).toBeUndefined();
    expect(data.map((d) => d.data)).toContainEqual({ maxjobs: 5 });
  });
});

describe.each(engines())('task output on %s', (engine) => {
  let hub: TestHub;
  afterAll(async () => hub?.stop());

  it('the host holding a task uploads into its folder; anyone lists and downloads the files', async () => {
    hub = await startTestHub(engine, { scheduler: { manual: true } });
    const admin = await hub.login();
    const b1 = await hostSession(hub, admin, 'out1');
    const b2 = await hostSession(hub, admin, 'out2');
    const id = await admin.call<number>('makeTask', ['sleep', [1]], { assign: 'out1' });
    await b1.call('host.openTask', [id]);
    const dir = mkdtempSync(join(tmpdir(), 'kojits-out-'));
    const file = join(dir, 'task.log');
    writeFileSync(file, 'line one\nline two\n');
    const rel = `tasks/${id % 10000}/${id}`;
    await expect(b2.uploadWrapper(file, rel)).rejects.toThrow(/does not own task/);
    await expect(admin.uploadWrapper(file, rel)).rejects.toThrow(/only the host running task/);
    await b1.uploadWrapper(file, rel);
    const anon = hub.anon();
    expect(await anon.call('listTaskOutput', [id])).toEqual(['task.log']);
    const stat = await anon.call<Record<string, XmlRpcStruct>>('listTaskOutput', [id], { stat: true });
    expect(stat['task.log'].st_size).toBe('18');
    expect(await anon.call('listTaskOutput', [id], { all_volumes: true })).toEqual({ 'task.log': ['DEFAULT'] });
    expect(Buffer.from(await anon.call<string>('downloadTaskOutput', [id, 'task.log']), 'base64').toString()).toBe('line one\nline two\n');
    expect(Buffer.from(await anon.call<string>('downloadTaskOutput', [id, 'task.log'], { offset: 9, size: 4 }), 'base64').toString()).toBe('line');
    expect(Buffer.from(await anon.call<string>('downloadTaskOutput', [id, 'task.log'], { offset: -9 }), 'base64').toString()).toBe('line two\n');
    await expect(anon.call('downloadTaskOutput', [id, '../x'])).rejects.toThrow('Invalid file name: ../x');
    await expect(anon.call('downloadTaskOutput', [id, 'nope.log'])).rejects.toThrow(`no file "nope.log" output by task ${id}`);
    expect(await anon.call('listTaskOutput', [id + 1000])).toEqual([]);
    await expect(anon.call('listTaskOutput', [id + 1000], { strict: true })).rejects.toThrow("Task doesn't exist");
    rmSync(dir, { recursive: true, force: true });
  });
});

describe.each(engines())('count and filterResults on %s', (engine) => {
  let hub: TestHub;
  afterAll(async () => hub?.stop());

  it('count, filterResults and countAndFilterResults wrap read-only calls', async () => {
    hub = await startTestHub(engine);
    const admin = await hub.login();
    const ids: number[] = [];
    for (const p of [5, 30, 10]) ids.push(await admin.call<number>('makeTask', ['sleep', [1]], { priority: p }));
    const anon = hub.anon();
    expect(await anon.call('count', ['listTasks'])).toBe(3);
    expect(await anon.call('count', ['getTaskInfo', ids[0]])).toBeGreaterThan(10);
    expect(await anon.call('count', ['getTaskInfo', 99999])).toBe(0);
    const byPrio = await anon.call<XmlRpcStruct[]>('filterResults', ['listTasks'], { filterOpts: { order: '-priority', limit: 2 } });
    expect(byPrio.map((t) => t.priority)).toEqual([30, 10]);
    const [n, page] = await anon.call<[number, XmlRpcStruct[]]>('countAndFilterResults', ['listTasks'], { filterOpts: { order: 'priority', offset: 1 } });
    expect(n).toBe(3);
    expect(page.map((t) => t.priority)).toEqual([10, 30]);
    await expect(anon.call('count', ['frobnicate'])).rejects.toThrow("method frobnicate doesn't exist");
    await expect(anon.call('filterResults', ['getTaskInfo', ids[0]])).rejects.toThrow('getTaskInfo() did not return a list');
    await expect(admin.call('count', ['createTag', 'x'])).rejects.toThrow('createTag changes data');
  });
});
