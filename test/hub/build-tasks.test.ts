/**
 * Build and tagging tasks on both engines: build/chainBuild as Koji makes them (relative
 * priority, admins only below 0, channel; the channel and priority policies see the task's
 * source, target and scratch flag), tagBuild/moveBuild checks and their tasks carried out with
 * host.tagBuild (as the task's owner, by the host holding the task only), moveAllBuilds' chain,
 * getAverageBuildDuration, applyVolumePolicy, checkTagAccess and mergeScratch's refusals.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClientSession } from '../../src/protocol/client.ts';
import { Float, type XmlRpcValue } from '../../src/protocol/values.ts';
import { engines } from '../helpers/db.ts';
import { startTestHub, type TestHub } from '../helpers/hub.ts';
import { hostSession } from '../helpers/repos.ts';
import { sqlOne, userId } from '../helpers/build-content.ts';
import { buildWorld, take, type BuildWorld } from '../helpers/build-flow.ts';

type Row = Record<string, XmlRpcValue>;

const CONF = `[policy]
channel =
    method build && match source *.src.rpm && bool scratch :: use scratchy
    has req_channel :: req
    is_child_task :: parent
    all :: use default
priority =
    method build && target dist-foo :: adjust +3
    all :: stay
`;

describe.each(engines())('build and tagging tasks on %s', (engine) => {
  let hub: TestHub;
  let w: BuildWorld;
  let b1: ClientSession;
  let b2: ClientSession;
  let hello: number;
  const info = (id: number) => w.admin.call<Row>('getTaskInfo', [id], { request: true });

  beforeAll(async () => {
    hub = await startTestHub(engine, { conf: CONF });
    w = await buildWorld(hub);
    b1 = await hostSession(hub, w.admin, 'b1');
    b2 = await hostSession(hub, w.admin, 'b2');
    await w.admin.call('addChannel', ['scratchy']);
    hello = await w.admin.call<number>('createEmptyBuild', ['hello', '1.2', '3', 2], { owner: 'alice' });
    await w.admin.call('createTag', ['dist-foo-updates']);
    await w.admin.call('packageListAdd', ['dist-foo-updates', 'hello', 'kojiadmin']);
  });
  afterAll(async () => hub?.stop());

  it('build and chainBuild make tasks as Koji does; the channel and priority policies see the request', async () => {
    const id = await w.alice.call<number>('build', ['cli-build/x/hello-1.2-3.src.rpm', 'dist-foo']);
    expect(await info(id)).toMatchObject({ method: 'build', priority: 23, channel_id: 1, arch: 'noarch', request: ['cli-build/x/hello-1.2-3.src.rpm', 'dist-foo', {}] });
    const scratch = await w.alice.call<number>('build', ['cli-build/x/hello-1.2-3.src.rpm', 'dist-foo', { scratch: true }], { priority: 2 });
    const chan = await w.admin.call<Row>('getChannel', ['scratchy']);
    expect(await info(scratch)).toMatchObject({ priority: 25, channel_id: chan.id });
    // a SCM build is not a scratch SRPM build: default channel
    const scm = await w.alice.call<number>('build', ['git+https://example.com/hello.git#abc', 'other-target', { scratch: true }], { channel: 'default' });
    expect(await info(scm)).toMatchObject({ priority: 20, channel_id: 1 });
    await expect(w.alice.call('build', ['x.src.rpm', 'dist-foo'], { priority: -5 })).rejects.toMatchObject({ faultCode: 1004, message: 'only admins may create high-priority tasks' });
    expect((await info(await w.admin.call<number>('build', ['x.src.rpm', 'dist-foo'], { priority: -5 }))).priority).toBe(18);
    await expect(w.alice.call('build', [5, 'dist-foo'])).rejects.toThrow("Invalid type for value '5': <class 'int'>, expected type <class 'str'>");
    await expect(w.alice.call('build', ['x.src.rpm', 'dist-foo'], { channel: 'nope' })).rejects.toThrow('No such channel: nope');
    await expect(hub.anon().call('build', ['x.src.rpm', 'dist-foo'])).rejects.toMatchObject({ faultCode: 1004, message: expect.stringContaining('logged in') });
    const chain = await w.alice.call<number>('chainBuild', [[['a.src.rpm'], ['b.src.rpm']], 'dist-foo'], { opts: { wait_builds: [] } });
    expect(await info(chain)).toMatchObject({ method: 'chainbuild', priority: 20, request: [[['a.src.rpm'], ['b.src.rpm']], 'dist-foo', { wait_builds: [] }] });
    await expect(w.alice.call('chainBuild', ['a.src.rpm', 'dist-foo'])).rejects.toThrow("expected type <class 'list'>");
    for (const t of [id, scratch, scm, chain]) await w.admin.call('cancelTask', [t]);
  });

  it("the build policies are the builder's to check, as the task's owner (host.assertPolicy, Koji's defaults)", async () => {
    const data = { source: 'cli-build/x/hello-1.2-3.src.rpm', build_tag: w.buildTag, tag: w.destTag, target: 'dist-foo', scratch: null, skip_tag: false, from_scm: false, repo_id: null };
    const alice = await userId(hub, 'alice');
    await expect(b1.call('host.assertPolicy', ['build_from_srpm', { ...data, user_id: alice }])).rejects.toMatchObject({
      faultCode: 1004,
      message: 'policy violation (build_from_srpm): Only admin can do this via default policy',
    });
    await b1.call('host.assertPolicy', ['build_from_srpm', { ...data, user_id: await userId(hub, 'kojiadmin') }]);
    await b1.call('host.assertPolicy', ['build_rpm', { ...data, user_id: alice }]);
  });

  it('tagBuild checks at once and makes a task; host.tagBuild tags as the task owner', async () => {
    const tag = w.destTag;
    const task = await w.alice.call<number>('tagBuild', ['dist-foo', 'hello-1.2-3']);
    expect(await info(task)).toMatchObject({ method: 'tagBuild', priority: 10, owner: await userId(hub, 'alice'), request: [tag, hello, false, null] });
    await take(w.admin, b1, 'b1', task);
    const b1Id = await b1.call<number>('host.getID');
    const b2Id = await b2.call<number>('host.getID');
    await expect(b2.call('host.tagBuild', [task, tag, hello])).rejects.toThrow(`host ${b2Id} does not own task ${task}`);
    await b1.call('host.tagBuild', [task, tag, hello]);
    expect((await w.admin.call<Row[]>('listTagged', ['dist-foo'])).map((b) => b.nvr)).toEqual(['hello-1.2-3']);
    const row = await sqlOne<{ creator_id: number }>(hub, 'SELECT creator_id FROM tag_listing WHERE tag_id = $1 AND build_id = $2 AND active IS TRUE', [tag, hello]);
    expect(row.creator_id).toBe(await userId(hub, 'alice'));
    expect(await b1.call('host.tagNotification', [true, tag, null, hello, await userId(hub, 'alice')])).toBeNull();
    await expect(b1.call('host.tagBuild', [task, tag, hello])).rejects.toThrow('build hello-1.2-3 already tagged (dist-foo)');
    expect(b1Id).not.toBe(b2Id);

    await w.admin.call('createTag', ['other']);
    await expect(w.alice.call('tagBuild', ['other', hello])).rejects.toMatchObject({ faultCode: 1003, message: 'Package hello not in list for other' });
    await w.admin.call('editTag2', ['other'], { locked: true });
    await expect(w.alice.call('tagBuild', ['other', hello])).rejects.toMatchObject({ faultCode: 1004, message: 'tag is locked' });
    const building = await w.admin.call<number>('createEmptyBuild', ['hello', '1.2', '4', 2]);
    await hub.db.rawQuery('UPDATE build SET state = 0, completion_time = NULL WHERE id = $1', [building]);
    await expect(w.alice.call('tagBuild', ['dist-foo', building])).rejects.toThrow('build hello-1.2-4 not complete: state BUILDING');
    await expect(w.alice.call('tagBuild', ['nope', hello])).rejects.toThrow('No such tagInfo');
  });

  it('moveBuild is a tagBuild task with fromtag; moveAllBuilds chains dependantTasks', async () => {
    const task = await w.alice.call<number>('moveBuild', ['dist-foo', 'dist-foo-updates', hello]);
    const updates = (await w.admin.call<Row>('getTag', ['dist-foo-updates'])).id as number;
    expect((await info(task)).request).toEqual([updates, hello, false, w.destTag]);
    await take(w.admin, b1, 'b1', task);
    await b1.call('host.tagBuild', [task, updates, hello], { fromtag: w.destTag });
    expect(await w.admin.call('listTagged', ['dist-foo'])).toEqual([]);
    expect((await w.admin.call<Row[]>('listTagged', ['dist-foo-updates'])).map((b) => b.nvr)).toEqual(['hello-1.2-3']);

    const tasks = await w.alice.call<number[]>('moveAllBuilds', ['dist-foo-updates', 'dist-foo', 'hello']);
    expect(tasks).toHaveLength(1);
    expect(await info(tasks[0])).toMatchObject({ method: 'dependantTask', request: [[], [['tagBuild', [w.destTag, hello, false, updates], { priority: 15 }]]] });
    await expect(w.alice.call('moveAllBuilds', ['dist-foo-updates', 'other', 'hello'])).rejects.toThrow('Package hello not in list for tag other');
    await expect(w.alice.call('moveAllBuilds', ['dist-foo-updates', 'dist-foo', 'nope'])).rejects.toThrow('No such entry in table package: nope');
  });

  it('getAverageBuildDuration, applyVolumePolicy, checkTagAccess, mergeScratch', async () => {
    expect(await hub.anon().call('getAverageBuildDuration', ['hello'])).toBeNull();
    const task = await w.admin.call<number>('makeTask', ['build', ['x.src.rpm', 'dist-foo', {}]]);
    await hub.db.rawQuery("UPDATE build SET task_id = $2, completion_time = (SELECT time FROM events WHERE id = build.create_event) + interval '90 seconds' WHERE id = $1", [hello, task]);
    // a float, as Koji's
    expect(await hub.anon().call('getAverageBuildDuration', ['hello'])).toEqual(new Float(90));
    expect(await hub.anon().call('getAverageBuildDuration', ['hello'], { age: 1 })).toEqual(new Float(90));
    expect(await hub.anon().call('getAverageBuildDuration', ['nope'])).toBeNull();

    expect(await w.admin.call('applyVolumePolicy', [hello])).toBeNull();
    expect((await w.admin.call<Row>('getBuild', [hello])).volume_name).toBe('DEFAULT');
    await expect(w.alice.call('applyVolumePolicy', [hello])).rejects.toMatchObject({ faultCode: 1004 });

    expect(await w.admin.call('checkTagAccess', ['dist-foo'])).toEqual([true, true, '']);
    expect(await w.alice.call('checkTagAccess', ['other'])).toEqual([false, false, 'tag is locked']);
    expect(await w.admin.call('checkTagAccess', ['other', await userId(hub, 'alice')])).toEqual([false, false, 'tag is locked']);

    await expect(w.admin.call('mergeScratch', [999999])).rejects.toMatchObject({ faultCode: 1020, message: 'No such task: 999999' });
    await expect(w.admin.call('mergeScratch', [task])).rejects.toThrow(`task ${task} did not complete successfully`);
    await expect(w.alice.call('mergeScratch', [task])).rejects.toMatchObject({ faultCode: 1004 });
  });
});
