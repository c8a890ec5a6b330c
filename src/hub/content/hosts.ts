/**
 * Hosts and channels as other domains need them (tasks, the scheduler, the API modules):
 * getHost by id or name (optionally at an event), lookupChannel by id or name.
 */
import { GenericError } from '../../protocol/faults.ts';
import type { Float, XmlRpcValue } from '../../protocol/values.ts';
import { pyStrOf } from '../../protocol/pyrepr.ts';
import { nameOrId } from '../lookup.ts';
import { Select, eventClause } from '../query.ts';
import type { CallContext } from '../types.ts';

export interface HostInfo {
  id: number;
  user_id: number;
  name: string;
  arches: string | null;
  capacity: Float;
  description: string | null;
  comment: string | null;
  enabled: boolean;
  [k: string]: XmlRpcValue;
}

export function hostSelect(): Select {
  return new Select('host_config')
    .join('host ON host.id = host_config.host_id')
    .columns(
      ['host.id', 'id'],
      ['host.user_id', 'user_id'],
      ['host.name', 'name'],
      ["date_part('epoch', host.update_time)", 'update_ts'],
      ['host.ready', 'ready'],
      ['host.task_load', 'task_load'],
      ['host_config.arches', 'arches'],
      ['host_config.capacity', 'capacity'],
      ['host_config.description', 'description'],
      ['host_config.comment', 'comment'],
      ['host_config.enabled', 'enabled'],
    );
}

export async function getHost(ctx: CallContext, hostInfo: unknown, o: { strict?: boolean; event?: number | null } = {}): Promise<HostInfo | null> {
  const q = hostSelect();
  q.where(eventClause(q, 'host_config', o.event));
  const { column, value } = nameOrId(hostInfo);
  q.where(`host.${column} = ${q.p(value)}`);
  const row = (await q.rows<HostInfo>(ctx.sql))[0] ?? null;
  if (!row && o.strict) throw new GenericError(`Invalid hostInfo: ${pyStrOf(hostInfo)}`);
  return row;
}

export interface ChannelInfo {
  id: number;
  name: string;
  description: string | null;
  enabled: boolean;
  comment: string | null;
  [k: string]: XmlRpcValue;
}

export async function lookupChannel(ctx: CallContext, info: unknown, strict = false): Promise<ChannelInfo | null> {
  const { column, value } = nameOrId(info);
  const row = await ctx.sql.maybeOne<ChannelInfo>(`SELECT id, name, description, enabled, comment FROM channels WHERE ${column} = $1`, [value]);
  if (!row && strict) throw new GenericError(`No such channel: ${pyStrOf(value)}`);
  return row;
}
