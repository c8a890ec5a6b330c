/**
 * kojira's periodic hub work (Koji 1.35): repo.checkQueue starts newRepo tasks for waiting
 * requests (owned by RepoQueueUser, at most MaxRepoTasks running, MaxRepoTasksMaven of them
 * maven; a failed task is retried up to RepoRetries times) and purges fulfilled requests after
 * RequestCleanTime minutes; repo.autoRequests requests repos for tags with extra repo.auto;
 * repo.updateEndEvents records when READY repos stopped matching their tag.
 */
import { TASK_STATES } from '../../protocol/enums.ts';
import type { XmlRpcValue } from '../../protocol/values.ts';
import { decodeStoredJson } from '../content/stored-json.ts';
import { tagChangeEvent } from '../content/changes.ts';
import { decodeTaskXml } from '../tasks/xml.ts';
import { makeTask } from '../tasks/task.ts';
import type { CallContext } from '../types.ts';
import { convertRepoOpts } from './opts.ts';
import { laggedEvent, requestRepo } from './requests.ts';
import { queryRepos, queryRequests, RS, type RepoRow, type Row } from './views.ts';

const TS = TASK_STATES.byName;

/** The repo a finished newRepo task made (its result is [repo_id, event_id]), or null. */
async function repoFromTask(ctx: CallContext, taskId: number): Promise<RepoRow | null> {
  const stored = await ctx.sql.value<string>('SELECT result FROM task WHERE id = $1', [taskId]);
  let repoId: number;
  try {
    const result = decodeTaskXml(String(stored)) as unknown[];
    repoId = Number((result[0] as unknown[])[0]);
    if (!Number.isInteger(repoId)) throw new Error('no repo id');
  } catch (e) {
    ctx.hub.log.error(`Error reading result for task ${taskId}: ${String(e)}`);
    return null;
  }
  return (await queryRepos(ctx.sql, [['id', '=', repoId]]))[0] ?? null;
}

/** Koji's valid_repo: does the repo answer the request? */
function validRepo(req: Row, repo: RepoRow): boolean {
  if (repo.tag_id !== req.tag_id || repo.state !== RS.READY) return false;
  if (req.at_event !== null) {
    if (repo.create_event !== req.at_event) return false;
  } else if (repo.create_event < (req.min_event as number)) return false;
  const opts = repo.opts;
  if (!opts) return false;
  const asked = (req.opts ?? {}) as Record<string, unknown>;
  for (const k of Object.keys(asked)) if (!(k in opts) || asked[k] !== opts[k]) return false;
  for (const [k, v] of Object.entries(repo.custom_opts ?? {})) if (!(k in asked) || asked[k] !== v) return false;
  return true;
}

/** Koji's repo_queue_task: a newRepo task for the request. */
async function queueTask(ctx: CallContext, req: Row): Promise<number> {
  const kwargs: Record<string, XmlRpcValue> = { opts: convertRepoOpts(req.opts, true) };
  if (req.at_event !== null) kwargs.event = req.at_event;
  // Koji makes the task without an owner (so: the caller) when RepoQueueUser does not exist
  const owner = await ctx.sql.value<number>('SELECT id FROM users WHERE name = $1', [ctx.hub.options.RepoQueueUser]);
  const args: XmlRpcValue[] = [{ id: req.tag_id, name: req.tag_name }, { ...kwargs, __starstar: true }];
  return makeTask(ctx, 'newRepo', args, { priority: 15, channel: 'createrepo', owner: owner ?? undefined });
}

/** Koji's check_repo_queue. */
export async function checkQueue(ctx: CallContext): Promise<void> {
  if (!(await ctx.sql.value<boolean>("SELECT pg_try_advisory_xact_lock(hashtext('repo-queue'))"))) return;
  const waiting = await queryRequests(ctx.sql, [['repo_id', 'IS', null], ['active', 'IS', true]], ['*', 'task_state', 'tag_name'], { order: 'priority,id' });
  const o = ctx.hub.options;
  let nTasks = 0;
  let nMaven = 0;
  const updates = new Map<number, Record<string, unknown>>();
  const upd = (req: Row) => updates.get(req.id as number) ?? updates.set(req.id as number, {}).get(req.id as number)!;
  const maven = (req: Row) => Boolean((req.opts as Record<string, unknown> | null)?.maven);
  for (const req of waiting) {
    if (!req.task_id) continue;
    let retry = false;
    if (req.task_state === TS.CLOSED) {
      const repo = await repoFromTask(ctx, req.task_id as number);
      if (repo && validRepo(req, repo)) Object.assign(upd(req), { repo_id: repo.id, active: false });
      else retry = true;
    } else if (req.task_state === TS.CANCELED || req.task_state === TS.FAILED) {
      ctx.hub.log.warn(`Repo task did not complete: ${String(req.task_id)}`);
      retry = true;
    } else {
      nTasks += 1;
      if (maven(req)) nMaven += 1;
    }
    if (!retry) continue;
    if ((req.tries as number) > o.RepoRetries) {
      ctx.hub.log.error(`Retries exhausted for repo request ${String(req.id)}`);
      upd(req).active = false;
    } else {
      upd(req).task_id = null;
      req.task_id = null;
    }
  }
  for (const req of waiting) {
    if (req.task_id || upd(req).active === false) continue;
    if (nTasks >= o.MaxRepoTasks) break;
    if (maven(req) && nMaven >= o.MaxRepoTasksMaven) continue;
    const task = await queueTask(ctx, req);
    nTasks += 1;
    if (maven(req)) nMaven += 1;
    Object.assign(upd(req), { task_id: task, tries: ((req.tries as number) || 0) + 1 });
    ctx.hub.log.info(`Created task ${task} for repo request ${String(req.id)}`);
  }
  let changed = false;
  for (const [id, data] of updates) {
    const keys = Object.keys(data);
    if (!keys.length) continue;
    changed = true;
    const sets = keys.map((k, i) => `${k} = $${i + 2}`).join(', ');
    await ctx.sql.execute(`UPDATE repo_queue SET ${sets}, update_time = NOW() WHERE id = $1`, [id, ...keys.map((k) => data[k])]);
  }
  if (changed) await cleanQueue(ctx);
}

/** Koji's clean_repo_queue: fulfilled or abandoned requests older than RequestCleanTime minutes. */
async function cleanQueue(ctx: CallContext): Promise<void> {
  const n = await ctx.sql.execute(`DELETE FROM repo_queue WHERE active IS FALSE AND update_time < NOW() - make_interval(mins => $1)`, [ctx.hub.options.RequestCleanTime]);
  if (n) ctx.hub.log.info(`Cleaned ${n} repo queue entries`);
}

/** Tags with extra repo.auto set (true), and the repo.lag of those that set one. */
export async function autoTags(ctx: CallContext): Promise<{ auto: number[]; lags: Map<number, number> }> {
  const rows = await ctx.sql.query<{ tag_id: number; key: string; value: string | null }>(
    "SELECT tag_id, key, value FROM tag_extra WHERE key IN ('repo.auto', 'repo.lag') AND active IS TRUE",
  );
  const auto: number[] = [];
  const lags = new Map<number, number>();
  for (const r of rows) {
    if (r.value === null) continue;
    let v: unknown;
    try {
      v = decodeStoredJson(r.value, () => new Error('not JSON'));
    } catch {
      continue;
    }
    if (r.key === 'repo.auto' && v) auto.push(r.tag_id);
    else if (r.key === 'repo.lag' && typeof v === 'number' && Number.isInteger(v)) lags.set(r.tag_id, v);
  }
  return { auto: auto.sort((a, b) => a - b), lags };
}

/** Koji's do_auto_requests: requests (relative priority +5) for tags with extra repo.auto. */
export async function autoRequests(ctx: CallContext): Promise<void> {
  const { auto, lags } = await autoTags(ctx);
  for (const tag of auto) {
    const last = await tagChangeEvent(ctx, tag, { last: true, bound: null, inherit: true });
    if (last === null) continue;
    const base = await laggedEvent(ctx, tag, lags.get(tag) ?? ctx.hub.options.RepoAutoLag);
    await requestRepo(ctx, tag, { min_event: base === null ? last : Math.min(base, last), priority: 5 });
  }
}

/** Koji's update_end_events: the first change of the tag after each READY repo without one. */
export async function updateEndEvents(ctx: CallContext): Promise<void> {
  const repos = await queryRepos(ctx.sql, [['end_event', 'IS', null], ['state', '=', RS.READY]], ['id', 'tag_id', 'create_event'], { order: 'id' });
  const tagLast = new Map<number, number | null>();
  for (const repo of repos) {
    const known = tagLast.get(repo.tag_id);
    if (known !== undefined && known !== null && known <= repo.create_event) continue;
    const end = await tagChangeEvent(ctx, repo.tag_id, { last: false, bound: repo.create_event, inherit: true });
    if (end === null) tagLast.set(repo.tag_id, await tagChangeEvent(ctx, repo.tag_id, { last: true, bound: null, inherit: true }));
    else await ctx.sql.execute('UPDATE repo SET end_event = $1 WHERE id = $2', [end, repo.id]);
  }
}
