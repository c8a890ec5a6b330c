/**
 * The hub side of an RPM build on both engines, driven as kojid drives it with real packages
 * from rpmbuild: build → task; the host opens it, initBuild (BUILDING), a buildArch child with
 * its buildroot (newBuildRoot, setBuildRootList with external rpms, BUILDING,
 * updateBuildRootList, EXPIRED), uploads, completeBuild (COMPLETE, rpms with their buildroot,
 * files at pathinfo paths, logs); another host's calls refused; an existing N-V-R refused;
 * failBuild and recycling; cancelBuild; moveBuildToScratch.
 */
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClientSession } from '../../src/protocol/client.ts';
import { encodeResponse } from '../../src/protocol/encode.ts';
import type { XmlRpcStruct, XmlRpcValue } from '../../src/protocol/values.ts';
import { PathInfo } from '../../src/util/pathinfo.ts';
import { engines } from '../helpers/db.ts';
import { startTestHub, type TestHub } from '../helpers/hub.ts';
import { hostSession } from '../helpers/repos.ts';
import { sqlOne } from '../helpers/build-content.ts';
import { buildArchChild, buildWorld, take, uploadForTask, type BuildWorld } from '../helpers/build-flow.ts';
import { buildFixture, scratchFile, SKIP_RPMBUILD_TESTS, type BuiltFixture } from '../rpm/build-fixtures.ts';

type Row = Record<string, XmlRpcValue>;
const BUILDING = 0;
const COMPLETE = 1;
const FAILED = 3;
const CANCELED = 4;
const ext = (name: string, n: number) => ({ name, version: '1.0', release: `${n}`, epoch: null, arch: 'x86_64', payloadhash: `${n}`.padStart(32, 'a'), size: 1000 + n, buildtime: 1700000000 + n, location: 'base-ext' });

describe.skipIf(SKIP_RPMBUILD_TESTS).each(engines())('host build calls on %s', (engine) => {
  let hub: TestHub;
  let w: BuildWorld;
  let b1: ClientSession;
  let b2: ClientSession;
  let hello: BuiltFixture;
  let arched: BuiltFixture;
  let b1Id: number;
  let b2Id: number;
  let logDir: string;
  const pi = () => new PathInfo(hub.kojiDir);
  const helloData = (task: number) => ({ name: 'hello', version: '1.2', release: '3', epoch: 2, task_id: task });
  const archedData = (task: number) => ({ name: 'arched', version: '0.9.1', release: '1.fc99', epoch: null, task_id: task });
  const newBuildTask = async (fixture: BuiltFixture, opts: XmlRpcStruct = {}) => {
    const dir = `cli-build/${Math.random().toString(36).slice(2)}`;
    await w.alice.uploadWrapper(fixture.srpm, dir);
    const id = await w.alice.call<number>('build', [`${dir}/${fixture.srpm.split('/').pop()}`, 'dist-foo', opts]);
    await take(w.admin, b1, 'b1', id);
    return id;
  };

  beforeAll(async () => {
    hello = buildFixture('hello');
    arched = buildFixture('arched');
    logDir = mkdtempSync(join(tmpdir(), 'kojits-buildlogs-'));
    hub = await startTestHub(engine, { conf: '[policy]\nvolume =\n    package arched && match import_type rpm :: vol2\n    all :: DEFAULT\n' });
    w = await buildWorld(hub);
    b1 = await hostSession(hub, w.admin, 'b1');
    b2 = await hostSession(hub, w.admin, 'b2');
    b1Id = await b1.call<number>('host.getID');
    b2Id = await b2.call<number>('host.getID');
    await w.admin.call('createExternalRepo', ['base-ext', 'file:///srv/base/']);
    mkdirSync(`${hub.kojiDir}/vol/vol2`, { recursive: true });
    await w.admin.call('addVolume', ['vol2']);
  });
  afterAll(async () => {
    await hub?.stop();
    rmSync(logDir, { recursive: true, force: true });
  });

  it('a build from a build task to COMPLETE: initBuild, buildroot, uploads, completeBuild', async () => {
    const task = await newBuildTask(hello);
    const info = await w.admin.call<Row>('getTaskInfo', [task], { request: true });
    expect(info).toMatchObject({ method: 'build', owner: (await w.admin.call<Row>('getUser', ['alice'])).id, priority: 20, arch: 'noarch', state: 1, host_id: b1Id });
    expect((info.request as XmlRpcValue[]).slice(1)).toEqual(['dist-foo', {}]);

    await expect(b2.call('host.initBuild', [helloData(task)])).rejects.toMatchObject({ faultCode: 1004, message: `host ${b2Id} does not own task ${task}` });
    await expect(b1.call('host.initBuild', [{ name: 'hello' }])).rejects.toThrow("initBuild data has no task_id: {'name': 'hello'}");
    const buildId = await b1.call<number>('host.initBuild', [{ ...helloData(task), source: 'hello-1.2-3.src.rpm' }]);
    expect(await w.admin.call('getBuild', [buildId])).toMatchObject({ nvr: 'hello-1.2-3', epoch: 2, state: BUILDING, task_id: task, owner_name: 'alice', completion_time: null, source: 'hello-1.2-3.src.rpm' });
    // the task restarted: initBuild again gives the same build
    expect(await b1.call('host.initBuild', [helloData(task)])).toBe(buildId);

    const child = await buildArchChild(w.admin, b1, 'b1', task, 'x.src.rpm', w.buildTag, w.repoId);
    await expect(b1.call('host.newBuildRoot', [w.repoId, 'x86_64'], { task_id: child + 1000 })).rejects.toThrow(`No such task: ${child + 1000}`);
    const br = await b1.call<number>('host.newBuildRoot', [w.repoId, 'x86_64'], { task_id: child });
    expect(await w.admin.call('getBuildroot', [br])).toMatchObject({ id: br, state: 0, host_id: b1Id, host_name: 'b1', task_id: child, repo_id: w.repoId, tag_name: 'dist-foo-build', arch: 'x86_64', container_type: 'chroot', br_type: 0 });
    await b1.call('host.setBuildRootList', [br, [ext('bash', 1), ext('make', 2)]], { task_id: child });
    await expect(b1.call('host.updateBuildRootList', [br, [ext('gcc', 3)]])).rejects.toThrow(`buildroot ${br} in wrong state 0`);
    await expect(b2.call('host.setBuildRootState', [br, 'BUILDING'])).rejects.toThrow(`Host ${b2Id} not owner of buildroot ${br}`);
    await expect(b1.call('host.setBuildRootState', [br, 'BUILDING'], { task_id: task })).rejects.toThrow(`Task ${task} does not have lock on buildroot ${br}`);
    await expect(b1.call('host.setBuildRootState', [br, 'INIT'])).rejects.toThrow('Cannot change buildroot state to INIT');
    await expect(b1.call('host.setBuildRootState', [br, 'MELTED'])).rejects.toThrow("Invalid buildroot state: 'MELTED'");
    await b1.call('host.setBuildRootState', [br, 'BUILDING'], { task_id: child });
    await expect(b1.call('host.setBuildRootList', [br, [ext('gcc', 3)]])).rejects.toThrow(`buildroot ${br} in wrong state 2`);
    // bash again (already listed) is passed over; gcc is an update
    await b1.call('host.updateBuildRootList', [br, [ext('bash', 1), ext('gcc', 3)]], { task_id: child });
    await expect(b1.call('host.updateBuildRootList', [br, [{ ...ext('gcc', 3), payloadhash: 'f'.repeat(32) }]])).rejects.toThrow(
      `hash changed for external rpm: gcc-1.0-3.x86_64@base-ext (${'3'.padStart(32, 'a')} -> ${'f'.repeat(32)})`,
    );
    const listing = await w.admin.call<Row[]>('getBuildrootListing', [br]);
    expect(listing.map((r) => [r.name, r.is_update, r.external_repo_name, r.build_id])).toEqual([['bash', false, 'base-ext', null], ['make', false, 'base-ext', null], ['gcc', true, 'base-ext', null]]);
    expect((await w.admin.call<Row[]>('listRPMs', [], { componentBuildrootID: br })).map((r) => r.nvr).sort()).toEqual(['bash-1.0-1', 'gcc-1.0-3', 'make-1.0-2']);

    // the child uploads its results; another host may not upload into its folder
    await expect(b2.uploadWrapper(hello.srpm, pi().taskrelpath(child))).rejects.toThrow(/does not own task/);
    const srpm = await uploadForTask(b1, child, hello.srpm);
    const rpm = await uploadForTask(b1, child, hello.rpms[0]);
    const log = await uploadForTask(b1, child, scratchFile(join(logDir, 'a'), 'build.log', 'rpmbuild said hi\n'));
    const brmap = { [srpm]: br, [rpm]: br };
    await expect(b2.call('host.completeBuild', [task, buildId, srpm, [rpm], brmap])).rejects.toMatchObject({ faultCode: 1004 });
    await expect(b1.call('host.completeBuild', [task, buildId, srpm, ['tasks/../../etc/passwd'], brmap])).rejects.toThrow('Invalid upload path (outside the work dir)');
    await expect(b1.call('host.completeBuild', [task, buildId, srpm, [rpm], { [srpm]: 999999 }])).rejects.toThrow('no buildroot with ID: 999999');
    await expect(b1.call('host.completeBuild', [task, buildId, rpm, [], {}])).rejects.toThrow('not a source package');
    expect((await w.admin.call<Row>('getBuild', [buildId])).state).toBe(BUILDING);
    const done = await b1.call<Row>('host.completeBuild', [task, buildId, srpm, [rpm], brmap], { logs: { noarch: [log] } });
    expect(done).toMatchObject({ id: buildId, state: COMPLETE, volume_name: 'DEFAULT' });
    const build = await w.admin.call<Row>('getBuild', ['hello-1.2-3']);
    expect(build).toMatchObject({ state: COMPLETE, task_id: task, owner_name: 'alice' });
    expect(build.completion_ts).not.toBeNull();
    const rpms = await w.admin.call<Row[]>('listRPMs', [], { buildID: buildId });
    expect(rpms.map((r) => [r.arch, r.buildroot_id])).toEqual([['src', br], ['noarch', br]]);
    expect((await w.admin.call<Row[]>('listRPMs', [], { buildrootID: br })).length).toBe(2);
    const bdir = pi().build({ name: 'hello', version: '1.2', release: '3' });
    expect(readFileSync(`${bdir}/noarch/hello-1.2-3.noarch.rpm`).equals(readFileSync(hello.rpms[0]))).toBe(true);
    expect(readFileSync(`${bdir}/src/hello-1.2-3.src.rpm`).equals(readFileSync(hello.srpm))).toBe(true);
    expect(readFileSync(`${bdir}/data/logs/noarch/build.log`, 'utf8')).toBe('rpmbuild said hi\n');
    expect(await w.admin.call('getBuildLogs', [buildId])).toEqual([{ name: 'build.log', dir: 'noarch', path: 'packages/hello/1.2/3/data/logs/noarch/build.log' }]);
    // the task's output stays listed
    expect((await w.admin.call<string[]>('listTaskOutput', [child])).sort()).toEqual(['build.log', 'hello-1.2-3.noarch.rpm', 'hello-1.2-3.src.rpm']);
    await expect(b1.call('host.completeBuild', [task, buildId, srpm, [rpm], brmap])).rejects.toThrow('Unable to complete build: state is COMPLETE');

    await b1.call('host.setBuildRootState', [br, 'EXPIRED'], { task_id: child });
    await b1.call('host.setBuildRootState', [br, 3]);
    await expect(b1.call('host.setBuildRootState', [br, 'BUILDING'])).rejects.toThrow(`buildroot ${br} is EXPIRED`);
    expect(await w.admin.call('getBuildroot', [br])).toMatchObject({ state: 3 });
    expect((await w.admin.call<Row>('getBuildroot', [br])).retire_event_id).toEqual(expect.any(Number));

    // the same N-V-R again, from another task
    const again = await newBuildTask(hello);
    await expect(b1.call('host.initBuild', [helloData(again)])).rejects.toThrow(`Build already exists (id=${buildId}, state=COMPLETE): {'name': 'hello', 'version': '1.2', 'release': '3', 'epoch': 2,`);
    await b1.call('host.closeTask', [child, encodeResponse({})]);
    await b1.call('host.closeTask', [task, encodeResponse(null)]);
  });

  it('failBuild, then the N-V-R is recycled by a new task; cancelBuild by its owner cancels the task too', async () => {
    const task = await newBuildTask(arched);
    const id = await b1.call<number>('host.initBuild', [archedData(task)]);
    await expect(b2.call('host.failBuild', [task, id])).rejects.toMatchObject({ faultCode: 1004 });
    await b1.call('host.failBuild', [task, id]);
    expect((await w.admin.call<Row>('getBuild', [id])).state).toBe(FAILED);
    await expect(b1.call('host.failBuild', [task, id])).rejects.toThrow(`cannot update build ${id}, state: FAILED`);
    await b1.call('host.failTask', [task, encodeResponse(null)]);

    const task2 = await newBuildTask(arched);
    expect(await b1.call('host.initBuild', [archedData(task2)])).toBe(id);
    expect(await w.admin.call('getBuild', [id])).toMatchObject({ state: BUILDING, task_id: task2, completion_time: null });
    // another task may not take over a build in progress
    const task3 = await newBuildTask(arched);
    await expect(b1.call('host.initBuild', [archedData(task3)])).rejects.toThrow(`Build already in progress (task ${task2})`);
    await w.admin.call('cancelTask', [task3]);

    await w.admin.call('createUser', ['bob']);
    await w.admin.call('kojits.setPassword', ['bob', 'bob-pass-1']);
    const bob = await hub.login('bob', 'bob-pass-1');
    await expect(bob.call('cancelBuild', [id])).rejects.toThrow('Cannot cancel build, not owner');
    const child = await buildArchChild(w.admin, b1, 'b1', task2, 'x.src.rpm', w.buildTag, w.repoId);
    expect(await w.alice.call('cancelBuild', [id])).toBe(true);
    expect((await w.admin.call<Row>('getBuild', [id])).state).toBe(CANCELED);
    for (const t of [task2, child]) expect((await w.admin.call<Row>('getTaskInfo', [t])).state).toBe(3);
    expect(await w.alice.call('cancelBuild', [id])).toBe(false);
    expect(await w.alice.call('cancelBuild', ['nope-1-1'])).toBe(false);
    await expect(w.alice.call('cancelBuild', ['nope-1-1'], { strict: true })).rejects.toThrow('No such build');
    // the canceled task is no longer the host's to complete
    await expect(b1.call('host.failBuild', [task2, id])).rejects.toThrow(`host ${b1Id} does not own task ${task2}`);
  });

  it('moveBuildToScratch puts the results under scratch/<owner>/task_<id>/ and imports nothing', async () => {
    const task = await newBuildTask(arched, { scratch: true });
    const child = await buildArchChild(w.admin, b1, 'b1', task, 'x.src.rpm', w.buildTag, w.repoId);
    const srpm = await uploadForTask(b1, child, arched.srpm);
    const rpm = await uploadForTask(b1, child, arched.rpms[0]);
    const log = await uploadForTask(b1, child, scratchFile(join(logDir, 'b'), 'root.log', 'root\n'));
    await expect(b2.call('host.moveBuildToScratch', [task, srpm, [rpm]])).rejects.toMatchObject({ faultCode: 1004 });
    await expect(b1.call('host.moveBuildToScratch', [task, srpm, [`${rpm}.missing`]])).rejects.toThrow('No such file');
    await b1.call('host.moveBuildToScratch', [task, srpm, [rpm]], { logs: { x86_64: [log] } });
    const dir = `${pi().scratch()}/alice/task_${task}`;
    expect(readFileSync(`${dir}/${arched.rpms[0].split('/').pop()}`).equals(readFileSync(arched.rpms[0]))).toBe(true);
    expect(existsSync(`${dir}/${arched.srpm.split('/').pop()}`)).toBe(true);
    expect(readFileSync(`${dir}/logs/x86_64/root.log`, 'utf8')).toBe('root\n');
    expect(await w.admin.call('listRPMs', [], { buildID: (await w.admin.call<Row>('getBuild', ['arched-0.9.1-1.fc99'])).id })).toEqual([]);
    const rows = await sqlOne<{ n: string }>(hub, "SELECT count(*) AS n FROM rpminfo WHERE name = 'arched'");
    expect(Number(rows.n)).toBe(0);
  });

  it('completeBuild puts a build on the volume the volume policy picks, linked from DEFAULT (a CANCELED build recycled)', async () => {
    const canceled = await w.admin.call<Row>('getBuild', ['arched-0.9.1-1.fc99']);
    expect(canceled.state).toBe(CANCELED);
    const task = await newBuildTask(arched);
    const id = await b1.call<number>('host.initBuild', [archedData(task)]);
    expect(id).toBe(canceled.id);
    const child = await buildArchChild(w.admin, b1, 'b1', task, 'x.src.rpm', w.buildTag, w.repoId);
    const br = await b1.call<number>('host.newBuildRoot', [w.repoId, 'x86_64'], { task_id: child });
    const srpm = await uploadForTask(b1, child, arched.srpm);
    const rpm = await uploadForTask(b1, child, arched.rpms[0]);
    // an rpm of another build: the whole import is undone (no rows, no files, still BUILDING)
    const stray = await uploadForTask(b1, child, hello.rpms[0]);
    await expect(b1.call('host.completeBuild', [task, id, srpm, [rpm, stray], { [srpm]: br, [rpm]: br }])).rejects.toThrow(
      /srpm mismatch for .*hello-1\.2-3\.noarch\.rpm: hello-1\.2-3\.src\.rpm \(expected arched-0\.9\.1-1\.fc99\.src\.rpm\)/,
    );
    expect(await w.admin.call('getBuild', [id])).toMatchObject({ state: BUILDING, volume_name: 'DEFAULT' });
    expect(await w.admin.call('listRPMs', [], { buildID: id })).toEqual([]);
    expect(existsSync(`${hub.kojiDir}/vol/vol2/packages/arched/0.9.1/1.fc99/src/${arched.srpm.split('/').pop()}`)).toBe(false);
    await b1.call('host.completeBuild', [task, id, srpm, [rpm], { [srpm]: br, [rpm]: br }]);
    const b = await w.admin.call<Row>('getBuild', [id]);
    expect(b).toMatchObject({ state: COMPLETE, volume_name: 'vol2', task_id: task });
    const rpmName = arched.rpms[0].split('/').pop() as string;
    const arch = rpmName.split('.').at(-2) as string;
    const onVol = `${hub.kojiDir}/vol/vol2/packages/arched/0.9.1/1.fc99`;
    expect(readFileSync(`${onVol}/${arch}/${rpmName}`).equals(readFileSync(arched.rpms[0]))).toBe(true);
    const link = pi().build({ name: 'arched', version: '0.9.1', release: '1.fc99' });
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readlinkSync(link)).toBe('../../../vol/vol2/packages/arched/0.9.1/1.fc99');
    expect((await w.admin.call<Row[]>('listRPMs', [], { buildID: id })).map((r) => [r.arch, r.buildroot_id])).toEqual([['src', br], [arch, br]]);
  });
});
