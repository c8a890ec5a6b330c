/**
 * The web's search and reports against a real hub (both engines): search in the glob, regexp and
 * exact modes for packages, builds, tags, targets, users and hosts, paged and sorted, a single hit
 * sent to its page, bad input answered with the form and a 400; the reports count builds, packages
 * and tasks per user and host, builds per state and per target over a period.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClientSession } from '../../src/protocol/client.ts';
import { encodeResponse } from '../../src/protocol/encode.ts';
import { engines } from '../helpers/db.ts';
import { startTestHub, type TestHub } from '../helpers/hub.ts';
import { take } from '../helpers/build-flow.ts';
import { hostSession } from '../helpers/repos.ts';
import { startTestWeb, type TestWeb } from './web-helper.ts';

const BUILDING = 0;
const FAILED = 3;
const CANCELED = 4;
/** the linked names of a result or report table, in order */
const names = (html: string, page: string) => [...html.matchAll(new RegExp(`<td><a href="${page}\\?[^"]*">([^<]*)</a></td>`, 'g'))].map((m) => m[1]);
/** name → count of a report table */
const counts = (html: string) => Object.fromEntries([...html.matchAll(/">([^<]*)<\/a><\/td><td>(\d+)<\/td><td><meter/g)].map((m) => [m[1], Number(m[2])]));

describe.each(engines())('web search and reports on %s', (engine) => {
  let hub: TestHub;
  let admin: ClientSession;
  let web: TestWeb;
  const ids: Record<string, number> = {};

  beforeAll(async () => {
    hub = await startTestHub(engine);
    admin = await hub.login();
    web = await startTestWeb(hub.httpUrl as string);
    for (const u of ['alice', 'alicia', 'bob']) ids[u] = await admin.call<number>('createUser', [u]);
    await admin.call('createTag', ['web-alpha']);
    await admin.call('createTag', ['web-beta'], { arches: 'x86_64' });
    await admin.call('createTag', ['zeta']);
    await admin.call('createBuildTarget', ['web-target', 'web-beta', 'web-alpha']);
    ids.target = (await admin.call<{ id: number }>('getBuildTarget', ['web-target'])).id;
    await admin.call('createBuildTarget', ['other-target', 'web-beta', 'zeta']);
    // 55 packages named many00 … many54 (two pages of results)
    for (let i = 0; i < 55; i++) await admin.call('packageListAdd', ['zeta', `many${String(i).padStart(2, '0')}`, 'bob']);
    await admin.call('packageListAdd', ['web-alpha', 'webpkg', 'alice']);
    await admin.call('packageListAdd', ['web-beta', 'webpkg', 'alice']);
    await admin.call('packageListAdd', ['web-alpha', 'webtool', 'alicia']);
    // hosts and build tasks they ran: two to web-target, one to other-target (finished 30 days ago)
    const h1 = await hostSession(hub, admin, 'web-h1');
    await hostSession(hub, admin, 'web-h2');
    const tasks: number[] = [];
    for (const target of ['web-target', 'web-target', 'other-target']) {
      const t = await admin.call<number>('makeTask', ['build', ['git+https://example.org/x#1', target, {}]]);
      await take(admin, h1, 'web-h1', t);
      await h1.call('host.closeTask', [t, encodeResponse(null)]);
      tasks.push(t);
    }
    await hub.db.rawQuery("UPDATE task SET completion_time = now() - interval '30 days' WHERE id = $1", [tasks[2]]);
    // builds: by alice two complete, one failed, one canceled (from tasks); one old complete; an import by bob
    const build = async (v: string, owner: string, state: number | null, task: number | null, old = false) => {
      const id = await admin.call<number>('createEmptyBuild', ['webpkg', v, '1', null], { owner });
      if (state !== null) await hub.db.rawQuery(`UPDATE build SET state = $1${state === BUILDING ? ', completion_time = NULL' : ''} WHERE id = $2`, [state, id]);
      if (task !== null) await hub.db.rawQuery('UPDATE build SET task_id = $1 WHERE id = $2', [task, id]);
      if (old) await hub.db.rawQuery("UPDATE build SET completion_time = now() - interval '30 days' WHERE id = $1", [id]);
      return id;
    };
    ids.b1 = await build('1', 'alice', null, tasks[0]);
    ids.b2 = await build('2', 'alice', null, tasks[1]);
    await build('3', 'alice', FAILED, tasks[0]);
    await build('4', 'alice', CANCELED, tasks[1]);
    await build('5', 'alice', null, tasks[2], true);
    await build('6', 'bob', null, null);
    await build('7', 'alice', BUILDING, null);
    ids.webpkg = (await admin.call<{ id: number }>('getPackage', ['webpkg'])).id;
    ids.alpha = (await admin.call<{ id: number }>('getTag', ['web-alpha'])).id;
    ids.h1 = (await admin.call<{ id: number }>('getHost', ['web-h1'])).id;
  });
  afterAll(async () => {
    await web?.close();
    await hub?.stop();
  });

  it('shows the form when no terms are given', async () => {
    const r = await web.page('/koji/search');
    expect(r.status).toBe(200);
    expect(r.html).toContain('<h1>Search</h1>');
    expect(r.html).toContain('<label for="search-terms">');
    expect(r.html).toMatch(/value="glob" checked/);
    expect(r.html).not.toContain('class="pager"');
  });

  it('finds packages by glob, regexp and exact name, paged and sorted by the hub', async () => {
    const first = await web.page('/koji/search?terms=many*&type=package&match=glob');
    expect(first.status).toBe(200);
    expect(first.html).toContain('Results 1 through 50 of 55');
    expect(names(first.html, 'packageinfo')[0]).toBe('many00');
    const second = await web.page('/koji/search?terms=many*&type=package&match=glob&start=50');
    expect(names(second.html, 'packageinfo')).toEqual(['many50', 'many51', 'many52', 'many53', 'many54']);
    const desc = names((await web.page('/koji/search?terms=MANY*&type=package&match=glob&order=-name')).html, 'packageinfo');
    expect(desc[0]).toBe('many54');
    expect(desc).toHaveLength(50);
    const re = await web.page('/koji/search?terms=%5Emany0%5B0-4%5D%24&type=package&match=regexp');
    expect(names(re.html, 'packageinfo')).toEqual(['many00', 'many01', 'many02', 'many03', 'many04']);
    // one hit: straight to the package, in every mode; exact matching keeps case
    for (const q of ['terms=web%3Fkg&match=glob', 'terms=%5Ewebp&match=regexp', 'terms=webpkg&match=exact', 'terms=WEBPKG&match=glob']) {
      const r = await web.page(`/koji/search?${q}&type=package`);
      expect([q, r.status, r.headers.get('location')]).toEqual([q, 302, `packageinfo?packageID=${ids.webpkg}`]);
    }
    const none = await web.page('/koji/search?terms=WEBPKG&type=package&match=exact');
    expect([none.status, none.html]).toEqual([200, expect.stringContaining('No results')]);
    // the hub no longer searches files: no results, and the page says why
    const files = await web.page('/koji/search?terms=webpkg&type=file&match=glob');
    expect([files.status, files.html]).toEqual([200, expect.stringContaining('The hub no longer searches by file name.')]);
    // a single hit beyond the first page is listed, not followed
    expect((await web.page('/koji/search?terms=webpkg&type=package&match=exact&start=50')).status).toBe(200);
  });

  it('finds builds, tags, targets, users and hosts in each mode', async () => {
    const builds = await web.page('/koji/search?terms=webpkg-*&type=build&match=glob');
    const nvrs = names(builds.html, 'buildinfo');
    // newest first
    expect(nvrs).toEqual(['webpkg-7-1', 'webpkg-6-1', 'webpkg-5-1', 'webpkg-4-1', 'webpkg-3-1', 'webpkg-2-1', 'webpkg-1-1']);
    expect(names((await web.page('/koji/search?terms=-%5B12%5D-1%24&type=build&match=regexp&order=id')).html, 'buildinfo')).toEqual(['webpkg-1-1', 'webpkg-2-1']);
    expect((await web.page('/koji/search?terms=webpkg-1-1&type=build&match=exact')).headers.get('location')).toBe(`buildinfo?buildID=${ids.b1}`);

    expect(names((await web.page('/koji/search?terms=web-*&type=tag&match=glob')).html, 'taginfo')).toEqual(['web-alpha', 'web-beta']);
    expect((await web.page('/koji/search?terms=alpha%24&type=tag&match=regexp')).headers.get('location')).toBe(`taginfo?tagID=${ids.alpha}`);
    expect((await web.page('/koji/search?terms=web-alpha&type=tag&match=exact')).headers.get('location')).toBe(`taginfo?tagID=${ids.alpha}`);

    expect((await web.page('/koji/search?terms=web-target&type=target&match=exact')).headers.get('location')).toBe(`buildtargetinfo?targetID=${ids.target}`);
    expect(names((await web.page('/koji/search?terms=*-target&type=target&match=glob')).html, 'buildtargetinfo')).toEqual(['other-target', 'web-target']);

    expect(names((await web.page('/koji/search?terms=ali*&type=user&match=glob')).html, 'userinfo')).toEqual(['alice', 'alicia']);
    expect(names((await web.page('/koji/search?terms=%5Eali(ce%7Ccia)%24&type=user&match=regexp')).html, 'userinfo')).toEqual(['alice', 'alicia']);
    expect((await web.page('/koji/search?terms=bob&type=user&match=exact')).headers.get('location')).toBe(`userinfo?userID=${ids.bob}`);

    expect(names((await web.page('/koji/search?terms=h%5B12%5D%24&type=host&match=regexp')).html, 'hostinfo')).toEqual(['web-h1', 'web-h2']);
    expect(names((await web.page('/koji/search?terms=web-h%3F&type=host&match=glob&order=-name')).html, 'hostinfo')).toEqual(['web-h2', 'web-h1']);
    expect((await web.page('/koji/search?terms=web-h1&type=host&match=exact')).headers.get('location')).toBe(`hostinfo?hostID=${ids.h1}`);
  });

  it('answers bad searches with the form and a 400, and escapes the terms', async () => {
    const cases: Array<[string, string]> = [
      ['terms=(&type=package&match=regexp', 'Invalid regular expression'],
      ['terms=&type=package&match=glob', 'enter a name or pattern'],
      ['terms=%20%20&type=tag&match=glob', 'enter a name or pattern'],
      ['terms=x&type=package&match=fuzzy', 'match must be one of glob, regexp, exact'],
      ['terms=x&type=socks&match=glob', 'type must be one of'],
      ['terms=x&type=package&match=glob&start=99999999999', 'start must be a whole number'],
      ['terms=x&type=package&match=glob&start=abc', 'start must be a whole number'],
      ['terms=x&type=package&match=glob&order=secret', 'order must be one of id, name'],
    ];
    for (const [q, text] of cases) {
      const r = await web.page(`/koji/search?${q}`);
      expect([q, r.status, r.html]).toEqual([q, 400, expect.stringContaining(text)]);
      expect(r.html).toContain('<form class="filters" method="get" action="search">');
      expect(r.html).not.toMatch(/at \w+ \(|node_modules|\.ts:\d+/);
    }
    const hostile = await web.page('/koji/search?terms=%3Cscript%3Ealert(1)%3C%2Fscript%3E&type=package&match=glob');
    expect(hostile.status).toBe(200);
    expect(hostile.html).not.toContain('<script>');
    expect(hostile.html).toContain('value="&lt;script&gt;alert(1)&lt;/script&gt;"');
    expect(hostile.html).toContain('No results');
    const badRe = await web.page('/koji/search?terms=%3Cscript%3E(&type=package&match=regexp');
    expect([badRe.status, badRe.html]).toEqual([400, expect.not.stringContaining('<script>')]);
  });

  it('lists the reports', async () => {
    const r = await web.page('/koji/reports');
    expect(r.status).toBe(200);
    for (const p of ['buildsbyuser', 'packagesbyuser', 'tasksbyuser', 'tasksbyhost', 'buildsbystatus', 'buildsbytarget', 'rpmsbyhost']) {
      expect(r.html).toContain(`<a href="${p}">`);
      expect((await web.page(`/koji/${p}`)).status).toBe(200);
    }
  });

  it('counts builds, packages and tasks per user and tasks per host', async () => {
    const bu = await web.page('/koji/buildsbyuser');
    expect(counts(bu.html)).toMatchObject({ alice: 6, bob: 1, alicia: 0, kojiadmin: 0 });
    // most builds first; by name on request
    expect(names(bu.html, 'userinfo')[0]).toBe('alice');
    expect(names((await web.page('/koji/buildsbyuser?order=name')).html, 'userinfo')).toEqual(['alice', 'alicia', 'bob', 'kojiadmin']);
    expect(bu.html).toMatch(/<meter min="0" max="6" value="6"/);
    expect(counts((await web.page('/koji/packagesbyuser')).html)).toMatchObject({ alice: 2, alicia: 1, bob: 55 });
    expect(counts((await web.page('/koji/tasksbyuser')).html)).toMatchObject({ kojiadmin: 3, alice: 0 });
    const th = await web.page('/koji/tasksbyhost');
    expect(counts(th.html)).toEqual({ 'web-h1': 3, 'web-h2': 0 });
    expect(counts((await web.page('/koji/tasksbyhost?hostArch=aarch64')).html)).toEqual({});
    expect(counts((await web.page('/koji/tasksbyhost?hostArch=x86_64')).html)).toEqual({ 'web-h1': 3, 'web-h2': 0 });
    expect(counts((await web.page('/koji/rpmsbyhost')).html)).toEqual({ 'web-h1': 0, 'web-h2': 0 });
  });

  it('counts builds by state and build tasks by target over a period', async () => {
    const row = (html: string, label: string) => Number(new RegExp(`>${label}</span></th><td>(\\d+)</td>`).exec(html)?.[1]);
    const week = await web.page('/koji/buildsbystatus');
    expect(week.html).toContain('in the last 7 days');
    // built by tasks only: not the import by bob, not the one still building
    expect([row(week.html, 'Succeeded'), row(week.html, 'Failed'), row(week.html, 'Canceled')]).toEqual([2, 1, 1]);
    const ever = await web.page('/koji/buildsbystatus?days=-1');
    expect([row(ever.html, 'Succeeded'), row(ever.html, 'Failed'), row(ever.html, 'Canceled')]).toEqual([3, 1, 1]);
    expect(row((await web.page('/koji/buildsbystatus?days=60')).html, 'Succeeded')).toBe(3);

    expect(counts((await web.page('/koji/buildsbytarget')).html)).toEqual({ 'web-target': 2 });
    const all = await web.page('/koji/buildsbytarget?days=-1&order=name');
    expect(counts(all.html)).toEqual({ 'other-target': 1, 'web-target': 2 });
    expect(names(all.html, 'buildtargetinfo')).toEqual(['other-target', 'web-target']);
    expect(all.html).toContain('<a href="buildtargetinfo?name=web-target">');
  });

  it('refuses malformed report parameters with 400', async () => {
    const cases: Array<[string, string]> = [
      ['/koji/buildsbystatus?days=week', 'days must be a whole number'],
      ['/koji/buildsbystatus?days=99999999', 'days must be at most'],
      ['/koji/buildsbytarget?days=-2', 'days must be a whole number'],
      ['/koji/buildsbytarget?order=owner', 'order must be one of name, builds'],
      ['/koji/buildsbyuser?order=password', 'order must be one of name, builds'],
      ['/koji/buildsbyuser?start=1e99', 'start must be a whole number'],
      ['/koji/tasksbyhost?hostArch=%3Cscript%3E', 'hostArch must be an arch name'],
      ['/koji/rpmsbyhost?rpmArch=x%20y', 'rpmArch must be an arch name'],
    ];
    for (const [path, text] of cases) {
      const r = await web.page(path);
      expect([path, r.status, r.html]).toEqual([path, 400, expect.stringContaining(text)]);
      expect(r.html).not.toContain('<script>');
    }
  });
});
