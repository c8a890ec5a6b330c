/**
 * Repo states and what follows from them (Koji's repo_set_state, repo_delete, repo_done_hook,
 * symlink_if_latest). States move upward only (INIT → READY → EXPIRED → DELETED, PROBLEM
 * above them all), except to DELETED, which is final. A repo that becomes READY satisfies the
 * waiting requests it fits at once.
 */
import { promises as fsp } from 'node:fs';
import { GenericError, ParameterError } from '../../protocol/faults.ts';
import { REPO_STATES } from '../../protocol/enums.ts';
import { PathInfo } from '../../util/pathinfo.ts';
import type { CallContext } from '../types.ts';
import { queryRepos, queryRequests, repoReferences, RS, type RepoRow } from './views.ts';

/** Koji's repo_set_state (with its transition check). */
export async function setRepoState(ctx: CallContext, repoId: number, state: number): Promise<void> {
  const name = REPO_STATES.names[state];
  if (!Number.isInteger(state) || state < 0 || name === undefined) throw new ParameterError(`Unknown repo state: ${state}`);
  const row = await ctx.sql.maybeOne<{ state: number }>('SELECT state FROM repo WHERE id = $1 FOR UPDATE', [repoId]);
  if (!row) throw new GenericError('query returned no rows');
  const oldName = REPO_STATES.names[row.state];
  if (row.state > state && state !== RS.DELETED) throw new GenericError(`Invalid repo state transition for repo ${repoId}: ${oldName} -> ${name}`);
  if (row.state === state) {
    ctx.hub.log.warn(`Repo ${repoId} is already in state ${name}`);
    return;
  }
  if (row.state === RS.DELETED) throw new GenericError(`Repo ${repoId} is deleted`);
  await ctx.sql.execute('UPDATE repo SET state = $1, state_time = NOW() WHERE id = $2', [state, repoId]);
  if (state === RS.READY) await satisfyRequests(ctx, repoId);
}

/** Koji's repo_delete: DELETED unless buildroots still use the repo; returns how many do. */
export async function deleteRepo(ctx: CallContext, repoId: number): Promise<number> {
  await ctx.sql.query('SELECT state FROM repo WHERE id = $1 FOR UPDATE', [repoId]);
  const refs = await repoReferences(ctx.sql, repoId);
  if (refs.length === 0) await setRepoState(ctx, repoId, RS.DELETED);
  return refs.length;
}

/** Koji's repo_done_hook: mark the waiting requests this READY repo fits as fulfilled. */
async function satisfyRequests(ctx: CallContext, repoId: number): Promise<void> {
  const repo = (await queryRepos(ctx.sql, [['id', '=', repoId]]))[0];
  if (!repo || repo.dist || repo.opts === null || repo.custom_opts === null) return;
  const base: Array<[string, string, string | number | boolean | null]> = [
    ['tag_id', '=', repo.tag_id],
    ['active', 'IS', true],
    ['repo_id', 'IS', null],
    // the repo has every option the request asks for; the request asks for every custom one
    ['opts', '<@', JSON.stringify(repo.opts)],
    ['opts', '@>', JSON.stringify(repo.custom_opts)],
  ];
  const ids = new Set<number>();
  for (const extra of [['min_event', '<=', repo.create_event], ['at_event', '=', repo.create_event]] as const) {
    for (const r of await queryRequests(ctx.sql, [...base, [...extra]], ['id'], { order: 'id' })) ids.add(r.id as number);
  }
  if (ids.size === 0) return;
  await ctx.sql.execute('UPDATE repo_queue SET repo_id = $1, active = FALSE, update_time = NOW() WHERE id = ANY($2::int[])', [repoId, [...ids]]);
}

/**
 * Koji's symlink_if_latest: point repos/<tag>/latest (repos-dist for dist repos) at the repo
 * when it is the newest READY one with default options. Done after commit (the link is a
 * convenience; a failure is logged).
 */
export async function linkIfLatest(ctx: CallContext, repo: RepoRow): Promise<boolean> {
  const custom = repo.custom_opts ?? {};
  if (Object.keys(custom).length && !repo.dist) return false;
  const newer = await queryRepos(
    ctx.sql,
    [['tag_id', '=', repo.tag_id], ['state', '=', RS.READY], ['create_event', '>', repo.create_event], repo.dist ? ['dist', 'IS', true] : ['custom_opts', '=', '{}']],
    ['id'],
  );
  if (newer.length) return false;
  const pi = new PathInfo(ctx.hub.kojiDir);
  const link = repo.dist ? pi.distrepo('latest', repo.tag_name) : pi.repo('latest', repo.tag_name);
  ctx.onCommit(async () => {
    try {
      const tmp = `${link}.${process.pid}.tmp`;
      await fsp.rm(tmp, { force: true });
      await fsp.symlink(String(repo.id), tmp);
      await fsp.rename(tmp, link);
    } catch (e) {
      ctx.hub.log.error({ err: e }, `Unable to create latest link: ${link}`);
    }
  });
  return true;
}
