/**
 * The hub's policy tests against a fake PolicyEnv: where each finds its subject (data fields,
 * the build, the session), Koji's special cases, and the errors Koji raises.
 */
import { describe, expect, it } from 'vitest';
import { fakeEnv, runTest, type World } from './fake-env.ts';

const world: World = {
  users: [
    { id: 1, name: 'alice', usertype: 0 },
    { id: 2, name: 'bob', usertype: 0 },
    { id: 3, name: 'packagers', usertype: 2 },
  ],
  groups: { 1: [{ id: 3, name: 'packagers' }] },
  perms: { 1: ['admin'], 2: ['tag', 'repo'] },
  packages: [{ id: 10, name: 'bash' }],
  builds: [
    { id: 1, name: 'bash', version: '5.2', release: '1.fc38', package_id: 10, owner_id: 2, source: 'git+https://src/bash#abc', task_id: 100 },
    { id: 2, name: 'foo', owner_id: 3, draft: true, task_id: 200 },
    { id: 3, name: 'cgbuild', extra: { container_koji_task_id: 300 } },
    { id: 4, name: 'imported', volume_name: 'archive' },
    { id: 5, name: 'win', task_id: 500 },
    { id: 6, name: 'wrapped', task_id: 600 },
    { id: 7, name: 'indirect', task_id: 700 },
    { id: 8, name: 'odd', task_id: 800 },
  ],
  buildTypes: { 1: ['rpm'], 2: ['rpm', 'maven'], 3: ['image'] },
  componentBuildroots: { 1: [11, 11, 12], 2: [13], 3: [21, null], 4: [null, null] },
  buildroots: {
    11: { tag_name: 'f38-build', cg_name: null, repo_create_event_id: 500 },
    12: { tag_name: 'f38-build', cg_name: null, repo_create_event_id: 500 },
    13: { tag_name: 'el9-build', cg_name: null, repo_create_event_id: 600 },
    21: { tag_name: null, cg_name: 'osbs', repo_create_event_id: null },
  },
  tagsOfBuild: { 1: ['f38', 'f38-updates-candidate'] },
  tags: [{ id: 1, name: 'f38' }, { id: 2, name: 'f38-build' }, { id: 3, name: 'f38-updates-candidate' }, { id: 4, name: 'el9-build' }],
  ancestors: { 2: ['f38-override', 'f37-build'], 4: ['el9-base'] },
  targets: [{ id: 1, name: 'f38-candidate', build_tag: 2, build_tag_name: 'f38-build' }],
  volumes: ['DEFAULT', 'archive'],
  cgs: ['osbs', 'kiwi'],
  tasks: {
    200: { method: 'build', params: { src: 'git://foo', target: 'x' } },
    300: { method: 'buildContainer', params: { url: 'git://container' } },
    500: { method: 'winbuild', params: { name: 'w', source_url: 'git://win', target: 't' } },
    600: { method: 'wrapperRPM', params: { spec_url: 'git://spec', url: 'git://not-this' } },
    700: { method: 'indirectionimage', params: { opts: {} } },
    800: { method: 'createImage', params: { name: 'x' } },
  },
};

const env = () => fakeEnv(world);
const t = (expr: string, data: Record<string, unknown>, e = env()) => runTest(expr, data, e);

describe('operation, method, vm_name', () => {
  it('glob their data field; absent is false', async () => {
    expect(await t('operation tag move', { operation: 'move' })).toBe(true);
    expect(await t('operation tag move', { operation: 'untag' })).toBe(false);
    expect(await t('operation *', {})).toBe(false);
    expect(await t('method build*', { method: 'buildArch' })).toBe(true);
    expect(await t('vm_name win-*', { vm_name: 'win-2019' })).toBe(true);
    expect(await t('vm_name win-*', {})).toBe(false);
  });
});

describe('package and is_new_package', () => {
  it('package globs the package name from data.package (name or id) or the build', async () => {
    expect(await t('package ba*', { package: 'bash' })).toBe(true);
    expect(await t('package ba*', { package: 10 })).toBe(true);
    expect(await t('package zsh', { package: 'bash' })).toBe(false);
    expect(await t('package bash', { build: 1 })).toBe(true);
    expect(await t('package bash', { build: 'bash-5.2-1.fc38' })).toBe(true);
    expect(await t('package bash', { build: { id: 1 } })).toBe(true);
  });

  it('a package name that does not exist yet still matches (adding a package)', async () => {
    expect(await t('package new*', { package: 'newpkg' })).toBe(true);
    expect(await t('is_new_package', { package: 'newpkg' })).toBe(true);
    expect(await t('is_new_package', { package: 'bash' })).toBe(false);
    expect(await t('is_new_package', { build: 1 })).toBe(false);
  });

  it('fails for an unknown package id, an unknown build and without package data', async () => {
    await expect(t('package *', { package: 999 })).rejects.toThrow('No such package: 999');
    await expect(t('package *', { build: 999 })).rejects.toThrow('No such build: 999');
    await expect(t('package *', { build: 'nope-1-1' })).rejects.toThrow("No such build: 'nope-1-1'");
    await expect(t('is_new_package', {})).rejects.toThrow('policy requires package data');
  });

  it('prefers data.package over the build', async () => {
    expect(await t('package zsh', { package: 'zsh', build: 1 })).toBe(true);
  });
});

describe('version and release', () => {
  it('glob data.version / data.release, else the build\'s', async () => {
    expect(await t('version 5.*', { version: '5.1' })).toBe(true);
    expect(await t('version 5.*', { build: 1 })).toBe(true);
    expect(await t('release *.fc38', { build: 1 })).toBe(true);
    expect(await t('release *.fc39', { release: '1.fc39' })).toBe(true);
    expect(await t('version *', { version: null })).toBe(false);
  });

  it('fail without version/release data', async () => {
    await expect(t('version *', {})).rejects.toThrow('policy requires version data');
    await expect(t('release *', {})).rejects.toThrow('policy requires release data');
  });
});

describe('tag and fromtag', () => {
  it('glob the name of the tag given by name or id', async () => {
    expect(await t('tag f38*', { tag: 'f38' })).toBe(true);
    expect(await t('tag f38', { tag: 1 })).toBe(true);
    expect(await t('tag el*', { tag: 1 })).toBe(false);
    expect(await t('fromtag f38-updates-*', { fromtag: 3 })).toBe(true);
  });

  it('are false when the tag is absent, None or does not exist, even for *', async () => {
    expect(await t('tag *', {})).toBe(false);
    expect(await t('tag *', { tag: null })).toBe(false);
    expect(await t('tag *', { tag: 'no-such-tag' })).toBe(false);
    expect(await t('fromtag *', { tag: 'f38', fromtag: null })).toBe(false);
    expect(await t('fromtag *', { tag: 'f38' })).toBe(false);
  });
});

describe('hastag', () => {
  it('is true when the build is currently in a matching tag', async () => {
    expect(await t('hastag f38-updates-*', { build: 1 })).toBe(true);
    expect(await t('hastag el*', { build: 1 })).toBe(false);
    expect(await t('hastag *', { build: 2 })).toBe(false);
    expect(await t('hastag *', {})).toBe(false);
    await expect(t('hastag *', { build: 999 })).rejects.toThrow('No such build');
  });
});

describe('buildtag', () => {
  it('uses data.build_tag (name or id), then build_tags', async () => {
    expect(await t('buildtag f38-*', { build_tag: 'f38-build' })).toBe(true);
    expect(await t('buildtag f38-*', { build_tag: 2 })).toBe(true);
    expect(await t('buildtag el9-*', { build_tags: ['f38-build', 4] })).toBe(true);
    await expect(t('buildtag *', { build_tag: 'nope' })).rejects.toThrow("No such tagInfo: 'nope'");
  });

  it('falls back to the target\'s build tag, then to the buildroots of the build', async () => {
    expect(await t('buildtag f38-build', { target: 'f38-candidate' })).toBe(true);
    expect(await t('buildtag *', { target: 'no-such-target' })).toBe(false);
    const e = env();
    expect(await t('buildtag f38-build', { build: 1 }, e)).toBe(true);
    expect(e.calls).toContain('getTag f38-build @500');
    expect(await t('buildtag el9-build', { buildroots: [13] })).toBe(true);
  });

  it('skips content-generator buildroots without a tag and imported components', async () => {
    expect(await t('buildtag *', { build: 3 })).toBe(false);
    expect(await t('buildtag *', { build: 4 })).toBe(false);
  });

  it('gives data.build_tag precedence over the target', async () => {
    expect(await t('buildtag f38-build', { build_tag: 'el9-build', target: 'f38-candidate' })).toBe(false);
  });
});

describe('buildtag_inherits_from', () => {
  it('matches the parents of the build tag, not the build tag itself', async () => {
    expect(await t('buildtag_inherits_from f37-*', { build_tag: 'f38-build' })).toBe(true);
    expect(await t('buildtag_inherits_from f38-build', { build_tag: 'f38-build' })).toBe(false);
    expect(await t('buildtag_inherits_from el9-base', { target: 'f38-candidate' })).toBe(false);
  });

  it('reads the inheritance at the buildroot repo\'s event', async () => {
    const e = env();
    expect(await t('buildtag_inherits_from f38-override', { build: 1 }, e)).toBe(true);
    expect(e.calls).toContain('tagAncestors 2 @500');
    const e2 = env();
    await t('buildtag_inherits_from x', { build_tag: 4 }, e2);
    expect(e2.calls).toContain('tagAncestors 4 @null');
  });
});

describe('buildtype', () => {
  it('globs data.btypes or the build\'s types', async () => {
    expect(await t('buildtype maven', { btypes: ['rpm', 'maven'] })).toBe(true);
    expect(await t('buildtype mav*', { build: 2 })).toBe(true);
    expect(await t('buildtype maven', { build: 1 })).toBe(false);
    expect(await t('buildtype *', {})).toBe(false);
  });
});

describe('skip_tag, is_child_task, is_draft', () => {
  it('skip_tag is data.skip_tag\'s truth', async () => {
    expect(await t('skip_tag', { skip_tag: true })).toBe(true);
    expect(await t('skip_tag', { skip_tag: false })).toBe(false);
    expect(await t('skip_tag', {})).toBe(false);
  });

  it('is_child_task is data.parent\'s truth', async () => {
    expect(await t('is_child_task', { parent: 12 })).toBe(true);
    expect(await t('is_child_task', { parent: null })).toBe(false);
    expect(await t('is_child_task', {})).toBe(false);
  });

  it('is_draft uses data.draft, else the build\'s draft flag', async () => {
    expect(await t('is_draft', { draft: true, build: 1 })).toBe(true);
    expect(await t('is_draft', { draft: false, build: 2 })).toBe(false);
    expect(await t('is_draft', { build: 2 })).toBe(true);
    expect(await t('is_draft', { build: 1 })).toBe(false);
    expect(await t('is_draft', {})).toBe(false);
  });
});

describe('imported', () => {
  it('is true when any rpm or archive has no buildroot', async () => {
    expect(await t('imported', { build: 4 })).toBe(true);
    expect(await t('imported', { build: 3 })).toBe(true);
    expect(await t('imported', { build: 1 })).toBe(false);
  });

  it('requires a build', async () => {
    await expect(t('imported', {})).rejects.toThrow('policy data must contain a build');
    await expect(t('imported', { build: null })).rejects.toThrow('policy data must contain a build');
  });
});

describe('user, user_in_group, has_perm', () => {
  it('user globs the name of data.user_id\'s user, else the logged-in user', async () => {
    expect(await t('user ali*', { user_id: 1 })).toBe(true);
    expect(await t('user alice', { user_id: 2 })).toBe(false);
    expect(await t('user bob', {}, fakeEnv({ ...world, sessionUser: 2 }))).toBe(true);
    expect(await t('user *', {})).toBe(false); // anonymous
    expect(await t('user *', { user_id: 999 })).toBe(false); // no such user
  });

  it('treats user_id None as the session user (get_user(None))', async () => {
    expect(await t('user bob', { user_id: null }, fakeEnv({ ...world, sessionUser: 2 }))).toBe(true);
    await expect(t('user bob', { user_id: null })).rejects.toThrow('No user provided');
  });

  it('user_in_group globs the user\'s group names', async () => {
    expect(await t('user_in_group pack*', { user_id: 1 })).toBe(true);
    expect(await t('user_in_group pack*', { user_id: 2 })).toBe(false);
    expect(await t('user_in_group *', {})).toBe(false);
  });

  it('has_perm is true when the user has any permission matching any pattern', async () => {
    expect(await t('has_perm admin', { user_id: 1 })).toBe(true);
    expect(await t('has_perm admin tag', { user_id: 2 })).toBe(true);
    expect(await t('has_perm re*', { user_id: 2 })).toBe(true);
    expect(await t('has_perm tag', { user_id: 1 })).toBe(false);
    expect(await t('has_perm admin', {})).toBe(false);
  });
});

describe('is_build_owner', () => {
  it('is true for the owner and for members of an owning group', async () => {
    expect(await t('is_build_owner', { build: 1, user_id: 2 })).toBe(true);
    expect(await t('is_build_owner', { build: 1, user_id: 1 })).toBe(false);
    expect(await t('is_build_owner', { build: 2, user_id: 1 })).toBe(true);
    expect(await t('is_build_owner', { build: 2, user_id: 2 })).toBe(false);
    expect(await t('is_build_owner', { build: 1 })).toBe(false);
  });

  it('requires an existing build', async () => {
    await expect(t('is_build_owner', { user_id: 1 })).rejects.toThrow('policy data must contain a build');
    await expect(t('is_build_owner', { build: 999, user_id: 1 })).rejects.toThrow('No such build');
  });
});

describe('source', () => {
  it('globs data.source, else the build\'s source', async () => {
    expect(await t('source git://*', { source: 'git://x' })).toBe(true);
    expect(await t('source git+https://src/*', { build: 1 })).toBe(true);
    expect(await t('source *', { source: null })).toBe(false);
    expect(await t('source *', {})).toBe(false);
  });

  it('falls back to the source parameter of the build task', async () => {
    expect(await t('source git://foo', { build: 2 })).toBe(true); // build: src
    expect(await t('source git://container', { build: 3 })).toBe(true); // legacy OSBS task id, url
    expect(await t('source git://win', { build: 5 })).toBe(true); // winbuild: source_url
    expect(await t('source git://spec', { build: 6 })).toBe(true); // wrapperRPM: spec_url
    expect(await t('source *', { build: 7 })).toBe(false); // indirectionimage
    expect(await t('source *', { build: 8 })).toBe(false); // no source parameter
    expect(await t('source *', { build: 4 })).toBe(false); // no source, no task
  });
});

describe('volume', () => {
  it('globs data.volume when it exists, else the build\'s volume', async () => {
    expect(await t('volume arch*', { volume: 'archive' })).toBe(true);
    expect(await t('volume *', { volume: 'nope' })).toBe(false);
    expect(await t('volume DEFAULT', { build: 1 })).toBe(true);
    expect(await t('volume archive', { build: 4 })).toBe(true);
    expect(await t('volume *', {})).toBe(false);
  });
});

describe('cg_match_any and cg_match_all', () => {
  it('use data.cg_list, each of which must exist', async () => {
    expect(await t('cg_match_any osbs', { cg_list: ['osbs', 'kiwi'] })).toBe(true);
    expect(await t('cg_match_all osbs', { cg_list: ['osbs', 'kiwi'] })).toBe(false);
    expect(await t('cg_match_all osbs kiwi', { cg_list: ['osbs', 'kiwi'] })).toBe(true);
    await expect(t('cg_match_any *', { cg_list: ['nope'] })).rejects.toThrow('No such entry in table content_generator: nope');
  });

  it('otherwise use the content generators of the buildroots', async () => {
    expect(await t('cg_match_any osbs', { build: 3 })).toBe(true);
    expect(await t('cg_match_all osbs', { build: 3 })).toBe(false); // one component has no buildroot
    expect(await t('cg_match_all osbs', { buildroots: [21] })).toBe(true);
    expect(await t('cg_match_any *', { build: 1 })).toBe(false); // koji buildroots have no cg
    expect(await t('cg_match_all *', { build: 1 })).toBe(false);
  });

  it('cg_match_all is false when there are no content generators at all', async () => {
    expect(await t('cg_match_all *', {})).toBe(false);
    expect(await t('cg_match_all *', { cg_list: [] })).toBe(false);
  });
});
