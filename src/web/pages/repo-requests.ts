/** Koji 1.35's repo requests (repo.queryQueue): who asked for a repo of which tag, and what came of it. */
import type { XmlRpcValue } from '../../protocol/values.ts';
import type { PageContext, PageResult, Row } from '../context.ts';
import { PAGE_SIZE } from '../params.ts';

const ORDERS = ['id', 'tag_name', 'priority', 'create_time', 'update_time', 'owner_name', 'tries'] as const;
const FIELDS = ['id', 'tag_id', 'tag_name', 'at_event', 'min_event', 'priority', 'owner', 'owner_name', 'create_time', 'task_id', 'task_state', 'repo_id', 'tries', 'active'];

export async function reporequests(ctx: PageContext): Promise<PageResult> {
  const active = ctx.params.choice('active', ['1', '0', 'all'] as const, '1');
  const clauses: XmlRpcValue[] = [];
  if (active !== 'all') clauses.push(['active', '=', active === '1']);
  let tag: Row | null = null;
  if (ctx.params.str('tagID') !== null) {
    tag = await ctx.need('getTag', [ctx.params.idOrName('tagID')], 'tag');
    clauses.push(['tag_id', '=', tag.id as number]);
  }
  const l = ctx.listParams({ orders: ORDERS, dflt: '-id' });
  const [count, rows] = await ctx.multi([
    { method: 'repo.queryQueue', args: [clauses, null, { countOnly: true }] },
    { method: 'repo.queryQueue', args: [clauses, FIELDS, { order: l.order, offset: l.start, limit: PAGE_SIZE }] },
  ]);
  const page = ctx.pageOf(rows as Row[], Number(count), l);
  return { template: 'reporequests.njk', title: 'Repo requests', data: { page, active, tag } };
}
