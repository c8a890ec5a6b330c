/**
 * Koji's default policies, merging with hub.conf's [policy] section, start-up parse errors and
 * the whole path from a hub.conf file to a policy decision.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadHubConfig } from '../../../src/config/hub.ts';
import { DEFAULT_POLICIES, PolicyLoadError, loadPolicies, mergePolicyTexts } from '../../../src/hub/policy/defaults.ts';
import { ALL_TESTS } from '../../../src/hub/policy/hub-tests.ts';
import { fakeEnv, type World } from './fake-env.ts';

const world: World = {
  users: [
    { id: 1, name: 'root', usertype: 0 },
    { id: 2, name: 'tagger', usertype: 0 },
    { id: 3, name: 'joe', usertype: 0 },
    { id: 4, name: 'winner', usertype: 0 },
    { id: 5, name: 'promoter', usertype: 0 },
  ],
  perms: { 1: ['admin'], 2: ['tag'], 4: ['win-admin'], 5: ['draft-promoter'] },
  builds: [{ id: 1, name: 'bash', owner_id: 3, draft: true }],
};
const env = fakeEnv(world);
const policies = loadPolicies(new Map(), ALL_TESTS);
const check = (name: string, data: Record<string, unknown>) => policies.check(name, data, env);

describe('default policies', () => {
  it('ship the policies Koji ships, and none for tag and dist_repo', () => {
    expect(Object.keys(DEFAULT_POLICIES).sort()).toEqual([
      'build_from_repo_id', 'build_from_scm', 'build_from_srpm', 'build_rpm', 'cg_import', 'channel',
      'draft_promotion', 'package_list', 'priority', 'vm', 'volume',
    ]);
    expect(policies.names().sort()).toEqual(Object.keys(DEFAULT_POLICIES).sort());
  });

  it('package_list allows users with admin or tag permission and denies others', async () => {
    expect(await check('package_list', { user_id: 1, tag: 'f38', package: 'bash', action: 'add' })).toMatchObject({ allowed: true });
    expect(await check('package_list', { user_id: 2 })).toMatchObject({ allowed: true });
    expect(await check('package_list', { user_id: 3 })).toMatchObject({ allowed: false, reason: 'Only admin/tag can do this via default policy' });
    await expect(policies.assert('package_list', { user_id: 3 }, env)).rejects.toThrow(
      'policy violation (package_list): Only admin/tag can do this via default policy');
  });

  it('channel: req when a channel was requested, parent for child tasks, else use default', async () => {
    expect(await policies.evaluate('channel', { req_channel: 'image', parent: 5 }, env)).toMatchObject({ action: 'req', reason: '' });
    expect(await policies.evaluate('channel', { req_channel: null }, env)).toMatchObject({ action: 'req' });
    expect(await policies.evaluate('channel', { parent: 5, method: 'buildArch' }, env)).toMatchObject({ action: 'parent' });
    expect(await policies.evaluate('channel', { parent: null, method: 'build' }, env)).toMatchObject({ action: 'use', reason: 'default' });
  });

  it('priority stays, volume is DEFAULT, build_rpm and cg_import allow', async () => {
    expect((await policies.evaluate('priority', {}, env))?.raw).toBe('stay');
    expect((await policies.evaluate('volume', { build: 1 }, env))?.raw).toBe('DEFAULT');
    expect(await check('build_rpm', { user_id: 3 })).toMatchObject({ allowed: true });
    expect(await check('cg_import', { user_id: 3 })).toMatchObject({ allowed: true });
  });

  it('build_from_srpm, build_from_repo_id and build_from_scm are admin-only', async () => {
    for (const name of ['build_from_srpm', 'build_from_repo_id', 'build_from_scm']) {
      expect(await check(name, { user_id: 1 }), name).toMatchObject({ allowed: true });
      expect(await check(name, { user_id: 2 }), name).toMatchObject({ allowed: false, reason: 'Only admin can do this via default policy' });
    }
  });

  it('vm allows admin and win-admin', async () => {
    expect(await check('vm', { user_id: 1 })).toMatchObject({ allowed: true });
    expect(await check('vm', { user_id: 4 })).toMatchObject({ allowed: true });
    expect(await check('vm', { user_id: 2 })).toMatchObject({ allowed: false, reason: 'Only admin/win-admin can do this via default policy' });
  });

  it('draft_promotion allows draft-promoters and the build owner', async () => {
    expect(await check('draft_promotion', { build: 1, user_id: 5 })).toMatchObject({ allowed: true });
    expect(await check('draft_promotion', { build: 1, user_id: 3 })).toMatchObject({ allowed: true });
    expect(await check('draft_promotion', { build: 1, user_id: 2 })).toMatchObject({
      allowed: false, reason: 'Only draft-promoter and build owner can do this via default policy' });
  });

  it('tag and dist_repo are missing: allowed with MissingPolicyOk, denied without', async () => {
    expect(await check('tag', { tag: 'f38', operation: 'tag' })).toMatchObject({ allowed: true, reason: 'missing policy' });
    const strict = loadPolicies(new Map(), ALL_TESTS, { missingPolicyOk: false });
    await expect(strict.assert('dist_repo', { tag: 'f38' }, env)).rejects.toThrow('policy violation (dist_repo): missing policy');
  });
});

describe('merging with hub.conf', () => {
  it('replaces defaults of the same name and adds new policies', () => {
    const texts = mergePolicyTexts(new Map([['channel', 'all :: use image'], ['tag', 'all :: allow']]));
    expect(texts.get('channel')).toBe('all :: use image');
    expect(texts.get('tag')).toBe('all :: allow');
    expect(texts.get('priority')).toBe(DEFAULT_POLICIES.priority);
  });

  it('an empty configured policy replaces the default and denies everything', async () => {
    const set = loadPolicies(new Map([['build_rpm', '']]), ALL_TESTS);
    expect(await set.check('build_rpm', {}, env)).toMatchObject({ allowed: false, reason: 'not covered by policy' });
  });

  it('fails at load time naming every broken policy and line', () => {
    const configured = new Map([
      ['tag', 'has_perm admin :: allow\n\nhass_perm tag :: allow\nall :: deny'],
      ['channel', 'all :: {\n  all :: use default\n'],
    ]);
    let err: unknown;
    try {
      loadPolicies(configured, ALL_TESTS);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PolicyLoadError);
    expect((err as Error).message).toBe(
      "policy channel, line 1: unclosed '{' (no matching '}' line)\n" +
      "policy tag, line 3: unknown test 'hass_perm' (did you mean 'has_perm'?)");
    expect((err as PolicyLoadError).errors.map((e) => [e.policy, e.line])).toEqual([['channel', 1], ['tag', 3]]);
  });

  it('warns about policy tests naming policies that do not exist', () => {
    const warnings: string[] = [];
    loadPolicies(new Map([['tag', 'policy ghost :: allow\npolicy package_list :: allow']]), ALL_TESTS, {
      log: { info() {}, error() {}, warn: (m) => warnings.push(m) },
    });
    expect(warnings).toEqual(['policy tag refers to policy ghost, which does not exist']);
  });

  it('works from a hub.conf [policy] section to a decision', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'policy-'));
    const file = join(dir, 'hub.conf');
    writeFileSync(file, [
      '[hub]',
      'VerbosePolicy = True',
      '[policy]',
      'tag =',
      '    has_perm admin :: allow',
      '    tag *-candidate :: {',
      '        operation tag && has_perm tag :: allow',
      '    }',
      '    all :: deny only admins may tag here',
      'Package_List = all :: allow',
      '',
    ].join('\n'));
    const hub = loadHubConfig(file);
    const set = loadPolicies(hub.policy, ALL_TESTS, { missingPolicyOk: hub.options.MissingPolicyOk, verbose: hub.options.VerbosePolicy });
    const e = fakeEnv({ ...world, tags: [{ id: 1, name: 'f38-candidate' }, { id: 2, name: 'f38' }] });
    expect(await set.check('tag', { tag: 1, operation: 'tag', user_id: 2 }, e)).toMatchObject({ allowed: true });
    await expect(set.assert('tag', { tag: 2, operation: 'tag', user_id: 2 }, e)).rejects.toThrow(
      'policy violation (tag): only admins may tag here [rule: all :: deny only admins may tag here]');
    expect(await set.check('package_list', { user_id: 3 }, e)).toMatchObject({ allowed: true });
  });
});
