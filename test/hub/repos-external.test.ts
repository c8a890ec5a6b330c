/**
 * External repos on the hub: create (url ends with /), edit (name, url), delete (leaves every
 * tag), links to tags (priority, merge mode, arches; duplicates refused), edits of a link, the
 * list along inheritance, kojira's tracking data, and their history rows in queryHistory.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClientSession } from '../../src/protocol/client.ts';
import type { XmlRpcStruct } from '../../src/protocol/values.ts';
import { engines } from '../helpers/db.ts';
import { startTestHub, type TestHub } from '../helpers/hub.ts';

type Link = XmlRpcStruct & { external_repo_name: string; priority: number; merge_mode: string; arches: string | null };

describe.each(engines())('external repos on %s', (engine) => {
  let hub: TestHub;
  let admin: ClientSession;

  beforeAll(async () => {
    hub = await startTestHub(engine);
    admin = await hub.login();
    await admin.call('createTag', ['ext-parent']);
    await admin.call('createTag', ['ext-child'], { parent: 'ext-parent' });
  });
  afterAll(async () => hub?.stop());

  it('create, edit and list external repos; names are unique', async () => {
    const made = await admin.call<XmlRpcStruct>('createExternalRepo', ['fedora', 'https://mirror/fedora/$arch']);
    expect(made).toEqual({ id: expect.any(Number), name: 'fedora', url: 'https://mirror/fedora/$arch/' });
    await expect(admin.call('createExternalRepo', ['fedora', 'https://x/'])).rejects.toThrow('An external repo named "fedora" already exists');
    await admin.call('createExternalRepo', ['epel', 'https://mirror/epel/']);
    await expect(admin.call('editExternalRepo', ['fedora'], { name: 'epel' })).rejects.toThrow(/name "epel" is already taken by external repo \d+/);
    await admin.call('editExternalRepo', ['fedora'], { name: 'fedora-updates', url: 'https://mirror/updates' });
    expect(await admin.call('getExternalRepo', ['fedora-updates'])).toEqual({ id: made.id, name: 'fedora-updates', url: 'https://mirror/updates/' });
    expect(await admin.call('getExternalRepo', ['fedora'])).toBeNull();
    await expect(admin.call('getExternalRepo', ['fedora'], { strict: true })).rejects.toThrow('No such repo: fedora');
    expect((await admin.call<XmlRpcStruct[]>('listExternalRepos')).map((r) => r.name)).toEqual(['fedora-updates', 'epel']);
  });

  it('links to tags: priority, merge mode and arches; duplicates refused; edits; the list along inheritance', async () => {
    await admin.call('addExternalRepoToTag', ['ext-parent', 'epel', 10], { merge_mode: 'bare', arches: 'x86_64 aarch64' });
    await admin.call('addExternalRepoToTag', ['ext-child', 'fedora-updates', 5]);
    await expect(admin.call('addExternalRepoToTag', ['ext-child', 'epel', 5])).rejects.toThrow('tag ext-child already associated with an external repo at priority 5');
    await expect(admin.call('addExternalRepoToTag', ['ext-child', 'fedora-updates', 6])).rejects.toThrow('tag ext-child already associated with external repo fedora-updates');
    await expect(admin.call('addExternalRepoToTag', ['ext-child', 'epel', 7], { merge_mode: 'fancy' })).rejects.toThrow('No such merge mode: fancy');
    const list = await admin.call<Link[]>('getExternalRepoList', ['ext-child']);
    expect(list.map((l) => [l.external_repo_name, l.tag_name, l.priority, l.merge_mode, l.arches])).toEqual([
      ['fedora-updates', 'ext-child', 5, 'koji', null],
      ['epel', 'ext-parent', 10, 'bare', 'x86_64 aarch64'],
    ]);
    expect(await admin.call('editTagExternalRepo', ['ext-parent', 'epel'], { merge_mode: 'bare' })).toBe(false);
    expect(await admin.call('editTagExternalRepo', ['ext-parent', 'epel'], { priority: 20, merge_mode: 'simple' })).toBe(true);
    expect(await admin.call<Link[]>('getTagExternalRepos', ['ext-parent'])).toEqual([expect.objectContaining({ priority: 20, merge_mode: 'simple', arches: 'x86_64 aarch64' })]);
    await expect(admin.call('removeExternalRepoFromTag', ['ext-child', 'epel'])).rejects.toThrow('external repo epel not associated with tag ext-child');
    await admin.call('removeExternalRepoFromTag', ['ext-child', 'fedora-updates']);
    expect(await admin.call('getTagExternalRepos', ['ext-child'])).toEqual([]);
  });

  it("kojira's tracking data; deleteExternalRepo leaves every tag; history shows each change", async () => {
    expect(await admin.call('repo.getExternalRepoData', ['epel'])).toBeNull();
    await admin.call('repo.setExternalRepoData', ['epel', { max_ts: 1700000000 }]);
    await admin.call('repo.setExternalRepoData', ['epel', { max_ts: 1700000100 }]);
    expect(await admin.call('repo.getExternalRepoData', ['epel'])).toEqual({ max_ts: 1700000100 });
    await admin.call('deleteExternalRepo', ['epel']);
    expect(await admin.call('getTagExternalRepos', ['ext-parent'])).toEqual([]);
    expect(await admin.call('getExternalRepo', ['epel'])).toBeNull();
    const h = await admin.call<Record<string, XmlRpcStruct[]>>('queryHistory', [], { tables: ['external_repo_config', 'tag_external_repos', 'external_repo_data'] });
    expect(h.external_repo_config.filter((r) => r['external_repo.name'] === 'epel').map((r) => [r.url, r.active])).toEqual([['https://mirror/epel/', null]]);
    expect(h.tag_external_repos.map((r) => [r['tag.name'], r['external_repo.name'], r.priority, r.merge_mode, r.active])).toEqual([
      ['ext-parent', 'epel', 10, 'bare', null],
      ['ext-child', 'fedora-updates', 5, 'koji', null],
      ['ext-parent', 'epel', 20, 'simple', null],
    ]);
    expect(h.external_repo_data).toHaveLength(2);
    await expect(admin.call('deleteExternalRepo', ['epel'])).rejects.toThrow('No such repo: epel');
  });
});
