/**
 * The web's owner and admin actions against a real hub (both engines), with real password
 * logins through the web's login page (an admin and a user without permissions): a tag's package
 * list (add with owner, block, unblock, remove; seen by `koji list-pkgs`), editing, disabling and
 * enabling a channel (a host manager only the latter), cancelling a BUILDING build from buildinfo, and build
 * notifications and notification blocks (created, edited and deleted through the pages, checked
 * with getBuildNotifications / getBuildNotificationBlocks). Non-admins get 403 for admin-only
 * actions, missing or wrong CSRF tokens are refused, hostile text is escaped.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClientSession } from '../../src/protocol/client.ts';
import type { XmlRpcStruct } from '../../src/protocol/values.ts';
import { cliFor, type CliRunner } from '../helpers/cli.ts';
import { engines } from '../helpers/db.ts';
import { ADMIN, ADMIN_PASSWORD, startTestHub, type TestHub } from '../helpers/hub.ts';
import { hostSession } from '../helpers/repos.ts';
import { startTestWeb, type TestWeb } from './web-helper.ts';

const HOSTILE = '<script>alert("x")</script>';
const ESCAPED = '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;';
const BUILDING = 0;
const CANCELED = 4;

interface Reply {
  status: number;
  html: string;
  location: string | null;
}

const csrfOf = (html: string) => /name="csrf_token" value="([^"]+)"/.exec(html)?.[1] ?? '';

describe.each(engines())('web owner and admin actions on %s', (engine) => {
  let hub: TestHub;
  let admin: ClientSession;
  let web: TestWeb;
  let cli: CliRunner;
  let adminCookie: string;
  let aliceCookie: string;
  let tagId: number;
  let childId: number;
  let chanId: number;

  /** a page as `cookie`'s login sees it */
  const get = async (path: string, cookie = ''): Promise<Reply> => {
    const r = await fetch(`${web.url}${path}`, { headers: cookie ? { cookie } : {}, redirect: 'manual' });
    return { status: r.status, html: await r.text(), location: r.headers.get('location') };
  };
  /** a form POSTed as `cookie`'s login; the CSRF token comes from `from` (a page of that login) unless given */
  const post = async (path: string, cookie: string, form: Record<string, string>, from = '/koji/'): Promise<Reply> => {
    const body = new URLSearchParams({ csrf_token: csrfOf((await get(from, cookie)).html), ...form });
    const r = await fetch(`${web.url}${path}`, { method: 'POST', body, headers: cookie ? { cookie } : {}, redirect: 'manual' });
    return { status: r.status, html: await r.text(), location: r.headers.get('location') };
  };
  const webLogin = async (user: string, password: string) => {
    const r = await fetch(`${web.url}/koji/login`, { method: 'POST', redirect: 'manual', body: new URLSearchParams({ user, password }) });
    expect(r.status).toBe(302);
    return (r.headers.get('set-cookie') ?? '').split(';')[0];
  };
  /** `koji list-pkgs --tag <tag> --show-blocked -q`: package → [tag, owner, extra arches, blocked] */
  const listPkgs = async (tag: string) => {
    const r = await cli.run('list-pkgs', '--tag', tag, '--show-blocked', '--quiet');
    expect(r.exitCode).toBe(0);
    return Object.fromEntries(
      r.output
        .split('\n')
        .filter(Boolean)
        .map((l) => {
          const [pkg, t, ...rest] = l.trim().split(/\s+/);
          const blocked = rest.at(-1) === '[BLOCKED]';
          if (blocked) rest.pop();
          const owner = rest.pop();
          return [pkg, { tag: t, owner, arches: rest.join(' '), blocked }];
        }),
    );
  };

  beforeAll(async () => {
    hub = await startTestHub(engine);
    admin = await hub.login();
    cli = cliFor(hub);
    web = await startTestWeb(hub.httpUrl as string, 'Secret = admin-test-secret-0123456789');
    await admin.call('createUser', ['alice']);
    await admin.call('kojits.setPassword', ['alice', 'alice-pass-1']);
    tagId = await admin.call<number>('createTag', ['web-base'], { arches: 'x86_64' });
    childId = await admin.call<number>('createTag', ['web-child'], { parent: 'web-base' });
    await admin.call('packageListAdd', ['web-base', 'oldpkg', 'kojiadmin']);
    chanId = await admin.call<number>('addChannel', ['web-chan'], { description: 'plain' });
    adminCookie = await webLogin(ADMIN, ADMIN_PASSWORD);
    aliceCookie = await webLogin('alice', 'alice-pass-1');
  });
  afterAll(async () => {
    await web?.close();
    await hub?.stop();
  });

  it('adds a package to a tag with its owner and extra arches (taginfo\'s form); koji list-pkgs shows it', async () => {
    const info = await get(`/koji/taginfo?tagID=${tagId}`, adminCookie);
    expect(info.html).toContain('<form class="filters" method="post" action="tagpackageadd">');
    expect(info.html).toContain(`<input name="owner" value="${ADMIN}" size="12">`);
    // anonymous visitors get no form
    expect((await get(`/koji/taginfo?tagID=${tagId}`)).html).not.toContain('tagpackageadd');
    const r = await post('/koji/tagpackageadd', adminCookie, { tagID: String(tagId), package: 'newpkg', owner: 'alice', extra_arches: 'ppc64le, s390x' }, `/koji/taginfo?tagID=${tagId}`);
    expect([r.status, r.location]).toEqual([302, `/koji/packages?tagID=${tagId}`]);
    expect((await listPkgs('web-base')).newpkg).toEqual({ tag: 'web-base', owner: 'alice', arches: 'ppc64le s390x', blocked: false });
    // no owner given: the logged-in user owns it
    await post('/koji/tagpackageadd', adminCookie, { tagID: String(tagId), package: 'mine', owner: '' });
    expect((await listPkgs('web-base')).mine).toMatchObject({ owner: ADMIN, blocked: false });
  });

  it('blocks, unblocks and removes entries from packages?tagID= (inherited entries block but are not removed)', async () => {
    const list = await get(`/koji/packages?tagID=${tagId}`, adminCookie);
    expect(list.html).toContain('<th scope="col">Change</th>');
    expect(list.html).toContain('aria-label="Block newpkg"');
    expect(list.html).toContain('aria-label="Remove newpkg"');
    // each row's forms carry the login's token
    expect(list.html).toContain(`action="tagpackageblock"><input type="hidden" name="csrf_token" value="${csrfOf(list.html)}">`);
    expect((await get(`/koji/packages?tagID=${tagId}`)).html).not.toContain('aria-label="Block newpkg"');

    const pkgId = (await admin.call<XmlRpcStruct>('getPackage', ['newpkg'])).id as number;
    const block = await post('/koji/tagpackageblock', adminCookie, { tagID: String(tagId), package: String(pkgId) });
    expect([block.status, block.location]).toEqual([302, `/koji/packages?tagID=${tagId}`]);
    expect((await listPkgs('web-base')).newpkg).toMatchObject({ blocked: true, owner: 'alice' });
    const blocked = await get(`/koji/packages?tagID=${tagId}`, adminCookie);
    expect(blocked.html).toContain('aria-label="Unblock newpkg"');
    expect(blocked.html).not.toContain('aria-label="Block newpkg"');

    // unblocking a package that is not blocked: the hub's reason, as a 400
    const notBlocked = await post('/koji/tagpackageunblock', adminCookie, { tagID: String(tagId), package: 'oldpkg' });
    expect(notBlocked.status).toBe(400);
    expect(notBlocked.html).toContain('oldpkg NOT blocked in tag web-base');
    expect((await post('/koji/tagpackageunblock', adminCookie, { tagID: String(tagId), package: 'newpkg' })).status).toBe(302);
    expect((await listPkgs('web-base')).newpkg).toMatchObject({ blocked: false });

    // in the child, oldpkg is inherited: Block, not Remove
    const child = await get(`/koji/packages?tagID=${childId}`, adminCookie);
    expect(child.html).toContain('aria-label="Block oldpkg"');
    expect(child.html).not.toContain('aria-label="Remove oldpkg"');
    expect((await post('/koji/tagpackageblock', adminCookie, { tagID: String(childId), package: 'oldpkg' })).status).toBe(302);
    expect((await listPkgs('web-child')).oldpkg).toMatchObject({ tag: 'web-child', blocked: true });
    expect((await listPkgs('web-base')).oldpkg).toMatchObject({ blocked: false });
    expect((await get(`/koji/packages?tagID=${childId}`, adminCookie)).html).toContain('aria-label="Remove oldpkg"');

    const removed = await post('/koji/tagpackageremove', adminCookie, { tagID: String(tagId), package: 'newpkg' });
    expect(removed.status).toBe(302);
    expect(Object.keys(await listPkgs('web-base'))).not.toContain('newpkg');
  });

  it('names unknown tags and packages (404) and malformed fields (400)', async () => {
    const noPkg = await post('/koji/tagpackageblock', adminCookie, { tagID: String(tagId), package: 'no-such-pkg' });
    expect([noPkg.status, noPkg.html]).toEqual([404, expect.stringContaining('No such package: no-such-pkg')]);
    const noTag = await post('/koji/tagpackageadd', adminCookie, { tagID: '99999', package: 'x' });
    expect([noTag.status, noTag.html]).toEqual([404, expect.stringContaining('No such tag: 99999')]);
    const bad = await post('/koji/tagpackageadd', adminCookie, { tagID: 'web-base', package: 'x' });
    expect([bad.status, bad.html]).toEqual([400, expect.stringContaining('tagID must be a whole number')]);
    const noOwner = await post('/koji/tagpackageadd', adminCookie, { tagID: String(tagId), package: 'x', owner: 'nobody-here' });
    expect([noOwner.status, noOwner.html]).toEqual([404, expect.stringContaining('No such user: nobody-here')]);
    const empty = await post('/koji/channeledit', adminCookie, { channelID: '' });
    expect([empty.status, empty.html]).toEqual([400, expect.stringContaining('channelID must be a whole number')]);
  });

  it('refuses a missing or wrong CSRF token, no login, and a GET', async () => {
    const form = { tagID: String(tagId), package: 'csrfpkg', owner: ADMIN };
    for (const token of [null, 'forged', csrfOf((await get('/koji/', aliceCookie)).html)]) {
      const body = new URLSearchParams(form);
      if (token !== null) body.set('csrf_token', token);
      const r = await fetch(`${web.url}/koji/tagpackageadd`, { method: 'POST', body, headers: { cookie: adminCookie }, redirect: 'manual' });
      expect(r.status).toBe(403);
      expect(await r.text()).toContain('CSRF token missing or wrong');
    }
    const anon = await post('/koji/tagpackageadd', '', form);
    expect([anon.status, anon.html]).toEqual([401, expect.stringContaining('Log in first')]);
    const viaGet = await get(`/koji/tagpackageadd?tagID=${tagId}&package=csrfpkg`, adminCookie);
    expect(viaGet.status).toBe(405);
    expect(Object.keys(await listPkgs('web-base'))).not.toContain('csrfpkg');
    // GET forms ask for a login first
    expect((await get(`/koji/channeledit?channelID=${chanId}`)).location).toBe(`/koji/login?page=${encodeURIComponent(`channeledit?channelID=${chanId}`)}`);
  });

  it('gives a user without permissions 403 for admin-only actions, and changes nothing', async () => {
    const add = await post('/koji/tagpackageadd', aliceCookie, { tagID: String(tagId), package: 'alicepkg', owner: 'alice' });
    expect(add.status).toBe(403);
    expect(add.html).toMatch(/admin/i);
    expect(Object.keys(await listPkgs('web-base'))).not.toContain('alicepkg');
    expect((await post('/koji/tagpackageblock', aliceCookie, { tagID: String(tagId), package: 'oldpkg' })).status).toBe(403);
    expect((await listPkgs('web-base')).oldpkg).toMatchObject({ blocked: false });
    const edit = await post('/koji/channeledit', aliceCookie, { channelID: String(chanId), description: 'by alice', comment: '' });
    expect(edit.status).toBe(403);
    expect((await admin.call<XmlRpcStruct>('getChannel', [chanId])).description).toBe('plain');
  });

  it('edits a channel (hostile text escaped on channelinfo and the form), disables and enables it', async () => {
    const info = await get(`/koji/channelinfo?channelID=${chanId}`, adminCookie);
    expect(info.html).toContain(`<a href="channeledit?channelID=${chanId}">Edit channel</a>`);
    expect((await get(`/koji/channelinfo?channelID=${chanId}`)).html).not.toContain('Edit channel');
    const form = await get(`/koji/channeledit?channelID=${chanId}`, adminCookie);
    expect(form.status).toBe(200);
    expect(form.html).toContain('<label for="description">Description</label>');
    expect(form.html).toContain('<input type="checkbox" name="enabled" checked>');
    const saved = await post('/koji/channeledit', adminCookie, { channelID: String(chanId), description: `d ${HOSTILE}`, comment: `c ${HOSTILE}` }, `/koji/channeledit?channelID=${chanId}`);
    expect([saved.status, saved.location]).toEqual([302, `/koji/channelinfo?channelID=${chanId}`]);
    // no "enabled" box: disabled
    expect(await admin.call('getChannel', [chanId])).toMatchObject({ description: `d ${HOSTILE}`, comment: `c ${HOSTILE}`, enabled: false });
    const shown = await get(`/koji/channelinfo?channelID=${chanId}`, adminCookie);
    expect(shown.html).toContain(`<td class="usertext">d ${ESCAPED}</td>`);
    expect(shown.html).toContain(`<td class="usertext">c ${ESCAPED}</td>`);
    expect(shown.html).not.toContain(HOSTILE);
    const again = await get(`/koji/channeledit?channelID=${chanId}`, adminCookie);
    expect(again.html).toContain(`>d ${ESCAPED}</textarea>`);
    expect(again.html).not.toContain(HOSTILE);
    expect(again.html).toContain('<input type="checkbox" name="enabled">');
    await post('/koji/channeledit', adminCookie, { channelID: String(chanId), description: 'plain', comment: '', enabled: 'on' });
    expect(await admin.call('getChannel', [chanId])).toMatchObject({ description: 'plain', comment: '', enabled: true });
    expect((await get('/koji/channeledit?channelID=99999', adminCookie)).status).toBe(404);
  });

  it('lets a host manager (host permission, no admin) disable a channel but not edit its text', async () => {
    await admin.call('createUser', ['hal']);
    await admin.call('grantPermission', ['hal', 'host']);
    await admin.call('kojits.setPassword', ['hal', 'hal-pass-1']);
    const hal = await webLogin('hal', 'hal-pass-1');
    const off = await post('/koji/channeledit', hal, { channelID: String(chanId), description: 'plain', comment: '' });
    expect(off.status).toBe(302);
    expect(await admin.call('getChannel', [chanId])).toMatchObject({ description: 'plain', enabled: false });
    const text = await post('/koji/channeledit', hal, { channelID: String(chanId), description: 'by hal', comment: '', enabled: 'on' });
    expect(text.status).toBe(403);
    expect(await admin.call('getChannel', [chanId])).toMatchObject({ description: 'plain', enabled: false });
    expect((await post('/koji/channeledit', hal, { channelID: String(chanId), description: 'plain', comment: '', enabled: 'on' })).status).toBe(302);
    expect((await admin.call<XmlRpcStruct>('getChannel', [chanId])).enabled).toBe(true);
  });

  it('cancels a BUILDING build from buildinfo; another user may not', async () => {
    const host = await hostSession(hub, admin, 'web-builder');
    const task = await admin.call<number>('makeTask', ['build', ['x.src.rpm', 'web-base', {}]], { assign: 'web-builder' });
    await host.call('host.openTask', [task]);
    const buildId = await host.call<number>('host.initBuild', [{ name: 'cancelme', version: '1', release: '1', epoch: null, task_id: task }]);
    expect((await admin.call<XmlRpcStruct>('getBuild', [buildId])).state).toBe(BUILDING);
    const page = await get(`/koji/buildinfo?buildID=${buildId}`, adminCookie);
    expect(page.html).toContain(`action="cancelbuild"><input type="hidden" name="csrf_token" value="${csrfOf(page.html)}"><input type="hidden" name="buildID" value="${buildId}"><button>Cancel build</button>`);
    expect((await get(`/koji/buildinfo?buildID=${buildId}`)).html).not.toContain('Cancel build');
    // alice does not own it and is no admin
    const denied = await post('/koji/cancelbuild', aliceCookie, { buildID: String(buildId) });
    expect([denied.status, denied.html]).toEqual([403, expect.stringContaining('not owner')]);
    expect((await admin.call<XmlRpcStruct>('getBuild', [buildId])).state).toBe(BUILDING);
    const r = await post('/koji/cancelbuild', adminCookie, { buildID: String(buildId) }, `/koji/buildinfo?buildID=${buildId}`);
    expect([r.status, r.location]).toEqual([302, `/koji/buildinfo?buildID=${buildId}`]);
    expect((await admin.call<XmlRpcStruct>('getBuild', [buildId])).state).toBe(CANCELED);
    expect((await admin.call<XmlRpcStruct>('getTaskInfo', [task])).state).toBe(3);
    // a canceled build offers no button
    expect((await get(`/koji/buildinfo?buildID=${buildId}`, adminCookie)).html).not.toContain('Cancel build');
  });

  it('creates, edits and deletes a notification from the user\'s own page; the hub keeps them', async () => {
    const me = (await admin.call<XmlRpcStruct>('getUser', [ADMIN])).id as number;
    const aliceId = (await admin.call<XmlRpcStruct>('getUser', ['alice'])).id as number;
    const pkgId = (await admin.call<XmlRpcStruct>('getPackage', ['oldpkg'])).id as number;
    const notifs = () => admin.call<XmlRpcStruct[]>('getBuildNotifications', [ADMIN]);
    const back = `/koji/userinfo?userID=${me}#notifications`;
    const own = await get(`/koji/userinfo?userID=${me}`, adminCookie);
    expect(own.html).toContain('<h2 id="notifications">Your notifications</h2>');
    expect(own.html).toContain('<p class="muted">No notifications</p>');
    expect(own.html).not.toContain('This hub does not keep build notifications.');
    expect((await get(`/koji/userinfo?userID=${aliceId}`, adminCookie)).html).not.toContain('id="notifications"');
    expect((await get(`/koji/userinfo?userID=${me}`)).html).not.toContain('id="notifications"');
    const form = await get('/koji/notificationcreate', adminCookie);
    expect(form.status).toBe(200);
    expect(form.html).toContain('<label for="package">Package (name, or all)</label>');
    expect((await get('/koji/notificationcreate')).location).toBe('/koji/login?page=notificationcreate');

    const made = await post('/koji/notificationcreate', adminCookie, { package: 'oldpkg', tag: 'web-base', success_only: 'yes', add: 'Add' });
    expect([made.status, made.location]).toEqual([302, back]);
    const [n] = await notifs();
    expect(n).toEqual({ id: expect.any(Number), user_id: me, package_id: pkgId, tag_id: tagId, success_only: true, email: expect.stringMatching(new RegExp(`^${ADMIN}@`)) });
    const listed = (await get(`/koji/userinfo?userID=${me}`, adminCookie)).html;
    expect(listed).toContain(`<td><a href="packageinfo?packageID=${pkgId}">oldpkg</a></td><td><a href="taginfo?tagID=${tagId}">web-base</a></td><td>success only</td>`);
    expect(listed).toContain(`href="notificationedit?notificationID=${n.id}"`);
    // the same again: the hub's reason, as a 400
    const dup = await post('/koji/notificationcreate', adminCookie, { package: String(pkgId), tag: 'web-base', success_only: 'yes', add: 'Add' });
    expect([dup.status, dup.html]).toEqual([400, expect.stringContaining('The hub refused: notification already exists')]);
    const cancel = await post('/koji/notificationcreate', adminCookie, { cancel: 'Cancel', package: 'oldpkg' });
    expect([cancel.status, cancel.location]).toEqual([302, back]);
    expect(await notifs()).toEqual([n]);

    const edit = await get(`/koji/notificationedit?notificationID=${n.id}`, adminCookie);
    expect(edit.status).toBe(200);
    expect(edit.html).toContain('<input id="package" name="package" value="oldpkg" required>');
    expect(edit.html).toContain('<input id="tag" name="tag" value="web-base" required>');
    expect(edit.html).toContain('name="success_only" value="yes" checked>');
    // alice may read it but not change it
    const foreign = await post('/koji/notificationedit', aliceCookie, { notificationID: String(n.id), package: 'all', tag: 'all', save: 'Save' });
    expect([foreign.status, foreign.html]).toEqual([400, expect.stringContaining(`The hub refused: user ${aliceId} cannot update notifications for user ${me}`)]);
    const saved = await post('/koji/notificationedit', adminCookie, { notificationID: String(n.id), package: 'all', tag: 'web-child', save: 'Save' });
    expect([saved.status, saved.location]).toEqual([302, back]);
    expect(await notifs()).toEqual([{ ...n, package_id: null, tag_id: childId, success_only: false }]);
    expect((await get(`/koji/userinfo?userID=${me}`, adminCookie)).html).toContain(`<td>all</td><td><a href="taginfo?tagID=${childId}">web-child</a></td><td>all</td>`);

    const notAllowed = await post('/koji/notificationdelete', aliceCookie, { notificationID: String(n.id) });
    expect([notAllowed.status, notAllowed.html]).toEqual([400, expect.stringContaining(`The hub refused: user ${aliceId} cannot delete notifications for user ${me}`)]);
    const gone = await post('/koji/notificationdelete', adminCookie, { notificationID: String(n.id) });
    expect([gone.status, gone.location]).toEqual([302, back]);
    expect(await notifs()).toEqual([]);
    expect((await post('/koji/notificationdelete', adminCookie, { notificationID: String(n.id) })).status).toBe(404);
    expect((await get(`/koji/notificationedit?notificationID=${n.id}`, adminCookie)).status).toBe(404);
    // checked before the hub is asked; hostile names come back escaped
    expect((await post('/koji/notificationdelete', adminCookie, { notificationID: 'x' })).status).toBe(400);
    expect((await post('/koji/notificationcreate', adminCookie, { package: 'no-such-pkg', tag: 'all', add: 'Add' })).status).toBe(404);
    const hostile = await post('/koji/notificationcreate', adminCookie, { package: HOSTILE, tag: 'all', add: 'Add' });
    expect(hostile.status).toBe(404);
    expect(hostile.html).toContain(ESCAPED);
    expect(hostile.html).not.toContain(HOSTILE);
    expect(await notifs()).toEqual([]);
  });

  it('blocks notifications and lifts the block from the user\'s own page', async () => {
    const me = (await admin.call<XmlRpcStruct>('getUser', [ADMIN])).id as number;
    const aliceId = (await admin.call<XmlRpcStruct>('getUser', ['alice'])).id as number;
    const blocks = () => admin.call<XmlRpcStruct[]>('getBuildNotificationBlocks', [ADMIN]);
    const back = `/koji/userinfo?userID=${me}#notifications`;
    expect((await get(`/koji/userinfo?userID=${me}`, adminCookie)).html).toContain('<p class="muted">No blocks</p>');
    const made = await post('/koji/notificationblockcreate', adminCookie, { package: 'all', tag: 'web-base' });
    expect([made.status, made.location]).toEqual([302, back]);
    const [b] = await blocks();
    expect(b).toEqual({ id: expect.any(Number), user_id: me, package_id: null, tag_id: tagId });
    const page = (await get(`/koji/userinfo?userID=${me}`, adminCookie)).html;
    expect(page).toContain(`<td>all</td><td><a href="taginfo?tagID=${tagId}">web-base</a></td>`);
    expect(page).toContain(`<input type="hidden" name="blockID" value="${b.id}"><button aria-label="Lift block ${b.id}">Lift</button>`);
    const dup = await post('/koji/notificationblockcreate', adminCookie, { package: 'all', tag: String(tagId) });
    expect([dup.status, dup.html]).toEqual([400, expect.stringContaining('The hub refused: notification already exists')]);
    expect((await post('/koji/notificationblockcreate', adminCookie, { package: 'all', tag: 'no-such-tag' })).status).toBe(404);
    // a block of alice's own does not touch the admin's
    expect((await post('/koji/notificationblockcreate', aliceCookie, { package: 'oldpkg', tag: 'all' })).status).toBe(302);
    const [aliceBlock] = await admin.call<XmlRpcStruct[]>('getBuildNotificationBlocks', ['alice']);
    expect(aliceBlock).toMatchObject({ user_id: aliceId, tag_id: null });
    expect(await blocks()).toEqual([b]);

    const notAllowed = await post('/koji/notificationblockdelete', aliceCookie, { blockID: String(b.id) });
    expect([notAllowed.status, notAllowed.html]).toEqual([400, expect.stringContaining(`The hub refused: user ${aliceId} cannot delete notification blocks for user ${me}`)]);
    const lifted = await post('/koji/notificationblockdelete', adminCookie, { blockID: String(b.id) });
    expect([lifted.status, lifted.location]).toEqual([302, back]);
    expect(await blocks()).toEqual([]);
    const again = await post('/koji/notificationblockdelete', adminCookie, { blockID: String(b.id) });
    expect([again.status, again.html]).toEqual([404, expect.stringContaining(`No such notification block: ${b.id}`)]);
    // an admin may lift another user's block
    expect((await post('/koji/notificationblockdelete', adminCookie, { blockID: String(aliceBlock.id) })).status).toBe(302);
    expect(await admin.call('getBuildNotificationBlocks', ['alice'])).toEqual([]);
  });
});
