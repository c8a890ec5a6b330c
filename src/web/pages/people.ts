/** Users, hosts and channels: users, userinfo, hosts, hostinfo, channelinfo. */
import { TASK_STATES } from '../../protocol/enums.ts';
import type { XmlRpcValue } from '../../protocol/values.ts';
import type { PageContext, PageHandler, PageResult, Row } from '../context.ts';
import { badRequest, notFound } from '../errors.ts';
import { userNotifications } from './admin.ts';

/** kojiweb's letter index for name prefixes */
export const PREFIX_CHARS = [...'0123456789abcdefghijklmnopqrstuvwxyz'];
const T = TASK_STATES.byName;

/** kojiweb's `prefix` parameter: one letter or digit, lower-cased; anything else is a 400. */
export function prefixParam(ctx: PageContext): string | null {
  const raw = ctx.params.str('prefix');
  if (raw === null) return null;
  const p = raw.toLowerCase();
  if (p.length !== 1 || !PREFIX_CHARS.includes(p)) throw badRequest(`prefix must be one letter or digit, got ${JSON.stringify(raw.slice(0, 40))}`);
  return p;
}

/** An arch name as kojiweb accepts it (`^[\w-]+$`), 'all' or absent → null. */
export function archParam(ctx: PageContext, name: string): string | null {
  const v = ctx.params.str(name);
  if (v === null || v === 'all') return null;
  if (!/^[\w-]{1,64}$/.test(v)) throw badRequest(`${name} must be an arch name, got ${JSON.stringify(v.slice(0, 40))}`);
  return v;
}

async function users(ctx: PageContext): Promise<PageResult> {
  const prefix = prefixParam(ctx);
  const page = await ctx.paginate('listUsers', [], { prefix }, { orders: ['id', 'name', 'status'], dflt: 'name' });
  return { template: 'users.njk', title: 'Users', pageID: 'users', data: { page, prefix, chars: PREFIX_CHARS } };
}

async function userinfo(ctx: PageContext): Promise<PageResult> {
  const userID = ctx.params.idOrName('userID');
  const user = await ctx.need('getUser', [userID], 'user', { groups: true });
  const id = user.id as number;
  const own = ctx.login?.user === user.name;
  const [perms, builds, tasks, packages, hosts, notifications] = await Promise.all([
    ctx.call<string[]>('getUserPerms', [id]),
    ctx.paginate('listBuilds', [], { userID: id }, { orders: ['build_id', 'nvr', 'completion_time', 'state'], dflt: '-completion_time', prefix: 'build' }),
    ctx.paginate('listTasks', [], { opts: { owner: id, parent: null } }, { orders: ['id', 'method', 'create_time', 'completion_time', 'state'], dflt: '-id', prefix: 'task' }),
    ctx.paginate('listPackages', [], { userID: id, with_dups: true }, { orders: ['package_name', 'tag_name', 'blocked'], dflt: 'package_name', prefix: 'package' }),
    ctx.call<Row[]>('listHosts', [], { userID: id, queryOpts: { limit: 1 } }),
    // the logged-in user's own page lists their build notifications
    own ? userNotifications(ctx, id) : null,
  ]);
  return {
    template: 'userinfo.njk',
    title: `${String(user.name)} | User Info`,
    pageID: 'users',
    data: { user, perms: [...perms].sort(), builds, tasks, packages, host: hosts[0] ?? null, notifications },
  };
}

const HOST_ORDERS = ['id', 'name', 'arches', 'channels', 'enabled', 'ready', 'task_load', 'capacity', 'last_update'] as const;

async function hosts(ctx: PageContext): Promise<PageResult> {
  const p = ctx.params;
  const state = p.choice('state', ['enabled', 'disabled', 'all'] as const, 'enabled');
  const ready = p.choice('ready', ['yes', 'no', 'all'] as const, 'all');
  const arch = archParam(ctx, 'arch');
  const channel = p.str('channel') ?? 'all';
  const [all, channels] = await Promise.all([ctx.call<Row[]>('listHosts'), ctx.call<Row[]>('listChannels')]);
  channels.sort((a, b) => String(a.name).localeCompare(String(b.name)));
  if (channel !== 'all' && !channels.some((c) => c.name === channel)) throw notFound(`No such channel: ${channel}`);
  // each channel's hosts (channels are few), so every host row can list its channels
  const members = await ctx.multi<Row[]>(channels.map((c) => ({ method: 'listHosts', kwargs: { channelID: c.id as number } })));
  const byHost = new Map<number, Row[]>();
  channels.forEach((c, i) => {
    for (const h of members[i]) byHost.set(h.id as number, [...(byHost.get(h.id as number) ?? []), c]);
  });
  const arches = [...new Set(all.flatMap((h) => String(h.arches ?? '').split(/\s+/).filter(Boolean)))].sort();
  const shown = all
    .filter((h) => state === 'all' || Boolean(h.enabled) === (state === 'enabled'))
    .filter((h) => ready === 'all' || Boolean(h.ready) === (ready === 'yes'))
    .filter((h) => arch === null || String(h.arches ?? '').split(/\s+/).includes(arch))
    .map((h) => {
      const chans = byHost.get(h.id as number) ?? [];
      return { ...h, channelList: chans, channels: chans.map((c) => c.name).join(' '), last_update: h.update_ts == null ? null : Number(h.update_ts) } as Row;
    })
    .filter((h) => channel === 'all' || (h.channelList as Row[]).some((c) => c.name === channel));
  const page = ctx.paginateList(shown, { orders: HOST_ORDERS, dflt: 'name' });
  return { template: 'hosts.njk', title: 'Hosts', pageID: 'hosts', data: { page, state, ready, arch: arch ?? 'all', channel, arches, channels } };
}

/** How many of a host's buildroots hostinfo shows */
const HOST_BUILDROOTS = 20;

async function hostinfo(ctx: PageContext): Promise<PageResult> {
  let host: Row;
  if (ctx.params.str('hostID') === null && ctx.params.str('userID') !== null) {
    // kojiweb's hostinfo?userID=N: the host that logs in as that user
    const userID = ctx.params.idOrName('userID');
    const user = await ctx.need('getUser', [userID], 'user');
    const found = await ctx.call<Row[]>('listHosts', [], { userID: user.id as number, queryOpts: { limit: 1 } });
    if (!found.length) throw notFound(`No host for user: ${String(user.name)}`);
    host = found[0];
  } else {
    host = await ctx.need('getHost', [ctx.params.idOrName('hostID')], 'host');
  }
  const id = host.id as number;
  const [perms, channels, lastUpdate, tasks, [buildroots, brTotal]] = await Promise.all([
    // the visitor's own permissions: admins and host managers get the edit and enable/disable controls
    ctx.login ? ctx.call<string[]>('getUserPerms') : Promise.resolve([] as string[]),
    ctx.call<Row[]>('listChannels', [], { hostID: id }),
    ctx.call<XmlRpcValue>('getLastHostUpdate', [id], { ts: true }).then((v) => (v == null ? null : Number(v))),
    ctx.paginate('listTasks', [], { opts: { host_id: id, state: [T.OPEN] } }, { orders: ['id', 'method', 'create_time', 'start_time', 'state'], dflt: '-id', prefix: 'task' }),
    ctx.multi<XmlRpcValue>([
      { method: 'listBuildroots', kwargs: { hostID: id, queryOpts: { order: '-id', limit: HOST_BUILDROOTS } } },
      { method: 'listBuildroots', kwargs: { hostID: id, queryOpts: { countOnly: true } } },
    ]),
  ]);
  channels.sort((a, b) => String(a.name).localeCompare(String(b.name)));
  return {
    template: 'hostinfo.njk',
    title: `${String(host.name)} | Host Info`,
    pageID: 'hosts',
    data: { host, channels, lastUpdate, tasks, buildroots, brTotal, canEdit: perms.includes('admin') || perms.includes('host'), arches: String(host.arches ?? '').split(/\s+/).filter(Boolean) },
  };
}

async function channelinfo(ctx: PageContext): Promise<PageResult> {
  const channel = await ctx.need('getChannel', [ctx.params.idOrName('channelID')], 'channel');
  const id = channel.id as number;
  const [taskCount, hosts] = await Promise.all([
    ctx.call<number>('listTasks', [], { opts: { channel_id: id, state: [T.FREE, T.OPEN, T.ASSIGNED] }, queryOpts: { countOnly: true } }),
    ctx.call<Row[]>('listHosts', [], { channelID: id }),
  ]);
  hosts.sort((a, b) => String(a.name).localeCompare(String(b.name)));
  const sum = (k: string) => hosts.filter((h) => h.enabled).reduce((s, h) => s + Number(h[k] ?? 0), 0);
  return {
    template: 'channelinfo.njk',
    title: `${String(channel.name)} | Channel Info`,
    pageID: 'hosts',
    data: { channel, taskCount, hosts, enabled: hosts.filter((h) => h.enabled).length, ready: hosts.filter((h) => h.ready).length, load: sum('task_load'), capacity: sum('capacity') },
  };
}

export const PEOPLE_PAGES: Record<string, PageHandler> = { users, userinfo, hosts, hostinfo, channelinfo };
