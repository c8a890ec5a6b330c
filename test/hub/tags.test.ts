/**
 * Tags on the hub: createTag, editTag2, deleteTag, getTag (at events, "auto", blocked extra),
 * listTags, getBuildConfig, and the read-only repo / external repo calls taginfo uses (getRepo,
 * repoInfo, getTagExternalRepos, getExternalRepoList, listExternalRepos, getExternalRepo).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ActionNotAllowed, GenericError } from '../../src/protocol/faults.ts';
import type { ClientSession } from '../../src/protocol/client.ts';
import { Float, type XmlRpcStruct } from '../../src/protocol/values.ts';
import { engines } from '../helpers/db.ts';
import { startTestHub, type TestHub } from '../helpers/hub.ts';
import { addBuild, addExternalRepo, addRepo, linkExternalRepo, newEvent } from '../helpers/content.ts';

type Tag = XmlRpcStruct & { id: number; name: string };

describe.each(engines())('tags on %s', (engine) => {
  let hub: TestHub;
  let admin: ClientSession;
  const getTag = (t: unknown, kw: Record<string, unknown> = {}) => admin.call<Tag | null>('getTag', [t as string], kw as never);

  beforeAll(async () => {
    hub = await startTestHub(engine);
    admin = await hub.login();
    await admin.call('createUser', ['tagger']);
    await admin.call('kojits.setPassword', ['tagger', 'tagger-pass-1']);
  });
  afterAll(async () => hub?.stop());

  it('createTag creates a tag with its config and extra', async () => {
    const id = await admin.call<number>('createTag', ['base'], { arches: 'x86_64 i686', perm: 'admin', extra: { a: 1, b: 'text', c: [1, { d: null }], f: new Float(2.5) } });
    expect(await getTag('base')).toEqual({
      id,
      name: 'base',
      perm_id: expect.any(Number),
      perm: 'admin',
      arches: 'x86_64 i686',
      locked: false,
      maven_support: false,
      maven_include_all: false,
      extra: { a: 1, b: 'text', c: [1, { d: null }], f: new Float(2.5) },
    });
    expect(await getTag(id)).toMatchObject({ name: 'base' });
    expect(await getTag({ name: 'base' })).toMatchObject({ id });
    const child = await admin.call<number>('createTag', ['child'], { parent: 'base', locked: true });
    expect(await getTag(child)).toMatchObject({ arches: null, locked: true, perm: null, perm_id: null, extra: {} });
    expect(await admin.call('getInheritanceData', ['child'])).toEqual([{ parent_id: id, name: 'base', priority: 0, maxdepth: null, intransitive: false, noconfig: false, pkg_filter: '', child_id: child }]);
  });

  it('createTag errors, in Koji order', async () => {
    await expect(admin.call('createTag', ['base'])).rejects.toThrow("A tag with the name 'base' already exists");
    // the name is checked before the parent
    await expect(admin.call('createTag', ['base'], { parent: 'nosuch' })).rejects.toThrow("A tag with the name 'base' already exists");
    await expect(admin.call('createTag', ['new1'], { parent: 'nosuch' })).rejects.toThrow("Parent tag 'nosuch' could not be found");
    await expect(admin.call('createTag', ['new1'], { perm: 'nosuchperm' })).rejects.toThrow('No such entry in table permissions: nosuchperm');
    await expect(admin.call('createTag', ['new1'], { arches: 'x86_64,i686' })).rejects.toThrow('Architecture can be only [a-zA-Z0-9_-]');
    await expect(admin.call('createTag', ['new1'], { maven_support: true })).rejects.toThrow('Maven support not enabled');
    await expect(admin.call('createTag', ['a/b'])).rejects.toThrow(GenericError);
    expect(await getTag('new1')).toBeNull();
    const tagger = await hub.login('tagger', 'tagger-pass-1');
    await expect(tagger.call('createTag', ['new1'])).rejects.toThrow(ActionNotAllowed);
    await admin.call('grantPermission', ['tagger', 'tag']);
    expect(await tagger.call('createTag', ['new1'])).toEqual(expect.any(Number));
  });

  it('getTag strict, events and blocked extra', async () => {
    await expect(admin.call('getTag', ['nosuch'], { strict: true })).rejects.toThrow("No such tagInfo: 'nosuch'");
    const before = await newEvent(hub);
    await admin.call('editTag2', ['base'], { arches: 'aarch64', extra: { a: 2 } });
    expect(await getTag('base', { event: before })).toMatchObject({ arches: 'x86_64 i686', extra: { a: 1 }, query_event: before });
    expect(await getTag('base')).toMatchObject({ arches: 'aarch64', extra: { a: 2 } });
    expect(await getTag('base')).not.toHaveProperty('query_event');
    await admin.call('editTag2', ['child'], { block_extra: ['b'] });
    expect((await getTag('child'))?.extra).toEqual({});
    expect((await getTag('child', { blocked: true }))?.extra).toEqual({ b: [true, null] });
    await expect(admin.call('getTag', ['base'], { event: 'soon' })).rejects.toThrow('Invalid event');
  });

  it('editTag2 renames, locks, sets perms and arches', async () => {
    await admin.call('editTag2', ['new1'], { name: 'renamed', locked: true, perm: 'tag', arches: 'x86_64  ppc64le' });
    expect(await getTag('new1')).toBeNull();
    expect(await getTag('renamed')).toMatchObject({ locked: true, perm: 'tag', arches: 'x86_64 ppc64le' });
    await admin.call('editTag2', ['renamed'], { perm: null, locked: false });
    expect(await getTag('renamed')).toMatchObject({ locked: false, perm: null, perm_id: null });
    const permId = (await admin.call<Array<{ id: number; name: string }>>('getAllPerms')).find((p) => p.name === 'admin')?.id;
    await admin.call('editTag2', ['renamed'], { perm_id: permId as number });
    expect(await getTag('renamed')).toMatchObject({ perm: 'admin' });
    await expect(admin.call('editTag2', ['renamed'], { name: 'base' })).rejects.toThrow(/^Name base already taken by tag \d+$/);
    await expect(admin.call('editTag2', ['nosuch'], { locked: true })).rejects.toThrow("No such tagInfo: 'nosuch'");
    await expect(admin.call('editTag2', ['renamed'], { maven_support: true })).rejects.toThrow('Maven support not enabled');
    // the old interface
    await admin.call('editTag', ['renamed', 'renamed2', 'x86_64', false, null]);
    expect(await getTag('renamed2')).toMatchObject({ arches: 'x86_64', perm: null });
  });

  it('editTag2 extra: add, update, block, remove, with Koji errors', async () => {
    await admin.call('editTag2', ['renamed2'], { extra: { k1: 'v1', k2: { x: [1, 2] }, k3: null } });
    expect((await getTag('renamed2'))?.extra).toEqual({ k1: 'v1', k2: { x: [1, 2] }, k3: null });
    await admin.call('editTag2', ['renamed2'], { remove_extra: ['k3'], block_extra: ['k4'] });
    expect((await getTag('renamed2', { blocked: true }))?.extra).toEqual({ k1: [false, 'v1'], k2: [false, { x: [1, 2] }], k4: [true, null] });
    await expect(admin.call('editTag2', ['renamed2'], { extra: { k1: 'x' }, remove_extra: ['k1'] })).rejects.toThrow("Can not both add/update and remove tag-extra: 'k1'");
    await expect(admin.call('editTag2', ['renamed2'], { remove_extra: ['k1', 'nope', 'k4'] })).rejects.toThrow("Tag: renamed2 doesn't have extra: nope, k4");
    expect((await getTag('renamed2'))?.extra).toMatchObject({ k1: 'v1' });
    await expect(admin.call('editTag2', ['renamed2'], { remove_extra: 'k1' })).rejects.toThrow(/Invalid type/);
  });

  it('deleteTag revokes the tag; its row (and id) is reused when the name comes back', async () => {
    const id = await admin.call<number>('createTag', ['doomed'], { extra: { x: 1 } });
    const alive = await newEvent(hub);
    await admin.call('deleteTag', ['doomed']);
    expect(await getTag('doomed')).toBeNull();
    expect(await getTag('doomed', { event: alive })).toMatchObject({ id, extra: { x: 1 } });
    const auto = await getTag('doomed', { event: 'auto' });
    expect(auto).toMatchObject({ id, name: 'doomed', extra: { x: 1 } });
    expect(auto?.query_event).toBe((auto?.revoke_event as number) - 1);
    expect((await admin.call<Tag[]>('listTags')).map((t) => t.name)).not.toContain('doomed');
    await expect(admin.call('deleteTag', ['doomed'])).rejects.toThrow("No such tagInfo: 'doomed'");
    expect(await admin.call('createTag', ['doomed'])).toBe(id);
    expect(await getTag('doomed')).toMatchObject({ extra: {} });
  });

  it('listTags: all, patterns, by package or build, without perms', async () => {
    const all = await admin.call<Tag[]>('listTags');
    expect(all.map((t) => t.name)).toEqual(['base', 'child', 'renamed2', 'doomed']);
    expect(Object.keys(all[0]).sort()).toEqual(['arches', 'id', 'locked', 'maven_include_all', 'maven_support', 'name', 'perm', 'perm_id']);
    expect(Object.keys((await admin.call<Tag[]>('listTags', [], { perms: false }))[0]).sort()).toEqual(['arches', 'id', 'locked', 'maven_include_all', 'maven_support', 'name']);
    expect((await admin.call<Tag[]>('listTags', [], { pattern: '*e*' })).map((t) => t.name)).toEqual(['base', 'renamed2', 'doomed']);
    expect((await admin.call<Tag[]>('listTags', [], { pattern: 'B?SE' })).map((t) => t.name)).toEqual(['base']);
    expect(await admin.call('listTags', [], { pattern: 'ba_e' })).toEqual([]);
    expect(await admin.call('listTags', [], { queryOpts: { countOnly: true } })).toBe(4);
    await admin.call('packageListAdd', ['child', 'bash'], { owner: 'tagger' });
    expect(await admin.call('listTags', [], { package: 'bash' })).toEqual([expect.objectContaining({ name: 'child', owner_name: 'tagger', blocked: false, extra_arches: null })]);
    const b = await addBuild(hub, 'bash-1-1');
    await admin.call('tagBuildBypass', ['child', b], { force: true }); // child is locked
    expect((await admin.call<Tag[]>('listTags', [], { build: 'bash-1-1' })).map((t) => t.name)).toEqual(['child']);
    await expect(admin.call('listTags', [], { build: 'nosuch-1-1' })).rejects.toThrow('No such build: nosuch-1-1');
    await expect(admin.call('listTags', [], { package: 'nosuch' })).rejects.toThrow('No such package: nosuch');
    await expect(admin.call('listTags', [], { package: 'bash', build: b })).rejects.toThrow('only one of build and package may be specified');
  });

  it('getBuildConfig inherits arches and extra (not over noconfig links), blocks hide', async () => {
    await admin.call('createTag', ['cfg-top'], { arches: 'x86_64', extra: { top: 't', shared: 'top', hidden: 'h' } });
    await admin.call('createTag', ['cfg-side'], { arches: 's390x', extra: { side: 's' } });
    await admin.call('createTag', ['cfg'], { parent: 'cfg-top', extra: { shared: 'mine' } });
    await admin.call('setInheritanceData', ['cfg', [{ parent_id: (await getTag('cfg-side'))!.id, priority: 5, maxdepth: null, intransitive: false, noconfig: true, pkg_filter: '' }]]);
    await admin.call('editTag2', ['cfg'], { block_extra: ['hidden'] });
    const top = (await getTag('cfg-top'))!;
    const cfg = await admin.call<XmlRpcStruct>('getBuildConfig', ['cfg']);
    expect(cfg).toMatchObject({ name: 'cfg', arches: 'x86_64', extra: { top: 't', shared: 'mine' }, config_inheritance: { arches: { id: top.id, name: 'cfg-top' }, extra: { top: { id: top.id, name: 'cfg-top' } } } });
    expect(Object.keys(cfg.extra as object).sort()).toEqual(['shared', 'top']);
    await expect(admin.call('getBuildConfig', ['nosuch'])).rejects.toThrow("No such tagInfo: 'nosuch'");
    const ev = await newEvent(hub);
    await admin.call('editTag2', ['cfg-top'], { extra: { top: 'changed' } });
    expect(await admin.call('getBuildConfig', ['cfg'], { event: ev })).toMatchObject({ extra: { top: 't' }, query_event: ev });
  });

  describe('repos and external repos (read)', () => {
    it('getRepo gives the newest repo of the tag in a state (READY by default)', async () => {
      expect(await admin.call('getRepo', ['base'])).toBeNull();
      const r1 = await addRepo(hub, 'base', { creation: 1700000000 });
      const r2 = await addRepo(hub, 'base', { creation: 1700000100 });
      await addRepo(hub, 'base', { creation: 1700000200, state: 2 });
      const dist = await addRepo(hub, 'base', { creation: 1700000300, dist: true });
      const repo = await admin.call<XmlRpcStruct>('getRepo', ['base']);
      expect(Object.keys(repo).sort()).toEqual(
        ['begin_event', 'begin_ts', 'create_event', 'create_ts', 'creation_time', 'creation_ts', 'custom_opts', 'dist', 'end_event', 'end_ts', 'id', 'opts', 'state', 'state_time', 'state_ts', 'tag_id', 'tag_name', 'task_id', 'task_state'].sort(),
      );
      expect(repo).toMatchObject({ id: r2, state: 1, dist: false, tag_name: 'base', creation_ts: new Float(1700000100), end_event: null, task_id: null });
      expect(repo.creation_time).toMatch(/^2023-11-14 22:15:00/);
      expect(await admin.call('getRepo', ['base'], { state: 2 })).toMatchObject({ state: 2 });
      expect(await admin.call('getRepo', ['base'], { dist: true })).toMatchObject({ id: dist });
      expect(await admin.call('getRepo', ['base'], { event: repo.create_event as number })).toMatchObject({ id: r2 });
      expect(await admin.call('getRepo', ['base'], { event: (repo.create_event as number) - 1 })).toMatchObject({ id: r1 });
      expect(await admin.call('getRepo', ['base'], { min_event: (repo.create_event as number) + 1 })).toBeNull();
      await expect(admin.call('getRepo', ['nosuch'])).rejects.toThrow('No such entry in table tag: nosuch');
      expect(await admin.call('repoInfo', [r1])).toMatchObject({ id: r1, tag_name: 'base', state: 1 });
      expect(await admin.call('repoInfo', [String(r1)])).toMatchObject({ id: r1 });
      expect(await admin.call('repoInfo', [99999])).toBeNull();
      await expect(admin.call('repoInfo', [99999], { strict: true })).rejects.toThrow('query returned no rows');
    });

    it('external repos of a tag and along its inheritance', async () => {
      const e1 = await addExternalRepo(hub, 'fedora', 'https://example.com/fedora/');
      const e2 = await addExternalRepo(hub, 'epel', 'https://example.com/epel/');
      const before = await newEvent(hub);
      await linkExternalRepo(hub, 'child', 'epel', 10, { mergeMode: 'simple', arches: 'x86_64' });
      await linkExternalRepo(hub, 'child', 'fedora', 5);
      await linkExternalRepo(hub, 'base', 'fedora', 1);
      expect(await admin.call('getTagExternalRepos', [], { tag_info: 'child' })).toEqual([
        { external_repo_id: e1, external_repo_name: 'fedora', priority: 5, tag_id: (await getTag('child'))!.id, tag_name: 'child', url: 'https://example.com/fedora/', merge_mode: 'koji', arches: null },
        { external_repo_id: e2, external_repo_name: 'epel', priority: 10, tag_id: (await getTag('child'))!.id, tag_name: 'child', url: 'https://example.com/epel/', merge_mode: 'simple', arches: 'x86_64' },
      ]);
      expect((await admin.call<XmlRpcStruct[]>('getTagExternalRepos', [], { repo_info: 'fedora' })).map((r) => r.tag_name)).toEqual(['base', 'child']);
      expect(await admin.call('getTagExternalRepos', [], { tag_info: 'child', event: before })).toEqual([]);
      await expect(admin.call('getTagExternalRepos', [], { repo_info: 'nosuch' })).rejects.toThrow('No such repo: nosuch');
      expect((await admin.call<XmlRpcStruct[]>('getExternalRepoList', ['child'])).map((r) => [r.external_repo_name, r.tag_name])).toEqual([['fedora', 'child'], ['epel', 'child']]);
      expect((await admin.call<XmlRpcStruct[]>('getExternalRepoList', ['child'])).length).toBe(2);
      await admin.call('createTag', ['grandchild'], { parent: 'child' });
      expect((await admin.call<XmlRpcStruct[]>('getExternalRepoList', ['grandchild'])).map((r) => r.external_repo_name)).toEqual(['fedora', 'epel']);
      await expect(admin.call('getExternalRepoList', ['nosuch'])).rejects.toThrow("No such tagInfo: 'nosuch'");
      expect(await admin.call('listExternalRepos')).toEqual([{ id: e1, name: 'fedora', url: 'https://example.com/fedora/' }, { id: e2, name: 'epel', url: 'https://example.com/epel/' }]);
      expect(await admin.call('listExternalRepos', [], { url: 'https://example.com/epel/' })).toEqual([{ id: e2, name: 'epel', url: 'https://example.com/epel/' }]);
      expect(await admin.call('listExternalRepos', [e1])).toHaveLength(1);
      expect(await admin.call('getExternalRepo', ['epel'])).toEqual({ id: e2, name: 'epel', url: 'https://example.com/epel/' });
      expect(await admin.call('getExternalRepo', ['nosuch'])).toBeNull();
      await expect(admin.call('getExternalRepo', ['nosuch'], { strict: true })).rejects.toThrow('No such repo: nosuch');
    });
  });
});
