/**
 * Build targets API: create, edit (rename, retarget), delete and re-create; reading by name, id,
 * build or destination tag, at an event and with queryOpts; permission denials and bad input.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClientSession } from '../../src/protocol/client.ts';
import { engines } from '../helpers/db.ts';
import { startTestHub, type TestHub } from '../helpers/hub.ts';

type Target = { id: number; name: string; build_tag: number; build_tag_name: string; dest_tag: number; dest_tag_name: string };

describe.each(engines())('build targets API on %s', (engine) => {
  let hub: TestHub;
  let admin: ClientSession;
  const tags: Record<string, number> = {};
  beforeAll(async () => {
    hub = await startTestHub(engine);
    admin = await hub.login();
    for (const t of ['f40-build', 'f40', 'f41-build', 'f41']) tags[t] = await admin.call<number>('createTag', [t], { arches: 'x86_64' });
    await admin.call('createUser', ['tina']);
    await admin.call('kojits.setPassword', ['tina', 'tina-password']);
  });
  afterAll(async () => hub?.stop());

  const get = (info: unknown, kw: Record<string, unknown> = {}) => hub.anon().call<Target | null>('getBuildTarget', [info as never], kw as never);
  const list = (kw: Record<string, unknown> = {}) => hub.anon().call<Target[]>('getBuildTargets', [], kw as never);

  it('creates targets and reads them back', async () => {
    expect(await admin.call('createBuildTarget', ['f40', 'f40-build', 'f40'])).toBeNull();
    await admin.call('createBuildTarget', ['f41-candidate', tags['f41-build'], { name: 'f41' }]);
    const t = await get('f40');
    expect(t).toEqual({ id: expect.any(Number), name: 'f40', build_tag: tags['f40-build'], build_tag_name: 'f40-build', dest_tag: tags.f40, dest_tag_name: 'f40' });
    expect(await get(t!.id)).toEqual(t);
    expect(await get({ name: 'f40' })).toEqual(t);
    expect(await get('nosuch')).toBeNull();
    await expect(get('nosuch', { strict: true })).rejects.toThrow('No such build target: nosuch');
    expect((await list()).map((x) => x.name)).toEqual(['f40', 'f41-candidate']);
    expect((await list({ buildTagID: 'f41-build' })).map((x) => x.name)).toEqual(['f41-candidate']);
    expect((await list({ destTagID: tags.f40 })).map((x) => x.name)).toEqual(['f40']);
    expect(await list({ destTagID: 'nosuchtag' })).toEqual([]);
    expect(await hub.anon().call('getBuildTargets', ['f40'])).toHaveLength(1);
    expect(await hub.anon().call('getBuildTargets', [], { queryOpts: { countOnly: true } })).toBe(2);
    expect((await list({ queryOpts: { order: '-name' } })).map((x) => x.name)).toEqual(['f41-candidate', 'f40']);
  });

  it('refuses duplicates, missing tags and bad names', async () => {
    await expect(admin.call('createBuildTarget', ['f40', 'f40-build', 'f40'])).rejects.toThrow("A build target with the name 'f40' already exists");
    await expect(admin.call('createBuildTarget', ['x', 'nosuch', 'f40'])).rejects.toThrow("build tag 'nosuch' does not exist");
    await expect(admin.call('createBuildTarget', ['x', 'f40-build', 'nosuch'])).rejects.toThrow("destination tag 'nosuch' does not exist");
    await expect(admin.call('createBuildTarget', ['a/b', 'f40-build', 'f40'])).rejects.toThrow(/Invalid build target name/);
    await expect(admin.call('createBuildTarget', [42, 'f40-build', 'f40'])).rejects.toThrow('Name should be string');
    await expect(admin.call('editBuildTarget', ['nosuch', 'x', 'f40-build', 'f40'])).rejects.toThrow('No such build target: nosuch');
    await expect(admin.call('deleteBuildTarget', ['nosuch'])).rejects.toThrow('No such build target: nosuch');
    await expect(admin.call('getBuildTargets', [], { queryOpts: { order: 'bogus' } })).rejects.toThrow(/Invalid order/);
    expect((await list()).map((x) => x.name)).toEqual(['f40', 'f41-candidate']);
  });

  it('edits, renames and deletes targets, keeping history', async () => {
    const before = (await hub.anon().call<{ id: number }>('getLastEvent')).id;
    const id = (await get('f41-candidate'))!.id;
    await admin.call('editBuildTarget', ['f41-candidate', 'f41', 'f41-build', 'f41']);
    await expect(admin.call('editBuildTarget', ['f41', 'f40', 'f41-build', 'f41'])).rejects.toThrow(/name "f40" is already taken by build target \d+/);
    expect(await get('f41')).toMatchObject({ id, dest_tag_name: 'f41' });
    expect(await get('f41-candidate')).toBeNull();
    await admin.call('editBuildTarget', [id, 'f41', 'f40-build', 'f40']);
    expect(await get('f41')).toMatchObject({ build_tag_name: 'f40-build', dest_tag_name: 'f40' });
    // the old config at an earlier event (names are not versioned)
    expect(await get(id, { event: before })).toMatchObject({ name: 'f41', build_tag_name: 'f41-build', dest_tag_name: 'f41' });
    await admin.call('deleteBuildTarget', ['f41']);
    expect(await get('f41')).toBeNull();
    expect(await get('f41', { event: before })).toMatchObject({ id });
    // creating it again reuses the name row
    await admin.call('createBuildTarget', ['f41', 'f41-build', 'f41']);
    expect(await get('f41')).toMatchObject({ id, build_tag_name: 'f41-build' });
  });

  it('lists targets of deleted tags no more', async () => {
    await admin.call('createTag', ['tmp-build'], { arches: 'x86_64' });
    await admin.call('createBuildTarget', ['tmp', 'tmp-build', 'f40']);
    await admin.call('deleteTag', ['tmp-build']);
    expect(await get('tmp')).toBeNull();
  });

  it('needs the target permission to change targets', async () => {
    const tina = await hub.login('tina', 'tina-password');
    for (const [m, args] of [['createBuildTarget', ['t', 'f40-build', 'f40']], ['editBuildTarget', ['f40', 'f40', 'f40-build', 'f40']], ['deleteBuildTarget', ['f40']]] as const) {
      await expect(tina.call(m, [...args]), m).rejects.toMatchObject({ faultCode: 1004, message: expect.stringContaining('target permission required') });
    }
    await admin.call('grantPermission', ['tina', 'target']);
    await tina.call('createBuildTarget', ['tinas', 'f40-build', 'f40']);
    expect(await get('tinas')).not.toBeNull();
  });
});
