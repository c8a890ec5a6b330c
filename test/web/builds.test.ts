/**
 * The web's build, package, rpm and buildroot pages against a real hub (both engines): builds
 * imported from the fixture RPMs and tagged, 55 builds of one package in a tag (server-side
 * paging and sorting), a BUILDING build of a host's task with a buildroot that installed an
 * imported rpm, a package and a build extra full of HTML; unknown ids answer 404, malformed
 * parameters 400.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClientSession } from '../../src/protocol/client.ts';
import type { XmlRpcStruct } from '../../src/protocol/values.ts';
import { addArchive, sqlOne } from '../helpers/build-content.ts';
import { engines } from '../helpers/db.ts';
import { startTestHub, type TestHub } from '../helpers/hub.ts';
import { hostSession } from '../helpers/repos.ts';
import { buildFixture, SKIP_RPMBUILD_TESTS } from '../rpm/build-fixtures.ts';
import { startTestWeb, type TestWeb } from './web-helper.ts';

const EVIL = '<script>alert(1)</script>';
/** names may not hold '/' (they become directory names) */
const EVIL_NAME = '<img src=x onerror=alert(1)>';
const EVIL_NAME_ESC = '&lt;img src=x onerror=alert(1)&gt;';
const BULK = 55;

/** the numbers in the first cell of each body row */
const firstCells = (html: string) => [...html.matchAll(/<tr><td>(\d+)<\/td>/g)].map((m) => Number(m[1]));
/** the texts of the links to a page, in order */
const linkTexts = (html: string, page: string) => [...html.matchAll(new RegExp(`<a href="${page}\\?[^"]*">([^<]*)</a>`, 'g'))].map((m) => m[1]);

/** Each path answers with its status and an error page naming the problem, without a stack trace. */
async function expectErrors(web: TestWeb, cases: Array<[string, number, string]>): Promise<void> {
  for (const [path, status, text] of cases) {
    const r = await web.page(path);
    expect([path, r.status]).toEqual([path, status]);
    expect(r.html).toContain(text);
    expect(r.html).not.toMatch(/at \w+ \(|node_modules|\.ts:\d+/);
  }
}

describe.skipIf(SKIP_RPMBUILD_TESTS).each(engines())('web build pages on %s', (engine) => {
  let hub: TestHub;
  let admin: ClientSession;
  let web: TestWeb;
  let hello: XmlRpcStruct; // the build
  let helloNoarch: number;
  let arched: XmlRpcStruct;
  let archedRpm: number;
  let building: number;
  let task: number;
  let br: number;
  let repoId: number;
  let evilBuild: number;
  let archive: number;

  beforeAll(async () => {
    // no RegexNameInternal (as a site that clears it): names may hold HTML
    hub = await startTestHub(engine, { conf: '[hub]\nRegexNameInternal =\n' });
    admin = await hub.login();
    web = await startTestWeb(hub.httpUrl as string);
    const imp = async (file: string) => {
      const dir = `web-import/${Math.random().toString(36).slice(2)}`;
      await admin.uploadWrapper(file, dir);
      return admin.call<XmlRpcStruct>('importRPM', [dir, basename(file)]);
    };
    const helloFx = buildFixture('hello');
    const archedFx = buildFixture('arched');
    const hs = await imp(helloFx.srpm);
    helloNoarch = (await imp(helloFx.rpms[0])).id as number;
    const as = await imp(archedFx.srpm);
    archedRpm = (await imp(archedFx.rpms[0])).id as number;
    hello = await admin.call<XmlRpcStruct>('getBuild', [hs.build_id as number]);
    arched = await admin.call<XmlRpcStruct>('getBuild', [as.build_id as number]);

    await admin.call('createUser', ['alice']);
    await admin.call('createTag', ['web-f40']);
    await admin.call('createTag', ['web-bulk']);
    await admin.call('packageListAdd', ['web-f40', 'hello', 'kojiadmin'], { extra_arches: 'ppc64le' });
    await admin.call('packageListAdd', ['web-f40', 'arched', 'alice']);
    await admin.call('packageListAdd', ['web-f40', 'gone', 'kojiadmin']);
    await admin.call('packageListBlock', ['web-f40', 'gone']);
    await admin.call('packageListAdd', ['web-bulk', 'bulk', 'kojiadmin']);
    await admin.call('tagBuildBypass', ['web-f40', hello.id as number]);
    await admin.call('tagBuildBypass', ['web-f40', arched.id as number]);
    // 55 builds of one package (versions 1.00 to 1.54: the same order in any collation), every third one alice's
    const made = await admin.multiCall(
      Array.from({ length: BULK }, (_, i) => ({ method: 'createEmptyBuild', args: ['bulk', `1.${String(i).padStart(2, '0')}`, '1', null], kwargs: i % 3 === 0 ? { owner: 'alice' } : {} })),
      { strict: true },
    );
    await admin.multiCall(made.map((r) => ({ method: 'tagBuildBypass', args: ['web-bulk', (r as [number])[0]] })), { strict: true });

    // hostile text: a package name and a build's extra data
    await admin.call('packageListAdd', ['web-f40', `evil${EVIL_NAME}`, 'kojiadmin']);
    evilBuild = await admin.call<number>('createEmptyBuild', [`evil${EVIL_NAME}`, '1', '1', null]);
    await hub.db.rawQuery('UPDATE build SET extra = $1 WHERE id = $2', [JSON.stringify({ note: EVIL }), evilBuild]);
    archive = await addArchive(hub, evilBuild, `x${EVIL_NAME}.jar`, { type: 'jar', btype: 'maven', maven: { group_id: 'org.evil', artifact_id: 'x', version: '1' } });

    // a build log with a name that needs escaping and percent-encoding
    const logs = join(hub.kojiDir, 'packages/hello/1.2/3/data/logs/noarch');
    mkdirSync(logs, { recursive: true });
    writeFileSync(join(logs, 'build.log'), 'ok\n');
    writeFileSync(join(logs, 'odd <b>#.log'), 'odd\n');

    // a host's build task: a BUILDING build and a buildroot that installed hello's noarch rpm
    const host = await hostSession(hub, admin, 'web-b1');
    const tag = await admin.call<XmlRpcStruct>('getTag', ['web-f40']);
    const ev = (await sqlOne<{ e: number }>(hub, 'SELECT get_event() AS e')).e;
    repoId = (await sqlOne<{ id: number }>(hub, 'INSERT INTO repo (create_event, tag_id, state) VALUES ($1, $2, 1) RETURNING id', [ev, tag.id])).id;
    task = await admin.call<number>('makeTask', ['build', ['hello-9-1.src.rpm', 'web-f40', {}]]);
    await admin.call('assignTask', [task, 'web-b1'], { force: true });
    await host.call('host.openTask', [task]);
    building = await host.call<number>('host.initBuild', [{ name: 'hello', version: '9', release: '1', epoch: null, task_id: task }]);
    br = await host.call<number>('host.newBuildRoot', [repoId, 'x86_64'], { task_id: task });
    await host.call('host.setBuildRootList', [br, [helloNoarch]], { task_id: task });
    await host.call('host.setBuildRootState', [br, 'BUILDING'], { task_id: task });
  });
  afterAll(async () => {
    await web?.close();
    await hub?.stop();
  });

  it('lists all builds 50 at a time, newest first, with links to the build, package and owner', async () => {
    const total = await admin.call<number>('listBuilds', [], { queryOpts: { countOnly: true } });
    expect(total).toBeGreaterThan(50);
    const r = await web.page('/koji/builds');
    expect(r.status).toBe(200);
    expect(r.html).toContain(`Builds 1 through 50 of ${total}`);
    const ids = firstCells(r.html);
    expect(ids).toHaveLength(50);
    expect(ids).toEqual([...ids].sort((a, b) => b - a));
    expect(ids[0]).toBe(Math.max(building, evilBuild));
    const second = await web.page('/koji/builds?start=50');
    expect(second.html).toContain(`Builds 51 through ${total} of ${total}`);
    expect(firstCells(second.html)).toHaveLength(total - 50);
    expect(second.html).toContain(`<a href="buildinfo?buildID=${hello.id}">hello-1.2-3</a>`);
    expect(second.html).toContain(`<a href="userinfo?userID=${hello.owner_id}">kojiadmin</a>`);
  });

  it('filters builds by state, owner, package, first letter and type', async () => {
    expect(firstCells((await web.page('/koji/builds?state=0')).html)).toEqual([building]);
    const alice = await web.page('/koji/builds?userID=alice');
    expect(alice.html).toContain('Builds by alice');
    expect(firstCells(alice.html)).toHaveLength(Math.ceil(BULK / 3));
    const byId = await web.page(`/koji/builds?userID=${(await admin.call<XmlRpcStruct>('getUser', ['alice'])).id}`);
    expect(firstCells(byId.html)).toEqual(firstCells(alice.html));
    expect(firstCells((await web.page('/koji/builds?packageID=hello')).html)).toEqual([building, hello.id]);
    const a = await web.page('/koji/builds?prefix=A');
    expect(linkTexts(a.html, 'buildinfo')).toEqual(['arched-0.9.1-1.fc99']);
    expect(a.html).toContain('<span class="current" aria-current="page">a</span>');
    // type rpm: the imported builds and the host's (initBuild makes it one); not the empty builds
    expect(firstCells((await web.page('/koji/builds?type=rpm')).html)).toEqual([building, arched.id, hello.id]);
  });

  it('lists a tag\'s builds with listTagged: latest only by default, 55 on two pages without', async () => {
    const latest = await web.page('/koji/builds?tagID=web-bulk');
    expect(latest.status).toBe(200);
    expect(latest.html).toContain('Builds in tag web-bulk');
    expect(linkTexts(latest.html, 'buildinfo')).toEqual([`bulk-1.${BULK - 1}-1`]);
    const all = await web.page('/koji/builds?tagID=web-bulk&latest=0');
    expect(all.html).toContain(`Builds 1 through 50 of ${BULK}`);
    expect(all.html).toContain('<a href="builds?tagID=web-bulk&amp;latest=0&amp;start=50">2</a>');
    const p2 = await web.page('/koji/builds?tagID=web-bulk&latest=0&start=50');
    expect(p2.html).toContain(`Builds 51 through ${BULK} of ${BULK}`);
    expect(firstCells(p2.html)).toHaveLength(BULK - 50);
    // both pages together: every build once
    expect(new Set([...firstCells(all.html), ...firstCells(p2.html)]).size).toBe(BULK);
    // sorted by the hub: NVR ascending, then descending
    const asc = linkTexts((await web.page('/koji/builds?tagID=web-bulk&latest=0&order=nvr')).html, 'buildinfo');
    expect(asc).toHaveLength(50);
    expect(asc).toEqual([...asc].sort());
    expect(asc[0]).toBe('bulk-1.00-1');
    const desc = await web.page('/koji/builds?tagID=web-bulk&latest=0&order=-nvr');
    expect(linkTexts(desc.html, 'buildinfo')[0]).toBe(`bulk-1.${BULK - 1}-1`);
    expect(desc.html).toContain('aria-sort="descending"><a href="builds?tagID=web-bulk&amp;latest=0&amp;order=nvr">NVR</a>');
    const owners = linkTexts((await web.page('/koji/builds?tagID=web-bulk&latest=0&order=owner_name')).html, 'userinfo');
    expect(owners.slice(0, Math.ceil(BULK / 3))).toEqual(Array(Math.ceil(BULK / 3)).fill('alice'));
    // the tag column, the package filter inside a tag
    const f40 = await web.page('/koji/builds?tagID=web-f40&packageID=arched');
    expect(linkTexts(f40.html, 'buildinfo')).toEqual(['arched-0.9.1-1.fc99']);
    expect(f40.html).toContain(`<a href="taginfo?tagID=${(await admin.call<XmlRpcStruct>('getTag', ['web-f40'])).id}">web-f40</a>`);
  });

  it('refuses unknown filters with 404 and malformed ones with 400', async () => {
    await expectErrors(web, [
      ['/koji/builds?tagID=nosuch', 404, 'No such tag: nosuch'],
      ['/koji/builds?userID=999999', 404, 'No such user: 999999'],
      ['/koji/builds?packageID=nosuch', 404, 'No such package: nosuch'],
      ['/koji/builds?order=password', 400, 'order must be one of'],
      ['/koji/builds?order=tag_name', 400, 'order must be one of'],
      ['/koji/builds?state=9', 400, 'state must be one of'],
      ['/koji/builds?type=nosuch', 400, 'type must be one of'],
      ['/koji/builds?prefix=%3C', 400, 'prefix must start with a letter or a digit'],
      ['/koji/builds?tagID=web-f40&latest=2', 400, 'latest must be one of 0, 1'],
      ['/koji/builds?start=-1', 400, 'start must be a whole number'],
    ]);
  });

  it('shows a build by id or NVR: fields, RPMs by arch, tags, signatures, logs, changelog', async () => {
    const r = await web.page(`/koji/buildinfo?buildID=${hello.id}`);
    expect(r.status).toBe(200);
    expect(r.html).toContain('<title>hello-1.2-3 | Build Info | test-koji</title>');
    expect(r.html).toContain(`Information for build <a href="buildinfo?buildID=${hello.id}">hello-1.2-3</a>`);
    expect((await web.page('/koji/buildinfo?buildID=hello-1.2-3')).html).toBe(r.html);
    expect(r.html).toContain(`<a href="packageinfo?packageID=${hello.package_id}">hello</a>`);
    expect(r.html).toContain('<th scope="row">Epoch</th><td>2</td>');
    expect(r.html).toContain('A tiny test package');
    expect(r.html).toContain('Hello world test package.\nIt has two lines of description.');
    expect(r.html).toContain('<span class="state state-complete">complete</span>');
    // the src group first, then noarch; each with its info and download links
    expect(r.html.match(/<th scope="row" rowspan="1">(\w+)<\/th>/g)).toEqual(['<th scope="row" rowspan="1">src</th>', '<th scope="row" rowspan="1">noarch</th>']);
    expect(r.html).toContain(`<a href="rpminfo?rpmID=${helloNoarch}">hello-1.2-3.noarch.rpm</a>`);
    expect(r.html).toContain('<a href="http://files.invalid/kojifiles/packages/hello/1.2/3/noarch/hello-1.2-3.noarch.rpm">download</a>');
    expect(r.html).toContain('<td>unsigned</td>');
    expect(r.html).toContain(`<a href="taginfo?tagID=${(await admin.call<XmlRpcStruct>('getTag', ['web-f40'])).id}">web-f40</a>`);
    expect(r.html).toContain('<h3>noarch</h3>');
    expect(r.html).toContain('<a href="http://files.invalid/kojifiles/packages/hello/1.2/3/data/logs/noarch/build.log">build.log</a>');
    expect(r.html).toContain('<a href="http://files.invalid/kojifiles/packages/hello/1.2/3/data/logs/noarch/odd%20%3Cb%3E%23.log">odd &lt;b&gt;#.log</a>');
    expect(r.html).toContain('* 2024-01-02 Alice Example &lt;alice@example.com&gt; - 2:1.2-3\n- second entry\n- with two lines');
    expect(r.html).toContain('- first entry');
    // an arch-specific build; the BUILDING build of a task
    const a = await web.page(`/koji/buildinfo?buildID=${arched.id}`);
    expect(a.html).toContain(`<a href="http://files.invalid/kojifiles/packages/arched/0.9.1/1.fc99/${process.arch === 'arm64' ? 'aarch64' : 'x86_64'}/`);
    const b = await web.page(`/koji/buildinfo?buildID=${building}`);
    expect(b.html).toContain(`<a href="taskinfo?taskID=${task}">build (${task})</a>`);
    expect(b.html).toContain('<span class="state state-building">building</span>');
    expect(b.html).toContain('No RPMs');
  });

  it('escapes hostile names and extra data, and shows a build\'s archives', async () => {
    const r = await web.page(`/koji/buildinfo?buildID=${evilBuild}`);
    expect(r.status).toBe(200);
    expect(r.html).not.toContain(EVIL);
    expect(r.html).not.toContain(EVIL_NAME);
    expect(r.html).toContain(`evil${EVIL_NAME_ESC}-1-1`);
    expect(r.html).toContain('&quot;note&quot;: &quot;&lt;script&gt;alert(1)&lt;/script&gt;&quot;');
    expect(r.html).toContain(`<a href="archiveinfo?archiveID=${archive}">x${EVIL_NAME_ESC}.jar</a>`);
    expect(r.html).toContain('/maven/org/evil/x/1/x%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E.jar">download</a>');
    for (const path of ['/koji/builds', '/koji/packages', '/koji/packages?tagID=web-f40', `/koji/packageinfo?packageID=${encodeURIComponent(`evil${EVIL_NAME}`)}`, `/koji/archiveinfo?archiveID=${archive}`, '/koji/builds?prefix=e']) {
      const p = await web.page(path);
      expect([path, p.status]).toEqual([path, 200]);
      expect(p.html).not.toContain(EVIL_NAME);
      expect(p.html).toContain(`evil${EVIL_NAME_ESC}`);
    }
    const ar = await web.page(`/koji/archiveinfo?archiveID=${archive}`);
    expect(ar.html).toContain('<th scope="row">Maven groupId</th><td>org.evil</td>');
    expect(ar.html).toContain(`<a href="buildinfo?buildID=${evilBuild}">`);
  });

  it('answers unknown builds with 404 and malformed ids with 400', async () => {
    await expectErrors(web, [
      ['/koji/buildinfo?buildID=999999', 404, 'No such build: 999999'],
      ['/koji/buildinfo?buildID=nosuch-1-1', 404, 'No such build: nosuch-1-1'],
      ['/koji/buildinfo', 400, 'buildID is required'],
      ['/koji/buildinfo?buildID=99999999999', 400, 'buildID must be a whole number'],
      ['/koji/packageinfo?packageID=nosuch', 404, 'No such package: nosuch'],
      ['/koji/rpminfo?rpmID=999999', 404, 'No such RPM: 999999'],
      ['/koji/rpminfo?rpmID=hello', 400, 'rpmID must be a whole number'],
      ['/koji/fileinfo?rpmID=999999&filename=/x', 404, 'No such RPM: 999999'],
      ['/koji/buildrootinfo?buildrootID=999999', 404, 'No such buildroot: 999999'],
      ['/koji/buildrootinfo?buildrootID=x', 400, 'buildrootID must be a whole number'],
      ['/koji/archiveinfo?archiveID=999999', 404, 'No such archive: 999999'],
      ['/koji/rpmlist?buildrootID=999999&type=built', 404, 'No such buildroot: 999999'],
      ['/koji/buildroots?repoID=999999', 404, 'No such repo: 999999'],
    ]);
  });

  it('lists packages, in a tag with owner, blocked and extra arches', async () => {
    const all = await web.page('/koji/packages');
    expect(all.status).toBe(200);
    const names = linkTexts(all.html, 'packageinfo');
    expect(names).toEqual(expect.arrayContaining(['arched', 'bulk', 'gone', 'hello']));
    expect(names).toEqual([...names].sort());
    expect(all.html).not.toContain('Included?');
    const tagged = await web.page('/koji/packages?tagID=web-f40');
    expect(tagged.html).toContain('Packages in tag web-f40');
    expect(linkTexts(tagged.html, 'packageinfo')).toEqual(['arched', `evil${EVIL_NAME_ESC}`, 'gone', 'hello']);
    expect(tagged.html).toMatch(/>gone<\/a><\/td><td><a href="taginfo\?tagID=\d+">web-f40<\/a><\/td><td><a href="userinfo\?userID=\d+">kojiadmin<\/a><\/td><td>no \(blocked\)<\/td>/);
    expect(tagged.html).toMatch(/>hello<\/a><\/td>.*<td>yes<\/td><td>ppc64le<\/td>/);
    expect(linkTexts((await web.page('/koji/packages?tagID=web-f40&blocked=0')).html, 'packageinfo')).not.toContain('gone');
    expect(linkTexts((await web.page('/koji/packages?tagID=web-f40&order=-owner_name')).html, 'userinfo')[0]).toBe('kojiadmin');
    expect(linkTexts((await web.page('/koji/packages?userID=alice')).html, 'packageinfo')).toEqual(['arched']);
    expect(linkTexts((await web.page('/koji/packages?prefix=h')).html, 'packageinfo')).toEqual(['hello']);
    expect((await web.page('/koji/packages?order=owner_name')).status).toBe(400);
  });

  it('shows a package: its tags and its builds, each list paged on its own', async () => {
    const r = await web.page('/koji/packageinfo?packageID=hello');
    expect(r.status).toBe(200);
    expect(r.html).toContain('<title>hello | Package Info | test-koji</title>');
    expect(r.html).toMatch(/<a href="taginfo\?tagID=\d+">web-f40<\/a><\/td><td><a href="userinfo\?userID=\d+">kojiadmin<\/a><\/td><td>yes<\/td><td>ppc64le<\/td>/);
    // newest first by completion: the BUILDING build (none yet) sorts first, as PostgreSQL sorts NULL in DESC
    expect(linkTexts(r.html, 'buildinfo')).toEqual(['hello-9-1', 'hello-1.2-3']);
    const bulk = (await admin.call<XmlRpcStruct>('getPackage', ['bulk'])).id as number;
    const p = await web.page(`/koji/packageinfo?packageID=${bulk}&buildOrder=-nvr`);
    expect(p.html).toContain(`Builds 1 through 50 of ${BULK}`);
    expect(p.html).toContain('Tags 1 through 1 of 1');
    expect(p.html).toContain(`<a href="packageinfo?packageID=${bulk}&amp;buildOrder=-nvr&amp;buildStart=50">2</a>`);
    const p2 = await web.page(`/koji/packageinfo?packageID=${bulk}&buildOrder=-nvr&buildStart=50`);
    expect(p2.html).toContain(`Builds 51 through ${BULK} of ${BULK}`);
    expect(linkTexts(p2.html, 'buildinfo')).toEqual(['bulk-1.04-1', 'bulk-1.03-1', 'bulk-1.02-1', 'bulk-1.01-1', 'bulk-1.00-1']);
    expect((await web.page(`/koji/packageinfo?packageID=${bulk}&tagOrder=nvr`)).status).toBe(400);
  });

  it('shows an rpm: headers, dependencies, files, signatures and the buildroots that installed it', async () => {
    const r = await web.page(`/koji/rpminfo?rpmID=${helloNoarch}`);
    expect(r.status).toBe(200);
    expect(r.html).toContain(`Information for RPM <a href="rpminfo?rpmID=${helloNoarch}">hello-2:1.2-3.noarch.rpm</a>`);
    expect(r.html).toContain(`<a href="buildinfo?buildID=${hello.id}">hello-1.2-3</a>`);
    expect(r.html).toContain('<th scope="row">License</th><td>MIT</td>');
    expect(r.html).toContain('<th scope="row">Packager</th><td>Test Packager &lt;packager@example.com&gt;</td>');
    for (const dep of ['bash &gt;= 4.0', 'greeting = 1.0', 'oldhello &lt; 1.0', 'badhello &lt;= 0.9', 'cowsay &gt; 2', 'fortune', 'shell = 5']) expect(r.html).toContain(`<li>${dep}</li>`);
    expect(r.html).toMatch(/<th scope="row">Obsoletes<\/th><td><ul class="plain"><li>oldhello &lt; 1.0<\/li><\/ul>/);
    expect(r.html).toContain(`<a href="fileinfo?rpmID=${helloNoarch}&amp;filename=%2Fetc%2Fhello%2Fhello.conf">/etc/hello/hello.conf</a>`);
    expect(r.html).toContain('configuration, don&#39;t replace');
    expect(r.html).toContain('Files 1 through 2 of 2');
    expect(r.html).toContain('<th scope="row">Signatures</th><td>unsigned</td>');
    expect(r.html).toContain(`<a href="buildrootinfo?buildrootID=${br}">web-f40-${br}-${repoId}</a>`);
    // files sorted by the hub, by size descending
    const a = await web.page(`/koji/rpminfo?rpmID=${archedRpm}&fileOrder=-size`);
    const files = linkTexts(a.html, 'fileinfo');
    expect(files[0]).toBe('/usr/share/arched/sub/big.txt');
    expect(files).toContain('/usr/share/arched/grüße.txt');
    expect(a.html).toContain('No buildroots');
    expect((await web.page(`/koji/rpminfo?rpmID=${archedRpm}&fileOrder=mode`)).status).toBe(400);
  });

  it('shows a file of an rpm', async () => {
    const r = await web.page(`/koji/fileinfo?rpmID=${helloNoarch}&filename=${encodeURIComponent('/etc/hello/hello.conf')}`);
    expect(r.status).toBe(200);
    expect(r.html).toContain('<th scope="row">Mode</th><td><code>-rw-r--r--</code></td>');
    expect(r.html).toContain('<th scope="row">Flags</th><td>configuration, don&#39;t replace</td>');
    expect(r.html).toMatch(/<th scope="row">Digest \(sha256\)<\/th><td>[0-9a-f]{64}<\/td>/);
    const exe = await web.page(`/koji/fileinfo?rpmID=${archedRpm}&filename=/usr/bin/arched`);
    expect(exe.html).toContain('<code>-rwxr-xr-x</code>');
    const missing = await web.page(`/koji/fileinfo?rpmID=${helloNoarch}&filename=/etc/${encodeURIComponent(EVIL)}`);
    expect(missing.status).toBe(404);
    expect(missing.html).toContain('No file /etc/&lt;script&gt;');
    expect((await web.page(`/koji/fileinfo?rpmID=${helloNoarch}`)).status).toBe(400);
  });

  it('shows a buildroot, the rpms it installed and built, and a repo\'s buildroots', async () => {
    const r = await web.page(`/koji/buildrootinfo?buildrootID=${br}`);
    expect(r.status).toBe(200);
    expect(r.html).toContain(`Information for buildroot <a href="buildrootinfo?buildrootID=${br}">web-f40-${br}-${repoId}</a>`);
    expect(r.html).toMatch(/<a href="hostinfo\?hostID=\d+">web-b1<\/a>/);
    expect(r.html).toContain(`<a href="taskinfo?taskID=${task}">build (${task})</a>`);
    expect(r.html).toContain('<span class="state state-building">building</span>');
    expect(r.html).toContain('<span class="state state-ready">ready</span>');
    const comp = await web.page(`/koji/rpmlist?buildrootID=${br}&type=component`);
    expect(comp.status).toBe(200);
    expect(comp.html).toContain('Component RPMs of buildroot');
    expect(comp.html).toContain('RPMs 1 through 1 of 1');
    expect(comp.html).toContain(`<a href="rpminfo?rpmID=${helloNoarch}">hello-2:1.2-3.noarch</a></td><td>noarch</td><td>internal</td><td>no</td>`);
    const built = await web.page(`/koji/rpmlist?buildrootID=${br}&type=built`);
    expect(built.html).toContain('No RPMs');
    expect((await web.page(`/koji/rpmlist?buildrootID=${br}&type=bogus`)).status).toBe(400);
    expect((await web.page(`/koji/rpmlist?buildrootID=${br}`)).status).toBe(400);
    expect((await web.page(`/koji/rpmlist?buildrootID=${br}&type=built&order=is_update`)).status).toBe(400);
    // an image's rpms (an archive with none)
    const image = await web.page(`/koji/rpmlist?imageID=${archive}&type=image`);
    expect([image.status, image.html]).toEqual([200, expect.stringContaining(`RPMs in image <a href="archiveinfo?archiveID=${archive}">x${EVIL_NAME_ESC}.jar</a>`)]);
    expect(image.html).toContain('No RPMs');
    await expectErrors(web, [
      ['/koji/rpmlist?imageID=999999&type=image', 404, 'No such image: 999999'],
      [`/koji/rpmlist?imageID=${archive}&type=built`, 400, 'type must be one of image'],
      ['/koji/rpmlist?type=built', 400, 'buildrootID or imageID is required'],
    ]);
    const roots = await web.page(`/koji/buildroots?repoID=${repoId}`);
    expect(roots.status).toBe(200);
    expect(roots.html).toContain(`Buildroots of repo ${repoId} (web-f40)`);
    expect(roots.html).toContain(`<a href="buildrootinfo?buildrootID=${br}">web-f40-${br}-${repoId}</a>`);
    expect((await web.page(`/koji/buildroots?repoID=${repoId}&state=3`)).html).toContain('No buildroots');
    expect((await web.page('/koji/buildroots?state=2')).html).toContain('Buildroots 1 through 1 of 1');
  });
});
