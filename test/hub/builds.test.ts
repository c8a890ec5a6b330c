/**
 * Build calls on both engines: createEmptyBuild (packages, drafts, recycling, refusals),
 * listBuilds filters and queryOpts, getNextRelease, setBuildOwner/Timestamp, untaggedBuilds,
 * buildReferences, deleteBuild (references, files) and resetBuild, getBuildType, getBuildLogs,
 * and the read-only task and buildroot calls.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Float, type XmlRpcValue } from '../../src/protocol/values.ts';
import { PathInfo } from '../../src/util/pathinfo.ts';
import { engines } from '../helpers/db.ts';
import { startTestHub, type TestHub } from '../helpers/hub.ts';
import { addArchive, addStandardBuildroot, addTask, sqlOne } from '../helpers/build-content.ts';
import type { ClientSession } from '../../src/protocol/client.ts';

type Row = Record<string, XmlRpcValue>;

describe.each(engines())('build calls on %s', (engine) => {
  let hub: TestHub;
  let admin: ClientSession;
  const ids: Record<string, number> = {};
  beforeAll(async () => {
    hub = await startTestHub(engine);
    admin = await hub.login();
    await admin.call('createUser', ['alice']);
    await admin.call('kojits.setPassword', ['alice', 'alice-pw']);
    ids.bash1 = await admin.call<number>('createEmptyBuild', ['bash', '5.1', '1.fc40', null]);
    ids.bash2 = await admin.call<number>('createEmptyBuild', ['bash', '5.2', '3.fc40', 1], { owner: 'alice' });
    ids.zsh = await admin.call<number>('createEmptyBuild', ['zsh', '5.9', '2', null]);
  });
  afterAll(async () => hub?.stop());

  const anon = () => hub.anon();

  it('createEmptyBuild creates the package and a COMPLETE build owned by the caller (or owner)', async () => {
    const b = await anon().call<Row>('getBuild', ['bash-5.2-3.fc40']);
    expect(b).toMatchObject({ id: ids.bash2, name: 'bash', package_name: 'bash', version: '5.2', release: '3.fc40', epoch: 1, state: 1, owner_name: 'alice', volume_name: 'DEFAULT', draft: false, nvr: 'bash-5.2-3.fc40', extra: null });
    expect((await anon().call<Row>('getBuild', [ids.bash1])).owner_name).toBe('kojiadmin');
    expect(await anon().call('getPackageID', ['zsh'])).toBeTypeOf('number');
    expect(await anon().call('findBuildID', ['zsh-5.9-2'])).toBe(ids.zsh);
    expect(await anon().call('getBuild', ['nope-1-1'])).toBeNull();
    await expect(anon().call('getBuild', ['nope-1-1'], { strict: true })).rejects.toThrow("No such build: 'nope-1-1'");
  });

  it('getBuild lookups made together (a read-only multicall, concurrent calls) answer each on its own', async () => {
    const one = async (info: XmlRpcValue) => anon().call<Row | null>('getBuild', [info]);
    const expected = [await one('bash-5.2-3.fc40'), await one(ids.bash1), await one(ids.zsh)];
    const res = await anon().multiCall([
      { method: 'getBuild', args: ['bash-5.2-3.fc40'] },
      { method: 'getBuild', args: [ids.bash1] },
      { method: 'getBuild', args: [{ name: 'zsh', version: '5.9', release: '2' }] },
      { method: 'getBuild', args: ['bash-5.2-3.fc40'] },
      { method: 'getBuild', args: ['nope-1-1'] },
      { method: 'getBuild', args: [999_999] },
      { method: 'getBuild', args: ['nope-1-1'], kwargs: { strict: true } },
      { method: 'getBuild', args: ['nodashes'] },
      { method: 'getBuild', args: [ids.zsh] },
    ]);
    expect(res.slice(0, 4)).toEqual([[expected[0]], [expected[1]], [expected[2]], [expected[0]]]);
    expect(res.slice(4, 6)).toEqual([[null], [null]]);
    expect(res[6]).toMatchObject({ faultString: "No such build: 'nope-1-1'" });
    expect(res[7]).toMatchObject({ faultString: 'invalid format: nodashes' });
    expect(res[8]).toEqual([expected[2]]);
    const together = await Promise.all(['bash-5.2-3.fc40', ids.bash1, 'bash-5.2-3.fc40', 'zsh-5.9-2', 'nope-1-1'].map(one));
    expect(together).toEqual([expected[0], expected[1], expected[0], expected[2], null]);
  });

  it('createEmptyBuild refuses duplicates, bad names, and non-admins; drafts get ",draft_<id>"', async () => {
    await expect(admin.call('createEmptyBuild', ['bash', '5.1', '1.fc40', null])).rejects.toThrow(
      `Build already exists (id=${ids.bash1}, state=COMPLETE): {'name': 'bash', 'version': '5.1', 'release': '1.fc40', 'epoch': None, 'draft': False, 'pkg_id':`,
    );
    await expect(admin.call('createEmptyBuild', ['a/b', '1', '1', null])).rejects.toThrow(/Invalid package name "a\/b"/);
    await expect(admin.call('createEmptyBuild', ['ok', '..', '1', null])).rejects.toThrow(/Invalid version/);
    await expect(admin.call('createEmptyBuild', ['ok', '1', 'x/y', null])).rejects.toThrow(/Invalid release/);
    await expect(admin.call('createEmptyBuild', ['ok\n', '1', '1', null])).rejects.toThrow();
    const alice = await hub.login('alice', 'alice-pw');
    await expect(alice.call('createEmptyBuild', ['ok', '1', '1', null])).rejects.toThrow(/admin/);
    const d = await admin.call<number>('createEmptyBuild', ['bash', '5.1', '1.fc40x', null], { draft: true });
    ids.draft = d;
    expect(await anon().call<Row>('getBuild', [d])).toMatchObject({ draft: true, release: `1.fc40x,draft_${d}` });
    await expect(admin.call('createEmptyBuild', ['bash', '5.1', '1.fc40', null], { draft: true })).rejects.toThrow(`Target build already exists: bash-5.1-1.fc40 (id=${ids.bash1})`);
  });

  it('createEmptyBuild recycles a CANCELED build', async () => {
    const id = await admin.call<number>('createEmptyBuild', ['recy', '1', '1', null]);
    await hub.db.rawQuery('UPDATE build SET state = 4 WHERE id = $1', [id]);
    expect(await admin.call('createEmptyBuild', ['recy', '1', '1', 3])).toBe(id);
    expect(await anon().call<Row>('getBuild', [id])).toMatchObject({ state: 1, epoch: 3 });
  });

  it('listBuilds filters by package, owner, state, prefix, pattern, draft, type and times', async () => {
    const nvrs = async (kw: Row) => (await anon().call<Row[]>('listBuilds', [], kw as never)).map((b) => b.nvr);
    expect(await nvrs({ packageID: 'bash', draft: false })).toEqual(['bash-5.1-1.fc40', 'bash-5.2-3.fc40']);
    expect(await nvrs({ packageID: 'nope' })).toEqual([]);
    expect(await nvrs({ userID: 'alice' })).toEqual(['bash-5.2-3.fc40']);
    expect(await nvrs({ userID: 'ghost' })).toEqual([]);
    expect(await nvrs({ prefix: 'ZS' })).toEqual(['zsh-5.9-2']);
    expect(await nvrs({ pattern: 'bash-5.?-*.fc40' })).toEqual(['bash-5.1-1.fc40', 'bash-5.2-3.fc40']);
    expect(await nvrs({ draft: true })).toEqual([`bash-5.1-1.fc40x,draft_${ids.draft}`]);
    expect(await nvrs({ state: 2 })).toEqual([]);
    expect(await nvrs({ taskID: -1 })).toEqual([]);
    expect(await nvrs({ volumeID: 0, prefix: 'zsh' })).toEqual(['zsh-5.9-2']);
    expect(await nvrs({ createdAfter: 1, prefix: 'zsh' })).toEqual(['zsh-5.9-2']);
    expect(await nvrs({ completeBefore: new Float(1000.5), prefix: 'zsh' })).toEqual([]);
    expect(await nvrs({ completeAfter: '2000-01-01 00:00:00', prefix: 'zsh' })).toEqual(['zsh-5.9-2']);
    expect(await nvrs({ cgID: 'nope' })).toEqual([]);
    expect(await nvrs({ type: 'maven' })).toEqual([]);
    await expect(anon().call('listBuilds', [], { type: 'bogus' })).rejects.toThrow('unsupported build type: bogus');
    await hub.db.rawQuery("UPDATE build SET source = 'git://example.com/zsh#abc' WHERE id = $1", [ids.zsh]);
    expect(await nvrs({ source: 'git://*/zsh#*' })).toEqual(['zsh-5.9-2']);
    const b = (await anon().call<Row[]>('listBuilds', [], { packageID: 'zsh' }))[0];
    expect(Object.keys(b).sort()).toEqual(
      ['build_id', 'completion_time', 'completion_ts', 'creation_event_id', 'creation_time', 'creation_ts', 'draft', 'epoch', 'extra', 'name', 'nvr', 'owner_id', 'owner_name', 'package_id', 'package_name', 'promoter_id', 'promoter_name', 'promotion_time', 'promotion_ts', 'release', 'source', 'start_time', 'start_ts', 'state', 'task_id', 'version', 'volume_id', 'volume_name'].sort(),
    );
    expect(b.creation_ts).toBeInstanceOf(Float);
    expect(await anon().call('listBuilds', [], { packageID: 'bash', queryOpts: { countOnly: true } })).toBe(3);
    expect((await anon().call<Row[]>('listBuilds', [], { packageID: 'bash', draft: false, queryOpts: { order: '-build_id', limit: 1 } }))[0].nvr).toBe('bash-5.2-3.fc40');
    const asList = await anon().call<unknown[][]>('listBuilds', [], { packageID: 'zsh', queryOpts: { asList: true } });
    expect(asList[0]).toHaveLength(28);
  });

  it('getNextRelease increments the newest non-draft release', async () => {
    const next = (name: string, version: string, incr?: number) => anon().call<string>('getNextRelease', [{ name, version }], incr === undefined ? {} : { incr });
    expect(await next('bash', '5.2')).toBe('4.fc40');
    expect(await next('bash', '5.1', 2)).toBe('3.fc40');
    expect(await next('bash', '9.9')).toBe('1');
    await admin.call('createEmptyBuild', ['nightly', '1', '20240101.nightly.7', null]);
    expect(await next('nightly', '1')).toBe('20240101.nightly.8');
    await admin.call('createEmptyBuild', ['weird', '1', 'a.b.c.d', null]);
    await expect(next('weird', '1')).rejects.toThrow('Unable to increment release value: a.b.c.d');
    await expect(anon().call('getNextRelease', [{ name: 'bash', version: '5.2' }], { incr: 'x' })).rejects.toThrow('incr parameter must be an integer');
  });

  it('setBuildOwner and setBuildTimestamp', async () => {
    await admin.call('setBuildOwner', ['zsh-5.9-2', 'alice']);
    await admin.call('setBuildTimestamp', [ids.zsh, 1700000000]);
    const b = await anon().call<Row>('getBuild', [ids.zsh]);
    expect(b.owner_name).toBe('alice');
    expect(Number(b.completion_ts)).toBe(1700000000);
    await expect(admin.call('setBuildTimestamp', [ids.zsh, 'soon'])).rejects.toThrow('Invalid type for timestamp');
    await expect(admin.call('setBuildOwner', [ids.zsh, 'ghost'])).rejects.toThrow();
  });

  it('untaggedBuilds, buildReferences, deleteBuild and resetBuild', async () => {
    await admin.call('createTag', ['f40']);
    await admin.call('tagBuildBypass', ['f40', 'bash-5.2-3.fc40', true]);
    const untagged = await anon().call<Row[]>('untaggedBuilds', [], { name: 'bash', draft: false });
    expect(untagged).toEqual([{ id: ids.bash1, name: 'bash', version: '5.1', release: '1.fc40' }]);
    const refs = await anon().call<Row>('buildReferences', ['bash-5.2-3.fc40']);
    expect(refs).toMatchObject({ tags: [{ tag_id: expect.any(Number), name: 'f40' }], rpms: [], archives: [], component_of: [], last_used: null, images: [] });
    await expect(admin.call('deleteBuild', ['bash-5.2-3.fc40'])).rejects.toThrow(/Cannot delete build, tagged: \[\{'tag_id': \d+, 'name': 'f40'\}\]/);
    expect(await admin.call('deleteBuild', ['bash-5.2-3.fc40'], { strict: false })).toBe(false);

    // bash-5.1 was used in a buildroot that built zsh: referenced, then too recent
    const host = await admin.call<number>('addHost', ['builder1', ['x86_64']]);
    const task = await addTask(hub, { method: 'buildArch', request: ['x.src.rpm', 1, 'x86_64', true, {}], hostId: host });
    const tagId = (await anon().call<Row>('getTag', ['f40'])).id as number;
    const br = await addStandardBuildroot(hub, { hostId: host, tagId, taskId: task, arch: 'x86_64' });
    const bashRpm = (await sqlOne<{ id: number }>(hub, "INSERT INTO rpminfo (build_id, name, version, release, arch, draft, external_repo_id, payloadhash, size, buildtime) VALUES ($1, 'bash', '5.1', '1.fc40', 'x86_64', false, 0, 'aa', 1, 1) RETURNING id", [ids.bash1])).id;
    const zshRpm = (await sqlOne<{ id: number }>(hub, "INSERT INTO rpminfo (build_id, buildroot_id, name, version, release, arch, draft, external_repo_id, payloadhash, size, buildtime) VALUES ($1, $2, 'zsh', '5.9', '2', 'x86_64', false, 0, 'bb', 1, 1) RETURNING id", [ids.zsh, br.id])).id;
    await hub.db.rawQuery('INSERT INTO buildroot_listing (buildroot_id, rpm_id) VALUES ($1, $2)', [br.id, bashRpm]);
    const refs2 = await anon().call<Row>('buildReferences', [ids.bash1]);
    expect(refs2.rpms).toEqual([{ id: zshRpm, name: 'zsh', version: '5.9', release: '2', arch: 'x86_64', build_id: ids.zsh }]);
    expect(refs2.last_used).toBeInstanceOf(Float);
    expect(await anon().call('buildReferences', [ids.bash1], { lazy: true })).toEqual({ tags: [], rpms: refs2.rpms });
    await expect(admin.call('deleteBuild', [ids.bash1])).rejects.toThrow(/Cannot delete build, used in buildroots: \[\{'id': \d+, 'name': 'zsh'/);
    await hub.db.rawQuery('DELETE FROM rpminfo WHERE id = $1', [zshRpm]);
    await expect(admin.call('deleteBuild', [ids.bash1])).rejects.toThrow('Cannot delete build, used in recent buildroot');

    // an unreferenced build: deleted, files gone, rpmsigs gone
    const gone = await admin.call<number>('createEmptyBuild', ['gone', '1', '1', null]);
    const dir = new PathInfo(hub.kojiDir).build({ name: 'gone', version: '1', release: '1' });
    mkdirSync(`${dir}/noarch`, { recursive: true });
    writeFileSync(`${dir}/noarch/gone-1-1.noarch.rpm`, 'x');
    const rpm = (await sqlOne<{ id: number }>(hub, "INSERT INTO rpminfo (build_id, name, version, release, arch, draft, external_repo_id, payloadhash, size, buildtime) VALUES ($1, 'gone', '1', '1', 'noarch', false, 0, 'cc', 1, 1) RETURNING id", [gone])).id;
    await hub.db.rawQuery("INSERT INTO rpmsigs (rpm_id, sigkey, sighash) VALUES ($1, 'abcd1234', 'ff')", [rpm]);
    expect(await admin.call('deleteBuild', ['gone-1-1'])).toBe(true);
    expect((await anon().call<Row>('getBuild', [gone])).state).toBe(2);
    expect(existsSync(dir)).toBe(false);
    expect((await sqlOne<{ n: number }>(hub, 'SELECT count(*)::int AS n FROM rpmsigs WHERE rpm_id = $1', [rpm])).n).toBe(0);
    expect(await admin.call('deleteBuild', ['gone-1-1'])).toBeNull();

    // resetBuild: everything but the build row
    await admin.call('resetBuild', ['gone-1-1']);
    expect(await anon().call<Row>('getBuild', [gone])).toMatchObject({ state: 4, task_id: null, volume_id: 0 });
    expect(await anon().call('listRPMs', [], { buildID: gone })).toEqual([]);
    expect(await admin.call('resetBuild', ['never-1-1'])).toBeNull();
    const alice = await hub.login('alice', 'alice-pw');
    await expect(alice.call('deleteBuild', ['zsh-5.9-2'])).rejects.toThrow(/admin/);
  });

  it('getBuildType, typed builds, getBuildLogs', async () => {
    await hub.db.rawQuery("INSERT INTO maven_builds (build_id, group_id, artifact_id, version) VALUES ($1, 'org.ex', 'zsh', '5.9')", [ids.zsh]);
    await addArchive(hub, ids.zsh, 'zsh-5.9.jar', { type: 'jar', btype: 'maven', maven: { group_id: 'org.ex', artifact_id: 'zsh', version: '5.9' } });
    await hub.db.rawQuery(`UPDATE build SET extra = '{"typeinfo": {"maven": {"x": 1}}}' WHERE id = $1`, [ids.zsh]);
    expect(await anon().call('getBuildType', ['zsh-5.9-2'])).toEqual({ maven: { build_id: ids.zsh, group_id: 'org.ex', artifact_id: 'zsh', version: '5.9' } });
    expect(await anon().call('getMavenBuild', [ids.zsh])).toEqual({ build_id: ids.zsh, group_id: 'org.ex', artifact_id: 'zsh', version: '5.9' });
    expect(await anon().call('getWinBuild', [ids.zsh])).toBeNull();
    await expect(anon().call('getImageBuild', [ids.zsh], { strict: true })).rejects.toThrow(`no such image build: ${ids.zsh}`);
    expect((await anon().call<Row[]>('listBuilds', [], { type: 'maven', typeInfo: { artifact_id: 'zsh' } })).map((b) => b.maven_version)).toEqual(['5.9']);
    expect(await anon().call('getBuildLogs', [ids.zsh])).toEqual([]);
    const logs = new PathInfo(hub.kojiDir).buildLogs({ name: 'zsh', version: '5.9', release: '2' });
    mkdirSync(`${logs}/x86_64`, { recursive: true });
    writeFileSync(`${logs}/build.log`, 'log');
    writeFileSync(`${logs}/x86_64/root.log`, 'log');
    expect(await anon().call('getBuildLogs', [ids.zsh])).toEqual([
      { name: 'build.log', dir: '.', path: 'packages/zsh/5.9/2/data/logs/./build.log' },
      { name: 'root.log', dir: 'x86_64', path: 'packages/zsh/5.9/2/data/logs/x86_64/root.log' },
    ]);
  });

  it('reads tasks and buildroots', async () => {
    const parent = await addTask(hub, { method: 'build', request: ['git://x/y#1', 'f40-candidate', {}], state: 2, result: { value: 'done' }, arch: 'noarch' });
    const child = await addTask(hub, { method: 'buildArch', request: ['y.src.rpm', 1, 'x86_64', true, { __starstar: true }], parent, state: 5, result: { faultCode: 1005, faultString: 'boom' }, owner: 'alice' });
    const info = await anon().call<Row>('getTaskInfo', [parent], { request: true });
    expect(info).toMatchObject({ id: parent, method: 'build', state: 2, request: ['git://x/y#1', 'f40-candidate', {}], parent: null, arch: 'noarch', weight: expect.any(Float) });
    expect(await anon().call<Row[]>('getTaskInfo', [[parent, 999999]])).toEqual([expect.objectContaining({ id: parent }), null]);
    await expect(anon().call('getTaskInfo', [999999], { strict: true })).rejects.toThrow('query returned no rows');
    expect((await anon().call<Row[]>('getTaskChildren', [parent])).map((t) => t.id)).toEqual([child]);
    expect(Object.keys(await anon().call<Row>('getTaskDescendents', [parent]))).toEqual([String(parent), String(child)]);
    expect(await anon().call('getTaskResult', [parent])).toBe('done');
    await expect(anon().call('getTaskResult', [child])).rejects.toThrow('boom');
    expect(await anon().call('getTaskResult', [child], { raise_fault: false })).toEqual({ faultCode: 1005, faultString: 'boom' });
    const list = await anon().call<Row[]>('listTasks', [], { opts: { parent, decode: true } });
    expect(list).toEqual([expect.objectContaining({ id: child, owner_name: 'alice', owner_type: 0, request: ['y.src.rpm', 1, 'x86_64', true, { __starstar: true }], result: { faultCode: 1005, faultString: 'boom' } })]);
    const raw = await anon().call<Row[]>('listTasks', [], { opts: { method: 'build', state: [2] } });
    expect(raw.map((t) => t.id)).toEqual([parent]);
    expect(String(raw[0].request)).toMatch(/^<\?xml/);
    expect(await anon().call('listTasks', [], { opts: { owner: (await anon().call<Row>('getUser', ['alice'])).id, parent: null }, queryOpts: { countOnly: true } })).toBe(0);
    expect(await anon().call('listTasks', [], { opts: { not_parent: null }, queryOpts: { countOnly: true } })).toBe(1);
    expect((await anon().call<Row[]>('listTasks', [], { opts: { createdBefore: 1 } }))).toEqual([]);

    const brs = await anon().call<Row[]>('listBuildroots', [], { hostID: (await anon().call<Row>('getHost', ['builder1'])).id, queryOpts: { order: 'buildroot.id' } });
    expect(brs).toHaveLength(1);
    expect(brs[0]).toMatchObject({ br_type: 0, arch: 'x86_64', tag_name: 'f40', host_name: 'builder1', state: 2, repo_state: 1, extra: null });
    expect(await anon().call('getBuildroot', [brs[0].id])).toEqual(brs[0]);
    expect(await anon().call('getBuildroot', [99999])).toBeNull();
    await expect(anon().call('getBuildroot', [99999], { strict: true })).rejects.toThrow('No such buildroot: 99999');
    const bashRpm = (await anon().call<Row[]>('listRPMs', [], { buildID: ids.bash1 }))[0].id;
    expect((await anon().call<Row[]>('listBuildroots', [], { rpmID: bashRpm })).map((b) => b.id)).toEqual([brs[0].id]);
    expect(await anon().call('listBuildroots', [], { rpmID: bashRpm, state: [0, 1] })).toEqual([]);
    expect(await anon().call('getBuildrootListing', [brs[0].id])).toEqual([expect.objectContaining({ rpm_id: bashRpm, name: 'bash', is_update: false, external_repo_name: 'INTERNAL' })]);
  });
});
