/**
 * Comps groups API: adding, updating, blocking, unblocking and removing groups, group packages
 * and group requirements; reading them with inheritance, at events and with blocked entries;
 * permission denials and bad input.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClientSession } from '../../src/protocol/client.ts';
import { engines } from '../helpers/db.ts';
import { startTestHub, type TestHub } from '../helpers/hub.ts';

type Group = Record<string, unknown> & { name: string; packagelist: Array<Record<string, unknown>>; grouplist: Array<Record<string, unknown>> };

describe.each(engines())('comps groups API on %s', (engine) => {
  let hub: TestHub;
  let admin: ClientSession;
  let base: number;
  let child: number;
  beforeAll(async () => {
    hub = await startTestHub(engine);
    admin = await hub.login();
    base = await admin.call<number>('createTag', ['g-base']);
    child = await admin.call<number>('createTag', ['g-child'], { parent: 'g-base' });
    await admin.call('createUser', ['gwen']);
    await admin.call('kojits.setPassword', ['gwen', 'gwen-password']);
  });
  afterAll(async () => hub?.stop());

  const groups = (tag: string, kw: Record<string, unknown> = {}) => hub.anon().call<Group[]>('getTagGroups', [tag], kw as never);
  const find = (list: Group[], name: string) => list.find((g) => g.name === name);
  const pkgNames = (g: Group | undefined) => (g?.packagelist ?? []).map((p) => p.package).sort();
  const lastEvent = async () => (await hub.anon().call<{ id: number }>('getLastEvent')).id;

  it('adds groups with defaults and options, and lists them', async () => {
    expect(await admin.call('groupListAdd', ['g-base', 'build'])).toBeNull();
    await admin.call('groupListAdd', ['g-base', 'core'], { display_name: 'Core', description: 'The core', is_default: true, uservisible: false, langonly: 'en', biarchonly: true, exported: false, bogus: 1 });
    const list = await groups('g-base');
    expect(find(list, 'build')).toEqual({
      name: 'build', group_id: expect.any(Number), tag_id: base, blocked: false, exported: true, display_name: 'build', is_default: null,
      uservisible: true, description: null, langonly: null, biarchonly: false, packagelist: [], grouplist: [],
    });
    expect(find(list, 'core')).toMatchObject({ display_name: 'Core', description: 'The core', is_default: true, uservisible: false, langonly: 'en', biarchonly: true, exported: false });
    expect(await groups('g-base', { incl_pkgs: false, incl_reqs: false })).toSatisfy((l: Group[]) => l.every((g) => !('packagelist' in g) && !('grouplist' in g)));
  });

  it('adds packages and requirements, merging them along inheritance', async () => {
    await admin.call('groupPackageListAdd', ['g-base', 'build', 'bash']);
    await admin.call('groupPackageListAdd', ['g-base', 'build', 'gcc'], { type: 'default', basearchonly: true });
    await admin.call('groupPackageListAdd', ['g-base', 'build', 'zsh'], { type: 'conditional', requires: 'bash' });
    await admin.call('groupReqListAdd', ['g-base', 'build', 'core']);
    await admin.call('groupPackageListAdd', ['g-child', 'build', 'make']);
    await admin.call('groupPackageListAdd', ['g-child', 'build', 'bash'], { type: 'optional' });
    const b = find(await groups('g-child'), 'build')!;
    expect(b.tag_id).toBe(base);
    expect(pkgNames(b)).toEqual(['bash', 'gcc', 'make', 'zsh']);
    expect(b.packagelist.find((p) => p.package === 'bash')).toEqual({ group_id: b.group_id, tag_id: child, package: 'bash', blocked: false, type: 'optional', basearchonly: null, requires: null });
    expect(b.packagelist.find((p) => p.package === 'gcc')).toMatchObject({ tag_id: base, type: 'default', basearchonly: true });
    expect(b.packagelist.find((p) => p.package === 'zsh')).toMatchObject({ type: 'conditional', requires: 'bash' });
    expect(b.grouplist).toEqual([{ group_id: b.group_id, tag_id: base, req_id: find(await groups('g-base'), 'core')!.group_id, blocked: false, type: 'mandatory', is_metapkg: false, name: 'core' }]);
    // without inheritance the child has no group definitions at all
    expect(await groups('g-child', { inherit: false })).toEqual([]);
  });

  it('the first definition of a group along the inheritance wins', async () => {
    await admin.call('groupListAdd', ['g-child', 'build'], { description: 'child build' });
    const b = find(await groups('g-child'), 'build')!;
    expect(b).toMatchObject({ tag_id: child, description: 'child build', display_name: 'build', uservisible: true });
    expect(find(await groups('g-base'), 'build')!.description).toBeNull();
    expect(pkgNames(b)).toEqual(['bash', 'gcc', 'make', 'zsh']);
  });

  it('writes nothing when the data does not change', async () => {
    const count = async () => Number((await hub.db.rawQuery('SELECT count(*) AS n FROM group_config')).rows[0].n);
    const before = await count();
    await admin.call('groupListAdd', ['g-child', 'build'], { description: 'child build' });
    await admin.call('groupListAdd', ['g-child', 'core']);
    expect(await count()).toBe(before);
    await admin.call('groupPackageListAdd', ['g-child', 'build', 'gcc']);
    expect(find(await groups('g-child'), 'build')!.packagelist.find((p) => p.package === 'gcc')!.tag_id).toBe(base);
  });

  it('blocks and unblocks packages, requirements and groups', async () => {
    await admin.call('groupPackageListBlock', ['g-child', 'build', 'gcc']);
    await admin.call('groupReqListBlock', ['g-child', 'build', 'core']);
    let b = find(await groups('g-child'), 'build')!;
    expect(pkgNames(b)).toEqual(['bash', 'make', 'zsh']);
    expect(b.grouplist).toEqual([]);
    b = find(await groups('g-child', { incl_blocked: true }), 'build')!;
    expect(b.packagelist.find((p) => p.package === 'gcc')).toMatchObject({ blocked: true, tag_id: child, type: 'default', basearchonly: true });
    expect(b.grouplist).toMatchObject([{ name: 'core', blocked: true, tag_id: child }]);
    expect(pkgNames(find(await groups('g-base'), 'build'))).toEqual(['bash', 'gcc', 'zsh']);
    // a blocked package cannot be re-added without force
    await expect(admin.call('groupPackageListAdd', ['g-child', 'build', 'gcc'])).rejects.toThrow('package gcc blocked in group build, tag g-child');
    await expect(admin.call('groupReqListAdd', ['g-child', 'build', 'core'])).rejects.toThrow('requirement on group core blocked in group build, tag g-child');
    await admin.call('groupPackageListUnblock', ['g-child', 'build', 'gcc']);
    await admin.call('groupReqListUnblock', ['g-child', 'build', 'core']);
    b = find(await groups('g-child'), 'build')!;
    expect(pkgNames(b)).toEqual(['bash', 'gcc', 'make', 'zsh']);
    expect(b.grouplist.map((r) => r.name)).toEqual(['core']);

    await admin.call('groupListBlock', ['g-child', 'core']);
    expect(find(await groups('g-child'), 'core')).toBeUndefined();
    // the requirement on a blocked group disappears too
    expect(find(await groups('g-child'), 'build')!.grouplist).toEqual([]);
    expect(find(await groups('g-child', { incl_blocked: true }), 'core')).toMatchObject({ blocked: true, tag_id: child, display_name: 'Core', packagelist: [], grouplist: [] });
    await expect(admin.call('groupListAdd', ['g-child', 'core'])).rejects.toThrow('group core is blocked in tag g-child');
    await expect(admin.call('groupPackageListAdd', ['g-child', 'core', 'x'])).rejects.toThrow('group core is blocked in tag g-child');
    await admin.call('groupListUnblock', ['g-child', 'core']);
    expect(find(await groups('g-child'), 'core')).toMatchObject({ tag_id: base, blocked: false });
  });

  it('unblock errors name what is not blocked', async () => {
    const build = find(await groups('g-base'), 'build')!.group_id as number;
    const core = find(await groups('g-base'), 'core')!.group_id as number;
    await expect(admin.call('groupListUnblock', ['g-child', 'core'])).rejects.toThrow('group core is NOT blocked in tag g-child');
    await expect(admin.call('groupPackageListUnblock', ['g-child', 'build', 'bash'])).rejects.toThrow(`package bash is NOT blocked in group ${build}, tag ${child}`);
    await expect(admin.call('groupReqListUnblock', ['g-child', 'build', 'core'])).rejects.toThrow(`group req ${core} is NOT blocked in group ${build}, tag ${child}`);
  });

  it('removes entries, revealing inherited ones', async () => {
    await admin.call('groupPackageListRemove', ['g-child', 'build', 'bash']);
    expect(find(await groups('g-child'), 'build')!.packagelist.find((p) => p.package === 'bash')).toMatchObject({ tag_id: base, type: 'mandatory' });
    await admin.call('groupListRemove', ['g-child', 'build']);
    expect(find(await groups('g-child'), 'build')).toMatchObject({ tag_id: base, description: null });
    await expect(admin.call('groupListRemove', ['g-child', 'build'])).rejects.toThrow('No group: build found for tag: g-child');
    expect(await admin.call('groupListRemove', ['g-child', 'build'], { force: true })).toBeNull();
    await admin.call('groupReqListAdd', ['g-child', 'build', 'core'], { type: 'optional', is_metapkg: true });
    expect(find(await groups('g-child'), 'build')!.grouplist).toMatchObject([{ tag_id: child, type: 'optional', is_metapkg: true }]);
    await admin.call('groupReqListRemove', ['g-child', 'build', 'core']);
    expect(find(await groups('g-child'), 'build')!.grouplist).toMatchObject([{ tag_id: base, type: 'mandatory', is_metapkg: false }]);
  });

  it('reads groups as they were at an event', async () => {
    await admin.call('createTag', ['g-ev']);
    await admin.call('groupListAdd', ['g-ev', 'web'], { display_name: 'Web' });
    await admin.call('groupPackageListAdd', ['g-ev', 'web', 'httpd']);
    const e1 = await lastEvent();
    await admin.call('groupListAdd', ['g-ev', 'web'], { display_name: 'Web server' });
    await admin.call('groupPackageListBlock', ['g-ev', 'web', 'httpd']);
    await admin.call('groupListAdd', ['g-ev', 'db']);
    expect((await groups('g-ev', { event: e1 })).map((g) => [g.name, g.display_name, pkgNames(g)])).toEqual([['web', 'Web', ['httpd']]]);
    expect((await groups('g-ev')).map((g) => [g.name, g.display_name, pkgNames(g)])).toEqual([['web', 'Web server', []], ['db', 'db', []]]);
  });

  it('refuses bad input', async () => {
    await expect(groups('nosuchtag')).rejects.toThrow('No such entry in table tag: nosuchtag');
    await expect(admin.call('groupListAdd', ['nosuchtag', 'x'])).rejects.toMatchObject({ faultCode: 1000 });
    await expect(admin.call('groupPackageListAdd', ['g-base', 'nosuchgroup', 'x'])).rejects.toThrow('No such entry in table groups: nosuchgroup');
    await admin.call('groupListAdd', ['g-child', 'lonely']);
    await expect(admin.call('groupPackageListAdd', ['g-base', 'lonely', 'x'])).rejects.toThrow('group lonely not present in tag g-base');
    await expect(admin.call('groupReqListAdd', ['g-base', 'build', 'nosuchgroup'])).rejects.toThrow('No such entry in table groups: nosuchgroup');
    await expect(admin.call('groupListAdd', ['g-base', 'x'.repeat(51)])).rejects.toThrow(/too long/);
    await expect(admin.call('groupListAdd', ['g-base', 12345])).rejects.toThrow('Name must be a string');
    await expect(admin.call('groupListAdd', ['g-base', 'typed'], { display_name: 5 })).rejects.toMatchObject({ faultCode: 1019 });
    await expect(admin.call('groupPackageListAdd', ['g-base', 'build', 'p'], { type: 'x'.repeat(30) })).rejects.toThrow(/longer than 25/);
    await expect(admin.call('getTagGroups', ['g-base'], { event: 'yesterday' })).rejects.toMatchObject({ faultCode: 1019 });
    expect(find(await groups('g-base'), 'typed')).toBeUndefined();
  });

  it('needs the tag permission to change groups', async () => {
    const gwen = await hub.login('gwen', 'gwen-password');
    const calls: Array<[string, unknown[]]> = [
      ['groupListAdd', ['g-base', 'evil']], ['groupListRemove', ['g-base', 'build']], ['groupListBlock', ['g-base', 'build']],
      ['groupListUnblock', ['g-base', 'build']], ['groupPackageListAdd', ['g-base', 'build', 'evil']], ['groupPackageListRemove', ['g-base', 'build', 'bash']],
      ['groupPackageListBlock', ['g-base', 'build', 'bash']], ['groupPackageListUnblock', ['g-base', 'build', 'bash']],
      ['groupReqListAdd', ['g-base', 'build', 'core']], ['groupReqListRemove', ['g-base', 'build', 'core']],
      ['groupReqListBlock', ['g-base', 'build', 'core']], ['groupReqListUnblock', ['g-base', 'build', 'core']],
    ];
    for (const [m, args] of calls) await expect(gwen.callAny(m, args as never), m).rejects.toMatchObject({ faultCode: 1004, message: expect.stringContaining('tag permission required') });
    await expect(hub.anon().call('groupListAdd', ['g-base', 'evil'])).rejects.toMatchObject({ faultCode: 1004 });
    await admin.call('grantPermission', ['gwen', 'tag']);
    await gwen.call('groupListAdd', ['g-base', 'gwens']);
    expect(find(await groups('g-base'), 'gwens')).toBeDefined();
    expect(find(await gwen.call<Group[]>('getTagGroups', ['g-base']), 'gwens')).toBeDefined();
  });
});
