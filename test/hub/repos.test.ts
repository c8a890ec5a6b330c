/**
 * Repos on the hub: host.repoInit's skeleton (inheritance, blocked packages, noarch in every
 * arch, debuginfo and src by option, comps from the tag's groups), host.repoDone (repodata moved
 * in, READY, the latest link, the previous repo kept), states and their transitions, repoDelete
 * refused while buildroots use the repo, getRepo at events, newRepo tasks, permission faults and
 * kojits.repo.waitChanges waking on a tagBuild.
 */
import { existsSync, mkdirSync, readFileSync, readlinkSync, realpathSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClientSession } from '../../src/protocol/client.ts';
import type { XmlRpcStruct } from '../../src/protocol/values.ts';
import { engines } from '../helpers/db.ts';
import { startTestHub, type TestHub } from '../helpers/hub.ts';
import { addBuild, addRpms } from '../helpers/content.ts';
import { hostSession, repoContent } from '../helpers/repos.ts';
import { addStandardBuildroot, addTask, sqlOne } from '../helpers/build-content.ts';

type Repo = XmlRpcStruct & { id: number; state: number; create_event: number };
const RS = { INIT: 0, READY: 1, EXPIRED: 2, DELETED: 3, PROBLEM: 4 };

/** What a createrepo task uploads: repodata files under work/<dir>. */
function upload(hub: TestHub, dir: string, files: string[]): void {
  mkdirSync(`${hub.kojiDir}/work/${dir}`, { recursive: true });
  for (const f of files) writeFileSync(`${hub.kojiDir}/work/${dir}/${f}`, `${dir}/${f}\n`);
}

describe.each(engines())('repos on %s', (engine) => {
  let hub: TestHub;
  let admin: ClientSession;
  let alice: ClientSession;
  let builder: ClientSession;
  let tags: { base: string; build: string };
  const info = (id: number) => admin.call<Repo>('repoInfo', [id]);

  beforeAll(async () => {
    hub = await startTestHub(engine);
    admin = await hub.login();
    await admin.call('createUser', ['alice']);
    await admin.call('kojits.setPassword', ['alice', 'alice-pass-1']);
    alice = await hub.login('alice', 'alice-pass-1');
    builder = await hostSession(hub, admin, 'builder1');
    tags = await repoContent(hub, admin, 'r');
  });
  afterAll(async () => hub?.stop());

  it('repoInit writes the skeleton: inherited latest rpms, noarch in every arch, no debuginfo or src by default, blocks, comps', async () => {
    const [repoId, eventId] = await builder.call<[number, number]>('host.repoInit', [tags.build], { task_id: null });
    const dir = `${hub.kojiDir}/repos/${tags.build}/${repoId}`;
    expect(await info(repoId)).toMatchObject({ id: repoId, state: RS.INIT, create_event: eventId, tag_name: tags.build, dist: false, task_id: null, custom_opts: {} });
    expect((await info(repoId)).opts).toEqual({ src: false, debuginfo: false, separate_src: false, maven: false });
    expect(JSON.parse(readFileSync(`${dir}/repo.json`, 'utf8'))).toEqual({
      id: repoId, tag: tags.build, tag_id: (await info(repoId)).tag_id, task_id: null, event_id: eventId,
      opts: { src: false, debuginfo: false, separate_src: false, maven: false }, custom_opts: {}, with_src: false, with_separate_src: false, with_debuginfo: false,
    });
    expect(readFileSync(`${dir}/x86_64/pkglist`, 'utf8')).toBe('toplink/packages/foo/1.0/1/x86_64/foo-1.0-1.x86_64.rpm\ntoplink/packages/common/2.0/1/noarch/common-2.0-1.noarch.rpm\n');
    expect(readFileSync(`${dir}/i386/pkglist`, 'utf8')).toBe('toplink/packages/foo/1.0/1/i686/foo-1.0-1.i686.rpm\ntoplink/packages/common/2.0/1/noarch/common-2.0-1.noarch.rpm\n');
    expect(existsSync(`${dir}/src`)).toBe(false);
    expect(realpathSync(`${dir}/x86_64/toplink`)).toBe(realpathSync(hub.kojiDir));
    expect(readlinkSync(`${dir}/x86_64/toplink`)).toBe('../../../..');
    const rpms = readFileSync(`${dir}/x86_64/rpmlist.jsonl`, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(rpms.map((r) => `${String(r.name)}.${String(r.arch)}`)).toEqual(['foo.x86_64', 'common.noarch']);
    expect(rpms[0]).toMatchObject({ version: '1.0', release: '1', size: 1024 });
    expect(readFileSync(`${dir}/x86_64/blocklist`, 'utf8')).toBe('gone\n');
    const comps = readFileSync(`${dir}/groups/comps.xml`, 'utf8');
    expect(comps).toContain('<id>build</id>');
    expect(comps).toContain('<packagereq type="mandatory">bash</packagereq>');
  });

  it('repoInit options: debuginfo, src and separate_src; custom_opts record what differs from the tag defaults', async () => {
    const [repoId] = await builder.call<[number, number]>('host.repoInit', [tags.build], { opts: { debuginfo: true, src: true, separate_src: true } });
    const dir = `${hub.kojiDir}/repos/${tags.build}/${repoId}`;
    expect((await info(repoId)).custom_opts).toEqual({ debuginfo: true, src: true, separate_src: true });
    const x86 = readFileSync(`${dir}/x86_64/pkglist`, 'utf8');
    expect(x86).toContain('foo-debuginfo-1.0-1.x86_64.rpm');
    expect(x86).toContain('foo-1.0-1.src.rpm');
    // as Koji's repo_init: with src and separate_src both, the src arch lists each srpm twice
    expect(readFileSync(`${dir}/src/pkglist`, 'utf8')).toBe('toplink/packages/foo/1.0/1/src/foo-1.0-1.src.rpm\n'.repeat(2));
    // as Koji's, repoInit ignores unknown options (repo.request refuses them)
    const [plain] = await builder.call<[number, number]>('host.repoInit', [tags.build], { opts: { bogus: true } });
    expect((await info(plain)).custom_opts).toEqual({});
    await expect(admin.call('repo.request', [tags.build], { opts: { bogus: true } })).rejects.toMatchObject({ faultCode: 1019, message: 'Invalid repo option: bogus' });
    await expect(builder.call('host.repoInit', ['no-such-tag'])).rejects.toMatchObject({ faultCode: 1000 });
  });

  it('repoInit takes the latest build of each package, or every tagged build with tag extra repo_include_all', async () => {
    await admin.call('createTag', ['r-all'], { arches: 'x86_64' });
    await admin.call('packageListAdd', ['r-all', 'multi', 'kojiadmin']);
    for (const nvr of ['multi-1-1', 'multi-2-1']) {
      const b = await addBuild(hub, nvr);
      await addRpms(hub, b, ['x86_64']);
      await admin.call('tagBuildBypass', ['r-all', b]);
    }
    const pkglist = async () => {
      const [id] = await builder.call<[number, number]>('host.repoInit', ['r-all']);
      return readFileSync(`${hub.kojiDir}/repos/r-all/${id}/x86_64/pkglist`, 'utf8');
    };
    expect(await pkglist()).toBe('toplink/packages/multi/2/1/x86_64/multi-2-1.x86_64.rpm\n');
    await admin.call('editTag2', ['r-all'], { extra: { repo_include_all: true } });
    expect((await pkglist()).split('\n').filter(Boolean).sort()).toEqual(['toplink/packages/multi/1/1/x86_64/multi-1-1.x86_64.rpm', 'toplink/packages/multi/2/1/x86_64/multi-2-1.x86_64.rpm']);
  });

  it('repoDone moves the repodata in, marks READY and points latest at the newest default repo; the previous one stays readable', async () => {
    const done = async (upath: string) => {
      const [id] = await builder.call<[number, number]>('host.repoInit', [tags.build]);
      upload(hub, `${upath}/x86_64`, ['repomd.xml', 'primary.xml.gz']);
      upload(hub, `${upath}/i386`, ['repomd.xml']);
      await builder.call('host.repoDone', [id, { x86_64: [`${upath}/x86_64`, ['repomd.xml', 'primary.xml.gz']], i386: [`${upath}/i386`, ['repomd.xml']] }]);
      return id;
    };
    const first = await done('tasks/1/1001');
    const dir = (id: number) => `${hub.kojiDir}/repos/${tags.build}/${id}`;
    expect(readFileSync(`${dir(first)}/x86_64/repodata/primary.xml.gz`, 'utf8')).toBe('tasks/1/1001/x86_64/primary.xml.gz\n');
    expect(existsSync(`${hub.kojiDir}/work/tasks/1/1001/x86_64/repomd.xml`)).toBe(false);
    expect((await info(first)).state).toBe(RS.READY);
    expect(readlinkSync(`${hub.kojiDir}/repos/${tags.build}/latest`)).toBe(String(first));
    const second = await done('tasks/2/1002');
    expect(readlinkSync(`${hub.kojiDir}/repos/${tags.build}/latest`)).toBe(String(second));
    expect(readFileSync(`${dir(first)}/i386/repodata/repomd.xml`, 'utf8')).toBe('tasks/1/1001/i386/repomd.xml\n');
    expect((await info(first)).state).toBe(RS.READY);
    // a custom-option repo does not take the latest link
    const [custom] = await builder.call<[number, number]>('host.repoInit', [tags.build], { opts: { debuginfo: true } });
    await builder.call('host.repoDone', [custom, {}]);
    expect(readlinkSync(`${hub.kojiDir}/repos/${tags.build}/latest`)).toBe(String(second));
    await expect(builder.call('host.repoDone', [second, {}])).rejects.toThrow(`Repo ${second} not in INIT state (got 1)`);
    const [third] = await builder.call<[number, number]>('host.repoInit', [tags.build]);
    await expect(builder.call('host.repoDone', [third, { x86_64: ['tasks/3/1003', ['repomd.xml']] }])).rejects.toThrow(/uploaded file missing: .*tasks\/3\/1003\/repomd\.xml/);
    await expect(builder.call('host.repoDone', [third, { x86_64: ['../../etc', ['passwd']] }])).rejects.toThrow(/Invalid upload path/);
    await expect(builder.call('host.repoDone', [third, ['x']])).rejects.toMatchObject({ faultCode: 1019 });
    expect((await info(third)).state).toBe(RS.INIT);
  });

  it('states move upward only, DELETED is final; repoExpire, repoProblem, repo.setState', async () => {
    const [id] = await builder.call<[number, number]>('host.repoInit', [tags.build]);
    await builder.call('host.repoDone', [id, {}]);
    await admin.call('repoExpire', [id]);
    expect((await info(id)).state).toBe(RS.EXPIRED);
    await expect(admin.call('repo.setState', [id, RS.READY])).rejects.toThrow(`Invalid repo state transition for repo ${id}: EXPIRED -> READY`);
    await admin.call('repoExpire', [id]);
    await admin.call('repoProblem', [id]);
    expect((await info(id)).state).toBe(RS.PROBLEM);
    await admin.call('repo.setState', [id, RS.DELETED]);
    await expect(admin.call('repo.setState', [id, RS.PROBLEM])).rejects.toThrow(`Repo ${id} is deleted`);
    await expect(admin.call('repo.setState', [id, 7])).rejects.toMatchObject({ faultCode: 1019, message: 'Unknown repo state: 7' });
    await expect(admin.call('repoExpire', [999999])).rejects.toThrow('query returned no rows');
    expect((await admin.call<Repo[]>('getActiveRepos')).some((r) => r.id === id)).toBe(false);
  });

  it('repoDelete is refused while a buildroot uses the repo (returns the count); repo.references lists them', async () => {
    const hostId = await builder.call<number>('host.getID');
    const tagId = (await sqlOne<{ id: number }>(hub, 'SELECT id FROM tag WHERE name = $1', [tags.build])).id;
    const task = await addTask(hub, { method: 'buildArch', request: [] });
    const br = await addStandardBuildroot(hub, { hostId, tagId, taskId: task, arch: 'x86_64' });
    expect(await admin.call<XmlRpcStruct[]>('repo.references', [br.repoId])).toEqual([expect.objectContaining({ id: br.id, host_id: hostId, task_id: task })]);
    expect(await admin.call('repoDelete', [br.repoId])).toBe(1);
    expect((await info(br.repoId)).state).toBe(RS.READY);
    await hub.db.rawQuery('UPDATE standard_buildroot SET retire_event = get_event(), state = 3 WHERE buildroot_id = $1', [br.id]);
    expect(await admin.call('repoDelete', [br.repoId])).toBe(0);
    expect((await info(br.repoId)).state).toBe(RS.DELETED);
  });

  it('getRepo: newest READY, at an event (any state, created at or before it), min_event; repo.get with at_event and opts', async () => {
    const t = 'r-events';
    await admin.call('createTag', [t], { arches: 'x86_64' });
    const make = async () => {
      const [id, ev] = await builder.call<[number, number]>('host.repoInit', [t]);
      await builder.call('host.repoDone', [id, {}]);
      return { id, ev };
    };
    const a = await make();
    const b = await make();
    expect((await admin.call<Repo>('getRepo', [t])).id).toBe(b.id);
    expect((await admin.call<Repo>('getRepo', [t], { event: a.ev })).id).toBe(a.id);
    expect(await admin.call('getRepo', [t], { min_event: b.ev + 1000 })).toBeNull();
    expect(await admin.call('getRepo', [t], { state: RS.EXPIRED })).toBeNull();
    expect((await admin.call<Repo>('repo.get', [t], { at_event: a.ev })).id).toBe(a.id);
    expect((await admin.call<Repo>('repo.get', [t], { min_event: a.ev })).id).toBe(b.id);
    expect(await admin.call('repo.get', [t], { opts: { debuginfo: true } })).toBeNull();
    expect(await admin.call<number>('repo.query', [[['tag_name', '=', t]]], { opts: { countOnly: true } })).toBe(2);
  });

  it('newRepo makes a newRepo task in the createrepo channel at priority 15, owned by the caller', async () => {
    const id = await admin.call<number>('newRepo', [tags.build], { debuginfo: true });
    const task = await admin.call<XmlRpcStruct>('getTaskInfo', [id], { request: true });
    const channel = await admin.call<XmlRpcStruct>('getChannel', ['createrepo']);
    const me = await admin.call<XmlRpcStruct>('getLoggedInUser');
    expect(task).toMatchObject({ method: 'newRepo', priority: 15, channel_id: channel.id, owner: me.id });
    expect(task.request).toEqual([tags.build, { debuginfo: true, __starstar: true }]);
    await expect(admin.call('newRepo', ['no-such-tag'])).rejects.toMatchObject({ faultCode: 1000 });
  });

  it('permission faults for users without repo, regen-repo, admin or tag permissions, and for non-hosts', async () => {
    await expect(alice.call('repoExpire', [1])).rejects.toMatchObject({ faultCode: 1004, message: 'repo permission required (logged in as alice)' });
    await expect(alice.call('repoDelete', [1])).rejects.toMatchObject({ faultCode: 1004 });
    await expect(alice.call('repo.setState', [1, 2])).rejects.toMatchObject({ faultCode: 1004 });
    await expect(alice.call('repo.checkQueue')).rejects.toMatchObject({ faultCode: 1004 });
    await expect(alice.call('newRepo', [tags.build])).rejects.toMatchObject({ faultCode: 1004, message: 'regen-repo permission required (logged in as alice)' });
    await expect(alice.call('repo.setRequestPriority', [1, 5])).rejects.toMatchObject({ faultCode: 1004, message: 'admin permission required (logged in as alice)' });
    await expect(alice.call('createExternalRepo', ['x', 'http://x/'])).rejects.toMatchObject({ faultCode: 1004 });
    await expect(alice.call('addExternalRepoToTag', [tags.build, 'x', 5])).rejects.toMatchObject({ faultCode: 1004, message: 'tag permission required (logged in as alice)' });
    await expect(alice.call('host.repoInit', [tags.build])).rejects.toMatchObject({ faultCode: 1002 });
    await expect(hub.anon().call('repo.request', [tags.build])).rejects.toMatchObject({ faultCode: 1004 });
    await admin.call('grantPermission', ['alice', 'repo'], { create: true });
    await alice.call('repoExpire', [(await admin.call<Repo>('getRepo', [tags.build])).id]);
  });

  it('kojits.repo.waitChanges returns at once for older changes and wakes on a tagBuild', async () => {
    const b = await addBuild(hub, 'late-1.0-1');
    await admin.call('packageListAdd', [tags.base, 'late', 'kojiadmin']);
    const last = await admin.call<XmlRpcStruct>('getLastEvent');
    const now = await admin.call<XmlRpcStruct>('kojits.repo.waitChanges', [0, 0]);
    expect(now.changed).toBe(true);
    const quiet = await admin.call<XmlRpcStruct>('kojits.repo.waitChanges', [now.event, 0], { after_ts: now.ts });
    expect(quiet).toMatchObject({ changed: false, event: now.event });
    // kojira waits on a session of its own
    const waiting = hub.anon().call<XmlRpcStruct>('kojits.repo.waitChanges', [now.event, 60], { after_ts: now.ts });
    await admin.call('tagBuildBypass', [tags.base, b]);
    const woke = await waiting;
    expect(woke.changed).toBe(true);
    expect(woke.event as number).toBeGreaterThan(last.id as number);
  });
});
