/**
 * The web's tag pages against a real hub (both engines): tags paged by the hub, taginfo with its
 * inheritance both ways, counts, groups, external repos, targets and repo; build targets,
 * external repos and repos (a ready repo made by host.repoInit/repoDone for a newRepo task, with
 * a buildroot; a dist repo made by distRepo); hostile free text escaped; unknown ids 404,
 * malformed ids 400.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClientSession } from '../../src/protocol/client.ts';
import type { XmlRpcStruct } from '../../src/protocol/values.ts';
import { engines } from '../helpers/db.ts';
import { startTestHub, type TestHub } from '../helpers/hub.ts';
import { addBuild } from '../helpers/content.ts';
import { hostSession } from '../helpers/repos.ts';
import { startTestWeb, type TestWeb } from './web-helper.ts';

const HOSTILE = '<script>alert("x")</script>';
const ESCAPED = '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;';
const MANY = 55;

/** The text of the <li> of a tree node linking to tag `id`, up to its first nested list. */
function treeNode(html: string, section: string, id: number): string {
  const part = html.slice(html.indexOf(`<h2>${section}</h2>`));
  const at = part.indexOf(`<li><a href="taginfo?tagID=${id}">`);
  if (at < 0) return '';
  const rest = part.slice(at);
  const end = rest.search(/<ul|<\/li>/);
  return rest.slice(0, end).replace(/\s+/g, ' ');
}

describe.each(engines())('web tag pages on %s', (engine) => {
  let hub: TestHub;
  let admin: ClientSession;
  let web: TestWeb;
  const id: Record<string, number> = {};
  let readyRepo: number;
  let repoTask: number;
  let distRepo: number;
  let extId: number;
  let jsExtId: number;
  let targetId: number;

  beforeAll(async () => {
    hub = await startTestHub(engine);
    admin = await hub.login();
    web = await startTestWeb(hub.httpUrl as string);
    id.top = await admin.call<number>('createTag', ['wt-top'], { arches: 'x86_64 i686', perm: 'admin', extra: { note: HOSTILE, nested: { a: [1, 2] } } });
    id.mid = await admin.call<number>('createTag', ['wt-mid'], { parent: 'wt-top' });
    id.other = await admin.call<number>('createTag', ['wt-other']);
    id.leaf = await admin.call<number>('createTag', ['wt-leaf'], { parent: 'wt-mid' });
    await admin.call('setInheritanceData', ['wt-leaf', [{ parent_id: id.other, priority: 10, maxdepth: 1, intransitive: true, noconfig: false, pkg_filter: '^foo' }]]);
    for (let i = 0; i < MANY; i++) await admin.call('createTag', [`wt-many-${String(i).padStart(2, '0')}`]);
    for (const p of ['foo', 'bar']) await admin.call('packageListAdd', ['wt-top', p, 'kojiadmin']);
    await admin.call('packageListBlock', ['wt-leaf', 'bar']);
    await admin.call('tagBuildBypass', ['wt-top', await addBuild(hub, 'foo-1.0-1')]);
    await admin.call('groupListAdd', ['wt-top', 'build'], { description: HOSTILE, display_name: 'Build group' });
    for (const p of ['bash', 'make']) await admin.call('groupPackageListAdd', ['wt-top', 'build', p]);
    extId = (await admin.call<XmlRpcStruct>('createExternalRepo', ['wt-ext', 'http://example.com/ext/$arch/'])).id as number;
    jsExtId = (await admin.call<XmlRpcStruct>('createExternalRepo', ['wt-js', 'javascript:alert(1)'])).id as number;
    await admin.call('addExternalRepoToTag', ['wt-top', 'wt-ext', 5]);
    await admin.call('addExternalRepoToTag', ['wt-leaf', 'wt-js', 7], { merge_mode: 'simple' });
    await admin.call('createBuildTarget', ['wt-target', 'wt-leaf', 'wt-top']);
    targetId = (await admin.call<XmlRpcStruct>('getBuildTarget', ['wt-target'])).id as number;
    // a ready repo of wt-leaf, as kojid makes one, and a buildroot that uses it
    const host = await hostSession(hub, admin, 'wt-b1');
    repoTask = await admin.call<number>('makeTask', ['newRepo', ['wt-leaf']], { assign: 'wt-b1' });
    await host.call('host.openTask', [repoTask]);
    [readyRepo] = await host.call<[number, number]>('host.repoInit', ['wt-leaf'], { task_id: repoTask });
    await host.call('host.repoDone', [readyRepo, {}]);
    const task = await admin.call<number>('makeTask', ['buildArch', ['x.src.rpm', id.leaf, 'x86_64', true, {}]], { assign: 'wt-b1' });
    await host.call('host.openTask', [task]);
    await host.call('host.newBuildRoot', [readyRepo, 'x86_64'], { task_id: task });
    // a dist repo of wt-top, made by its distRepo task
    const distTask = await admin.call<number>('distRepo', ['wt-top', ['abcd1234']], { arch: ['x86_64'] });
    distRepo = ((await admin.call<XmlRpcStruct>('getTaskInfo', [distTask], { request: true })).request as [string, number])[1];
  });
  afterAll(async () => {
    await web?.close();
    await hub?.stop();
  });

  it('lists tags 50 at a time in name order, sorted by the hub', async () => {
    const all = (await admin.call<XmlRpcStruct[]>('listTags')).map((t) => String(t.name)).sort();
    expect(all.length).toBeGreaterThan(50);
    const names = (h: string) => [...h.matchAll(/<td><a href="taginfo\?tagID=\d+">([^<]+)<\/a><\/td>/g)].map((m) => m[1]);
    const first = await web.page('/koji/tags');
    expect(first.status).toBe(200);
    expect(first.html).toContain(`Tags 1 through 50 of ${all.length}`);
    expect(names(first.html)).toEqual(all.slice(0, 50));
    expect(first.html).toContain('<a href="tags?start=50">2</a>');
    const second = await web.page('/koji/tags?start=50');
    expect(second.html).toContain(`Tags 51 through ${all.length} of ${all.length}`);
    expect(names(second.html)).toEqual(all.slice(50));
    const byId = await web.page('/koji/tags?order=-id');
    const ids = [...byId.html.matchAll(/<tr><td>(\d+)<\/td>/g)].map((m) => Number(m[1]));
    expect(ids).toHaveLength(50);
    expect(ids).toEqual([...ids].sort((a, b) => b - a));
    expect(byId.html).toContain('aria-sort="descending"');
    // the arches and permission of each tag
    expect((await web.page('/koji/tags?order=id')).html).toMatch(new RegExp(`<td>${id.top}</td><td><a href="taginfo\\?tagID=${id.top}">wt-top</a></td><td>x86_64 i686</td><td>no</td><td>admin</td>`));
  });

  it('passes childID along to taginfo, which names the child', async () => {
    const r = await web.page(`/koji/tags?childID=${id.leaf}&order=id`);
    expect(r.html).toContain(`Choosing a parent for <a href="taginfo?tagID=${id.leaf}">wt-leaf</a>`);
    expect(r.html).toContain(`href="taginfo?tagID=${id.other}&amp;childID=${id.leaf}"`);
    expect(r.html).toContain(`href="tags?childID=${id.leaf}&amp;order=id&amp;start=50"`);
    const info = await web.page(`/koji/taginfo?tagID=${id.other}&childID=${id.leaf}`);
    expect(info.html).toContain(`Choosing a parent for <a href="taginfo?tagID=${id.leaf}">wt-leaf</a>`);
    expect((await web.page('/koji/tags?childID=999999')).status).toBe(404);
    expect((await web.page('/koji/tags?childID=x')).status).toBe(400);
  });

  it('shows a tag by id or name: its parents with their inheritance data, counts, targets, repo and external repos', async () => {
    const r = await web.page(`/koji/taginfo?tagID=${id.leaf}`);
    expect(r.status).toBe(200);
    expect(r.html).toContain(`Information for tag <a href="taginfo?tagID=${id.leaf}">wt-leaf</a>`);
    expect((await web.page('/koji/taginfo?tagID=wt-leaf')).html).toContain(`Information for tag <a href="taginfo?tagID=${id.leaf}">wt-leaf</a>`);
    // the tree: mid then top below it; other beside mid with its link's data
    expect(treeNode(r.html, 'Inheritance', id.mid)).toContain('priority 0');
    expect(treeNode(r.html, 'Inheritance', id.other)).toContain('priority 10, maxdepth 1, intransitive, package filter <code>^foo</code>');
    const inh = r.html.slice(r.html.indexOf('<h2>Inheritance</h2>'), r.html.indexOf('<h2>Inherited by</h2>'));
    expect(inh).toMatch(new RegExp(`tagID=${id.mid}">wt-mid</a>[^]*?<ul class="tree">\\s*<li><a href="taginfo\\?tagID=${id.top}">wt-top</a>`));
    expect(inh.indexOf(`tagID=${id.top}"`)).toBeLessThan(inh.indexOf(`tagID=${id.other}"`));
    expect(r.html).toContain('No tags inherit from wt-leaf');
    // counts, from the hub, with links to the lists
    const count = async (kw: XmlRpcStruct) => admin.call<number>('listPackages', [], { tagID: id.leaf, inherited: true, with_owners: false, ...kw, queryOpts: { countOnly: true } });
    const tagged = (await admin.call<unknown[]>('listTagged', [id.leaf], { inherit: true })).length;
    expect(tagged).toBe(1);
    expect(r.html).toContain(`<a href="packages?blocked=0&amp;tagID=${id.leaf}">${await count({ with_blocked: false })}</a>`);
    expect(r.html).toContain(`<a href="packages?tagID=${id.leaf}">${await count({})}</a>`);
    expect(r.html).toContain(`<a href="builds?tagID=${id.leaf}">${tagged}</a>`);
    expect(r.html).toMatch(/Targets building from this tag<\/th><td><a href="buildtargetinfo\?name=wt-target">wt-target<\/a><\/td>/);
    expect(r.html).toMatch(/Targets building to this tag<\/th><td><span class="muted">No build targets/);
    expect(r.html).toContain(`<a href="repoinfo?repoID=${readyRepo}">${readyRepo}</a> <span class="state state-ready">ready</span>`);
    // external repos: its own and the one inherited from wt-top
    expect(r.html).toContain(`<tr><td><a href="externalrepoinfo?extrepoID=${jsExtId}">wt-js</a></td><td>7</td><td>simple</td><td>all</td><td><span class="muted">this tag</span></td></tr>`);
    expect(r.html).toContain(`<tr><td><a href="externalrepoinfo?extrepoID=${extId}">wt-ext</a></td><td>5</td><td>koji</td><td>all</td><td><a href="taginfo?tagID=${id.top}">wt-top</a></td></tr>`);
    // inherited groups name the tag they come from
    expect(r.html).toContain(`build <span class="muted">(from <a href="taginfo?tagID=${id.top}">wt-top</a>)</span>`);
  });

  it('shows the tags that inherit from a tag, its settings, groups and extra, escaping free text', async () => {
    const r = await web.page(`/koji/taginfo?tagID=${id.top}`);
    expect(r.status).toBe(200);
    expect(r.html).toContain('No parents');
    const down = r.html.slice(r.html.indexOf('<h2>Inherited by</h2>'));
    expect(down).toMatch(new RegExp(`tagID=${id.mid}">wt-mid</a>[^]*?<ul class="tree">\\s*<li><a href="taginfo\\?tagID=${id.leaf}">wt-leaf</a>`));
    expect(r.html).toMatch(/<th scope="row">Arches<\/th><td>x86_64 i686<\/td>/);
    expect(r.html).toMatch(/<th scope="row">Permission<\/th><td>admin<\/td>/);
    expect(r.html).toMatch(/<th scope="row">Locked<\/th><td>no<\/td>/);
    expect(r.html).toMatch(/Targets building to this tag<\/th><td><a href="buildtargetinfo\?name=wt-target">wt-target<\/a>/);
    expect(r.html).toContain('<td>bash, make</td>');
    expect(r.html).toContain(`<span class="muted">${ESCAPED}</span>`);
    expect(r.html).toContain(`<tr><th scope="row">note</th><td><code>${ESCAPED}</code></td></tr>`);
    expect(r.html).toContain('<tr><th scope="row">nested</th><td><code>{&quot;a&quot;:[1,2]}</code></td></tr>');
    expect(r.html).not.toContain('<script>');
    // wt-top has only a dist repo, never a ready default one
    expect(r.html).toContain('No ready repo');
    // locking shows
    await admin.call('editTag2', ['wt-other'], { locked: true });
    expect((await web.page(`/koji/taginfo?tagID=${id.other}`)).html).toMatch(/<th scope="row">Locked<\/th><td>yes<\/td>/);
  });

  it('abbreviates inheritance deeper than seven levels unless all=1', async () => {
    let parent = 'wt-other';
    for (let i = 1; i <= 9; i++) {
      await admin.call('createTag', [`wt-deep-${i}`], { parent });
      parent = `wt-deep-${i}`;
    }
    const short = await web.page('/koji/taginfo?tagID=wt-deep-9');
    expect(short.html).toContain('… 2 more');
    expect(short.html).not.toContain(`>wt-other</a>`);
    expect(short.html).toContain('<a href="taginfo?tagID=wt-deep-9&amp;all=1">Show full trees</a>');
    const full = await web.page('/koji/taginfo?tagID=wt-deep-9&all=1');
    expect(full.html).toContain('>wt-other</a>');
    expect(full.html).not.toContain('more</li>');
    expect((await web.page(`/koji/taginfo?tagID=${id.other}`)).html).toContain('… 2 more');
    expect((await web.page('/koji/taginfo?tagID=wt-deep-9&all=yes')).status).toBe(400);
  });

  it('shows a deleted tag as deleted', async () => {
    const gone = await admin.call<number>('createTag', ['wt-gone']);
    await admin.call('deleteTag', ['wt-gone']);
    const r = await web.page(`/koji/taginfo?tagID=${gone}`);
    expect(r.status).toBe(200);
    expect(r.html).toContain(`Information for deleted tag <a href="taginfo?tagID=${gone}">wt-gone</a>`);
    expect(r.html).toMatch(/<th scope="row">Deleted<\/th><td>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d<\/td>/);
  });

  it('lists build targets and shows one by id or name', async () => {
    for (let i = 0; i < 3; i++) await admin.call('createBuildTarget', [`wt-t${i}`, 'wt-mid', 'wt-other']);
    const list = await web.page('/koji/buildtargets');
    expect(list.status).toBe(200);
    const total = await admin.call<number>('getBuildTargets', [], { queryOpts: { countOnly: true } });
    expect(list.html).toContain(`Targets 1 through ${total} of ${total}`);
    const names = [...list.html.matchAll(/buildtargetinfo\?targetID=\d+">([^<]+)</g)].map((m) => m[1]);
    expect(names).toEqual(['wt-t0', 'wt-t1', 'wt-t2', 'wt-target']);
    expect(list.html).toContain(`<a href="taginfo?tagID=${id.leaf}">wt-leaf</a></td><td><a href="taginfo?tagID=${id.top}">wt-top</a>`);
    const desc = await web.page('/koji/buildtargets?order=-name');
    expect([...desc.html.matchAll(/buildtargetinfo\?targetID=\d+">([^<]+)</g)].map((m) => m[1])).toEqual([...names].reverse());
    for (const q of [`targetID=${targetId}`, 'name=wt-target']) {
      const r = await web.page(`/koji/buildtargetinfo?${q}`);
      expect(r.status).toBe(200);
      expect(r.html).toContain(`Information for target <a href="buildtargetinfo?targetID=${targetId}">wt-target</a>`);
      expect(r.html).toContain(`<th scope="row">Build tag</th><td><a href="taginfo?tagID=${id.leaf}">wt-leaf</a>`);
      expect(r.html).toContain(`<th scope="row">Destination tag</th><td><a href="taginfo?tagID=${id.top}">wt-top</a>`);
    }
  });

  it('shows an external repo and the tags using it; a URL that is not http is not a link', async () => {
    await admin.call('addExternalRepoToTag', ['wt-mid', 'wt-ext', 3], { arches: 'x86_64' });
    const r = await web.page(`/koji/externalrepoinfo?extrepoID=${extId}`);
    expect(r.status).toBe(200);
    expect(r.html).toContain('<a href="http://example.com/ext/$arch/">http://example.com/ext/$arch/</a>');
    expect(r.html).toContain('Tags 1 through 2 of 2');
    expect(r.html).toContain(`<tr><td><a href="taginfo?tagID=${id.mid}">wt-mid</a></td><td>3</td><td>koji</td><td>x86_64</td></tr>`);
    expect(r.html.indexOf('>wt-mid<')).toBeLessThan(r.html.indexOf('>wt-top<'));
    const byPrio = await web.page(`/koji/externalrepoinfo?extrepoID=wt-ext&order=-priority`);
    expect(byPrio.html.indexOf('>wt-top<')).toBeLessThan(byPrio.html.indexOf('>wt-mid<'));
    const js = await web.page(`/koji/externalrepoinfo?extrepoID=${jsExtId}`);
    expect(js.html).toContain('<th scope="row">URL</th><td>javascript:alert(1)/</td>');
    expect(js.html).not.toContain('href="javascript:');
    // quotes and markup in a URL stay inside the attribute, escaped
    const q = (await admin.call<XmlRpcStruct>('createExternalRepo', ['wt-quote', `http://example.com/"onmouseover="x"/${HOSTILE}/`])).id as number;
    const quoted = await web.page(`/koji/externalrepoinfo?extrepoID=${q}`);
    expect(quoted.html).toContain(`<a href="http://example.com/&quot;onmouseover=&quot;x&quot;/${ESCAPED}/">`);
    expect(quoted.html).not.toContain('<script>');
  });

  it('shows a repo: tag, task, state, event, its URL under the files, its buildroots; a dist repo under repos-dist', async () => {
    const r = await web.page(`/koji/repoinfo?repoID=${readyRepo}`);
    expect(r.status).toBe(200);
    const info = await admin.call<XmlRpcStruct>('repoInfo', [readyRepo]);
    expect(r.html).toContain(`<h1>Information for repo ${readyRepo}</h1>`);
    expect(r.html).toContain(`<a href="taginfo?tagID=${id.leaf}">wt-leaf</a>`);
    expect(r.html).toContain('<span class="state state-ready">ready</span>');
    expect(r.html).toContain(`<td>${String(info.create_event)} (`);
    expect(r.html).toContain(`<a href="http://files.invalid/kojifiles/repos/wt-leaf/${readyRepo}/">`);
    expect(r.html).toContain(`<a href="http://files.invalid/kojifiles/repos/wt-leaf/${readyRepo}/repo.json">`);
    expect(r.html).toContain(`<a href="buildroots?repoID=${readyRepo}">1</a>`);
    expect(r.html).toMatch(/Dist repo<\/th><td>no</);
    expect(r.html).toContain(`<a href="taskinfo?taskID=${repoTask}">${repoTask}</a> <span class="state state-open">open</span>`);
    expect(r.html).toMatch(/<th scope="row">Event<\/th><td>\d+ \(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\)<\/td>/);
    const d = await web.page(`/koji/repoinfo?repoID=${distRepo}`);
    expect(d.html).toContain(`<a href="http://files.invalid/kojifiles/repos-dist/wt-top/${distRepo}/">`);
    expect(d.html).toContain('<span class="state state-init">init</span>');
    expect(d.html).toContain(`<a href="buildroots?repoID=${distRepo}">0</a>`);
    expect(d.html).toMatch(/Dist repo<\/th><td>yes</);
    // a deleted repo has no files to link
    await admin.call('repo.setState', [distRepo, 3]);
    const del = await web.page(`/koji/repoinfo?repoID=${distRepo}`);
    expect(del.html).toContain('<span class="state state-deleted">deleted</span>');
    expect(del.html).not.toContain('repos-dist/');
  });

  it('answers unknown ids with 404 and malformed ones with 400', async () => {
    const cases: Array<[string, number, string]> = [
      ['taginfo?tagID=999999', 404, 'No such tag: 999999'],
      ['taginfo?tagID=no-such-tag', 404, 'No such tag: no-such-tag'],
      ['taginfo', 400, 'tagID is required'],
      ['taginfo?tagID=99999999999', 400, 'tagID must be a whole number'],
      ['buildtargetinfo?targetID=999999', 404, 'No such build target: 999999'],
      ['buildtargetinfo?name=nope', 404, 'No such build target: nope'],
      ['buildtargetinfo?targetID=x1', 400, 'targetID must be a whole number'],
      ['buildtargetinfo', 400, 'targetID or name is required'],
      ['externalrepoinfo?extrepoID=999999', 404, 'No such external repo: 999999'],
      ['externalrepoinfo?extrepoID=nope', 404, 'No such external repo: nope'],
      ['externalrepoinfo', 400, 'extrepoID is required'],
      ['repoinfo?repoID=999999', 404, 'No such repo: 999999'],
      ['repoinfo?repoID=abc', 400, 'repoID must be a whole number'],
      ['tags?order=password', 400, 'order must be one of id, name'],
      ['buildtargets?start=-1', 400, 'start must be a whole number'],
      [`externalrepoinfo?extrepoID=${extId}&order=url`, 400, 'order must be one of'],
    ];
    for (const [path, status, text] of cases) {
      const r = await web.page(`/koji/${path}`);
      expect([path, r.status, r.html]).toEqual([path, status, expect.stringContaining(text)]);
      expect(r.html).not.toMatch(/at \w+ \(|node_modules|\.ts:\d+/);
    }
    const hostile = await web.page(`/koji/taginfo?tagID=${encodeURIComponent(HOSTILE)}`);
    expect(hostile.status).toBe(404);
    expect(hostile.html).toContain(ESCAPED);
    expect(hostile.html).not.toContain('<script>');
  });
});
