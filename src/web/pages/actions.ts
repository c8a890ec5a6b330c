/**
 * What an owner or admin changes from the web: cancel, resubmit or re-prioritise a task, cancel a
 * build, edit, enable or disable a host. Each is a POST from a logged-in user with the login's
 * CSRF token (ctx.action()); the hub decides who may do what (its ActionNotAllowed is a 403).
 */
import type { PageContext, PageResult, Row } from '../context.ts';
import { badRequest } from '../errors.ts';

export const formId = (form: URLSearchParams, name: string) => {
  const v = form.get(name) ?? '';
  if (!/^\d{1,10}$/.test(v) || Number(v) > 2 ** 31 - 1) throw badRequest(`${name} must be a whole number, got ${JSON.stringify(v.slice(0, 40))}`);
  return Number(v);
};

export async function canceltask(ctx: PageContext): Promise<PageResult> {
  const { form } = ctx.action();
  const id = formId(form, 'taskID');
  await ctx.call('cancelTask', [id]);
  return { redirect: `/koji/taskinfo?taskID=${id}` };
}

export async function resubmittask(ctx: PageContext): Promise<PageResult> {
  const { form } = ctx.action();
  const id = formId(form, 'taskID');
  const created = await ctx.call<number>('resubmitTask', [id]);
  return { redirect: `/koji/taskinfo?taskID=${created}` };
}

export async function taskpriority(ctx: PageContext): Promise<PageResult> {
  const { form } = ctx.action();
  const id = formId(form, 'taskID');
  const priority = formId(form, 'priority');
  await ctx.call('setTaskPriority', [id, priority], { recurse: form.get('recurse') !== null });
  return { redirect: `/koji/taskinfo?taskID=${id}` };
}

export async function cancelbuild(ctx: PageContext): Promise<PageResult> {
  const { form } = ctx.action();
  const id = formId(form, 'buildID');
  await ctx.call('cancelBuild', [id]);
  return { redirect: `/koji/buildinfo?buildID=${id}` };
}

async function setEnabled(ctx: PageContext, enabled: boolean): Promise<PageResult> {
  const { form } = ctx.action();
  const id = formId(form, 'hostID');
  const host = await ctx.need('getHost', [id], 'host');
  await ctx.call(enabled ? 'enableHost' : 'disableHost', [host.name as string]);
  return { redirect: `/koji/hostinfo?hostID=${id}` };
}

export const enablehost = (ctx: PageContext) => setEnabled(ctx, true);
export const disablehost = (ctx: PageContext) => setEnabled(ctx, false);

/** kojiweb's hostedit: a form (GET) and its save (POST): arches, capacity, description, comment, enabled. */
export async function hostedit(ctx: PageContext): Promise<PageResult> {
  if (ctx.req.method !== 'POST') {
    if (!ctx.login) return { redirect: `/koji/login?page=${encodeURIComponent(`hostedit?hostID=${ctx.params.id('hostID')}`)}` };
    const host = await ctx.need('getHost', [ctx.params.id('hostID')], 'host');
    return { template: 'hostedit.njk', title: `Edit host ${String(host.name)}`, pageID: 'hosts', data: { host } };
  }
  const { form } = ctx.action();
  const id = formId(form, 'hostID');
  const host: Row = await ctx.need('getHost', [id], 'host');
  const capacity = Number(form.get('capacity'));
  if (!Number.isFinite(capacity) || capacity < 0) throw badRequest(`capacity must be a number ≥ 0, got ${JSON.stringify((form.get('capacity') ?? '').slice(0, 40))}`);
  const arches = (form.get('arches') ?? '').trim().split(/\s+/).filter(Boolean).join(' ');
  if (!arches) throw badRequest('a host needs at least one arch');
  await ctx.call('editHost', [id], { arches, capacity, description: form.get('description') ?? '', comment: form.get('comment') ?? '' });
  const enabled = form.get('enabled') !== null;
  if (enabled !== Boolean(host.enabled)) await ctx.call(enabled ? 'enableHost' : 'disableHost', [host.name as string]);
  return { redirect: `/koji/hostinfo?hostID=${id}` };
}
