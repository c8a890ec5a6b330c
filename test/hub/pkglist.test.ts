/**
 * Package lists on the hub: packageListAdd/Block/Unblock/Remove/SetOwner/SetArches, listPackages
 * (inherited, first entry wins, blocks hide parents, pkg_filter, owners, dups, events),
 * checkTagPackage, getPackageConfig, and the package_list policy.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ActionNotAllowed } from '../../src/protocol/faults.ts';
import type { ClientSession } from '../../src/protocol/client.ts';
import type { XmlRpcStruct, XmlRpcValue } from '../../src/protocol/values.ts';
import { engines } from '../helpers/db.ts';
import { startTestHub, type TestHub } from '../helpers/hub.ts';
import { newEvent } from '../helpers/content.ts';

type Entry = XmlRpcStruct & { package_name: string; tag_name: string; blocked: boolean; owner_name: string; extra_arches: string | null };

describe.each(engines())('package lists on %s', (engine) => {
  let hub: TestHub;
  let admin: ClientSession;
  let bob: ClientSession;
  const list = async (kw: Record<string, XmlRpcValue>) => (await admin.call<Entry[]>('listPackages', [], kw)).map((p) => `${p.package_name}@${p.tag_name}${p.blocked ? '!' : ''}`);

  beforeAll(async () => {
    hub = await startTestHub(engine);
    admin = await hub.login();
    for (const u of ['bob', 'carol']) {
      await admin.call('createUser', [u]);
      await admin.call('kojits.setPassword', [u, `${u}-pass-1`]);
    }
    bob = await hub.login('bob', 'bob-pass-1');
    await admin.call('createTag', ['top']);
    await admin.call('createTag', ['mid'], { parent: 'top' });
    await admin.call('createTag', ['leaf'], { parent: 'mid' });
  });
  afterAll(async () => hub?.stop());

  it('adds packages (creating them) with owners and extra arches', async () => {
    await admin.call('packageListAdd', ['top', 'bash'], { owner: 'bob' });
    await admin.call('packageListAdd', ['top', 'gcc'], { owner: 'carol', extra_arches: 'x86_64  aarch64' });
    await expect(admin.call('packageListAdd', ['top', 'gdb'], { owner: 'carol', extra_arches: 'x86_64,aarch64' })).rejects.toThrow('Architecture can be only [a-zA-Z0-9_-]');
    await admin.call('packageListAdd', ['top', 'zsh', 'bob']);
    const [bash] = await admin.call<Entry[]>('listPackages', [], { tagID: 'top', pkgID: 'bash' });
    expect(bash).toEqual({ package_id: expect.any(Number), package_name: 'bash', tag_id: expect.any(Number), tag_name: 'top', extra_arches: null, blocked: false, owner_id: expect.any(Number), owner_name: 'bob' });
    expect((await admin.call<Entry[]>('listPackages', [], { tagID: 'top', pkgID: 'gcc' }))[0].extra_arches).toBe('x86_64 aarch64');
    expect(await admin.call('getPackage', ['bash'])).toEqual({ id: bash.package_id, name: 'bash' });
    await expect(admin.call('packageListAdd', ['top', 'make'])).rejects.toThrow('owner not specified');
    await expect(admin.call('packageListAdd', ['top', 'make'], { owner: 'nosuch' })).rejects.toThrow("No such user: 'nosuch'");
    await expect(admin.call('packageListAdd', ['nosuch', 'make'], { owner: 'bob' })).rejects.toThrow("No such tagInfo: 'nosuch'");
    await expect(admin.call('packageListAdd', ['top', 99999], { owner: 'bob' })).rejects.toThrow('No such package: 99999');
    // force without an owner: the caller owns it
    await admin.call('packageListAdd', ['top', 'make'], { force: true });
    expect((await admin.call<Entry[]>('listPackages', [], { tagID: 'top', pkgID: 'make' }))[0].owner_name).toBe('kojiadmin');
  });

  it('lists inherited packages, a tag\'s own entries first', async () => {
    // as Koji: adding what the tag already inherits, with only another owner, adds no entry
    await admin.call('packageListAdd', ['leaf', 'zsh'], { owner: 'carol' });
    expect(await list({ tagID: 'leaf' })).toEqual([]);
    await admin.call('packageListAdd', ['leaf', 'zsh'], { owner: 'carol', extra_arches: 'i686' });
    await admin.call('packageListAdd', ['mid', 'vim'], { owner: 'carol' });
    expect(await list({ tagID: 'leaf' })).toEqual(['zsh@leaf']);
    expect(await list({ tagID: 'leaf', inherited: true })).toEqual(['zsh@leaf', 'vim@mid', 'bash@top', 'gcc@top', 'make@top']);
    expect(await list({ tagID: 'leaf', inherited: true, with_dups: true })).toEqual(['zsh@leaf', 'zsh@top', 'vim@mid', 'bash@top', 'gcc@top', 'make@top']);
    expect(await list({ tagID: 'leaf', inherited: true, prefix: 'B' })).toEqual(['bash@top']);
    expect(await admin.call('listPackages', [], { tagID: 'leaf', inherited: true, queryOpts: { countOnly: true } })).toBe(5);
    expect(await admin.call('listPackages', [], { tagID: 'leaf', inherited: true, queryOpts: { order: '-package_name', limit: 2 } })).toMatchObject([{ package_name: 'zsh' }, { package_name: 'vim' }]);
    const noOwners = await admin.call<Entry[]>('listPackages', [], { tagID: 'leaf', with_owners: false });
    expect(Object.keys(noOwners[0]).sort()).toEqual(['blocked', 'extra_arches', 'package_id', 'package_name', 'tag_id', 'tag_name']);
    await expect(admin.call('listPackages', [], { userID: 'bob', with_owners: false })).rejects.toThrow("userID and with_owners=False can't be used together");
    await expect(admin.call('listPackages', [], { tagID: 'nosuch' })).rejects.toThrow('No such entry in table tag: nosuch');
  });

  it('lists by owner or by package across tags', async () => {
    // without a tag and without with_dups, Koji keeps one entry per package
    expect(await list({ userID: 'carol' })).toEqual(['gcc@top', 'zsh@leaf', 'vim@mid']);
    expect(await list({ pkgID: 'zsh', with_dups: true })).toEqual(['zsh@top', 'zsh@leaf']);
    expect((await admin.call<Entry[]>('listPackages')).map((p) => p.package_name)).toEqual(['bash', 'gcc', 'zsh', 'make', 'vim']);
    expect(await admin.call('listPackages', [], { prefix: 'ma' })).toEqual([{ package_id: expect.any(Number), package_name: 'make' }]);
  });

  it('a block hides the package from every parent; unblock restores', async () => {
    await admin.call('packageListBlock', ['mid', 'bash']);
    expect(await list({ tagID: 'leaf', inherited: true })).toEqual(['zsh@leaf', 'bash@mid!', 'vim@mid', 'gcc@top', 'make@top']);
    expect(await list({ tagID: 'leaf', inherited: true, with_blocked: false })).toEqual(['zsh@leaf', 'vim@mid', 'bash@top', 'gcc@top', 'make@top']);
    expect(await admin.call('checkTagPackage', ['leaf', 'bash'])).toBe(false);
    expect(await admin.call('checkTagPackage', ['top', 'bash'])).toBe(true);
    expect(await admin.call('checkTagPackage', ['leaf', 'nosuch'])).toBe(false);
    expect(await admin.call('getPackageConfig', ['leaf', 'bash'])).toMatchObject({ tag_name: 'mid', blocked: true, owner_name: 'bob' });
    expect(await admin.call('getPackageConfig', ['leaf', 'nosuch'])).toBeNull();
    await expect(admin.call('packageListBlock', ['top', 'nosuchpkg'])).rejects.toThrow('No such entry in table package: nosuchpkg');
    await admin.call('packageListAdd', ['leaf', 'newpkg'], { owner: 'bob' });
    await expect(admin.call('packageListBlock', ['top', 'newpkg'])).rejects.toThrow('Package newpkg is not in tag listing for top');
    // re-adding a blocked package needs force
    await expect(admin.call('packageListAdd', ['leaf', 'bash'], { owner: 'bob', block: false })).rejects.toThrow('package bash is blocked in tag leaf');
    // unblock in a child of the blocking tag: an unblocked copy of the entry
    await admin.call('packageListUnblock', ['leaf', 'bash']);
    expect(await list({ tagID: 'leaf', inherited: true, pkgID: 'bash', with_dups: true })).toEqual(['bash@leaf', 'bash@mid!', 'bash@top']);
    await expect(admin.call('packageListUnblock', ['leaf', 'bash'])).rejects.toThrow('package bash NOT blocked in tag leaf');
    await expect(admin.call('packageListUnblock', ['top', 'vim'])).rejects.toThrow('no data (blocked or otherwise) for package vim in tag top');
    // unblock where the block is: the blocking entry goes, the parent's shows again
    await admin.call('packageListUnblock', ['mid', 'bash']);
    expect(await list({ tagID: 'mid', inherited: true, pkgID: 'bash' })).toEqual(['bash@top']);
    // a tag whose only entry is a block gets an unblocked entry instead
    await admin.call('packageListBlock', ['top', 'make']);
    await admin.call('packageListUnblock', ['top', 'make']);
    expect(await list({ tagID: 'top', pkgID: 'make' })).toEqual(['make@top']);
  });

  it('updates owners and arches; update needs an entry unless forced', async () => {
    await admin.call('packageListSetOwner', ['top', 'bash', 'carol']);
    expect((await admin.call<Entry>('getPackageConfig', ['top', 'bash'])).owner_name).toBe('carol');
    await admin.call('packageListSetArches', ['top', 'bash', 'ppc64le s390x']);
    expect(await admin.call('getPackageConfig', ['top', 'bash'])).toMatchObject({ owner_name: 'carol', extra_arches: 'ppc64le s390x' });
    await expect(admin.call('packageListSetOwner', ['top', 'vim', 'bob'])).rejects.toThrow('cannot update: tag top has no data for package vim');
    await expect(admin.call('packageListSetArches', ['top', 'bash', 'bad,arch'])).rejects.toThrow('Architecture can be only [a-zA-Z0-9_-]');
    // an update of an inherited entry sets this tag's owner only
    await admin.call('packageListSetOwner', ['leaf', 'vim', 'bob']);
    expect(await admin.call('getPackageConfig', ['leaf', 'vim'])).toMatchObject({ tag_name: 'mid', owner_name: 'carol' });
    await admin.call('packageListSetOwner', ['top', 'vim', 'bob'], { force: true });
    expect(await admin.call('getPackageConfig', ['top', 'vim'])).toMatchObject({ tag_name: 'top', owner_name: 'bob' });
  });

  it('removes entries so the parents show through', async () => {
    const before = await newEvent(hub);
    await admin.call('packageListRemove', ['leaf', 'zsh']);
    expect(await admin.call('getPackageConfig', ['leaf', 'zsh'])).toMatchObject({ tag_name: 'top', owner_name: 'bob' });
    expect(await admin.call('getPackageConfig', ['leaf', 'zsh'], { event: before })).toMatchObject({ tag_name: 'leaf', owner_name: 'carol' });
    expect(await list({ tagID: 'leaf', event: before })).toEqual(['bash@leaf', 'zsh@leaf', 'newpkg@leaf']);
    // removing what is not there is not an error
    await admin.call('packageListRemove', ['leaf', 'zsh']);
    await expect(admin.call('packageListRemove', ['leaf', 'nosuch'])).rejects.toThrow('No such entry in table package: nosuch');
  });

  it('applies package_list filters along the inheritance', async () => {
    await admin.call('createTag', ['filtered']);
    const top = await admin.call<XmlRpcStruct>('getTag', ['top']);
    await admin.call('setInheritanceData', ['filtered', [{ parent_id: top.id as number, priority: 0, maxdepth: null, intransitive: false, noconfig: false, pkg_filter: 'g.*|z' }]]);
    expect(await list({ tagID: 'filtered', inherited: true })).toEqual(['gcc@top', 'zsh@top']);
    expect(await admin.call('checkTagPackage', ['filtered', 'bash'])).toBe(false);
  });

  it('is governed by the package_list policy (admin or tag permission by default)', async () => {
    const denied = 'policy violation (package_list): Only admin/tag can do this via default policy';
    await expect(bob.call('packageListAdd', ['top', 'evil'], { owner: 'bob' })).rejects.toThrow(ActionNotAllowed);
    await expect(bob.call('packageListAdd', ['top', 'evil'], { owner: 'bob' })).rejects.toThrow(denied);
    await expect(bob.call('packageListBlock', ['top', 'gcc'])).rejects.toThrow(denied);
    await expect(bob.call('packageListUnblock', ['top', 'gcc'])).rejects.toThrow(denied);
    await expect(bob.call('packageListRemove', ['top', 'gcc'])).rejects.toThrow(denied);
    await expect(bob.call('packageListSetOwner', ['top', 'gcc', 'bob'])).rejects.toThrow(denied);
    await expect(bob.call('packageListAdd', ['top', 'evil'], { owner: 'bob', force: true })).rejects.toThrow(denied);
    // the package is not created when the policy says no
    expect(await admin.call('getPackage', ['evil'])).toBeNull();
    await expect(hub.anon().call('packageListAdd', ['top', 'evil'], { owner: 'bob' })).rejects.toThrow();
    await admin.call('grantPermission', ['bob', 'tag']);
    await bob.call('packageListAdd', ['top', 'evil'], { owner: 'bob' });
    expect(await admin.call('checkTagPackage', ['top', 'evil'])).toBe(true);
  });
});

describe.each(engines())('package_list policy from hub.conf on %s', (engine) => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startTestHub(engine, { conf: '[policy]\npackage_list =\n    match action block :: deny blocking is not allowed here\n    has_perm admin :: allow\n    all :: deny\n' });
  });
  afterAll(async () => hub?.stop());

  it('denies with the configured reason, and admins may force', async () => {
    const admin = await hub.login();
    await admin.call('createTag', ['t']);
    await admin.call('packageListAdd', ['t', 'bash'], { owner: 'kojiadmin' });
    await expect(admin.call('packageListBlock', ['t', 'bash'])).rejects.toThrow('policy violation (package_list): blocking is not allowed here');
    await admin.call('packageListBlock', ['t', 'bash'], { force: true });
    expect(await admin.call('checkTagPackage', ['t', 'bash'])).toBe(false);
  });
});

describe.each(engines())('names entering package lists on %s', (engine) => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startTestHub(engine);
  });
  afterAll(async () => hub?.stop());

  it('packageListAdd applies the same package-name rule as createEmptyBuild', async () => {
    const admin = await hub.login();
    await admin.call('createTag', ['names']);
    for (const name of ['.', '..', 'a/b', 'a\\b']) {
      const viaList = await admin.call('packageListAdd', ['names', name], { owner: 'kojiadmin' }).catch((e: Error) => e.message);
      const viaBuild = await admin.call('createEmptyBuild', [name, '1', '1', null]).catch((e: Error) => e.message);
      expect(viaList, name).toMatch(/^(Invalid package name|Name .* does not match RegexNameInternal)/);
      expect(viaList).toBe(viaBuild);
    }
    expect(await admin.call('listPackages', [], { tagID: 'names' })).toEqual([]);
  });
});
