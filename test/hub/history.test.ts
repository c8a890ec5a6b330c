/**
 * queryHistory: changes made through the API (users, permissions, groups, hosts, channels, tags,
 * package lists, tagging) read back with Koji's filters, event/time bounds, active flags,
 * revocations and joined names.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClientSession } from '../../src/protocol/client.ts';
import { Float } from '../../src/protocol/values.ts';
import { addBuild } from '../helpers/content.ts';
import { engines } from '../helpers/db.ts';
import { ADMIN, startTestHub, type TestHub } from '../helpers/hub.ts';

type Row = Record<string, unknown>;
type History = Record<string, Row[]>;

const ALL_TABLES = [
  'build_target_config', 'cg_users', 'external_repo_config', 'external_repo_data', 'group_config', 'group_package_listing',
  'group_req_listing', 'host_channels', 'host_config', 'tag_config', 'tag_external_repos', 'tag_extra', 'tag_inheritance',
  'tag_listing', 'tag_package_owners', 'tag_packages', 'user_groups', 'user_perms',
];

describe.each(engines())('queryHistory on %s', (engine) => {
  let hub: TestHub;
  let admin: ClientSession;
  let anon: ClientSession;
  const ev: Record<string, number> = {};
  const lastEvent = async () => (await anon.call<{ id: number }>('getLastEvent')).id;
  const history = (kw: Record<string, unknown> = {}, tables: string[] | null = null) => anon.call<History>('queryHistory', [], { tables, ...kw } as never);

  beforeAll(async () => {
    hub = await startTestHub(engine);
    admin = await hub.login();
    anon = hub.anon();
    await admin.call('createUser', ['alice']);
    await admin.call('createUser', ['bob']);
    ev.start = await lastEvent();
    await admin.call('grantPermission', ['alice', 'tag']);
    ev.granted = await lastEvent();
    await admin.call('newGroup', ['devs']);
    await admin.call('addGroupMember', ['devs', 'alice']);
    await admin.call('createTag', ['f40']);
    await admin.call('createTag', ['f40-build'], { parent: 'f40', arches: 'x86_64' });
    ev.tags = await lastEvent();
    await admin.call('editTag2', ['f40'], { arches: 'x86_64 aarch64', extra: { 'mock.new_chroot': 0 } });
    ev.edited = await lastEvent();
    await admin.call('packageListAdd', ['f40', 'bash', 'alice']);
    await addBuild(hub, 'bash-5.2-1.fc40', { owner: 'alice' });
    await admin.call('tagBuildBypass', ['f40', 'bash-5.2-1.fc40']);
    ev.tagged = await lastEvent();
    await admin.call('addHost', ['builder1', ['x86_64']]);
    await admin.call('addHostToChannel', ['builder1', 'createrepo']);
    ev.host = await lastEvent();
    await admin.call('revokePermission', ['alice', 'tag']);
    ev.revoked = await lastEvent();
    // comps groups have their own module: write their rows directly
    await hub.db.rawQuery(`INSERT INTO groups (name) VALUES ('build'), ('core')`);
    await hub.db.rawQuery(
      `WITH e AS (SELECT get_event() AS id), u AS (SELECT id FROM users WHERE name = $1), t AS (SELECT id FROM tag WHERE name = 'f40-build')
       INSERT INTO group_config (group_id, tag_id, display_name, create_event, creator_id)
       SELECT g.id, t.id, g.name, e.id, u.id FROM groups g, e, u, t`,
      [ADMIN],
    );
    await hub.db.rawQuery(
      `INSERT INTO group_package_listing (group_id, tag_id, package, type, create_event, creator_id)
       SELECT g.id, t.id, 'bash', 'mandatory', (SELECT max(id) FROM events), u.id FROM groups g, tag t, users u WHERE g.name = 'build' AND t.name = 'f40-build' AND u.name = $1`,
      [ADMIN],
    );
    await hub.db.rawQuery(
      `INSERT INTO group_req_listing (group_id, tag_id, req_id, create_event, creator_id)
       SELECT g.id, t.id, r.id, (SELECT max(id) FROM events), u.id FROM groups g, groups r, tag t, users u
        WHERE g.name = 'build' AND r.name = 'core' AND t.name = 'f40-build' AND u.name = $1`,
      [ADMIN],
    );
  });
  afterAll(async () => hub?.stop());

  it('returns every history table, sorted, without filters', async () => {
    const h = await history();
    expect(Object.keys(h)).toEqual(ALL_TABLES);
    expect(h.cg_users).toEqual([]);
  });

  it('refuses unknown tables and keeps the given order', async () => {
    await expect(anon.call('queryHistory', [['tag_listing', 'nosuch']])).rejects.toThrow('No such history table: nosuch');
    await expect(anon.call('queryHistory', ['tag_listing'])).rejects.toThrow('No such history table: t');
    await expect(anon.call('queryHistory', [['constructor']])).rejects.toThrow('No such history table: constructor');
    expect(Object.keys(await history({}, ['user_perms', 'tag_config']))).toEqual(['user_perms', 'tag_config']);
  });

  it('rows carry the common columns, the event times and the joined names', async () => {
    const h = await history({ build: 'bash-5.2-1.fc40' });
    expect(Object.keys(h)).toEqual(['tag_listing']);
    expect(h.tag_listing).toHaveLength(1);
    const row = h.tag_listing[0];
    expect(Object.keys(row)).toEqual([
      'active', 'build.state', 'build_id', 'create_event', 'create_ts', 'creator_id', 'creator_name', 'epoch', 'name', 'release',
      'revoke_event', 'revoke_ts', 'revoker_id', 'revoker_name', 'tag.name', 'tag_id', 'version',
    ]);
    expect(row).toMatchObject({
      active: true, 'build.state': 1, name: 'bash', version: '5.2', release: '1.fc40', epoch: null, 'tag.name': 'f40',
      create_event: ev.tagged, creator_name: ADMIN, revoke_event: null, revoke_ts: null, revoker_id: null, revoker_name: null,
    });
    expect(row.create_ts).toBeInstanceOf(Float);
    expect(Number(row.create_ts)).toBeGreaterThan(1.7e9);
    await expect(history({ build: 'nosuch-1-1' })).rejects.toThrow("No such build: 'nosuch-1-1'");
  });

  it('tag filter: every table with a tag, both sides of inheritance', async () => {
    const h = await history({ tag: 'f40' });
    expect(Object.keys(h)).toEqual([
      'build_target_config', 'group_config', 'group_package_listing', 'group_req_listing', 'tag_config', 'tag_external_repos',
      'tag_extra', 'tag_inheritance', 'tag_listing', 'tag_package_owners', 'tag_packages',
    ]);
    expect(h.tag_inheritance).toEqual([expect.objectContaining({ 'tag.name': 'f40-build', 'parent.name': 'f40', priority: 0, active: true })]);
    // tag creation, then the edit: the first row revoked at the edit's event, the second current
    expect(h.tag_config.map((r) => [r.arches, r.active, r.revoke_event])).toEqual([
      [null, null, ev.edited],
      ['x86_64 aarch64', true, null],
    ]);
    expect(h.tag_config[0]).toMatchObject({ 'tag.name': 'f40', 'permission.name': null, revoker_name: ADMIN });
    expect(h.tag_extra).toEqual([expect.objectContaining({ key: 'mock.new_chroot', value: '0', 'tag.name': 'f40' })]);
    expect(h.tag_packages).toEqual([expect.objectContaining({ 'package.name': 'bash', blocked: false, extra_arches: null })]);
    expect(h.tag_package_owners).toEqual([expect.objectContaining({ 'owner.name': 'alice', 'package.name': 'bash' })]);
    expect(h.group_config).toEqual([]);
    expect((await history({ tag: 'f40-build' })).group_config.map((r) => r['group.name'])).toEqual(['build', 'core']);
    await expect(history({ tag: 'nosuch' })).rejects.toThrow('No such entry in table tag: nosuch');
  });

  it('package, user, permission and group filters pick their tables', async () => {
    const p = await history({ package: 'bash' });
    expect(Object.keys(p)).toEqual(['group_package_listing', 'tag_listing', 'tag_package_owners', 'tag_packages']);
    expect(p.group_package_listing).toEqual([expect.objectContaining({ package: 'bash', 'group.name': 'build', 'tag.name': 'f40-build', type: 'mandatory' })]);
    const u = await history({ user: 'alice' });
    expect(Object.keys(u)).toEqual(['cg_users', 'tag_package_owners', 'user_groups', 'user_perms']);
    expect(u.user_perms).toEqual([expect.objectContaining({ 'user.name': 'alice', 'permission.name': 'tag', active: null, revoke_event: ev.revoked, revoker_name: ADMIN })]);
    // as in Koji, on user_groups the user filter applies to the group
    expect(u.user_groups).toEqual([]);
    expect((await history({ user: 'devs' })).user_groups).toEqual([expect.objectContaining({ 'user.name': 'alice', 'group.name': 'devs', active: true })]);
    await expect(history({ user: 'nobody' })).rejects.toThrow("No such user: 'nobody'");
    const perm = await history({ permission: 'tag' });
    expect(Object.keys(perm)).toEqual(['tag_config', 'user_perms']);
    expect(perm.user_perms).toHaveLength(1);
    expect(perm.tag_config).toEqual([]);
    const g = await history({ group: 'build' });
    expect(Object.keys(g)).toEqual(['group_config', 'group_package_listing', 'group_req_listing']);
    expect(g.group_config).toHaveLength(1);
    // on group_req_listing the group filter applies to the required group (Koji's join order)
    expect(g.group_req_listing).toEqual([]);
    expect((await history({ group: 'core' })).group_req_listing).toEqual([expect.objectContaining({ 'group.name': 'build', 'req.name': 'core' })]);
  });

  it('host and channel filters; unknown ones match nothing', async () => {
    const h = await history({ host: 'builder1' });
    expect(Object.keys(h)).toEqual(['host_channels', 'host_config']);
    expect(h.host_config).toEqual([expect.objectContaining({ 'host.name': 'builder1', arches: 'x86_64', capacity: new Float(2), enabled: true })]);
    expect(h.host_channels.map((r) => r['channels.name'])).toEqual(['default', 'createrepo']);
    expect((await history({ channel: 'createrepo' })).host_channels).toHaveLength(1);
    expect(await history({ host: 'nosuch' })).toEqual({ host_channels: [], host_config: [] });
  });

  it('active selects current or revoked rows', async () => {
    const on = await history({ active: true }, ['tag_config', 'user_perms']);
    expect(on.tag_config.every((r) => r.active === true)).toBe(true);
    expect(on.user_perms.map((r) => r['user.name'])).toEqual([ADMIN]);
    const off = await history({ active: false }, ['tag_config', 'user_perms']);
    expect(off.tag_config.map((r) => r.arches)).toEqual([null]);
    expect(off.user_perms.map((r) => r['user.name'])).toEqual(['alice']);
  });

  it('event bounds match creations or revocations and say which', async () => {
    const h = await history({ afterEvent: ev.host }, ['user_perms', 'tag_config']);
    expect(h.tag_config).toEqual([]);
    expect(h.user_perms).toEqual([expect.objectContaining({ 'user.name': 'alice', _created_after_event: false, _revoked_after_event: true })]);
    const b = await history({ beforeEvent: ev.start + 1 }, ['user_perms']);
    expect(b.user_perms.map((r) => r['user.name'])).toEqual([ADMIN]);
    expect(b.user_perms[0]).toMatchObject({ _created_before_event: true, _revoked_before_event: null });
    const both = await history({ afterEvent: ev.tags, beforeEvent: ev.edited + 1 }, ['tag_config']);
    expect(both.tag_config).toHaveLength(2);
    expect((await history({ beforeEvent: new Float(ev.start + 0.5) }, ['user_perms'])).user_perms).toHaveLength(1);
    await expect(history({ afterEvent: 'soon' })).rejects.toThrow("Invalid value for afterEvent: 'soon'");
  });

  it('time bounds take seconds or time strings', async () => {
    const future = Date.now() / 1000 + 3600;
    expect((await history({ after: new Float(future) }, ['tag_config'])).tag_config).toEqual([]);
    const past = await history({ before: future }, ['tag_config']);
    expect(past.tag_config).toHaveLength(3);
    expect(past.tag_config[0]).toMatchObject({ _created_before: true });
    const s = await history({ after: '2001-01-01 00:00:00+00' }, ['user_perms']);
    expect(s.user_perms).toHaveLength(2);
    expect(s.user_perms[1]).toMatchObject({ _created_after: true, _revoked_after: true });
    await expect(history({ before: 'not a time' })).rejects.toThrow(/Invalid time: before='not a time'/);
  });

  it('editor matches rows created or revoked by a user', async () => {
    await admin.call('grantPermission', ['bob', 'host']);
    const h = await history({ editor: ADMIN, afterEvent: ev.revoked - 1 }, ['user_perms']);
    expect(h.user_perms.map((r) => [r['user.name'], r._created_by, r._revoked_by])).toEqual([
      ['alice', true, true],
      ['bob', true, null],
    ]);
    expect((await history({ editor: 'bob' }, ['user_perms'])).user_perms).toEqual([]);
  });

  it('xkey selects tag_extra; unknown options are ignored; queryOpts apply per table', async () => {
    expect(Object.keys(await history({ xkey: 'mock.new_chroot' }))).toEqual(['tag_extra']);
    expect((await history({ xkey: 'nosuch' })).tag_extra).toEqual([]);
    expect(Object.keys(await history({ utc: true }))).toEqual(ALL_TABLES);
    expect(await history({ queryOpts: { countOnly: true } }, ['tag_config', 'host_channels'])).toEqual({ tag_config: 3, host_channels: 2 });
    const limited = await history({ queryOpts: { order: '-create_event', limit: 1 } }, ['tag_config']);
    expect(limited.tag_config.map((r) => r.arches)).toEqual(['x86_64 aarch64']);
    const byName = await history({ queryOpts: { order: 'tag.name,-create_event' } }, ['tag_config']);
    expect(byName.tag_config.map((r) => r['tag.name'])).toEqual(['f40', 'f40', 'f40-build']);
  });
});
