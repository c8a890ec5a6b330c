/**
 * Koji's RepoQuery and RepoQueueQuery (QueryView definitions, see query-view.ts) and the reads
 * built on them: one repo by id, the newest repo of a tag, the active ones.
 */
import { REPO_STATES } from '../../protocol/enums.ts';
import type { XmlRpcValue } from '../../protocol/values.ts';
import type { Sql } from '../../db/types.ts';
import { queryView, type ViewDef } from '../query-view.ts';

export const RS = REPO_STATES.byName;

export type Row = Record<string, XmlRpcValue>;

export interface RepoRow extends Row {
  id: number;
  tag_id: number;
  tag_name: string;
  state: number;
  create_event: number;
  dist: boolean;
  opts: Record<string, boolean> | null;
  custom_opts: Record<string, boolean> | null;
  task_id: number | null;
}

export const REPO_VIEW: ViewDef = {
  table: 'repo',
  joins: {
    tag: 'JOIN tag ON repo.tag_id = tag.id',
    create_ev: 'JOIN events AS create_ev ON repo.create_event = create_ev.id',
    begin_ev: 'LEFT JOIN events AS begin_ev ON repo.begin_event = begin_ev.id',
    end_ev: 'LEFT JOIN events AS end_ev ON repo.end_event = end_ev.id',
    task: 'LEFT JOIN task ON repo.task_id = task.id',
  },
  fields: {
    id: ['repo.id', null],
    tag_id: ['repo.tag_id', null],
    creation_time: ['repo.creation_time', null],
    creation_ts: ["date_part('epoch', repo.creation_time)", null],
    state_time: ['repo.state_time', null],
    state_ts: ["date_part('epoch', repo.state_time)", null],
    create_event: ['repo.create_event', null],
    create_ts: ["date_part('epoch', create_ev.time)", 'create_ev'],
    begin_event: ['repo.begin_event', null],
    begin_ts: ["date_part('epoch', begin_ev.time)", 'begin_ev'],
    end_event: ['repo.end_event', null],
    end_ts: ["date_part('epoch', end_ev.time)", 'end_ev'],
    state: ['repo.state', null],
    dist: ['repo.dist', null],
    opts: ['repo.opts', null],
    custom_opts: ['repo.custom_opts', null],
    task_id: ['repo.task_id', null],
    task_state: ['task.state', 'task'],
    tag_name: ['tag.name', 'tag'],
  },
  defaults: ['id', 'tag_id', 'create_event', 'state', 'dist', 'task_id', 'opts', 'custom_opts'],
};

export const REPO_QUEUE_VIEW: ViewDef = {
  table: 'repo_queue',
  joins: {
    tag: 'JOIN tag ON repo_queue.tag_id = tag.id',
    task: 'LEFT JOIN task ON repo_queue.task_id = task.id',
    users: 'JOIN users ON repo_queue.owner = users.id',
  },
  fields: {
    id: ['repo_queue.id', null],
    create_time: ['repo_queue.create_time', null],
    create_ts: ["date_part('epoch', repo_queue.create_time)", null],
    owner: ['repo_queue.owner', null],
    owner_name: ['users.name', 'users'],
    priority: ['repo_queue.priority', null],
    tag_id: ['repo_queue.tag_id', null],
    tag_name: ['tag.name', 'tag'],
    at_event: ['repo_queue.at_event', null],
    min_event: ['repo_queue.min_event', null],
    opts: ['repo_queue.opts', null],
    update_time: ['repo_queue.update_time', null],
    update_ts: ["date_part('epoch', repo_queue.update_time)", null],
    active: ['repo_queue.active', null],
    task_id: ['repo_queue.task_id', null],
    task_state: ['task.state', 'task'],
    tries: ['repo_queue.tries', null],
    repo_id: ['repo_queue.repo_id', null],
  },
  defaults: ['id', 'tag_id', 'at_event', 'min_event', 'create_ts', 'task_id', 'tries', 'repo_id', 'opts', 'active', 'update_ts'],
};

export type Clause = [string, string, XmlRpcValue];

export async function queryRepos(sql: Sql, clauses: Clause[], fields: string | string[] | null = '**', opts: Record<string, unknown> | null = null): Promise<RepoRow[]> {
  return (await queryView(sql, REPO_VIEW, clauses, fields, opts)) as RepoRow[];
}

export async function queryRequests(sql: Sql, clauses: Clause[], fields: string | string[] | null = '**', opts: Record<string, unknown> | null = null): Promise<Row[]> {
  return (await queryView(sql, REPO_QUEUE_VIEW, clauses, fields, opts)) as Row[];
}

/** Koji's repo_info: every field of one repo, or null. */
export async function repoInfo(sql: Sql, id: number | null): Promise<RepoRow | null> {
  if (id === null) return null;
  return (await queryRepos(sql, [['id', '=', id]]))[0] ?? null;
}

/** Koji's get_active_repos: the repos kojira looks after (all but DELETED). */
export async function activeRepos(sql: Sql): Promise<RepoRow[]> {
  const fields = ['id', 'tag_id', 'create_event', 'create_ts', 'state', 'dist', 'task_id', 'tag_name', 'creation_ts', 'state_ts', 'end_event', 'opts'];
  return queryRepos(sql, [['state', '!=', RS.DELETED]], fields, { order: 'id' });
}

/** Koji's repo_references: the unretired buildroots that use a repo. */
export async function repoReferences(sql: Sql, repoId: number): Promise<Row[]> {
  return sql.query<Row>(
    `SELECT buildroot_id AS id, host_id, task_id, create_event, state FROM standard_buildroot
     WHERE repo_id = $1 AND retire_event IS NULL AND state IS DISTINCT FROM 3 ORDER BY buildroot_id`,
    [repoId],
  );
}
