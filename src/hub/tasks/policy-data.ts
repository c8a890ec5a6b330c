/**
 * Koji's policy_data_from_task_args / policy_data_from_task: what a task's request tells the
 * policies (channel and priority at creation, volume at import) — its source, target, tag,
 * build tag and scratch flag. A request that cannot be read gives no data (logged), as in Koji.
 */
import { isStruct, type XmlRpcValue } from '../../protocol/values.ts';
import { parseTaskParams } from '../../protocol/task-params.ts';
import { getBuildTarget } from '../api/targets.ts';
import { getTag } from '../content/tag.ts';
import type { CallContext } from '../types.ts';
import { decodeTaskXml } from './xml.ts';

export async function policyDataFromTaskArgs(ctx: CallContext, method: string, arglist: XmlRpcValue[]): Promise<Record<string, XmlRpcValue>> {
  let params: Record<string, XmlRpcValue>;
  try {
    params = parseTaskParams(method, arglist);
  } catch (e) {
    ctx.hub.log.warn({ method, err: (e as Error).message }, 'task parameters not readable for policy data');
    return {};
  }
  if (method === 'indirectionimage') {
    const opts = isStruct(params.opts) ? params.opts : {};
    params = { ...opts, opts };
  }
  const data: Record<string, XmlRpcValue> = {};
  const first = (keys: string[]) => keys.find((k) => k in params);
  const srcKey = method === 'newRepo' ? undefined : first(['src', 'spec_url', 'url']);
  // Koji insists the source is a string (convert_value check_only)
  if (srcKey !== undefined && typeof params[srcKey] === 'string') data.source = params[srcKey];
  const targetKey = first(['target', 'build_target', 'target_info']);
  if (targetKey !== undefined) {
    let target = params[targetKey];
    if (isStruct(target)) target = 'name' in target ? target.name : null;
    if (target !== null && target !== undefined) {
      const info = await getBuildTarget(ctx.sql, target);
      target = info ? info.name : null;
    }
    data.target = target ?? null;
  }
  const tagKey = first(['tag', 'tag_id', 'tag_info']);
  for (const [key, out] of [[tagKey, 'tag'], ['build_tag' in params ? 'build_tag' : undefined, 'build_tag']] as const) {
    if (key === undefined) continue;
    const tag = await getTag(ctx, params[key]).catch(() => null);
    if (tag) data[out] = tag.name;
    else ctx.hub.log.warn({ tag: params[key] }, 'bad tag parameter in task request');
  }
  const opts = params.opts;
  if (isStruct(opts) && 'scratch' in opts) data.scratch = opts.scratch;
  return data;
}

export async function policyDataFromTask(ctx: CallContext, taskId: number): Promise<Record<string, XmlRpcValue>> {
  const row = await ctx.sql.maybeOne<{ method: string; request: string }>('SELECT method, request FROM task WHERE id = $1', [taskId]);
  if (!row) return {};
  const args = decodeTaskXml(row.request);
  return Array.isArray(args) ? policyDataFromTaskArgs(ctx, row.method, args) : {};
}
