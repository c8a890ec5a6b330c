/**
 * Build notifications and notification blocks on the hub: create/update/delete and the lookups,
 * for oneself, for another user (refused) and as admin, with Koji's faults (unknown
 * user/package/tag/id, duplicates, another user's) and the hub's login requirement.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClientSession } from '../../src/protocol/client.ts';
import type { XmlRpcStruct } from '../../src/protocol/values.ts';
import { engines } from '../helpers/db.ts';
import { startTestHub, type TestHub } from '../helpers/hub.ts';

type Row = XmlRpcStruct & { id: number; user_id: number; package_id: number | null; tag_id: number | null };

const generic = (message: string) => ({ faultCode: 1000, message });
/** the changing calls declare a login requirement: the hub's usual fault (Koji's own text is GenericError 'Not logged-in') */
const NOT_LOGGED_IN = { faultCode: 1004, message: 'you must be logged in for this operation' };

describe.each(engines())('build notifications on %s', (engine) => {
  let hub: TestHub;
  let admin: ClientSession;
  let bob: ClientSession;
  let carol: ClientSession;
  let anon: ClientSession;
  const ids: Record<string, number> = {};

  beforeAll(async () => {
    hub = await startTestHub(engine, { conf: '[hub]\nEmailDomain = example.org\n' });
    admin = await hub.login();
    for (const u of ['bob', 'carol']) {
      ids[u] = await admin.call<number>('createUser', [u]);
      await admin.call('kojits.setPassword', [u, `${u}-pass-1`]);
    }
    bob = await hub.login('bob', 'bob-pass-1');
    carol = await hub.login('carol', 'carol-pass-1');
    anon = hub.anon();
    for (const tag of ['f40', 'f41']) ids[tag] = await admin.call<number>('createTag', [tag]);
    for (const pkg of ['bash', 'zsh']) {
      await admin.call('packageListAdd', ['f40', pkg], { owner: 'bob' });
      ids[pkg] = (await admin.call<Row>('getPackage', [pkg])).id;
    }
  });
  afterAll(async () => hub?.stop());

  it('creates one\'s own notifications by name or id, None meaning any package or tag', async () => {
    expect(await bob.call('createNotification', ['bob', 'bash', 'f40', true])).toBeNull();
    await bob.call('createNotification', [ids.bob, ids.zsh, null, 0]);
    await bob.call('createNotification', [null, null, { name: 'f41' }, false]);
    const mine = await bob.call<Row[]>('getBuildNotifications');
    expect(mine).toEqual([
      { id: expect.any(Number), user_id: ids.bob, package_id: ids.bash, tag_id: ids.f40, success_only: true, email: 'bob@example.org' },
      { id: expect.any(Number), user_id: ids.bob, package_id: ids.zsh, tag_id: null, success_only: false, email: 'bob@example.org' },
      { id: expect.any(Number), user_id: ids.bob, package_id: null, tag_id: ids.f41, success_only: false, email: 'bob@example.org' },
    ]);
    // anyone may read them, by user id, name or struct
    expect(await anon.call('getBuildNotifications', ['bob'])).toEqual(mine);
    expect(await carol.call('getBuildNotifications', [{ id: ids.bob }])).toEqual(mine);
    expect(await carol.call('getBuildNotifications')).toEqual([]);
    expect(await anon.call('getBuildNotification', [mine[0].id])).toEqual(mine[0]);
  });

  it('refuses duplicates, unknown packages, tags and users, and callers not logged in', async () => {
    await expect(bob.call('createNotification', ['bob', 'bash', 'f40', 1])).rejects.toMatchObject(generic('notification already exists'));
    // the same package and tag, differing in success_only, is another notification
    await bob.call('createNotification', ['bob', 'bash', 'f40', false]);
    await expect(bob.call('createNotification', ['bob', 'nosuch', 'f40', false])).rejects.toMatchObject(generic('No such entry in table package: nosuch'));
    await expect(bob.call('createNotification', ['bob', 'bash', 'nosuch', false])).rejects.toMatchObject(generic('No such entry in table tag: nosuch'));
    await expect(bob.call('createNotification', ['nosuch', 'bash', null, false])).rejects.toMatchObject(generic('No such user ID: nosuch'));
    await expect(anon.call('createNotification', ['bob', 'bash', null, false])).rejects.toMatchObject(NOT_LOGGED_IN);
    await expect(anon.call('getBuildNotifications')).rejects.toMatchObject(generic('No user provided'));
    await expect(anon.call('getBuildNotifications', ['nosuch'])).rejects.toMatchObject(generic("No such user: 'nosuch'"));
    expect(await bob.call<Row[]>('getBuildNotifications')).toHaveLength(4);
  });

  it('creates notifications for another user only as admin', async () => {
    await expect(bob.call('createNotification', ['carol', 'bash', null, false])).rejects.toMatchObject(generic('user bob cannot create notifications for user carol'));
    expect(await carol.call('getBuildNotifications')).toEqual([]);
    await admin.call('createNotification', ['carol', 'bash', null, false]);
    expect(await carol.call('getBuildNotifications')).toEqual([
      { id: expect.any(Number), user_id: ids.carol, package_id: ids.bash, tag_id: null, success_only: false, email: 'carol@example.org' },
    ]);
  });

  it('looks notifications up by id, strictly or not', async () => {
    const [first] = await bob.call<Row[]>('getBuildNotifications');
    expect(await anon.call('getBuildNotification', [first.id, true])).toEqual(first);
    expect(await anon.call('getBuildNotification', [999999])).toBeNull();
    await expect(anon.call('getBuildNotification', [999999], { strict: true })).rejects.toMatchObject(generic('No notification with ID 999999 found'));
    await expect(anon.call('getBuildNotification', ['x'])).rejects.toMatchObject({ faultCode: 1019 });
  });

  it('updates one\'s own notification; others only as admin', async () => {
    const [first, second] = await bob.call<Row[]>('getBuildNotifications');
    expect(await bob.call('updateNotification', [first.id, 'zsh', 'f41', false])).toBeNull();
    expect(await bob.call('getBuildNotification', [first.id])).toEqual({ ...first, package_id: ids.zsh, tag_id: ids.f41, success_only: false });
    // Koji compares with every notification of the user, the one updated included
    await expect(bob.call('updateNotification', [first.id, 'zsh', 'f41', false])).rejects.toMatchObject(generic('notification already exists'));
    // … so it cannot be made the same as another one
    await expect(bob.call('updateNotification', [first.id, second.package_id, second.tag_id, false])).rejects.toMatchObject(generic('notification already exists'));
    await expect(bob.call('updateNotification', [first.id, 'zsh', 'nosuch', false])).rejects.toMatchObject(generic('No such entry in table tag: nosuch'));
    await expect(carol.call('updateNotification', [first.id, null, null, true])).rejects.toMatchObject(generic(`user ${ids.carol} cannot update notifications for user ${ids.bob}`));
    await expect(anon.call('updateNotification', [first.id, null, null, true])).rejects.toMatchObject(NOT_LOGGED_IN);
    await expect(bob.call('updateNotification', [999999, null, null, true])).rejects.toMatchObject(generic('No notification with ID 999999 found'));
    await admin.call('updateNotification', [first.id, null, null, true]);
    // the owner and the mail address stay
    expect(await bob.call('getBuildNotification', [first.id])).toEqual({ ...first, package_id: null, tag_id: null, success_only: true });
  });

  it('deletes one\'s own notification; others only as admin', async () => {
    const [first, second] = await bob.call<Row[]>('getBuildNotifications');
    await expect(anon.call('deleteNotification', [999999])).rejects.toMatchObject(NOT_LOGGED_IN);
    await expect(bob.call('deleteNotification', [999999])).rejects.toMatchObject(generic('No notification with ID 999999 found'));
    await expect(anon.call('deleteNotification', [first.id])).rejects.toMatchObject(NOT_LOGGED_IN);
    await expect(carol.call('deleteNotification', [first.id])).rejects.toMatchObject(generic(`user ${ids.carol} cannot delete notifications for user ${ids.bob}`));
    expect(await bob.call('deleteNotification', [first.id])).toBeNull();
    await admin.call('deleteNotification', [second.id]);
    expect((await bob.call<Row[]>('getBuildNotifications')).map((n) => n.id)).not.toContain(first.id);
    expect(await bob.call('getBuildNotification', [second.id])).toBeNull();
    expect(await bob.call<Row[]>('getBuildNotifications')).toHaveLength(2);
    const [carols] = await carol.call<Row[]>('getBuildNotifications');
    await carol.call('deleteNotification', [carols.id]);
    expect(await carol.call('getBuildNotifications')).toEqual([]);
  });

  it('creates, looks up and deletes notification blocks', async () => {
    expect(await bob.call('createNotificationBlock', ['bob'])).toBeNull();
    await bob.call('createNotificationBlock', [ids.bob], { package_id: 'bash' });
    await bob.call('createNotificationBlock', ['bob', ids.zsh, 'f40']);
    const blocks = await bob.call<Row[]>('getBuildNotificationBlocks');
    expect(blocks).toEqual([
      { id: expect.any(Number), user_id: ids.bob, package_id: null, tag_id: null },
      { id: expect.any(Number), user_id: ids.bob, package_id: ids.bash, tag_id: null },
      { id: expect.any(Number), user_id: ids.bob, package_id: ids.zsh, tag_id: ids.f40 },
    ]);
    expect(await anon.call('getBuildNotificationBlocks', ['bob'])).toEqual(blocks);
    expect(await carol.call('getBuildNotificationBlocks')).toEqual([]);
    // blocks and notifications are apart
    expect((await bob.call<Row[]>('getBuildNotifications')).every((n) => 'email' in n)).toBe(true);
    expect(await anon.call('getBuildNotificationBlock', [blocks[2].id])).toEqual(blocks[2]);
    expect(await anon.call('getBuildNotificationBlock', [999999])).toBeNull();
    await expect(anon.call('getBuildNotificationBlock', [999999, true])).rejects.toMatchObject(generic('No notification block with ID 999999 found'));

    await expect(bob.call('createNotificationBlock', ['bob', 'bash'])).rejects.toMatchObject(generic('notification already exists'));
    await expect(bob.call('createNotificationBlock', ['bob', 'nosuch'])).rejects.toMatchObject(generic('No such entry in table package: nosuch'));
    await expect(bob.call('createNotificationBlock', ['bob', null, 'nosuch'])).rejects.toMatchObject(generic('No such entry in table tag: nosuch'));
    await expect(bob.call('createNotificationBlock', ['carol'])).rejects.toMatchObject(generic('user bob cannot create notification blocks for user carol'));
    await expect(bob.call('createNotificationBlock', ['nosuch'])).rejects.toMatchObject(generic('No such user ID: nosuch'));
    await expect(anon.call('createNotificationBlock', ['bob'])).rejects.toMatchObject(NOT_LOGGED_IN);
    await admin.call('createNotificationBlock', ['carol', null, 'f41']);
    expect(await carol.call('getBuildNotificationBlocks')).toEqual([{ id: expect.any(Number), user_id: ids.carol, package_id: null, tag_id: ids.f41 }]);

    await expect(bob.call('deleteNotificationBlock', [999999])).rejects.toMatchObject(generic('No notification block with ID 999999 found'));
    await expect(anon.call('deleteNotificationBlock', [999999])).rejects.toMatchObject(NOT_LOGGED_IN);
    await expect(anon.call('deleteNotificationBlock', [blocks[0].id])).rejects.toMatchObject(NOT_LOGGED_IN);
    await expect(carol.call('deleteNotificationBlock', [blocks[0].id])).rejects.toMatchObject(generic(`user ${ids.carol} cannot delete notification blocks for user ${ids.bob}`));
    expect(await bob.call('deleteNotificationBlock', [blocks[0].id])).toBeNull();
    await admin.call('deleteNotificationBlock', [blocks[1].id]);
    expect(await bob.call('getBuildNotificationBlocks')).toEqual([blocks[2]]);
    // a block like a deleted one can be made again
    await bob.call('createNotificationBlock', ['bob']);
    expect(await bob.call<Row[]>('getBuildNotificationBlocks')).toHaveLength(2);
  });
});
