/**
 * The owner and admin actions beyond actions.ts: a tag's package list (add, block, unblock,
 * remove: pages kojiweb lacks, named tagpackage*), editing a channel (channeledit, a form and its
 * save, as hostedit) and a user's build notifications (kojiweb's notificationcreate,
 * notificationedit, notificationdelete; listed on the user's own userinfo). Every change is a
 * POST through ctx.action() (login and CSRF token); the hub decides who may do it.
 */
import type { HubMethod } from '../../protocol/api.ts';
import { KojiError } from '../../protocol/faults.ts';
import type { XmlRpcValue } from '../../protocol/values.ts';
import type { HubCall, PageContext, PageResult, Row } from '../context.ts';
import { badRequest, HttpError } from '../errors.ts';
import { formId } from './actions.ts';

/** hub refusals that are about what the form asked for (a 400 naming the reason), not a failure of the web */
const REFUSALS = new Set(['GenericError', 'TagError', 'NameValidationError', 'ParameterError']);

/** Whether a fault says the hub has no such method (an older hub, or one koji-ts has not written yet). */
const missingMethod = (e: unknown) => e instanceof KojiError && /^Invalid method: |^\S+ is not implemented by koji-ts yet/.test(e.message);

/** A change through the hub: a missing method is a 501 naming it, a refused request a 400 with the hub's reason. */
async function change<T = XmlRpcValue>(ctx: PageContext, method: HubMethod, args: XmlRpcValue[], kwargs?: Record<string, XmlRpcValue>): Promise<T> {
  try {
    return await ctx.call<T>(method, args, kwargs);
  } catch (e) {
    if (missingMethod(e)) throw new HttpError(501, `This hub does not offer ${method}, so the web cannot do this`);
    if (e instanceof KojiError && REFUSALS.has(e.name) && !/^No such|not found|does not exist/i.test(e.message)) throw badRequest(`The hub refused: ${e.message}`);
    throw e;
  }
}

/** A required name from a form field (trimmed). */
function formName(form: URLSearchParams, name: string): string {
  const v = (form.get(name) ?? '').trim();
  if (!v) throw badRequest(`${name} is required`);
  if (v.length > 256) throw badRequest(`${name} is too long`);
  return v;
}

/** A GET form that changes something needs a login first: back here afterwards. */
function loginFirst(page: string): PageResult {
  return { redirect: `/koji/login?page=${encodeURIComponent(page)}` };
}

// --- a tag's package list ---

/** The form's tag and package (each 404 when unknown). */
async function tagAndPackage(ctx: PageContext, form: URLSearchParams): Promise<{ tag: Row; pkg: Row }> {
  const tag = await ctx.need('getTag', [formId(form, 'tagID')], 'tag');
  const name = formName(form, 'package');
  const pkg = await ctx.need('getPackage', [/^\d+$/.test(name) ? Number(name) : name], 'package');
  return { tag, pkg };
}

const backToPackages = (tag: Row): PageResult => ({ redirect: `/koji/packages?tagID=${String(tag.id)}` });

/** Add a package (new or existing) to a tag's list, with its owner (packageListAdd). */
export async function tagpackageadd(ctx: PageContext): Promise<PageResult> {
  const { login, form } = ctx.action();
  const tag = await ctx.need('getTag', [formId(form, 'tagID')], 'tag');
  const pkg = formName(form, 'package');
  const owner = (form.get('owner') ?? '').trim() || login.user;
  await ctx.need('getUser', [owner], 'user');
  const arches = (form.get('extra_arches') ?? '').trim().split(/[\s,]+/).filter(Boolean).join(' ');
  await change(ctx, 'packageListAdd', [tag.id as number, pkg], { owner, block: form.get('block') !== null, extra_arches: arches || null });
  return backToPackages(tag);
}

function pkgAction(method: 'packageListBlock' | 'packageListUnblock' | 'packageListRemove') {
  return async (ctx: PageContext): Promise<PageResult> => {
    const { form } = ctx.action();
    const { tag, pkg } = await tagAndPackage(ctx, form);
    await change(ctx, method, [tag.id as number, pkg.id as number]);
    return backToPackages(tag);
  };
}

// --- channels ---

/** Edit a channel: description, comment and whether it is enabled (editChannel, enableChannel/disableChannel). */
export async function channeledit(ctx: PageContext): Promise<PageResult> {
  if (ctx.req.method !== 'POST') {
    const id = ctx.params.id('channelID');
    if (!ctx.login) return loginFirst(`channeledit?channelID=${id}`);
    const channel = await ctx.need('getChannel', [id], 'channel');
    return { template: 'channeledit.njk', title: `Edit channel ${String(channel.name)}`, pageID: 'hosts', data: { channel } };
  }
  const { form } = ctx.action();
  const channel = await ctx.need('getChannel', [formId(form, 'channelID')], 'channel');
  const text = { description: form.get('description') ?? '', comment: form.get('comment') ?? '' };
  // editChannel is for admins; a host manager may still enable or disable the channel
  if (text.description !== (channel.description ?? '') || text.comment !== (channel.comment ?? '')) await change(ctx, 'editChannel', [channel.id as number], text);
  const enabled = form.get('enabled') !== null;
  if (enabled !== Boolean(channel.enabled)) await change(ctx, enabled ? 'enableChannel' : 'disableChannel', [channel.name as string]);
  return { redirect: `/koji/channelinfo?channelID=${String(channel.id)}` };
}

// --- build notifications ---

export interface Notifications {
  /** false when the hub has no notification calls */
  supported: boolean;
  notifs: Row[];
  blocks: Row[];
}

/** A user's build notifications and notification blocks, with the names of their packages and tags. */
export async function userNotifications(ctx: PageContext, userID: number): Promise<Notifications> {
  let notifs: Row[];
  let blocks: Row[];
  try {
    notifs = await ctx.call<Row[]>('getBuildNotifications', [userID]);
  } catch (e) {
    if (missingMethod(e)) return { supported: false, notifs: [], blocks: [] };
    throw e;
  }
  try {
    blocks = await ctx.call<Row[]>('getBuildNotificationBlocks', [userID]);
  } catch (e) {
    if (!missingMethod(e)) throw e;
    blocks = [];
  }
  const rows = [...notifs, ...blocks].sort((a, b) => Number(a.id) - Number(b.id));
  // package and tag names in one multicall (a tag may since have been deleted: event 'auto')
  const calls: HubCall[] = [];
  for (const r of rows) {
    if (r.package_id != null) calls.push({ method: 'getPackage', args: [r.package_id] });
    if (r.tag_id != null) calls.push({ method: 'getTag', args: [r.tag_id], kwargs: { event: 'auto' } });
  }
  const names = (await ctx.multi<Row | null>(calls)).map((r) => (r?.name as string | undefined) ?? null);
  let i = 0;
  for (const r of rows) {
    r.package_name = r.package_id == null ? null : names[i++];
    r.tag_name = r.tag_id == null ? null : names[i++];
  }
  notifs.sort((a, b) => Number(a.id) - Number(b.id));
  blocks.sort((a, b) => Number(a.id) - Number(b.id));
  return { supported: true, notifs, blocks };
}

/** A package or tag field of the notification form: "all" or empty → null, else an id or a name (404 when unknown). */
async function scope(ctx: PageContext, form: URLSearchParams, name: 'package' | 'tag'): Promise<number | null> {
  const v = (form.get(name) ?? '').trim();
  if (v === '' || v === 'all') return null;
  if (v.length > 256) throw badRequest(`${name} is too long`);
  const key = /^\d+$/.test(v) ? Number(v) : v;
  const row = await ctx.need(name === 'package' ? 'getPackage' : 'getTag', [key], name);
  return row.id as number;
}

/** The user's own userinfo page, where the notifications are listed. */
async function backToUser(ctx: PageContext, user: string): Promise<PageResult> {
  const me = await ctx.need('getUser', [user], 'user');
  return { redirect: `/koji/userinfo?userID=${String(me.id)}#notifications` };
}

function notificationForm(notif: Row | null): PageResult {
  return { template: 'notificationedit.njk', title: notif ? 'Edit notification' : 'Create notification', pageID: 'users', data: { notif } };
}

/** kojiweb's notificationcreate: the form (GET), then createNotification for the logged-in user (POST with `add`). */
export async function notificationcreate(ctx: PageContext): Promise<PageResult> {
  if (ctx.req.method !== 'POST') return ctx.login ? notificationForm(null) : loginFirst('notificationcreate');
  const { login, form } = ctx.action();
  if (form.get('cancel') === null) {
    const me = await ctx.need('getUser', [login.user], 'user');
    const [pkg, tag] = [await scope(ctx, form, 'package'), await scope(ctx, form, 'tag')];
    await change(ctx, 'createNotification', [me.id as number, pkg, tag, form.get('success_only') !== null]);
  }
  return backToUser(ctx, login.user);
}

async function needNotification(ctx: PageContext, id: number): Promise<Row> {
  const n = await change<Row | null>(ctx, 'getBuildNotification', [id]);
  if (!n) throw new HttpError(404, `No such notification: ${id}`);
  return n;
}

/** kojiweb's notificationedit: the form (GET), then updateNotification (POST with `save`). */
export async function notificationedit(ctx: PageContext): Promise<PageResult> {
  if (ctx.req.method !== 'POST') {
    const id = ctx.params.id('notificationID');
    if (!ctx.login) return loginFirst(`notificationedit?notificationID=${id}`);
    const notif = await needNotification(ctx, id);
    const [pkg, tag] = await Promise.all([
      notif.package_id == null ? null : ctx.call<Row | null>('getPackage', [notif.package_id]),
      notif.tag_id == null ? null : ctx.call<Row | null>('getTag', [notif.tag_id], { event: 'auto' }),
    ]);
    return notificationForm({ ...notif, package_name: pkg?.name ?? null, tag_name: tag?.name ?? null });
  }
  const { login, form } = ctx.action();
  if (form.get('cancel') === null) {
    const notif = await needNotification(ctx, formId(form, 'notificationID'));
    const [pkg, tag] = [await scope(ctx, form, 'package'), await scope(ctx, form, 'tag')];
    await change(ctx, 'updateNotification', [notif.id as number, pkg, tag, form.get('success_only') !== null]);
  }
  return backToUser(ctx, login.user);
}

/** kojiweb's notificationdelete (here a POST). */
export async function notificationdelete(ctx: PageContext): Promise<PageResult> {
  const { login, form } = ctx.action();
  const notif = await needNotification(ctx, formId(form, 'notificationID'));
  await change(ctx, 'deleteNotification', [notif.id as number]);
  return backToUser(ctx, login.user);
}

/** Stop notifications about a package and/or tag (createNotificationBlock), and lift such a block. */
export async function notificationblockcreate(ctx: PageContext): Promise<PageResult> {
  const { login, form } = ctx.action();
  const me = await ctx.need('getUser', [login.user], 'user');
  const [pkg, tag] = [await scope(ctx, form, 'package'), await scope(ctx, form, 'tag')];
  await change(ctx, 'createNotificationBlock', [me.id as number], { package_id: pkg, tag_id: tag });
  return backToUser(ctx, login.user);
}

export async function notificationblockdelete(ctx: PageContext): Promise<PageResult> {
  const { login, form } = ctx.action();
  const id = formId(form, 'blockID');
  if (!(await change<Row | null>(ctx, 'getBuildNotificationBlock', [id]))) throw new HttpError(404, `No such notification block: ${id}`);
  await change(ctx, 'deleteNotificationBlock', [id]);
  return backToUser(ctx, login.user);
}

export const tagpackageblock = pkgAction('packageListBlock');
export const tagpackageunblock = pkgAction('packageListUnblock');
export const tagpackageremove = pkgAction('packageListRemove');
