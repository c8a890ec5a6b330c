/**
 * Koji 1.35's repo requests: repo.get (the best READY repo for an event and options),
 * repo.request (an existing fit, else a matching active request, else a new repo_queue row),
 * the default min_event (RepoLag / tag extra repo.lag, rounded to RepoLagWindow, capped by the
 * tag's last change), repo.checkRequest and repo.setRequestPriority.
 */
import { ActionNotAllowed, GenericError, ParameterError } from '../../protocol/faults.ts';
import type { XmlRpcValue } from '../../protocol/values.ts';
import { getTag, tagId, type TagInfo } from '../content/tag.ts';
import { tagChangeEvent } from '../content/changes.ts';
import { taskInfo } from '../tasks/info.ts';
import { PRIO_DEFAULT, taskId as intValue } from '../tasks/task.ts';
import type { CallContext } from '../types.ts';
import { convertRepoOpts } from './opts.ts';
import { queryRepos, queryRequests, repoInfo, RS, type Clause, type RepoRow, type Row } from './views.ts';

const nullableInt = (v: unknown) => (v === null || v === undefined ? null : intValue(v));

/** Koji's get_repo (repo.get): the newest READY non-dist repo with the asked options. */
export async function getRepo(ctx: CallContext, tag: unknown, minEvent: unknown, atEvent: unknown, optsIn: unknown): Promise<RepoRow | null> {
  const id = (await tagId(ctx.sql, tag, true)) as number;
  const min = nullableInt(minEvent);
  const at = nullableInt(atEvent);
  const opts = convertRepoOpts(optsIn, true);
  const clauses: Clause[] = [
    ['tag_id', '=', id],
    ['dist', 'IS', false],
    ['state', '=', RS.READY],
    // every option asked for, and no custom option that was not asked for
    ['opts', '@>', JSON.stringify(opts)],
    ['custom_opts', '<@', JSON.stringify(opts)],
  ];
  if (at !== null) clauses.push(['create_event', '=', at]);
  else if (min !== null) clauses.push(['create_event', '>=', min]);
  return (await queryRepos(ctx.sql, clauses, '**', { order: '-create_event', limit: 1 }))[0] ?? null;
}

async function eventExists(ctx: CallContext, id: number): Promise<boolean> {
  return (await ctx.sql.value('SELECT id FROM events WHERE id = $1', [id])) !== null;
}

/** The newest event before `lag` seconds ago (rounded down to the window), else the tag's first. */
export async function laggedEvent(ctx: CallContext, tag: number, lag: number): Promise<number | null> {
  const window = ctx.hub.options.RepoLagWindow;
  const baseTs = Math.floor((Date.now() / 1000 - lag) / window) * window;
  const base = await ctx.sql.value<number>(`SELECT id FROM events WHERE date_part('epoch', time) < $1 ORDER BY id DESC LIMIT 1`, [baseTs]);
  return base ?? (await tagChangeEvent(ctx, tag, { last: false, bound: null, inherit: true }));
}

/** Koji's default_min_event: allow some lag when the tag changed recently. */
async function defaultMinEvent(ctx: CallContext, tag: TagInfo): Promise<number> {
  const last = (await tagChangeEvent(ctx, tag.id, { last: true, bound: null, inherit: true })) as number;
  const lagSetting = tag.extra['repo.lag'];
  const lag = typeof lagSetting === 'number' && Number.isInteger(lagSetting) ? lagSetting : ctx.hub.options.RepoLag;
  const base = await laggedEvent(ctx, tag.id, lag);
  return base === null ? last : Math.min(base, last);
}

export interface RequestResult {
  repo: RepoRow | null;
  request: Row | null;
  duplicate: boolean;
}

/** Koji's request_repo (repo.request). */
export async function requestRepo(
  ctx: CallContext,
  tagInfo: unknown,
  a: { min_event?: unknown; at_event?: unknown; opts?: unknown; priority?: unknown; force?: boolean },
): Promise<RequestResult> {
  ctx.session.assertLogin();
  const tag = (await getTag(ctx, tagInfo, { strict: true }))!;
  const opts = convertRepoOpts(a.opts, true);
  if (opts.maven && !ctx.hub.options.EnableMaven) throw new GenericError('Maven support not enabled');
  let at: number | null = null;
  let min: number | null = null;
  if (a.at_event !== null && a.at_event !== undefined) {
    if (a.min_event !== null && a.min_event !== undefined) throw new ParameterError('The min_event and at_event options conflict');
    at = intValue(a.at_event);
    if (!(await eventExists(ctx, at))) throw new ParameterError(`Invalid event: ${at}`);
  } else if (a.min_event === 'last') {
    min = await tagChangeEvent(ctx, tag.id, { last: true, bound: null, inherit: true });
  } else if (a.min_event === null || a.min_event === undefined) {
    min = await defaultMinEvent(ctx, tag);
  } else {
    min = intValue(a.min_event);
    if (!(await eventExists(ctx, min))) throw new ParameterError(`Invalid event: ${min}`);
  }
  let priority = PRIO_DEFAULT;
  if (a.priority !== null && a.priority !== undefined) {
    const p = intValue(a.priority);
    if (p < 0 && !(await ctx.session.hasPerm('admin'))) throw new ActionNotAllowed('only admins may create high-priority requests');
    priority = PRIO_DEFAULT + p;
  }
  if (!a.force) {
    const repo = await getRepo(ctx, tag.id, min, at, opts);
    if (repo) return { repo, request: null, duplicate: false };
  }
  const clauses: Clause[] = [['tag_id', '=', tag.id], ['active', 'IS', true], ['opts', '=', JSON.stringify(opts)]];
  clauses.push(at !== null ? ['at_event', '=', at] : ['min_event', '>=', min]);
  const dup = (await queryRequests(ctx.sql, clauses, '**', { order: 'priority,id' }))[0];
  if (dup) {
    if ((dup.priority as number) > priority) {
      await setRequestPriority(ctx, dup.id as number, priority);
      dup.priority = priority;
    }
    return { repo: null, request: dup, duplicate: true };
  }
  const id = (await ctx.sql.value<number>(
    'INSERT INTO repo_queue (owner, priority, tag_id, at_event, min_event, opts) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id',
    [ctx.session.userId, priority, tag.id, at, min, JSON.stringify(opts)],
  )) as number;
  ctx.hub.log.info(`New repo request for ${tag.name}`);
  return { repo: null, request: (await queryRequests(ctx.sql, [['id', '=', id]]))[0], duplicate: false };
}

/** Koji's check_repo_request (repo.checkRequest). */
export async function checkRequest(ctx: CallContext, reqId: unknown): Promise<Record<string, XmlRpcValue>> {
  const req = (await queryRequests(ctx.sql, [['id', '=', intValue(reqId)]]))[0];
  if (!req) throw new GenericError('No such request');
  const out: Record<string, XmlRpcValue> = { repo: null, request: req };
  if (req.repo_id) out.repo = await repoInfo(ctx.sql, req.repo_id as number);
  else if (req.task_id) out.task = await taskInfo(ctx.sql, req.task_id as number, true, false);
  return out;
}

export async function setRequestPriority(ctx: CallContext, reqId: unknown, priority: unknown): Promise<void> {
  await ctx.sql.execute('UPDATE repo_queue SET priority = $1 WHERE id = $2', [intValue(priority), intValue(reqId)]);
}
