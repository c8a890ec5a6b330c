/**
 * The web's task pages and its error handling against a real hub (both engines): the summary
 * page, tasks with filters and server-side paging, taskinfo with children, result and output;
 * unknown ids, malformed parameters and unknown pages answer with clear error pages.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClientSession } from '../../src/protocol/client.ts';
import { engines } from '../helpers/db.ts';
import { startTestHub, type TestHub } from '../helpers/hub.ts';
import { hostSession } from '../helpers/repos.ts';
import { startTestWeb, type TestWeb } from './web-helper.ts';

describe.each(engines())('web task pages on %s', (engine) => {
  let hub: TestHub;
  let admin: ClientSession;
  let web: TestWeb;
  let parent: number;
  let child: number;

  beforeAll(async () => {
    hub = await startTestHub(engine);
    admin = await hub.login();
    web = await startTestWeb(hub.httpUrl as string);
    await admin.call('createTag', ['web-tag']);
    // 55 tasks: more than one page of 50
    for (let i = 0; i < 55; i++) await admin.call('makeTask', ['waitrepo', ['web-tag', null, null]], { priority: 15 });
    const host = await hostSession(hub, admin, 'web-b1');
    parent = await admin.call<number>('makeTask', ['build', ['git+file:///x#1', 'web-tag', {}]], { assign: 'web-b1' });
    await host.call('host.openTask', [parent]);
    child = await host.call<number>('host.subtask', ['buildArch', ['x.src.rpm', 1, 'noarch', true, {}], parent], { label: 'noarch' });
  });
  afterAll(async () => {
    await web?.close();
    await hub?.stop();
  });

  it('redirects / to /koji/ and shows the summary with recent tasks', async () => {
    expect((await web.page('/')).headers.get('location')).toBe('/koji/');
    const r = await web.page('/koji/');
    expect(r.status).toBe(200);
    expect(r.html).toContain('<title>Build System Info | test-koji</title>');
    expect(r.html).toContain(`<a href="taskinfo?taskID=${parent}">build</a>`);
    // only top-level tasks on the summary
    expect(r.html).not.toContain(`taskinfo?taskID=${child}"`);
  });

  it('lists tasks 50 at a time, sorted and filtered by the hub', async () => {
    const first = await web.page('/koji/tasks?state=all&view=flat');
    expect(first.status).toBe(200);
    expect(first.html).toContain('Tasks 1 through 50 of 57');
    expect(first.html).toContain(`taskinfo?taskID=${child}"`);
    const second = await web.page('/koji/tasks?state=all&view=flat&start=50');
    expect(second.html).toContain('Tasks 51 through 57 of 57');
    const ids = (h: string) => [...h.matchAll(/<tr><td>(\d+)<\/td>/g)].map((m) => Number(m[1]));
    expect(ids(second.html)).toHaveLength(7);
    // ascending by id: the first task first
    const asc = ids((await web.page('/koji/tasks?state=all&view=flat&order=id')).html);
    expect(asc).toEqual([...asc].sort((a, b) => a - b));
    // by method and top level only
    const builds = await web.page('/koji/tasks?state=all&method=build&view=toplevel');
    expect(ids(builds.html)).toEqual([parent]);
    // the tree view: the top-level task, then its subtask indented under it
    const tree = await web.page('/koji/tasks?state=all&method=build');
    expect(ids(tree.html)).toEqual([parent, child]);
    expect(tree.html).toContain(`<td class="depth-1"><span aria-hidden="true">└ </span><a href="taskinfo?taskID=${child}">buildArch</a> (noarch)</td><td>noarch</td><td><a href="userinfo?userID=1">kojiadmin</a></td>`);
    expect(tree.html).toContain('Tasks 1 through 1 of 1');
  });

  it('shows a task: its request, its subtasks and that it has not finished', async () => {
    const r = await web.page(`/koji/taskinfo?taskID=${parent}`);
    expect(r.status).toBe(200);
    expect(r.html).toContain(`Information for task <a href="taskinfo?taskID=${parent}">${parent}</a>`);
    expect(r.html).toContain('git+file:///x#1');
    expect(r.html).toContain(`<a href="taskinfo?taskID=${child}">buildArch</a> (noarch)`);
    expect(r.html).toContain('The task has not finished.');
    const c = await web.page(`/koji/taskinfo?taskID=${child}`);
    expect(c.html).toContain(`<a href="taskinfo?taskID=${parent}">build (${parent})</a>`);
  });

  it('answers unknown ids, bad parameters and unknown pages with error pages', async () => {
    const missing = await web.page('/koji/taskinfo?taskID=999999');
    expect([missing.status, missing.html]).toEqual([404, expect.stringContaining('No such task: 999999')]);
    const bad = await web.page('/koji/taskinfo?taskID=12abc');
    expect([bad.status, bad.html]).toEqual([400, expect.stringContaining('taskID must be a whole number')]);
    const none = await web.page('/koji/taskinfo');
    expect([none.status, none.html]).toEqual([400, expect.stringContaining('taskID is required')]);
    expect((await web.page('/koji/tasks?order=password')).status).toBe(400);
    expect((await web.page('/koji/tasks?start=99999999999')).status).toBe(400);
    expect((await web.page('/koji/tasks?state=<script>')).html).not.toContain('<script>');
    const page = await web.page('/koji/nosuchpage');
    expect([page.status, page.html]).toEqual([404, expect.stringContaining('No such page: nosuchpage')]);
    for (const r of [missing, bad, none, page]) expect(r.html).not.toMatch(/at \w+ \(|node_modules|\.ts:\d+/);
  });

  it('getfile sends the browser to the task\'s file in the file tree', async () => {
    const r = await web.page(`/koji/getfile?taskID=${child}&name=build.log`);
    expect([r.status, r.headers.get('location')]).toEqual([302, `http://files.invalid/kojifiles/work/tasks/${child % 10000}/${child}/build.log`]);
    expect((await web.page(`/koji/getfile?taskID=${child}&name=../../etc/passwd`)).status).toBe(400);
  });

  it('says so when the hub does not answer', async () => {
    const lone = await startTestWeb('http://127.0.0.1:1/kojihub');
    try {
      const r = await lone.page('/koji/tasks');
      expect(r.status).toBe(502);
      expect(r.html).toContain('The hub at http://127.0.0.1:1/kojihub does not answer');
    } finally {
      await lone.close();
    }
  });
});
