/** Build hosts: addHost, editHost, getHost, listHosts, enable/disable, getAllArches … */
import { USERTYPES } from '../../protocol/enums.ts';
import { GenericError } from '../../protocol/faults.ts';
import type { XmlRpcValue } from '../../protocol/values.ts';
import { canonArch, parseArches } from '../../util/arch.ts';
import { checkString } from '../lookup.ts';
import type { QueryOpts } from '../query.ts';
import { method, queryOptsSchema, t, truthy, type MethodDef } from '../registry.ts';
import { insertVersioned, revokeRows } from '../versioned.ts';
import type { CallContext } from '../types.ts';
import { getUser } from './users.ts';
import { checkRealm, insertUser } from '../auth/users.ts';
import { getHost, hostSelect, lookupChannel, type HostInfo } from '../content/hosts.ts';
import { verifyNameInternal, verifyNameUser } from '../names.ts';
import { pyStrOf } from '../../protocol/pyrepr.ts';

/** Revoke the current host_config and insert it again with `changes` applied. */
async function rewriteConfig(ctx: CallContext, host: HostInfo, changes: Record<string, unknown>): Promise<void> {
  await revokeRows(ctx, 'host_config', { host_id: host.id });
  await insertVersioned(ctx, 'host_config', {
    host_id: host.id,
    arches: host.arches,
    capacity: Number(host.capacity),
    description: host.description,
    comment: host.comment,
    enabled: host.enabled,
    ...changes,
  });
}

async function setEnabled(ctx: CallContext, hostname: unknown, enabled: boolean): Promise<null> {
  const host = await getHost(ctx, hostname);
  if (!host) throw new GenericError(`host does not exist: ${pyStrOf(hostname)}`);
  await rewriteConfig(ctx, host, { enabled });
  return null;
}

async function listHosts(ctx: CallContext, a: { arches: unknown; channelID: unknown; ready: unknown; enabled: unknown; userID: unknown; queryOpts: QueryOpts | null }) {
  const q = hostSelect().where('host_config.active IS TRUE');
  if (a.arches !== null && a.arches !== undefined) {
    if (!truthy(a.arches)) throw new GenericError('arches option cannot be empty');
    const list = Array.isArray(a.arches) ? a.arches : [a.arches];
    for (const x of list) checkString(x, 'arches', false);
    const pattern = `\\m(${list.map((x) => x.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')})\\M`;
    q.where(`host_config.arches ~ ${q.p(pattern)}`);
  }
  if (a.channelID !== null && a.channelID !== undefined) {
    const chan = await lookupChannel(ctx, a.channelID, true);
    q.join('host_channels ON host.id = host_channels.host_id');
    q.where(`host_channels.channel_id = ${q.p(chan?.id)} AND host_channels.active IS TRUE`);
  }
  if (a.ready !== null && a.ready !== undefined) q.where(truthy(a.ready) ? 'host.ready IS TRUE' : 'host.ready IS FALSE');
  if (a.enabled !== null && a.enabled !== undefined) q.where(truthy(a.enabled) ? 'host_config.enabled IS TRUE' : 'host_config.enabled IS FALSE');
  if (a.userID !== null && a.userID !== undefined) {
    const u = await getUser(ctx, a.userID, { strict: true });
    q.where(`host.user_id = ${q.p(u?.id)}`);
  }
  return (await q.run(ctx.sql, a.queryOpts, 'id')) as XmlRpcValue;
}

export const hostMethods: MethodDef[] = [
  method({
    name: 'addHost',
    sig: '(hostname, arches, krb_principal=None, force=False)',
    requires: { perm: 'host' },
    writes: true,
    doc: 'Add a builder host (and its user) to the database; capacity 2.0, channel "default". Returns the host id.',
    args: { arches: t.strList, krb_principal: t.str.nullable(), force: t.flag },
    async handler(ctx, a) {
      verifyNameInternal(ctx, a.hostname);
      verifyNameUser(ctx, a.hostname);
      const arches = parseArches(a.arches.join(' '), true).join(' ');
      if (await getHost(ctx, a.hostname)) throw new GenericError(`host already exists: ${a.hostname}`);
      const defaultChannel = await ctx.sql.value<number>(`SELECT id FROM channels WHERE name = 'default'`);
      if (defaultChannel === null) throw new GenericError("channel 'default' is missing; recreate it with addChannel");
      const lookup: Record<string, string> = { name: a.hostname };
      if (a.krb_principal) lookup.krb_principal = a.krb_principal;
      const user = await getUser(ctx, lookup);
      let userId: number;
      if (user) {
        if (user.usertype !== USERTYPES.byName.HOST) {
          if (a.force && user.usertype === USERTYPES.byName.NORMAL) {
            await ctx.sql.execute('UPDATE users SET usertype = $1 WHERE id = $2', [USERTYPES.byName.HOST, user.id]);
          } else throw new GenericError(`user ${a.hostname} already exists and it is not a host`);
        }
        userId = user.id;
      } else {
        let principal = a.krb_principal;
        const fmt = ctx.hub.options.HostPrincipalFormat;
        if (!principal && fmt) principal = fmt.replace('%s', a.hostname);
        checkRealm(ctx, principal);
        userId = await insertUser(ctx, a.hostname, USERTYPES.byName.HOST, null, principal);
      }
      const hostId = (await ctx.sql.value<number>('INSERT INTO host (user_id, name) VALUES ($1, $2) RETURNING id', [userId, a.hostname])) as number;
      await insertVersioned(ctx, 'host_config', { host_id: hostId, arches });
      await insertVersioned(ctx, 'host_channels', { host_id: hostId, channel_id: defaultChannel });
      return hostId;
    },
  }),
  method({
    name: 'editHost',
    sig: '(hostInfo, **kw)',
    requires: { perm: 'host' },
    writes: true,
    doc: 'Edit a host: arches (space-separated), capacity, description, comment. Returns True when something changed.',
    async handler(ctx, a) {
      const host = (await getHost(ctx, a.hostInfo, { strict: true })) as HostInfo;
      const kw = a.kw as Record<string, XmlRpcValue>;
      const changes: Record<string, unknown> = {};
      for (const field of ['arches', 'capacity', 'description', 'comment'] as const) {
        if (!(field in kw)) continue;
        let v: unknown = kw[field];
        if (field === 'capacity') {
          v = typeof v === 'object' && v !== null ? Number(v) : v;
          if (typeof v !== 'number' || Number.isNaN(v)) throw new GenericError(`Invalid type for capacity: expected a number`);
          if (v === Number(host.capacity)) continue;
          if (v <= 1) throw new GenericError(`Invalid capacity ${v}: must be greater than 1`);
        } else {
          checkString(v, field);
          if (field === 'arches' && typeof v === 'string') v = parseArches(v, true).join(' ');
          if (v === host[field]) continue;
        }
        changes[field] = v;
      }
      if (Object.keys(changes).length === 0) return false;
      await rewriteConfig(ctx, host, changes);
      return true;
    },
  }),
  method({
    name: 'getHost',
    sig: '(hostInfo, strict=False, event=None)',
    doc: 'Get information about a host (by id or name), optionally as it was at an event.',
    args: { strict: t.flag, event: t.int.nullable() },
    handler: async (ctx, a) => (await getHost(ctx, a.hostInfo, { strict: a.strict, event: a.event })) as XmlRpcValue,
  }),
  method({
    name: 'listHosts',
    sig: '(arches=None, channelID=None, ready=None, enabled=None, userID=None, queryOpts=None)',
    doc: 'List builder hosts, filtered by arches, channel, ready, enabled or user.',
    args: { queryOpts: queryOptsSchema },
    handler: (ctx, a) => listHosts(ctx, a as never),
  }),
  method({ name: 'enableHost', sig: '(hostname)', requires: { perm: 'host' }, writes: true, doc: 'Mark a host as enabled', handler: (ctx, a) => setEnabled(ctx, a.hostname, true) }),
  method({ name: 'disableHost', sig: '(hostname)', requires: { perm: 'host' }, writes: true, doc: 'Mark a host as disabled', handler: (ctx, a) => setEnabled(ctx, a.hostname, false) }),
  method({
    name: 'getLastHostUpdate',
    sig: '(hostID, ts=False)',
    doc: 'The last time the host contacted the hub (its newest session update), or None.',
    args: { hostID: t.int, ts: t.flag },
    async handler(ctx, a) {
      const row = await ctx.sql.maybeOne<{ update_time: string; update_ts: unknown }>(
        `SELECT s.update_time, date_part('epoch', s.update_time) AS update_ts
           FROM sessions s JOIN host h ON h.user_id = s.user_id WHERE h.id = $1 ORDER BY s.update_time DESC LIMIT 1`,
        [a.hostID],
      );
      if (!row) return null;
      return (a.ts ? row.update_ts : row.update_time) as XmlRpcValue;
    },
  }),
  method({
    name: 'getAllArches',
    sig: '()',
    doc: 'Return a list of all (canonical) arches available from hosts',
    async handler(ctx) {
      const rows = await ctx.sql.query<{ arches: string | null }>('SELECT arches FROM host_config WHERE active IS TRUE ORDER BY host_id');
      const seen = new Set<string>();
      for (const r of rows) for (const arch of (r.arches ?? '').split(/\s+/).filter(Boolean)) seen.add(canonArch(arch));
      return [...seen];
    },
  }),
];
