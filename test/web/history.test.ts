/**
 * The history page against a real hub (both engines): a tag's and a build's changes (package
 * list, tagging, untagging) newest first as added/removed events with who did them; paging by
 * event; unknown objects and bad parameters.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClientSession } from '../../src/protocol/client.ts';
import { engines } from '../helpers/db.ts';
import { startTestHub, type TestHub } from '../helpers/hub.ts';
import { startTestWeb, type TestWeb } from './web-helper.ts';

describe.each(engines())('web history on %s', (engine) => {
  let hub: TestHub;
  let admin: ClientSession;
  let web: TestWeb;
  let tagId: number;
  let buildId: number;

  beforeAll(async () => {
    hub = await startTestHub(engine);
    admin = await hub.login();
    web = await startTestWeb(hub.httpUrl as string);
    tagId = await admin.call<number>('createTag', ['hist-tag']);
    await admin.call('packageListAdd', ['hist-tag', 'histpkg'], { owner: 'kojiadmin' });
    buildId = await admin.call<number>('createEmptyBuild', ['histpkg', '1.0', '1', null]);
    await admin.call('tagBuildBypass', ['hist-tag', buildId]);
    await admin.call('untagBuildBypass', ['hist-tag', buildId]);
    // more than a page of changes: 120 tag/untag pairs of a second build
    const other = await admin.call<number>('createEmptyBuild', ['histpkg', '1.0', '2', null]);
    for (let i = 0; i < 60; i++) {
      await admin.call('tagBuildBypass', ['hist-tag', other]);
      await admin.call('untagBuildBypass', ['hist-tag', other]);
    }
  });
  afterAll(async () => {
    await web?.close();
    await hub?.stop();
  });

  it("shows a build's history newest first: tagged, then untagged, by whom", async () => {
    const r = await web.page(`/koji/history?buildID=${buildId}`);
    expect(r.status).toBe(200);
    expect(r.html).toContain(`History of build <a href="buildinfo?buildID=${buildId}">histpkg-1.0-1</a>`);
    const rows = [...r.html.matchAll(/<tr><td>(\d+)<\/td><td>[^<]*<\/td><td>(\w*)<\/td><td class="[^"]*">(\w+)<\/td><td>(\w+)<\/td>/g)].map((m) => [Number(m[1]), m[2], m[3], m[4]]);
    const listing = rows.filter((x) => x[3] === 'tag_listing');
    expect(listing.map((x) => x[2])).toEqual(['removed', 'added']);
    expect(listing.every((x) => x[1] === 'kojiadmin')).toBe(true);
    expect(listing[0][0]).toBeGreaterThan(listing[1][0] as number);
  });

  it("pages a tag's history by event, a page never splitting an event", async () => {
    const first = await web.page(`/koji/history?tagID=hist-tag`);
    expect(first.status).toBe(200);
    const events = (h: string) => [...h.matchAll(/<tr><td>(\d+)<\/td>/g)].map((m) => Number(m[1]));
    const a = events(first.html);
    expect(a.length).toBeGreaterThan(0);
    expect(a.length).toBeLessThanOrEqual(100);
    expect(a).toEqual([...a].sort((x, y) => y - x));
    const next = /beforeEvent=(\d+)">Older events/.exec(first.html);
    expect(next).not.toBeNull();
    const second = await web.page(`/koji/history?tagID=${tagId}&beforeEvent=${next![1]}`);
    const b = events(second.html);
    expect(b.length).toBeGreaterThan(0);
    expect(Math.max(...b)).toBeLessThan(Math.min(...a));
    // the oldest events of the tag: it was made, then the package added
    let html = second.html;
    for (let m = /beforeEvent=(\d+)">Older events/.exec(html); m; m = /beforeEvent=(\d+)">Older events/.exec(html)) html = (await web.page(`/koji/history?tagID=${tagId}&beforeEvent=${m[1]}`)).html;
    expect(html).toContain('<td>tag_packages</td>');
    expect(html).toContain('<td>tag_config</td>');
  });

  it('lists repo requests, active or done, with links from taginfo', async () => {
    const req = await admin.call<{ request: { id: number } }>('repo.request', ['hist-tag']);
    const info = await web.page(`/koji/taginfo?tagID=${tagId}`);
    expect(info.html).toContain(`<a href="history?tagID=${tagId}">History</a> · <a href="reporequests?tagID=${tagId}&amp;active=all">Repo requests</a>`);
    const active = await web.page(`/koji/reporequests?tagID=${tagId}`);
    expect(active.status).toBe(200);
    expect(active.html).toContain(`<tr><td>${req.request.id}</td><td><a href="taginfo?tagID=${tagId}">hist-tag</a></td>`);
    expect(active.html).toContain('Requests 1 through 1 of 1');
    expect((await web.page(`/koji/reporequests?tagID=${tagId}&active=0`)).html).toContain('No requests');
    expect((await web.page('/koji/reporequests?tagID=no-such-tag')).status).toBe(404);
    expect((await web.page('/koji/reporequests?active=maybe')).status).toBe(400);
  });

  it('refuses unknown objects and bad parameters', async () => {
    expect((await web.page('/koji/history?tagID=no-such-tag')).status).toBe(404);
    expect((await web.page('/koji/history')).status).toBe(400);
    expect((await web.page(`/koji/history?tagID=${tagId}&buildID=${buildId}`)).status).toBe(400);
    expect((await web.page(`/koji/history?tagID=${tagId}&beforeEvent=x`)).status).toBe(400);
  });
});
