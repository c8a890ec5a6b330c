/**
 * The web's user, host and channel pages against a real hub (both engines): users paged, sorted
 * and by first letter; userinfo with permissions, principals and the user's builds, tasks and
 * packages (each paged on its own); hosts filtered by state, readiness, channel and arch;
 * hostinfo with channels, open tasks and buildroots; channelinfo with its hosts. Hostile
 * descriptions and comments are escaped; unknown ids 404, malformed parameters 400.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClientSession } from '../../src/protocol/client.ts';
import { engines } from '../helpers/db.ts';
import { startTestHub, type TestHub } from '../helpers/hub.ts';
import { sqlOne } from '../helpers/build-content.ts';
import { hostSession } from '../helpers/repos.ts';
import { startTestWeb, type TestWeb } from './web-helper.ts';

const HOSTILE = '<script>alert("x")</script>';
/** the first cell of each body row (ids, names) */
const firstCells = (html: string) => [...html.matchAll(/<tr><td>(?:<a [^>]*>)?([^<]*)/g)].map((m) => m[1]);

describe.each(engines())('web user and host pages on %s', (engine) => {
  let hub: TestHub;
  let admin: ClientSession;
  let alice: ClientSession;
  let b1: ClientSession;
  let web: TestWeb;
  let aliceId: number;
  let b1Id: number;
  let b2Id: number;
  let chanId: number;
  let openTask: number;
  let brId: number;
  const builds: number[] = [];

  beforeAll(async () => {
    hub = await startTestHub(engine);
    admin = await hub.login();
    web = await startTestWeb(hub.httpUrl as string);
    aliceId = await admin.call<number>('createUser', ['alice'], { krb_principal: 'alice@EXAMPLE.COM' });
    await admin.call('createUser', ['bob']);
    // 55 more users: two pages of users
    for (let i = 0; i < 55; i++) await admin.call('createUser', [`user${String(i).padStart(2, '0')}`]);
    for (const perm of ['admin', 'repo']) await admin.call('grantPermission', ['alice', perm]);
    await admin.call('grantPermission', ['alice', 'web-reports'], { create: true });
    await admin.call('kojits.setPassword', ['alice', 'alice-pass-1']);
    alice = await hub.login('alice', 'alice-pass-1');
    // 52 builds by alice (two pages), one by bob
    for (let i = 1; i <= 52; i++) builds.push(await admin.call<number>('createEmptyBuild', ['webpkg', `${i}`, '1', null], { owner: 'alice' }));
    await admin.call('createEmptyBuild', ['bobpkg', '1', '1', null], { owner: 'bob' });
    // three top-level tasks by alice, with a child
    await admin.call('createTag', ['web-dest']);
    await admin.call('createTag', ['web-build'], { arches: 'x86_64' });
    for (let i = 0; i < 3; i++) await alice.call('makeTask', ['waitrepo', ['web-dest', null, null]]);
    // packages owned by alice in two tags, one blocked
    await admin.call('packageListAdd', ['web-dest', 'webpkg', 'alice']);
    await admin.call('packageListAdd', ['web-build', 'webpkg', 'alice']);
    await admin.call('packageListAdd', ['web-dest', 'alicelib', 'alice']);
    await admin.call('packageListBlock', ['web-build', 'webpkg']);
    await admin.call('packageListAdd', ['web-dest', 'bobpkg', 'bob']);
    // hosts: b1 ready in two channels (with an open task and a buildroot), b2 disabled with hostile text
    b1 = await hostSession(hub, admin, 'web-b1');
    b1Id = await b1.call<number>('host.getID');
    await admin.call('addHost', ['web-b2', ['aarch64', 'x86_64']]);
    b2Id = (await admin.call<{ id: number }>('getHost', ['web-b2'])).id;
    await admin.call('editHost', ['web-b2'], { comment: `c ${HOSTILE}`, description: `<b>desc</b> ${HOSTILE}`, capacity: 4 });
    await admin.call('disableHost', ['web-b2']);
    chanId = await admin.call<number>('addChannel', ['web-chan'], { description: `d ${HOSTILE}` });
    await admin.call('editChannel', ['web-chan'], { comment: `k ${HOSTILE}` });
    await admin.call('addHostToChannel', ['web-b1', 'web-chan']);
    await admin.call('addHostToChannel', ['web-b2', 'web-chan']);
    await b1.call('host.updateHost', [1.5, true]);
    openTask = await admin.call<number>('makeTask', ['waitrepo', ['web-dest', null, null]], { assign: 'web-b1', channel: 'web-chan' });
    await b1.call('host.openTask', [openTask]);
    const ev = (await sqlOne<{ e: number }>(hub, 'SELECT get_event() AS e')).e;
    const tagId = (await admin.call<{ id: number }>('getTag', ['web-build'])).id;
    const repo = await sqlOne<{ id: number }>(hub, 'INSERT INTO repo (create_event, tag_id, state) VALUES ($1, $2, 1) RETURNING id', [ev, tagId]);
    brId = await b1.call<number>('host.newBuildRoot', [repo.id, 'x86_64'], { task_id: openTask });
  });
  afterAll(async () => {
    await web?.close();
    await hub?.stop();
  });

  it('lists users 50 at a time, sorted by the hub, by first letter', async () => {
    const first = await web.page('/koji/users');
    expect(first.status).toBe(200);
    // kojiadmin, alice, bob and 55 more: hosts are not users here
    expect(first.html).toContain('Users 1 through 50 of 58');
    const names = firstCells(first.html);
    expect(names[0]).toMatch(/^\d+$/);
    const second = await web.page('/koji/users?start=50');
    expect(second.html).toContain('Users 51 through 58 of 58');
    const byName = [...first.html.matchAll(/userinfo\?userID=([\w.@-]+)"/g)].map((m) => m[1]);
    expect(byName.slice(0, 3)).toEqual(['alice', 'bob', 'kojiadmin']);
    const desc = [...(await web.page('/koji/users?order=-name')).html.matchAll(/userinfo\?userID=([\w.@-]+)"/g)].map((m) => m[1]);
    expect(desc[0]).toBe('user54');
    expect(desc).toEqual([...desc].sort().reverse());
    const b = await web.page('/koji/users?prefix=B');
    expect(b.html).toContain('Users starting with “b”');
    expect([...b.html.matchAll(/userinfo\?userID=([\w.@-]+)"/g)].map((m) => m[1])).toEqual(['bob']);
  });

  it('shows a user: status, type, permissions, principals and their builds, tasks and packages', async () => {
    for (const ref of [String(aliceId), 'alice']) {
      const r = await web.page(`/koji/userinfo?userID=${ref}`);
      expect(r.status).toBe(200);
      expect(r.html).toContain(`Information for user <a href="userinfo?userID=${aliceId}">alice</a>`);
    }
    const r = await web.page(`/koji/userinfo?userID=${aliceId}`);
    expect(r.html).toMatch(/Status<\/th><td>normal</);
    expect(r.html).toMatch(/Type<\/th><td>normal</);
    expect(r.html).toContain('admin, repo, web-reports');
    expect(r.html).toContain('alice@EXAMPLE.COM');
    expect(r.html).toContain('Builds 1 through 50 of 52');
    // newest finished first
    expect(r.html).toContain(`buildinfo?buildID=${builds[51]}">webpkg-52-1</a>`);
    expect(r.html).not.toContain('bobpkg');
    expect(r.html).toContain('Tasks 1 through 3 of 3');
    expect(r.html).toContain('Packages 1 through 3 of 3');
    expect(r.html).toMatch(/webpkg<\/a><\/td><td><a href="taginfo\?tagID=\d+">web-build<\/a><\/td><td>no \(blocked\)/);
    // the lists page on their own: buildStart leaves the packages alone
    const next = await web.page(`/koji/userinfo?userID=alice&buildStart=50&buildOrder=nvr`);
    expect(next.html).toContain('Builds 51 through 52 of 52');
    expect(next.html).toContain('Packages 1 through 3 of 3');
    // sorted by nvr as text: webpkg-1-1, webpkg-10-1 … the last two are webpkg-8-1, webpkg-9-1
    expect(next.html).toContain('webpkg-8-1');
    expect(next.html).toContain('webpkg-9-1');
    // packages sorted by the hub: the blocked entry first when descending by blocked
    const blocked = await web.page('/koji/userinfo?userID=alice&packageOrder=-blocked');
    expect(blocked.html).toMatch(/<tbody>\s*<tr><td><a href="packageinfo\?packageID=\d+">webpkg<\/a><\/td><td><a href="taginfo\?tagID=\d+">web-build</);
    const bob = await web.page('/koji/userinfo?userID=bob');
    expect(bob.html).toMatch(/Permissions<\/th><td><span class="muted">none/);
    expect(bob.html).toContain('No tasks');
  });

  it('lists hosts by state, readiness, channel and arch with their channels', async () => {
    const enabled = await web.page('/koji/hosts');
    expect(enabled.status).toBe(200);
    expect(enabled.html).toContain('Enabled hosts on all arches in all channels');
    expect(enabled.html).toContain(`hostinfo?hostID=${b1Id}`);
    expect(enabled.html).not.toContain(`hostinfo?hostID=${b2Id}`);
    const all = await web.page('/koji/hosts?state=all');
    expect(all.html).toContain('Hosts 1 through 2 of 2');
    expect(all.html).toContain(`<a href="channelinfo?channelID=${chanId}">web-chan</a>`);
    const disabled = await web.page('/koji/hosts?state=disabled');
    expect(disabled.html).toContain(`hostinfo?hostID=${b2Id}`);
    expect(disabled.html).not.toContain(`hostinfo?hostID=${b1Id}`);
    const notReady = await web.page('/koji/hosts?state=all&ready=no');
    expect(notReady.html).toContain(`hostinfo?hostID=${b2Id}`);
    expect(notReady.html).not.toContain(`hostinfo?hostID=${b1Id}`);
    const arm = await web.page('/koji/hosts?state=all&arch=aarch64');
    expect(arm.html).toContain('on aarch64 arch');
    expect(arm.html).toContain('Hosts 1 through 1 of 1');
    expect(arm.html).toContain(`hostinfo?hostID=${b2Id}`);
    const chan = await web.page('/koji/hosts?state=all&channel=web-chan&order=-id');
    expect(chan.html).toContain('in web-chan channel');
    expect(firstCells(chan.html)).toEqual([String(b2Id), String(b1Id)]);
    expect(firstCells((await web.page('/koji/hosts?state=all&order=id')).html)).toEqual([String(b1Id), String(b2Id)]);
    // by load: b1 carries 1.5
    expect(firstCells((await web.page('/koji/hosts?state=all&order=-task_load')).html)[0]).toBe(String(b1Id));
  });

  it('shows a host: arches, channels, escaped comment, last update, open tasks and buildroots', async () => {
    const r = await web.page(`/koji/hostinfo?hostID=${b1Id}`);
    expect(r.status).toBe(200);
    expect(r.html).toContain(`Information for host <a href="hostinfo?hostID=${b1Id}">web-b1</a>`);
    expect(r.html).toMatch(/Task Load<\/th><td><a href="tasks\?hostID=\d+">1.5</);
    expect(r.html).toMatch(/Ready\?<\/th><td>yes/);
    expect(r.html).toMatch(/Last Update<\/th><td>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/);
    expect(r.html).toContain('>default</a>');
    expect(r.html).toContain('>web-chan</a>');
    expect(r.html).toContain('Tasks 1 through 1 of 1');
    expect(r.html).toContain(`taskinfo?taskID=${openTask}">waitrepo</a>`);
    expect(r.html).toContain(`buildrootinfo?buildrootID=${brId}">web-build-${brId}-`);
    expect(r.html).toContain('The 1 most recent of 1');
    const byName = await web.page('/koji/hostinfo?hostID=web-b2');
    expect(byName.status).toBe(200);
    expect(byName.html).toContain('aarch64 x86_64');
    expect(byName.html).toMatch(/Enabled\?<\/th><td>no/);
    expect(byName.html).toMatch(/Last Update<\/th><td><span class="muted">never/);
    expect(byName.html).not.toContain(HOSTILE);
    expect(byName.html).not.toContain('<b>desc</b>');
    expect(byName.html).toContain('c &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    expect(byName.html).toContain('&lt;b&gt;desc&lt;/b&gt;');
    expect(byName.html).toContain('No buildroots');
    // a host's user: hostinfo?userID= and the user's page links back
    const viaUser = await web.page('/koji/hostinfo?userID=web-b1');
    expect(viaUser.html).toContain(`Information for host <a href="hostinfo?hostID=${b1Id}">web-b1</a>`);
    expect((await web.page('/koji/userinfo?userID=web-b1')).html).toContain(`<a href="hostinfo?hostID=${b1Id}">host web-b1</a>`);
    // the hosts list escapes nothing it should not show either
    expect((await web.page('/koji/hosts?state=all')).html).not.toContain('<script>');
  });

  it('offers admins (not visitors or plain users) the host controls, which work', async () => {
    const lw = await startTestWeb(hub.httpUrl as string, 'Secret = people-test-secret-0123456789');
    try {
      const logIn = async (user: string, password: string) => {
        const r = await fetch(`${lw.url}/koji/login`, { method: 'POST', redirect: 'manual', body: new URLSearchParams({ user, password }) });
        expect(r.status).toBe(302);
        return (r.headers.get('set-cookie') ?? '').split(';')[0];
      };
      const get = async (path: string, cookie: string) => (await fetch(`${lw.url}${path}`, { headers: { cookie }, redirect: 'manual' })).text();
      expect((await lw.page(`/koji/hostinfo?hostID=${b2Id}`)).html).not.toContain('Edit host');
      expect(await get(`/koji/hostinfo?hostID=${b2Id}`, await logIn('alice', 'alice-pass-1'))).toContain('Edit host');
      await admin.call('kojits.setPassword', ['bob', 'bob-pass-1']);
      const bobPage = await get(`/koji/hostinfo?hostID=${b2Id}`, await logIn('bob', 'bob-pass-1'));
      expect(bobPage).not.toContain('Edit host');
      expect(bobPage).not.toContain('action="enablehost"');
      const adminCookie = await logIn('kojiadmin', 'admin-secret-1');
      const page = await get(`/koji/hostinfo?hostID=${b2Id}`, adminCookie);
      expect(page).toContain(`<a href="hostedit?hostID=${b2Id}">Edit host</a>`);
      const csrf = /name="csrf_token" value="([^"]+)"/.exec(page)?.[1] ?? '';
      expect(page).toContain('<form class="actions" method="post" action="enablehost">');
      const r = await fetch(`${lw.url}/koji/enablehost`, { method: 'POST', redirect: 'manual', headers: { cookie: adminCookie }, body: new URLSearchParams({ csrf_token: csrf, hostID: String(b2Id) }) });
      expect([r.status, r.headers.get('location')]).toEqual([302, `/koji/hostinfo?hostID=${b2Id}`]);
      expect((await admin.call<{ enabled: boolean }>('getHost', [b2Id])).enabled).toBe(true);
      expect(await get(`/koji/hostinfo?hostID=${b2Id}`, adminCookie)).toContain('action="disablehost"');
    } finally {
      await admin.call('disableHost', ['web-b2']);
      await lw.close();
    }
  });

  it('shows a channel: escaped description and comment, its hosts with load, active tasks', async () => {
    for (const ref of [String(chanId), 'web-chan']) {
      const r = await web.page(`/koji/channelinfo?channelID=${ref}`);
      expect(r.status).toBe(200);
      expect(r.html).toContain(`Information for channel <a href="channelinfo?channelID=${chanId}">web-chan</a>`);
    }
    const r = await web.page(`/koji/channelinfo?channelID=${chanId}`);
    expect(r.html).not.toContain('<script>');
    expect(r.html).toContain('d &lt;script&gt;');
    expect(r.html).toContain('k &lt;script&gt;');
    expect(r.html).toMatch(new RegExp(`Active Tasks</th><td><a href="tasks\\?view=flat&amp;channelID=${chanId}">1</a>`));
    expect(r.html).toMatch(/web-b1<\/a><\/td><td>yes<\/td><td>yes<\/td><td>1.5<\/td>/);
    expect(r.html).toMatch(/web-b2<\/a><\/td><td>no<\/td><td>no<\/td>/);
    expect(r.html).toContain('Total (2)</th><td>1</td><td>1</td><td>1.5</td>');
    const def = await web.page('/koji/channelinfo?channelID=default');
    expect(def.html).toContain('web-b1');
    // alice's three free waitrepo tasks are in the default channel
    expect(def.html).toMatch(/Active Tasks<\/th><td><a [^>]*>3</);
  });

  it('answers unknown ids and names with 404 and malformed parameters with 400', async () => {
    const cases: Array<[string, number, string]> = [
      ['/koji/userinfo?userID=999999', 404, 'No such user: 999999'],
      ['/koji/userinfo?userID=nobody', 404, 'No such user: nobody'],
      ['/koji/userinfo', 400, 'userID is required'],
      ['/koji/hostinfo?hostID=999999', 404, 'No such host: 999999'],
      ['/koji/hostinfo?hostID=nohost', 404, 'No such host: nohost'],
      ['/koji/hostinfo?userID=alice', 404, 'No host for user: alice'],
      ['/koji/hostinfo', 400, 'hostID is required'],
      ['/koji/channelinfo?channelID=999999', 404, 'No such channel: 999999'],
      ['/koji/channelinfo?channelID=nochan', 404, 'No such channel: nochan'],
      ['/koji/hosts?channel=nochan', 404, 'No such channel: nochan'],
      ['/koji/users?start=99999999999', 400, 'start must be a whole number'],
      ['/koji/users?start=-1', 400, 'start must be a whole number'],
      ['/koji/users?start=ten', 400, 'start must be a whole number'],
      ['/koji/users?order=password', 400, 'order must be one of'],
      ['/koji/users?prefix=%3C', 400, 'prefix must be one letter or digit'],
      ['/koji/userinfo?userID=alice&buildStart=x', 400, 'buildStart must be a whole number'],
      ['/koji/userinfo?userID=alice&packageOrder=owner_id', 400, 'packageOrder must be one of'],
      ['/koji/hosts?state=<script>', 400, 'state must be one of'],
      ['/koji/hosts?ready=maybe', 400, 'ready must be one of'],
      ['/koji/hosts?arch=x86_64;drop', 400, 'arch must be an arch name'],
      ['/koji/hosts?order=comment', 400, 'order must be one of'],
      ['/koji/hostinfo?hostID=1&taskStart=1e9', 400, 'taskStart must be a whole number'],
    ];
    for (const [path, status, text] of cases) {
      const r = await web.page(path);
      expect([path, r.status, r.html]).toEqual([path, status, expect.stringContaining(text)]);
      expect(r.html).not.toContain('<script>');
      expect(r.html).not.toMatch(/at \w+ \(|node_modules|\.ts:\d+/);
    }
  });
});
