/**
 * Tagging on the hub: tagBuildBypass, untagBuildBypass, untagBuild, massTag (locks, perm tags,
 * admin force, package list checks, the tag policy), and what is tagged: listTagged (inherit,
 * latest, latest=N, package, owner, prefix, type, past events), listTaggedRPMS, getLatestBuilds,
 * getLatestRPMS, and the tag change events.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ActionNotAllowed, TagError } from '../../src/protocol/faults.ts';
import type { ClientSession } from '../../src/protocol/client.ts';
import type { XmlRpcStruct, XmlRpcValue } from '../../src/protocol/values.ts';
import { engines } from '../helpers/db.ts';
import { startTestHub, type TestHub } from '../helpers/hub.ts';
import { addBuild, addRpms, addSig, newEvent } from '../helpers/content.ts';

type Row = XmlRpcStruct & { nvr: string; tag_name: string };

describe.each(engines())('tagging on %s', (engine) => {
  let hub: TestHub;
  let admin: ClientSession;
  let bob: ClientSession;
  const nvrs = async (tag: string, kw: Record<string, XmlRpcValue> = {}) => (await admin.call<Row[]>('listTagged', [tag], kw)).map((b) => `${b.nvr}@${b.tag_name}`);
  const tag = (t: string, b: string, kw: Record<string, XmlRpcValue> = {}) => admin.call('tagBuildBypass', [t, b], kw);

  beforeAll(async () => {
    hub = await startTestHub(engine);
    admin = await hub.login();
    await admin.call('createUser', ['bob']);
    await admin.call('kojits.setPassword', ['bob', 'bob-pass-1']);
    bob = await hub.login('bob', 'bob-pass-1');
    await admin.call('createTag', ['base']);
    await admin.call('createTag', ['child'], { parent: 'base' });
    for (const p of ['bash', 'gcc', 'glibc']) await admin.call('packageListAdd', ['base', p], { owner: 'kojiadmin' });
    for (const nvr of ['bash-1-1', 'bash-2-1', 'bash-3-1', 'gcc-1-1', 'unlisted-1-1']) await addBuild(hub, nvr);
    await addBuild(hub, 'glibc-1-1', { owner: 'bob' });
    await addBuild(hub, 'bash-4-1', { state: 0 });
  });
  afterAll(async () => hub?.stop());

  it('tags builds; listTagged gives the newest tagging first', async () => {
    await tag('base', 'bash-1-1');
    await tag('base', 'bash-2-1');
    await tag('base', 'gcc-1-1');
    await tag('child', 'bash-3-1');
    expect(await nvrs('base')).toEqual(['gcc-1-1@base', 'bash-2-1@base', 'bash-1-1@base']);
    const [row] = await admin.call<Row[]>('listTagged', ['child']);
    expect(Object.keys(row).sort()).toEqual(
      ['build_id', 'completion_time', 'create_event', 'creation_event_id', 'creation_time', 'draft', 'epoch', 'id', 'name', 'nvr', 'owner_id', 'owner_name', 'package_id', 'package_name', 'promoter_id', 'promoter_name', 'promotion_time', 'release', 'start_time', 'state', 'tag_id', 'tag_name', 'task_id', 'version', 'volume_id', 'volume_name'].sort(),
    );
    expect(row).toMatchObject({ nvr: 'bash-3-1', name: 'bash', package_name: 'bash', tag_name: 'child', state: 1, volume_name: 'DEFAULT', owner_name: 'kojiadmin' });
    expect((await admin.call<Row[]>('listTagged', ['child'], { extra: true }))[0]).toHaveProperty('extra', null);
  });

  it('refuses retagging (unless forced), incomplete builds and unlisted or blocked packages', async () => {
    await expect(tag('base', 'bash-2-1')).rejects.toThrow(TagError);
    await expect(tag('base', 'bash-2-1')).rejects.toThrow('build bash-2-1 already tagged (base)');
    await expect(tag('base', 'bash-4-1')).rejects.toThrow('build bash-4-1 not complete: state BUILDING');
    await expect(tag('base', 'bash-4-1', { force: true })).rejects.toThrow('build bash-4-1 not complete: state BUILDING');
    await expect(tag('base', 'unlisted-1-1')).rejects.toThrow('Package unlisted not in list for base');
    await admin.call('packageListBlock', ['child', 'gcc']);
    await expect(tag('child', 'gcc-1-1')).rejects.toThrow('Package gcc blocked in child');
    await expect(tag('base', 'nosuch-1-1')).rejects.toThrow("No such build: 'nosuch-1-1'");
    await expect(tag('nosuch', 'bash-1-1')).rejects.toThrow("No such tagInfo: 'nosuch'");
    // a forced retag makes the build the newest tagging
    await tag('base', 'bash-1-1', { force: true });
    expect(await nvrs('base')).toEqual(['bash-1-1@base', 'gcc-1-1@base', 'bash-2-1@base']);
    expect(await nvrs('base', { latest: true })).toEqual(['bash-1-1@base', 'gcc-1-1@base']);
    await tag('base', 'bash-2-1', { force: true });
  });

  it('lists inherited, latest and latest-N builds; blocked packages are hidden', async () => {
    expect(await nvrs('child', { inherit: true })).toEqual(['bash-3-1@child', 'bash-2-1@base', 'bash-1-1@base']);
    await admin.call('packageListUnblock', ['child', 'gcc']);
    expect(await nvrs('child', { inherit: true })).toEqual(['bash-3-1@child', 'bash-2-1@base', 'bash-1-1@base', 'gcc-1-1@base']);
    expect(await nvrs('child', { inherit: true, latest: true })).toEqual(['bash-3-1@child', 'gcc-1-1@base']);
    expect(await nvrs('child', { inherit: true, latest: 2 })).toEqual(['bash-3-1@child', 'bash-2-1@base', 'gcc-1-1@base']);
    expect(await nvrs('child', { inherit: true, latest: 0 })).toHaveLength(4);
    expect(await nvrs('child', { inherit: true, package: 'bash' })).toEqual(['bash-3-1@child', 'bash-2-1@base', 'bash-1-1@base']);
    expect(await nvrs('child', { inherit: true, prefix: 'GC' })).toEqual(['gcc-1-1@base']);
    await tag('base', 'glibc-1-1');
    expect(await nvrs('child', { inherit: true, owner: 'bob' })).toEqual(['glibc-1-1@base']);
    expect(await nvrs('child')).toEqual(['bash-3-1@child']);
    await expect(admin.call('listTagged', ['nosuch'])).rejects.toThrow("No such tagInfo: 'nosuch'");
    expect(await admin.call('listTagged', ['nosuch'], { strict: false })).toEqual([]);
    await expect(admin.call('listTagged', ['base'], { type: 'nosuchtype' })).rejects.toThrow('unsupported build type: nosuchtype');
    expect(await admin.call('listTagged', ['base'], { type: 'maven' })).toEqual([]);
  });

  it('reads the past with an event', async () => {
    const ev = await newEvent(hub);
    await admin.call('untagBuildBypass', ['base', 'glibc-1-1']);
    await tag('base', 'unlisted-1-1', { force: true });
    expect(await nvrs('base', { event: ev })).toEqual(['glibc-1-1@base', 'bash-2-1@base', 'bash-1-1@base', 'gcc-1-1@base']);
    // an admin's force added the package to the list (as Koji's tagBuild does), so it shows
    expect(await nvrs('base')).toEqual(['unlisted-1-1@base', 'bash-2-1@base', 'bash-1-1@base', 'gcc-1-1@base']);
    expect(await admin.call('checkTagPackage', ['base', 'unlisted'])).toBe(true);
    expect((await admin.call<Row[]>('listTagged', ['base'], { event: ev, latest: true, package: 'bash' })).map((b) => b.nvr)).toEqual(['bash-2-1']);
  });

  it('untags, strictly or not', async () => {
    await admin.call('untagBuildBypass', ['base', 'unlisted-1-1']);
    await expect(admin.call('untagBuildBypass', ['base', 'unlisted-1-1'])).rejects.toThrow('build unlisted-1-1 not in tag base');
    await admin.call('untagBuildBypass', ['base', 'unlisted-1-1'], { strict: false });
    await expect(bob.call('untagBuildBypass', ['base', 'bash-1-1'])).rejects.toThrow('tag permission required');
    // untagBuild only needs a login (and the tag policy, absent by default)
    await bob.call('untagBuild', ['base', 'bash-1-1']);
    await expect(bob.call('untagBuild', ['base', 'bash-1-1'])).rejects.toThrow('build bash-1-1 not in tag base');
    await bob.call('untagBuild', ['base', 'bash-1-1'], { strict: false });
    await expect(hub.anon().call('untagBuild', ['base', 'bash-2-1'])).rejects.toThrow();
    await tag('base', 'bash-1-1');
  });

  it('locked tags and tags that require a permission', async () => {
    await admin.call('createTag', ['locked'], { locked: true });
    await admin.call('packageListAdd', ['locked', 'bash'], { owner: 'kojiadmin' });
    await expect(tag('locked', 'bash-1-1')).rejects.toThrow(ActionNotAllowed);
    await expect(tag('locked', 'bash-1-1')).rejects.toThrow('tag is locked');
    await tag('locked', 'bash-1-1', { force: true });
    await expect(admin.call('untagBuildBypass', ['locked', 'bash-1-1'])).rejects.toThrow('tag is locked');
    await admin.call('grantPermission', ['bob', 'tag']);
    await expect(bob.call('tagBuildBypass', ['locked', 'bash-2-1'], { force: true })).rejects.toThrow('tag is locked');
    await expect(bob.call('untagBuild', ['locked', 'bash-1-1'], { force: true })).rejects.toThrow('tag is locked');

    await admin.call('grantPermission', ['kojiadmin', 'secret'], { create: true });
    await admin.call('createTag', ['guarded'], { perm: 'secret' });
    await admin.call('packageListAdd', ['guarded', 'bash'], { owner: 'kojiadmin' });
    await expect(bob.call('tagBuildBypass', ['guarded', 'bash-1-1'])).rejects.toThrow('tag requires secret permission');
    await admin.call('grantPermission', ['bob', 'secret']);
    await bob.call('tagBuildBypass', ['guarded', 'bash-1-1']);
    // unlisted packages: only an admin's force passes
    await expect(bob.call('tagBuildBypass', ['guarded', 'gcc-1-1'], { force: true })).rejects.toThrow('Package gcc not in list for guarded');
    await admin.call('tagBuildBypass', ['guarded', 'gcc-1-1'], { force: true });
    // the admin's force put gcc on the tag's list, so the build is visible
    expect(await nvrs('guarded')).toEqual(['gcc-1-1@guarded', 'bash-1-1@guarded']);
    expect((await admin.call<Row[]>('listTags', [], { build: 'gcc-1-1' })).map((t) => t.name)).toContain('guarded');
  });

  it('massTag tags in the order given and skips access checks', async () => {
    await admin.call('createTag', ['mass'], { locked: true });
    await admin.call('packageListAdd', ['mass', 'bash'], { owner: 'kojiadmin' });
    await admin.call('massTag', ['mass', ['bash-2-1', 'bash-1-1', 'unlisted-1-1']]);
    expect(await nvrs('mass')).toEqual(['bash-1-1@mass', 'bash-2-1@mass']);
    expect(await nvrs('mass', { latest: true })).toEqual(['bash-1-1@mass']);
    // the unlisted package is tagged too (only listTagged hides it)
    expect((await admin.call<Row[]>('listTags', [], { build: 'unlisted-1-1' })).map((t) => t.name)).toContain('mass');
    const events = (await admin.call<Row[]>('listTagged', ['mass'])).map((b) => b.create_event as number);
    expect(events[0]).toBeGreaterThan(events[1]);
    await expect(admin.call('massTag', ['mass', ['bash-4-1']])).rejects.toThrow('build bash-4-1 not complete: state BUILDING');
    await expect(bob.call('massTag', ['mass', []])).resolves.toBeNull();
  });

  it('listTaggedRPMS and the latest RPMs', async () => {
    await admin.call('createTag', ['rpms']);
    await admin.call('createTag', ['rpms-child'], { parent: 'rpms' });
    for (const p of ['bash', 'gcc']) await admin.call('packageListAdd', ['rpms', p], { owner: 'kojiadmin' });
    const ids = new Map<string, number>();
    for (const nvr of ['bash-5-1', 'bash-6-1', 'gcc-2-1']) {
      const b = await addBuild(hub, nvr);
      const [x86, src, i686] = await addRpms(hub, b, ['x86_64', 'src', 'i686']);
      ids.set(`${nvr}.x86_64`, x86);
      ids.set(`${nvr}.src`, src);
      ids.set(`${nvr}.i686`, i686);
      await tag(nvr.startsWith('gcc') ? 'rpms-child' : 'rpms', nvr);
    }
    await addSig(hub, ids.get('bash-6-1.x86_64')!, 'abcd1234');
    const [rpms, builds] = await admin.call<[Row[], Row[]]>('listTaggedRPMS', ['rpms-child'], { inherit: true, latest: true });
    expect(builds.map((b) => b.nvr)).toEqual(['gcc-2-1', 'bash-6-1']);
    expect(rpms.map((r) => `${String(r.name)}-${String(r.version)}.${String(r.arch)}`)).toEqual(['gcc-2.x86_64', 'gcc-2.src', 'gcc-2.i686', 'bash-6.x86_64', 'bash-6.src', 'bash-6.i686']);
    expect(Object.keys(rpms[0]).sort()).toEqual(['arch', 'build_id', 'buildroot_id', 'buildtime', 'draft', 'epoch', 'extra', 'id', 'metadata_only', 'name', 'payloadhash', 'release', 'size', 'version'].sort());
    const [x86] = await admin.call<[Row[], Row[]]>('listTaggedRPMS', ['rpms-child'], { inherit: true, arch: ['x86_64', 'i686'], extra: false });
    expect(x86.map((r) => `${String(r.name)}.${String(r.arch)}`)).toEqual(['gcc.x86_64', 'gcc.i686', 'bash.x86_64', 'bash.i686', 'bash.x86_64', 'bash.i686']);
    expect(x86[0]).not.toHaveProperty('extra');
    const [signed] = await admin.call<[Row[], Row[]]>('listTaggedRPMS', ['rpms'], { rpmsigs: true, package: 'bash', arch: 'x86_64' });
    expect(signed.map((r) => [r.version, r.sigkey])).toEqual([['5', null], ['6', 'abcd1234']]);
    expect(await admin.call('listTaggedRPMS', ['nosuch'], { strict: false })).toEqual([]);
    const [latest, latestBuilds] = await admin.call<[Row[], Row[]]>('getLatestRPMS', ['rpms-child'], { package: 'bash', arch: 'src' });
    expect([latest.map((r) => r.id), latestBuilds.map((b) => b.nvr)]).toEqual([[ids.get('bash-6-1.src')], ['bash-6-1']]);
    expect((await admin.call<Row[]>('getLatestBuilds', ['rpms-child'])).map((b) => `${b.nvr}@${b.tag_name}`)).toEqual(['gcc-2-1@rpms-child', 'bash-6-1@rpms']);
    expect((await admin.call<Row[]>('getLatestBuilds', ['rpms-child'], { package: 'gcc' })).map((b) => b.nvr)).toEqual(['gcc-2-1']);
    await expect(admin.call('getLatestBuilds', ['nosuch'])).rejects.toThrow('No such entry in table tag: nosuch');
    expect(await admin.call('getLatestBuilds', [99999])).toEqual([]);
  });

  it('reports when a tag (or what it inherits) changed', async () => {
    await admin.call('createTag', ['ev-top']);
    await admin.call('createTag', ['ev'], { parent: 'ev-top' });
    const created = await admin.call<number>('tagLastChangeEvent', ['ev']);
    expect(await admin.call('tagFirstChangeEvent', ['ev'])).toBeLessThanOrEqual(created);
    await admin.call('packageListAdd', ['ev-top', 'bash'], { owner: 'kojiadmin' });
    const changed = await admin.call<number>('tagLastChangeEvent', ['ev']);
    expect(changed).toBeGreaterThan(created);
    expect(await admin.call('tagLastChangeEvent', ['ev'], { inherit: false })).toBe(created);
    expect(await admin.call('tagFirstChangeEvent', ['ev'], { after: created })).toBe(changed);
    expect(await admin.call('tagFirstChangeEvent', ['ev'], { after: changed })).toBeNull();
    expect(await admin.call('tagLastChangeEvent', ['ev'], { before: changed })).toBe(created);
    expect(await admin.call('tagChangedSinceEvent', [created, ['ev']])).toBe(false);
    expect(await admin.call('tagChangedSinceEvent', [created, ['ev', 'ev-top']])).toBe(true);
    await admin.call('deleteTag', ['ev']);
    const deleted = await admin.call<number>('tagLastChangeEvent', ['ev']);
    expect(deleted).toBeGreaterThan(changed);
    // as Koji: the inheritance is read at `before`, where the deleted tag's links are already gone
    expect(await admin.call('tagLastChangeEvent', ['ev'], { before: deleted })).toBe(created);
  });
});

describe.each(engines())('the tag policy from hub.conf on %s', (engine) => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startTestHub(engine, { conf: '[policy]\ntag =\n    operation untag && fromtag prod* :: deny builds never leave production\n    has_perm admin :: allow\n    tag prod* :: deny only admins tag into production\n    all :: allow\n' });
  });
  afterAll(async () => hub?.stop());

  it('denies by the configured rules; an admin may force', async () => {
    const admin = await hub.login();
    await admin.call('createUser', ['rel']);
    await admin.call('kojits.setPassword', ['rel', 'rel-pass-1']);
    await admin.call('grantPermission', ['rel', 'tag']);
    const rel = await hub.login('rel', 'rel-pass-1');
    await admin.call('createTag', ['prod-1']);
    await admin.call('packageListAdd', ['prod-1', 'bash'], { owner: 'kojiadmin' });
    await addBuild(hub, 'bash-1-1');
    await expect(rel.call('tagBuildBypass', ['prod-1', 'bash-1-1'])).rejects.toThrow('policy violation (tag): only admins tag into production');
    await expect(rel.call('tagBuildBypass', ['prod-1', 'bash-1-1'], { force: true })).rejects.toThrow(ActionNotAllowed);
    await admin.call('tagBuildBypass', ['prod-1', 'bash-1-1']);
    await expect(admin.call('untagBuildBypass', ['prod-1', 'bash-1-1'])).rejects.toThrow('policy violation (tag): builds never leave production');
    await expect(rel.call('untagBuild', ['prod-1', 'bash-1-1'])).rejects.toThrow('builds never leave production');
    await admin.call('untagBuild', ['prod-1', 'bash-1-1'], { force: true });
    expect(await admin.call('listTagged', ['prod-1'])).toEqual([]);
  });
});
