/** Channels: which hosts take which tasks. */
import { GenericError } from '../../protocol/faults.ts';
import type { XmlRpcValue } from '../../protocol/values.ts';
import { checkString } from '../lookup.ts';
import { Select, eventClause } from '../query.ts';
import { method, t, truthy, type MethodDef } from '../registry.ts';
import { insertVersioned, revokeRows } from '../versioned.ts';
import type { CallContext } from '../types.ts';
import { getHost, lookupChannel, type ChannelInfo, type HostInfo } from '../content/hosts.ts';
import { verifyNameInternal } from '../names.ts';
import { pyStrOf } from '../../protocol/pyrepr.ts';

async function listChannels(ctx: CallContext, hostID: unknown, event: number | null, enabled: unknown): Promise<XmlRpcValue> {
  const q = new Select('channels').columns(
    ['channels.id', 'id'],
    ['channels.name', 'name'],
    ['channels.description', 'description'],
    ['channels.enabled', 'enabled'],
    ['channels.comment', 'comment'],
  );
  if (enabled !== null && enabled !== undefined) q.where(truthy(enabled) ? 'channels.enabled IS TRUE' : 'channels.enabled IS FALSE');
  if (truthy(hostID)) {
    let hid = hostID;
    if (typeof hid === 'string') hid = ((await getHost(ctx, hid, { strict: true })) as HostInfo).id;
    q.join('host_channels ON channels.id = host_channels.channel_id');
    q.where(eventClause(q, 'host_channels', event));
    q.where(`host_channels.host_id = ${q.p(hid)}`);
  } else if (event) {
    throw new GenericError('list_channels with event and not host is not allowed.');
  }
  return (await q.rows(ctx.sql, null, 'id')) as XmlRpcValue;
}

async function setEnabled(ctx: CallContext, name: unknown, enabled: boolean, comment: unknown): Promise<null> {
  checkString(comment, 'comment');
  const chan = await lookupChannel(ctx, name);
  if (!chan) throw new GenericError(`No such channel: ${pyStrOf(name)}`);
  if (comment !== null && comment !== undefined) await ctx.sql.execute('UPDATE channels SET enabled = $1, comment = $2 WHERE id = $3', [enabled, comment, chan.id]);
  else await ctx.sql.execute('UPDATE channels SET enabled = $1 WHERE id = $2', [enabled, chan.id]);
  return null;
}

async function editChannel(ctx: CallContext, info: unknown, kw: Record<string, XmlRpcValue>): Promise<boolean> {
  const chan = (await lookupChannel(ctx, info, true)) as ChannelInfo;
  const changes = (['description', 'comment', 'name'] as const).filter((f) => f in kw && kw[f] !== chan[f]);
  if (changes.length === 0) return false;
  if (kw.name) {
    verifyNameInternal(ctx, kw.name);
    const dup = await lookupChannel(ctx, kw.name);
    if (dup) throw new GenericError(`channel ${dup.name} already exists (id=${dup.id})`);
  }
  if ('description' in kw) checkString(kw.description, 'description');
  if ('comment' in kw) checkString(kw.comment, 'comment');
  const sets = changes.map((f, i) => `${f} = $${i + 2}`).join(', ');
  await ctx.sql.execute(`UPDATE channels SET ${sets} WHERE id = $1`, [chan.id, ...changes.map((f) => kw[f])]);
  return true;
}

export const channelMethods: MethodDef[] = [
  method({
    name: 'getChannel',
    sig: '(channelInfo, strict=False)',
    doc: 'Look up a channel by id or name: {id, name, description, enabled, comment}',
    args: { strict: t.flag },
    handler: async (ctx, a) => (await lookupChannel(ctx, a.channelInfo, a.strict)) as XmlRpcValue,
  }),
  method({
    name: 'listChannels',
    sig: '(hostID=None, event=None, enabled=None)',
    doc: 'List channels, or those of a host (optionally as they were at an event).',
    args: { event: t.int.nullable() },
    handler: (ctx, a) => listChannels(ctx, a.hostID, a.event, a.enabled),
  }),
  method({
    name: 'addChannel',
    sig: '(channel_name, description=None)',
    requires: { perm: 'admin' },
    writes: true,
    doc: 'Add a channel; returns its id.',
    async handler(ctx, a) {
      verifyNameInternal(ctx, a.channel_name);
      checkString(a.description, 'description');
      const dup = await lookupChannel(ctx, a.channel_name);
      if (dup) throw new GenericError(`channel ${dup.name} already exists (id=${dup.id})`);
      return ctx.sql.value<number>('INSERT INTO channels (name, description) VALUES ($1, $2) RETURNING id', [a.channel_name, a.description]) as Promise<number>;
    },
  }),
  method({
    name: 'editChannel',
    sig: '(channelInfo, **kw)',
    requires: { perm: 'admin' },
    writes: true,
    doc: 'Edit a channel: name, description, comment. Returns True when something changed.',
    handler: (ctx, a) => editChannel(ctx, a.channelInfo, a.kw as Record<string, XmlRpcValue>),
  }),
  method({
    name: 'renameChannel',
    sig: '(old, new)',
    requires: { perm: 'admin' },
    writes: true,
    doc: 'Rename a channel',
    handler: async (ctx, a) => {
      await editChannel(ctx, a.old, { name: a.new });
      return null;
    },
  }),
  method({
    name: 'enableChannel',
    sig: '(channelname, comment=None)',
    requires: { perm: 'host' },
    writes: true,
    doc: 'Mark a channel as enabled',
    handler: (ctx, a) => setEnabled(ctx, a.channelname, true, a.comment),
  }),
  method({
    name: 'disableChannel',
    sig: '(channelname, comment=None)',
    requires: { perm: 'host' },
    writes: true,
    doc: 'Mark a channel as disabled',
    handler: (ctx, a) => setEnabled(ctx, a.channelname, false, a.comment),
  }),
  method({
    name: 'addHostToChannel',
    sig: '(hostname, channel_name, create=False, force=False)',
    requires: { perm: 'host' },
    writes: true,
    doc: 'Add the host to a channel (which must exist unless create=True, and be enabled unless force=True).',
    args: { create: t.flag, force: t.flag },
    async handler(ctx, a) {
      const host = await getHost(ctx, a.hostname);
      if (!host) throw new GenericError(`host does not exist: ${pyStrOf(a.hostname)}`);
      if (a.create) verifyNameInternal(ctx, a.channel_name);
      let chan = await lookupChannel(ctx, a.channel_name);
      if (!chan && a.create) {
        await ctx.sql.execute('INSERT INTO channels (name) VALUES ($1)', [a.channel_name]);
        chan = await lookupChannel(ctx, a.channel_name);
      }
      if (!chan) throw new GenericError(`channel does not exist: ${pyStrOf(a.channel_name)}`);
      if (!a.force && !chan.enabled) throw new GenericError(`channel ${chan.name} is disabled`);
      const member = await ctx.sql.value('SELECT 1 FROM host_channels WHERE active IS TRUE AND host_id = $1 AND channel_id = $2', [host.id, chan.id]);
      if (member !== null) throw new GenericError(`host ${host.name} is already subscribed to the ${chan.name} channel`);
      await insertVersioned(ctx, 'host_channels', { host_id: host.id, channel_id: chan.id });
      return null;
    },
  }),
  method({
    name: 'removeHostFromChannel',
    sig: '(hostname, channel_name)',
    requires: { perm: 'host' },
    writes: true,
    doc: 'Remove the host from the specified channel',
    async handler(ctx, a) {
      const host = await getHost(ctx, a.hostname);
      if (!host) throw new GenericError(`host does not exist: ${pyStrOf(a.hostname)}`);
      const chan = await lookupChannel(ctx, a.channel_name);
      if (!chan) throw new GenericError(`channel does not exist: ${pyStrOf(a.channel_name)}`);
      if (!(await revokeRows(ctx, 'host_channels', { host_id: host.id, channel_id: chan.id }))) {
        throw new GenericError(`host ${host.name} is not subscribed to the ${chan.name} channel`);
      }
      return null;
    },
  }),
];
