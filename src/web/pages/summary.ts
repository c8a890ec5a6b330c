/** The summary page (kojiweb's index): recent builds and tasks, the hosts' load. */
import type { PageContext, PageResult, Row } from '../context.ts';

export async function index(ctx: PageContext): Promise<PageResult> {
  const hidden = ctx.opts.HiddenUsers;
  const [builds, tasks, hosts] = await Promise.all([
    ctx.call<Row[]>('listBuilds', [], { queryOpts: { order: '-build_id', limit: 10 } }),
    ctx.call<Row[]>('listTasks', [], { opts: { parent: null, ...(hidden.length ? { not_owner: hidden } : {}) }, queryOpts: { order: '-id', limit: 10 } }),
    ctx.call<Row[]>('listHosts', [], { enabled: true }),
  ]);
  const load = hosts.reduce((s, h) => s + Number(h.task_load ?? 0), 0);
  const capacity = hosts.reduce((s, h) => s + Number(h.capacity ?? 0), 0);
  return {
    template: 'index.njk',
    title: 'Build System Info',
    pageID: 'summary',
    data: { greeting: ctx.opts.KojiGreeting, builds, tasks, hosts: { total: hosts.length, ready: hosts.filter((h) => h.ready).length, load, capacity } },
  };
}
