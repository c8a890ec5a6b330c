/**
 * Build notifications and notification blocks (Koji's createNotification … getBuildNotificationBlock).
 * A user manages their own; an admin anyone's. The faults and their order follow Koji's hub, but
 * for one: the changing calls declare a login requirement (as every writing method here does), so
 * an anonymous caller gets the hub's usual ActionNotAllowed, not Koji's GenericError 'Not logged-in'.
 */
import { GenericError } from '../../protocol/faults.ts';
import type { XmlRpcValue } from '../../protocol/values.ts';
import { pyStrOf } from '../../protocol/pyrepr.ts';
import { lookupName } from '../lookup.ts';
import { method, noneMethod, t, truthy, type MethodDef } from '../registry.ts';
import type { CallContext } from '../types.ts';
import {
  assertNoDuplicate,
  deleteNotification,
  getNotification,
  insertNotification,
  insertNotificationBlock,
  listNotifications,
  updateNotification,
  type NotificationKind,
  type NotificationScope,
} from '../content/notifications.ts';
import { getUser, type UserInfo } from './users.ts';

interface Me {
  id: number;
  name: string;
}

/** The caller (the methods that use it require a login). */
function loggedInUser(ctx: CallContext): Me {
  return { id: ctx.session.userId as number, name: ctx.session.userName ?? '' };
}

async function mayManage(ctx: CallContext, me: Me, ownerId: number): Promise<boolean> {
  return me.id === ownerId || (await ctx.session.hasPerm('admin'));
}

/** Package and tag given by id, name or struct; None stays None (any package / any tag). */
async function resolveScope(ctx: CallContext, pkg: unknown, tag: unknown): Promise<{ package_id: number | null; tag_id: number | null }> {
  return {
    package_id: pkg == null ? null : (await lookupName(ctx.sql, 'package', pkg, { strict: true }))!.id,
    tag_id: tag == null ? null : (await lookupName(ctx.sql, 'tag', tag, { strict: true }))!.id,
  };
}

/** The user a notification or block is made for, who must be the caller unless the caller is an admin. */
async function notificationOwner(ctx: CallContext, userInfo: unknown, what: string): Promise<UserInfo> {
  const me = loggedInUser(ctx);
  const user = await getUser(ctx, userInfo);
  if (!user) throw new GenericError(`No such user ID: ${pyStrOf(userInfo)}`);
  if (!(await mayManage(ctx, me, user.id))) throw new GenericError(`user ${me.name} cannot create ${what} for user ${user.name}`);
  return user;
}

/** Delete a notification or block: it must exist, and be the caller's unless admin. */
async function removeOwn(ctx: CallContext, kind: NotificationKind, id: number, what: string): Promise<void> {
  const me = loggedInUser(ctx);
  const row = await getNotification(ctx.sql, kind, id, true);
  if (!(await mayManage(ctx, me, row!.user_id))) throw new GenericError(`user ${me.id} cannot delete ${what} for user ${row!.user_id}`);
  await deleteNotification(ctx.sql, kind, id);
}

const userList = (kind: NotificationKind) => async (ctx: CallContext, a: { userID?: unknown }) =>
  (await listNotifications(ctx.sql, kind, (await getUser(ctx, a.userID, { strict: true }))!.id)) as XmlRpcValue;

export const notificationMethods: MethodDef[] = [
  method({
    name: 'getBuildNotifications',
    sig: '(userID=None)',
    doc: "A user's build notifications (by id, name or Kerberos principal; default the logged-in user): {id, user_id, package_id, tag_id, success_only, email}.",
    handler: userList('notification'),
  }),
  method({
    name: 'getBuildNotification',
    sig: '(id, strict=False)',
    doc: 'The build notification with this id, or None (strict: a fault).',
    args: { id: t.int, strict: t.flag },
    handler: async (ctx, a) => getNotification(ctx.sql, 'notification', a.id, a.strict),
  }),
  method({
    name: 'getBuildNotificationBlocks',
    sig: '(userID=None)',
    doc: "A user's build notification blocks (default the logged-in user): {id, user_id, package_id, tag_id}.",
    handler: userList('block'),
  }),
  method({
    name: 'getBuildNotificationBlock',
    sig: '(id, strict=False)',
    doc: 'The build notification block with this id, or None (strict: a fault).',
    args: { id: t.int, strict: t.flag },
    handler: async (ctx, a) => getNotification(ctx.sql, 'block', a.id, a.strict),
  }),
  noneMethod({
    name: 'createNotification',
    sig: '(user_id, package_id, tag_id, success_only)',
    requires: 'login',
    doc: 'Mail the user about builds of a package (None: any) into a tag (None: any), optionally only successful ones. Only for oneself unless admin.',
    async run(ctx, a) {
      const user = await notificationOwner(ctx, a.user_id, 'notifications');
      const scope = { ...(await resolveScope(ctx, a.package_id, a.tag_id)), success_only: truthy(a.success_only) };
      const email = `${user.name}@${pyStrOf(ctx.hub.options.EmailDomain)}`;
      await assertNoDuplicate(ctx.sql, 'notification', user.id, scope);
      await insertNotification(ctx.sql, user.id, scope, email);
    },
  }),
  noneMethod({
    name: 'updateNotification',
    sig: '(id, package_id, tag_id, success_only)',
    requires: 'login',
    doc: "Change a notification's package, tag and success_only. Only the owner or an admin.",
    args: { id: t.int },
    async run(ctx, a) {
      const me = loggedInUser(ctx);
      const orig = (await getNotification(ctx.sql, 'notification', a.id, true))!;
      if (!(await mayManage(ctx, me, orig.user_id))) throw new GenericError(`user ${me.id} cannot update notifications for user ${orig.user_id}`);
      const scope: Required<NotificationScope> = { ...(await resolveScope(ctx, a.package_id, a.tag_id)), success_only: truthy(a.success_only) };
      await assertNoDuplicate(ctx.sql, 'notification', orig.user_id, scope);
      await updateNotification(ctx.sql, a.id, scope);
    },
  }),
  noneMethod({
    name: 'deleteNotification',
    sig: '(id)',
    requires: 'login',
    doc: 'Delete a notification. Only the owner or an admin.',
    args: { id: t.int },
    run: (ctx, a) => removeOwn(ctx, 'notification', a.id, 'notifications'),
  }),
  noneMethod({
    name: 'createNotificationBlock',
    sig: '(user_id, package_id=None, tag_id=None)',
    requires: 'login',
    doc: 'Stop mail to the user about builds of a package (None: any) into a tag (None: any). Only for oneself unless admin.',
    async run(ctx, a) {
      const user = await notificationOwner(ctx, a.user_id, 'notification blocks');
      const scope = await resolveScope(ctx, a.package_id, a.tag_id);
      await assertNoDuplicate(ctx.sql, 'block', user.id, scope);
      await insertNotificationBlock(ctx.sql, user.id, scope);
    },
  }),
  noneMethod({
    name: 'deleteNotificationBlock',
    sig: '(id)',
    requires: 'login',
    doc: 'Delete a notification block. Only the owner or an admin.',
    args: { id: t.int },
    run: (ctx, a) => removeOwn(ctx, 'block', a.id, 'notification blocks'),
  }),
];
