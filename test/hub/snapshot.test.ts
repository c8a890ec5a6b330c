/**
 * snapshotTag / snapshotTagModify: copying config, inherited package lists, builds (latest or
 * all, inherited or not, in tagging order, at an event) and comps groups into a new tag, and
 * syncing an existing tag with and without removal; locks, permissions and bad input.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClientSession } from '../../src/protocol/client.ts';
import { engines } from '../helpers/db.ts';
import { startTestHub, type TestHub } from '../helpers/hub.ts';
import { addBuild } from '../helpers/content.ts';

type Row = Record<string, unknown>;

describe.each(engines())('snapshotTag and snapshotTagModify on %s', (engine) => {
  let hub: TestHub;
  let admin: ClientSession;
  let beforeNew: number;
  beforeAll(async () => {
    hub = await startTestHub(engine);
    admin = await hub.login();
    await admin.call('createTag', ['par'], { arches: 'x86_64' });
    await admin.call('createTag', ['src'], { parent: 'par', arches: 'x86_64 aarch64', extra: { 'mock.new_chroot': 0, rpm_macro: 'x' } });
    for (const p of ['bash', 'gcc', 'glibc']) await admin.call('packageListAdd', ['par', p], { owner: 'kojiadmin' });
    await admin.call('packageListAdd', ['src', 'make'], { owner: 'kojiadmin', extra_arches: 'ppc64le' });
    await admin.call('packageListBlock', ['src', 'glibc']);
    for (const nvr of ['bash-1-1', 'bash-2-1', 'gcc-1-1', 'glibc-1-1', 'make-1-1', 'make-2-1', 'make-3-1']) await addBuild(hub, nvr);
    for (const [tag, nvr] of [['par', 'bash-1-1'], ['par', 'bash-2-1'], ['par', 'gcc-1-1'], ['par', 'glibc-1-1'], ['src', 'make-1-1'], ['src', 'make-2-1']]) {
      await admin.call('tagBuildBypass', [tag, nvr]);
    }
    beforeNew = (await hub.anon().call<{ id: number }>('getLastEvent')).id;
    await admin.call('tagBuildBypass', ['src', 'make-3-1']);
    await admin.call('groupListAdd', ['par', 'srpm-build'], { display_name: 'SRPM build', description: 'For srpms' });
    await admin.call('groupPackageListAdd', ['par', 'srpm-build', 'rpm-build']);
    await admin.call('groupListAdd', ['src', 'build']);
    await admin.call('groupPackageListAdd', ['src', 'build', 'bash'], { type: 'default' });
    await admin.call('groupPackageListAdd', ['src', 'build', 'make']);
    await admin.call('groupReqListAdd', ['src', 'build', 'srpm-build']);
    await admin.call('createUser', ['sam']);
    await admin.call('kojits.setPassword', ['sam', 'sam-password']);
  });
  afterAll(async () => hub?.stop());

  const tagged = async (tag: string) => (await hub.anon().call<Row[]>('listTagged', [tag])).map((b) => b.nvr);
  const pkgs = async (tag: string) => (await hub.anon().call<Row[]>('listPackages', [], { tagID: tag, inherited: true })).map((p) => `${String(p.package_name)}${p.blocked ? '(blocked)' : ''}${p.extra_arches ? `[${String(p.extra_arches)}]` : ''}`).sort();
  const groupSummary = async (tag: string) =>
    (await hub.anon().call<Row[]>('getTagGroups', [tag])).map((g) => ({
      name: g.name,
      display_name: g.display_name,
      pkgs: (g.packagelist as Row[]).map((p) => `${String(p.package)}:${String(p.type)}`).sort(),
      reqs: (g.grouplist as Row[]).map((r) => r.name),
    })).sort((a, b) => String(a.name).localeCompare(String(b.name)));

  it('copies config, inherited packages, latest builds and groups into a new tag', async () => {
    expect(await admin.call('snapshotTag', ['src', 'copy'])).toBeNull();
    const copy = await hub.anon().call<Row>('getTag', ['copy']);
    expect(copy).toMatchObject({ arches: 'x86_64 aarch64', locked: false, extra: { 'mock.new_chroot': 0, rpm_macro: 'x' } });
    expect(await hub.anon().call('getInheritanceData', ['copy'])).toEqual([]);
    expect(await pkgs('copy')).toEqual(['bash', 'gcc', 'glibc(blocked)', 'make[ppc64le]']);
    expect(await tagged('copy')).toEqual(await hub.anon().call<Row[]>('listTagged', ['src'], { inherit: true, latest: true }).then((l) => l.map((b) => b.nvr)));
    expect((await tagged('copy')).sort()).toEqual(['bash-2-1', 'gcc-1-1', 'make-3-1']);
    expect(await groupSummary('copy')).toEqual(await groupSummary('src'));
    expect(await groupSummary('copy')).toEqual([
      { name: 'build', display_name: 'build', pkgs: ['bash:default', 'make:mandatory'], reqs: ['srpm-build'] },
      { name: 'srpm-build', display_name: 'SRPM build', pkgs: ['rpm-build:mandatory'], reqs: [] },
    ]);
    // each step has its own event
    const events = (await hub.db.rawQuery(`SELECT tl.create_event FROM tag_listing tl JOIN tag t ON t.id = tl.tag_id WHERE t.name = 'copy'`)).rows.map((r) => (r as Row).create_event);
    expect(new Set(events).size).toBe(3);
  });

  it('copies all builds, only its own, or as at an event, as asked', async () => {
    await admin.call('snapshotTag', ['src', 'all-own'], { latest_only: false, inherit_builds: false, groups: false, config: false });
    expect(await tagged('all-own')).toEqual(['make-3-1', 'make-2-1', 'make-1-1']);
    expect(await hub.anon().call<Row>('getTag', ['all-own'])).toMatchObject({ arches: null, extra: {} });
    expect(await hub.anon().call('getTagGroups', ['all-own'])).toEqual([]);
    await admin.call('snapshotTag', ['src', 'at-event'], { event: beforeNew, latest_only: false });
    expect(await tagged('at-event')).toEqual(['make-2-1', 'make-1-1', 'gcc-1-1', 'bash-2-1', 'bash-1-1']);
    expect(await hub.anon().call('getTagGroups', ['at-event'])).toEqual([]);
    await admin.call('snapshotTag', ['src', 'pkgs-only'], { builds: false, groups: false });
    expect(await tagged('pkgs-only')).toEqual([]);
    expect(await pkgs('pkgs-only')).toEqual(['bash', 'gcc', 'glibc(blocked)', 'make[ppc64le]']);
  });

  it('refuses bad requests', async () => {
    await expect(admin.call('snapshotTag', ['src', 'copy'])).rejects.toThrow('Target tag already exists');
    await expect(admin.call('snapshotTag', ['src', 'x'], { pkgs: false })).rejects.toMatchObject({ faultCode: 1019, message: expect.stringContaining("builds can't be used without pkgs") });
    await expect(admin.call('snapshotTagModify', ['src', 'copy'], { pkgs: false })).rejects.toMatchObject({ faultCode: 1019 });
    await expect(admin.call('snapshotTag', ['nosuch', 'x'])).rejects.toThrow(/No such tagInfo/);
    await expect(admin.call('snapshotTagModify', ['src', 'nosuch'])).rejects.toThrow(/No such tagInfo/);
    await expect(admin.call('snapshotTag', ['src', 'bad/name'])).rejects.toThrow(/Invalid tag name/);
    expect(await hub.anon().call('getTag', ['x'])).toBeNull();
  });

  it('needs force for locked tags and the tag permission', async () => {
    await admin.call('createTag', ['locked-src'], { locked: true });
    await expect(admin.call('snapshotTag', ['locked-src', 'l1'])).rejects.toThrow('Source tag is locked, use force to copy');
    await admin.call('snapshotTag', ['locked-src', 'l1'], { force: true });
    expect(await hub.anon().call<Row>('getTag', ['l1'])).toMatchObject({ locked: true });
    await expect(admin.call('snapshotTagModify', ['src', 'l1'])).rejects.toThrow('Source or destination tag is locked, use force to copy');
    const sam = await hub.login('sam', 'sam-password');
    await expect(sam.call('snapshotTag', ['src', 'sams'])).rejects.toMatchObject({ faultCode: 1004, message: expect.stringContaining('tag permission required') });
    await expect(sam.call('snapshotTagModify', ['src', 'copy'])).rejects.toMatchObject({ faultCode: 1004 });
    expect(await hub.anon().call('getTag', ['sams'])).toBeNull();
  });

  it('snapshotTagModify makes an existing tag match, removing what the source lacks', async () => {
    await admin.call('createTag', ['dst'], { arches: 'i686', extra: { only_dst: true, rpm_macro: 'y' } });
    await admin.call('packageListAdd', ['dst', 'old'], { owner: 'kojiadmin' });
    await admin.call('packageListAdd', ['dst', 'make'], { owner: 'kojiadmin' });
    await addBuild(hub, 'old-1-1');
    await admin.call('tagBuildBypass', ['dst', 'old-1-1']);
    await admin.call('tagBuildBypass', ['dst', 'make-1-1']);
    await admin.call('groupListAdd', ['dst', 'old-group']);
    await admin.call('groupListAdd', ['dst', 'build'], { display_name: 'Old build' });
    await admin.call('groupPackageListAdd', ['dst', 'build', 'stale']);
    await admin.call('snapshotTagModify', ['src', 'dst'], { remove: true });
    expect(await hub.anon().call<Row>('getTag', ['dst'])).toMatchObject({ arches: 'x86_64 aarch64', extra: { 'mock.new_chroot': 0, rpm_macro: 'x' } });
    expect(await pkgs('dst')).toEqual(['bash', 'gcc', 'glibc(blocked)', 'make', 'old(blocked)']);
    expect((await tagged('dst')).sort()).toEqual(['bash-2-1', 'gcc-1-1', 'make-3-1']);
    expect(await groupSummary('dst')).toEqual(await groupSummary('src'));
  });

  it('without remove, builds only the destination has stay (as the oldest)', async () => {
    await admin.call('createTag', ['keep']);
    await admin.call('packageListAdd', ['keep', 'make'], { owner: 'kojiadmin' });
    await admin.call('tagBuildBypass', ['keep', 'make-1-1']);
    await admin.call('groupListAdd', ['keep', 'mine']);
    await admin.call('snapshotTagModify', ['src', 'keep'], { config: false, inherit_builds: false, latest_only: false });
    expect(await tagged('keep')).toEqual(['make-3-1', 'make-2-1', 'make-1-1']);
    expect((await groupSummary('keep')).map((g) => g.name)).toEqual(['build', 'mine', 'srpm-build']);
    // a second run changes nothing
    const before = (await hub.anon().call<{ id: number }>('getLastEvent')).id;
    await admin.call('snapshotTagModify', ['src', 'keep'], { config: false, inherit_builds: false, latest_only: false });
    expect((await hub.anon().call<{ id: number }>('getLastEvent')).id).toBe(before);
  });

  it('copies the source as it was at an event', async () => {
    await admin.call('createTag', ['past']);
    await admin.call('snapshotTagModify', ['src', 'past'], { event: beforeNew, inherit_builds: false, groups: false, remove: true });
    expect(await tagged('past')).toEqual(['make-2-1']);
  });
});
