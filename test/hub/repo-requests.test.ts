/**
 * Koji 1.35's repo requests on the hub: repo.request (an existing fit, a duplicate of an active
 * request, a new one; min_event "last", the default lagged min_event, tag extra repo.lag,
 * priorities), repo.checkRequest, a READY repo satisfying waiting requests, repo.checkQueue
 * (newRepo tasks owned by RepoQueueUser, MaxRepoTasks, retries of failed tasks, RepoRetries),
 * repo.autoRequests, repo.updateEndEvents and repo.queryQueue.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClientSession } from '../../src/protocol/client.ts';
import { encodeResponse } from '../../src/protocol/encode.ts';
import type { XmlRpcStruct } from '../../src/protocol/values.ts';
import { engines } from '../helpers/db.ts';
import { startTestHub, type TestHub } from '../helpers/hub.ts';
import { addBuild } from '../helpers/content.ts';
import { hostSession } from '../helpers/repos.ts';

type Req = XmlRpcStruct & { id: number; task_id: number | null; tries: number; active: boolean; repo_id: number | null; priority: number; min_event: number };
type Check = { repo: XmlRpcStruct | null; request: Req | null; duplicate: boolean };

const CONF = '[hub]\nMaxRepoTasks = 2\nRepoRetries = 1\n';

describe.each(engines())('repo requests on %s', (engine) => {
  let hub: TestHub;
  let admin: ClientSession;
  let alice: ClientSession;
  let kojira: ClientSession;
  let builder: ClientSession;
  let n = 0;

  /** A tag with arches and a package list; returns its name. */
  const newTag = async (extra: XmlRpcStruct = {}) => {
    const name = `req-${++n}`;
    await admin.call('createTag', [name], { arches: 'x86_64', extra });
    await admin.call('packageListAdd', [name, 'pkg', 'kojiadmin']);
    return name;
  };
  const change = async (tag: string) => admin.call('tagBuildBypass', [tag, await addBuild(hub, `pkg-${++n}-1`)]);
  const makeRepo = async (tag: string, taskId: number | null = null) => {
    const [id, ev] = await builder.call<[number, number]>('host.repoInit', [tag], { task_id: taskId });
    await builder.call('host.repoDone', [id, {}]);
    return { id, ev };
  };
  const request = (c: ClientSession, tag: string, kw: XmlRpcStruct = {}) => c.call<Check>('repo.request', [tag], kw);
  const req = async (id: number) => (await admin.call<{ request: Req }>('repo.checkRequest', [id])).request;

  beforeAll(async () => {
    hub = await startTestHub(engine, { conf: CONF });
    admin = await hub.login();
    for (const u of ['alice', 'kojira']) {
      await admin.call('createUser', [u]);
      await admin.call('kojits.setPassword', [u, `${u}-pass-1`]);
    }
    await admin.call('grantPermission', ['kojira', 'repo']);
    alice = await hub.login('alice', 'alice-pass-1');
    kojira = await hub.login('kojira', 'kojira-pass-1');
    builder = await hostSession(hub, admin, 'rq-builder');
  });
  afterAll(async () => hub?.stop());

  it('repo.request: a fitting repo, else a new request, else a duplicate (whose priority an admin may raise)', async () => {
    const tag = await newTag();
    const repo = await makeRepo(tag);
    expect(await request(alice, tag, { min_event: repo.ev })).toMatchObject({ repo: { id: repo.id, state: 1 }, request: null, duplicate: false });
    await change(tag);
    const last = await admin.call<number>('tagLastChangeEvent', [tag]);
    const made = await request(alice, tag, { min_event: 'last' });
    expect(made.repo).toBeNull();
    expect(made.duplicate).toBe(false);
    expect(made.request).toMatchObject({ tag_name: tag, owner_name: 'alice', min_event: last, at_event: null, priority: 20, opts: {}, active: true, task_id: null, tries: 0, repo_id: null });
    const dup = await request(alice, tag, { min_event: 'last' });
    expect(dup).toMatchObject({ duplicate: true, request: { id: made.request!.id } });
    await expect(request(alice, tag, { min_event: 'last', priority: -1 })).rejects.toMatchObject({ faultCode: 1004, message: 'only admins may create high-priority requests' });
    expect((await request(admin, tag, { min_event: 'last', priority: -5 })).request).toMatchObject({ id: made.request!.id, priority: 15 });
    expect((await req(made.request!.id)).priority).toBe(15);
    // force: a request even though a repo fits; other opts: another request
    expect((await request(alice, tag, { min_event: repo.ev, force: true })).duplicate).toBe(true);
    const dbg = await request(alice, tag, { min_event: 'last', opts: { debuginfo: true } });
    expect(dbg).toMatchObject({ duplicate: false, request: { opts: { debuginfo: true } } });
    await expect(request(alice, tag, { min_event: 1, at_event: 1 })).rejects.toMatchObject({ faultCode: 1019, message: 'The min_event and at_event options conflict' });
    await expect(request(alice, tag, { at_event: 99999999 })).rejects.toMatchObject({ faultCode: 1019, message: 'Invalid event: 99999999' });
    await expect(admin.call('repo.checkRequest', [99999999])).rejects.toThrow('No such request');
    await admin.call('repo.setRequestPriority', [made.request!.id, 30]);
    expect((await req(made.request!.id)).priority).toBe(30);
  });

  it('the default min_event lags (RepoLag) behind recent changes; tag extra repo.lag changes it, negative = the last change', async () => {
    const tag = await newTag();
    const repo = await makeRepo(tag);
    await change(tag);
    // every event of this test database is younger than RepoLag: the tag's first event counts
    expect((await request(alice, tag)).repo).toMatchObject({ id: repo.id });
    await admin.call('editTag2', [tag], { extra: { 'repo.lag': -600 } });
    const r = await request(alice, tag);
    expect(r.repo).toBeNull();
    expect(r.request!.min_event).toBe(await admin.call<number>('tagLastChangeEvent', [tag]));
  });

  it('a READY repo satisfies the waiting requests it fits; checkRequest then reports it', async () => {
    const tag = await newTag();
    await change(tag);
    const r = (await request(alice, tag, { min_event: 'last' })).request!;
    const other = (await request(alice, tag, { min_event: 'last', opts: { src: true } })).request!;
    const repo = await makeRepo(tag);
    expect(await req(r.id)).toMatchObject({ repo_id: repo.id, active: false });
    expect(await req(other.id)).toMatchObject({ repo_id: null, active: true });
    expect(await admin.call('repo.checkRequest', [r.id])).toMatchObject({ repo: { id: repo.id, tag_name: tag }, request: { id: r.id } });
    expect(await admin.call<number>('repo.queryQueue', [[['tag_name', '=', tag], ['active', 'IS', true]]], { opts: { countOnly: true } })).toBe(1);
  });

  it('repo.checkQueue starts newRepo tasks owned by kojira, at most MaxRepoTasks; failed tasks are retried RepoRetries times', async () => {
    await admin.call('repo.queryQueue').then(async (rows) => {
      for (const q of rows as Req[]) if (q.active) await hub.db.rawQuery('UPDATE repo_queue SET active = FALSE WHERE id = $1', [q.id]);
    });
    const tags = [await newTag(), await newTag(), await newTag()];
    const reqs: Req[] = [];
    for (const t of tags) reqs.push((await request(alice, t, { force: true })).request!);
    await expect(alice.call('repo.checkQueue')).rejects.toMatchObject({ faultCode: 1004 });
    await kojira.call('repo.checkQueue');
    const [a, b, c] = await Promise.all(reqs.map((r) => req(r.id)));
    expect([a.tries, b.tries, c.tries]).toEqual([1, 1, 0]);
    expect(c.task_id).toBeNull();
    const task = await admin.call<XmlRpcStruct>('getTaskInfo', [a.task_id], { request: true });
    const kojiraUser = await admin.call<XmlRpcStruct>('getUser', ['kojira']);
    expect(task).toMatchObject({ method: 'newRepo', priority: 15, owner: kojiraUser.id, state: 0 });
    expect(task.request).toEqual([{ id: a.tag_id, name: tags[0] }, { opts: {}, __starstar: true }]);
    // the builder makes the repo of the first request: the request is done, the third gets a task
    await makeRepo(tags[0], a.task_id);
    expect(await req(a.id)).toMatchObject({ active: false, repo_id: expect.any(Number) });
    await kojira.call('repo.checkQueue');
    expect((await req(c.id)).tries).toBe(1);
    // the second request's task fails: retried once, then given up
    await admin.call('cancelTask', [b.task_id]);
    await kojira.call('repo.checkQueue');
    const b2 = await req(b.id);
    expect(b2.tries).toBe(2);
    expect(b2.task_id).not.toBe(b.task_id);
    await admin.call('cancelTask', [b2.task_id]);
    await kojira.call('repo.checkQueue');
    expect(await req(b.id)).toMatchObject({ active: false, repo_id: null, tries: 2 });
    // finished requests go once they are older than RequestCleanTime (1440 minutes)
    await hub.db.rawQuery("UPDATE repo_queue SET update_time = NOW() - interval '2 days' WHERE id = $1", [b.id]);
    await request(alice, tags[1], { force: true, opts: { src: true } });
    await kojira.call('repo.checkQueue');
    await expect(admin.call('repo.checkRequest', [b.id])).rejects.toThrow('No such request');
    expect((await req(a.id)).active).toBe(false);
  });

  it('checkQueue: a newRepo task that closed with a repo not fitting the request is retried', async () => {
    const tag = await newTag();
    const before = await admin.call<XmlRpcStruct>('getLastEvent');
    await change(tag);
    const r = (await request(alice, tag, { min_event: 'last', force: true })).request!;
    await hub.db.rawQuery('UPDATE repo_queue SET active = FALSE WHERE tag_id <> $1 AND active', [r.tag_id]);
    await kojira.call('repo.checkQueue');
    const task = (await req(r.id)).task_id!;
    // the task makes a repo of an event before the request's min_event
    await admin.call('assignTask', [task, 'rq-builder']);
    await builder.call('host.openTask', [task]);
    const [repoId, ev] = await builder.call<[number, number]>('host.repoInit', [tag], { task_id: task, event: before.id as number });
    await builder.call('host.repoDone', [repoId, {}]);
    await builder.call('host.closeTask', [task, encodeResponse([repoId, ev])]);
    expect(await req(r.id)).toMatchObject({ active: true, repo_id: null, task_id: task });
    await kojira.call('repo.checkQueue');
    expect(await req(r.id)).toMatchObject({ active: true, repo_id: null, tries: 2 });
    expect((await req(r.id)).task_id).not.toBe(task);
  });

  it('repo.autoRequests requests repos (priority 25) for tags with extra repo.auto; repo.updateEndEvents records when repos went stale', async () => {
    const auto = await newTag({ 'repo.auto': true });
    await kojira.call('repo.autoRequests');
    const rows = await admin.call<Req[]>('repo.queryQueue', [[['tag_name', '=', auto]]], { fields: '**' });
    expect(rows).toEqual([expect.objectContaining({ priority: 25, active: true, owner_name: 'kojira' })]);

    const tag = await newTag();
    const repo = await makeRepo(tag);
    expect((await admin.call<XmlRpcStruct>('repoInfo', [repo.id])).end_event).toBeNull();
    await change(tag);
    await kojira.call('repo.updateEndEvents');
    const first = await admin.call<number>('tagLastChangeEvent', [tag]);
    expect((await admin.call<XmlRpcStruct>('repoInfo', [repo.id])).end_event).toBe(first);
    await expect(alice.call('repo.updateEndEvents')).rejects.toMatchObject({ faultCode: 1004 });
  });
});
