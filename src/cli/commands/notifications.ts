/**
 * Build notification commands: add-notification, edit-notification, remove-notification,
 * list-notifications, block-notification, unblock-notification — the stock CLI's options,
 * checks (in its order) and output.
 */
import { KojiError } from '../../protocol/faults.ts';
import type { XmlRpcStruct } from '../../protocol/values.ts';
import { CliError, UsageError, type CliContext, type Command, type Options } from '../command.ts';
import { keepOutput, pad } from './cli-util.ts';
import { PyError, rjust } from './common.ts';

type Row = XmlRpcStruct & { id: number; package_id: number | null; tag_id: number | null };

/** `x['id']` of a lookup that found nothing dies in the stock CLI with Python's TypeError. */
function idOf(row: XmlRpcStruct | null): number {
  if (!row) throw new PyError('TypeError', "'NoneType' object is not subscriptable");
  return row.id as number;
}

/** --package: its id (getPackageID), a usage error when there is no such package. */
async function packageId(ctx: CliContext, name: string): Promise<number> {
  const id = await ctx.session.call<number | null>('getPackageID', [name]);
  if (id === null) throw new UsageError(`No such package: ${name}`);
  return id;
}

/** --tag: its id (getTagID strict), a usage error for any fault. */
async function tagId(ctx: CliContext, name: string): Promise<number> {
  try {
    return await ctx.session.call<number>('getTagID', [name], { strict: true });
  } catch (e) {
    if (e instanceof KojiError) throw new UsageError(`No such tag: ${name}`);
    throw e;
  }
}

/**
 * --user (admins only), else the logged-in user. block-notification looks the user up strictly
 * and says so when nobody is logged in; add-notification dies on either (Python's TypeError).
 */
async function targetUser(ctx: CliContext, user: string | null, strict: boolean): Promise<number> {
  if (user && !(await ctx.session.call('hasPerm', ['admin']))) throw new UsageError('--user requires admin permission');
  if (user) return idOf(await ctx.session.call<XmlRpcStruct | null>('getUser', [user], strict ? { strict: true } : {}));
  const me = await ctx.session.call<XmlRpcStruct | null>('getLoggedInUser');
  if (!me && strict) throw new UsageError('Please login with authentication or specify --user');
  return idOf(me);
}

/** Python's int() of each id, or the given usage error. */
function idArgs(args: string[], none: string, notInt: string): number[] {
  if (args.length < 1) throw new UsageError(none);
  const ids = args.map((a) => a.trim());
  if (!ids.every((a) => /^[+-]?\d+(_\d+)*$/.test(a))) throw new UsageError(notInt);
  return ids.map((a) => Number(a.replace(/_/g, '')));
}

/** remove-notification / unblock-notification: delete each id in turn, a line for each unless quiet. */
function removeCommand(name: string, summary: string, method: 'deleteNotification' | 'deleteNotificationBlock', what: string): Command {
  return {
    name,
    category: 'monitor',
    summary,
    usage: `${name} [options] <notification_id> [<notification_id> ...]`,
    async handler(ctx, _o, args, usage) {
      const ids = idArgs(args, `At least one ${what} id has to be specified`, `All ${what} ids has to be integers`);
      const out: string[] = [];
      return keepOutput(out, usage, async () => {
        for (const id of ids) {
          await ctx.session.call(method, [id]);
          if (!ctx.global.quiet) out.push(`${what.charAt(0).toUpperCase()}${what.slice(1)} ${id} successfully removed.`);
        }
      });
    },
  };
}

/** The names of the tag and package of each row ('*' for any), as list-notifications shows them. */
async function named(ctx: CliContext, rows: Row[]): Promise<Array<Row & { tag: string; package: string }>> {
  const out = [];
  for (const r of rows) {
    const tag = r.tag_id ? ((await ctx.session.call<XmlRpcStruct>('getTag', [r.tag_id])).name as string) : '*';
    const pkg = r.package_id ? ((await ctx.session.call<XmlRpcStruct>('getPackage', [r.package_id])).name as string) : '*';
    out.push({ ...r, tag, package: pkg });
  }
  return out;
}

async function listNotifications(ctx: CliContext, o: Options, args: string[]): Promise<string> {
  if (args.length !== 0) throw new UsageError('This command takes no arguments');
  if (!o.mine && !o.user) throw new UsageError('Use --user or --mine.');
  let userId: number | null = null;
  if (o.user) {
    const user = await ctx.session.call<XmlRpcStruct | null>('getUser', [o.user as string]);
    if (!user) throw new CliError(`No such user: ${o.user as string}`);
    userId = user.id as number;
  } else await ctx.activate();
  const head = (cols: string[]) => [rjust(cols[0], 6), ...cols.slice(1).map((c, i) => pad(c, [25, 25, 20, 12][i]))].join(' ');
  const table = (title: string, cols: string[], rows: string[][]) => {
    const h = head(cols);
    return [title, h, '-'.repeat(h.length), ...rows.map(head)];
  };
  const lines: string[] = [];
  const notifs = await named(ctx, await ctx.session.call<Row[]>('getBuildNotifications', [userId]));
  if (notifs.length) {
    const rows = notifs.map((n) => [String(n.id), n.tag, n.package, String(n.email), n.success_only ? 'yes' : 'no']);
    lines.push(...table('Notifications', ['ID', 'Tag', 'Package', 'E-mail', 'Success-only'], rows));
  } else lines.push('No notifications');
  lines.push('');
  const blocks = await named(ctx, await ctx.session.call<Row[]>('getBuildNotificationBlocks', [userId]));
  if (blocks.length) lines.push(...table('Notification blocks', ['ID', 'Tag', 'Package'], blocks.map((b) => [String(b.id), b.tag, b.package])));
  else lines.push('No notification blocks');
  return lines.join('\n') + '\n';
}

export const notificationCommands: Command[] = [
  {
    name: 'add-notification',
    category: 'monitor',
    summary: "Add user's notification",
    usage: 'add-notification [options]',
    // logs in after checking its options, as the stock command
    anon: true,
    options: [
      { name: 'user', type: 'string', help: 'Add notifications for this user (admin-only)' },
      { name: 'package', type: 'string', help: 'Add notifications for this package' },
      { name: 'tag', type: 'string', help: 'Add notifications for this tag' },
      { name: 'success-only', type: 'bool', default: false, help: 'Enabled notification on successful events only' },
    ],
    async handler(ctx, o, args) {
      if (args.length !== 0) throw new UsageError('This command takes no arguments');
      if (!o.package && !o.tag) throw new UsageError('Command need at least one from --tag or --package options.');
      await ctx.activate();
      const userId = await targetUser(ctx, (o.user as string | null) || null, false);
      const pkg = o.package ? await packageId(ctx, o.package as string) : null;
      const tag = o.tag ? await tagId(ctx, o.tag as string) : null;
      await ctx.session.call('createNotification', [userId, pkg, tag, Boolean(o.success_only)]);
    },
  },
  {
    name: 'edit-notification',
    category: 'monitor',
    summary: "Edit user's notification",
    usage: 'edit-notification [options] <notification_id>',
    anon: true,
    options: [
      { name: 'package', type: 'string', help: "Notifications for this package, '*' for all" },
      { name: 'tag', type: 'string', help: "Notifications for this tag, '*' for all" },
      { name: 'success-only', type: 'bool', dest: 'success_only', help: 'Notify only on successful events' },
      { name: 'no-success-only', type: 'bool', dest: 'success_only', value: false, help: 'Notify on all events' },
    ],
    async handler(ctx, o, args) {
      if (args.length !== 1) throw new UsageError('Only argument is notification ID');
      const [id] = idArgs(args, '', 'Notification ID has to be numeric');
      if (!o.package && !o.tag && (o.success_only ?? null) === null) throw new UsageError('Command need at least one option');
      await ctx.activate();
      const old = await ctx.session.call<Row | null>('getBuildNotification', [id]);
      const field = (k: string) => {
        if (!old) throw new PyError('TypeError', "'NoneType' object is not subscriptable");
        return old[k];
      };
      const pkgOpt = o.package as string | null;
      const pkg = pkgOpt === '*' ? null : pkgOpt ? await packageId(ctx, pkgOpt) : field('package_id');
      const tagOpt = o.tag as string | null;
      const tag = tagOpt === '*' ? null : tagOpt ? await tagId(ctx, tagOpt) : field('tag_id');
      const successOnly = (o.success_only ?? null) !== null ? (o.success_only as boolean) : field('success_only');
      await ctx.session.call('updateNotification', [id, pkg, tag, successOnly]);
    },
  },
  removeCommand('remove-notification', "Remove user's notifications", 'deleteNotification', 'notification'),
  {
    name: 'list-notifications',
    category: 'monitor',
    summary: "List user's notifications and blocks",
    usage: 'list-notifications [options]',
    anon: true,
    options: [
      { name: 'mine', type: 'bool', help: 'Just print your notifications' },
      { name: 'user', type: 'string', help: 'Only notifications for this user' },
    ],
    handler: listNotifications,
  },
  {
    name: 'block-notification',
    category: 'monitor',
    summary: "Block user's notifications",
    usage: 'block-notification [options]',
    anon: true,
    options: [
      { name: 'user', type: 'string', help: 'Block notifications for this user (admin-only)' },
      { name: 'package', type: 'string', help: 'Block notifications for this package' },
      { name: 'tag', type: 'string', help: 'Block notifications for this tag' },
      { name: 'all', type: 'bool', help: 'Block all notification for this user' },
    ],
    async handler(ctx, o, args) {
      if (args.length !== 0) throw new UsageError('This command takes no arguments');
      if (!o.package && !o.tag && !o.all) throw new UsageError('One of --tag, --package or --all must be specified.');
      await ctx.activate();
      const userId = await targetUser(ctx, (o.user as string | null) || null, true);
      const pkg = o.package ? await packageId(ctx, o.package as string) : null;
      const tag = o.tag ? await tagId(ctx, o.tag as string) : null;
      for (const b of await ctx.session.call<Row[]>('getBuildNotificationBlocks', [userId])) {
        if (b.package_id === pkg && b.tag_id === tag) throw new UsageError('Notification already exists.');
      }
      await ctx.session.call('createNotificationBlock', [userId, pkg, tag]);
    },
  },
  removeCommand('unblock-notification', "Unblock user's notification", 'deleteNotificationBlock', 'notification block'),
];
