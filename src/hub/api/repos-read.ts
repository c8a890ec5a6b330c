/**
 * Read access to repos and external repos, as taginfo and other readers use them: getRepo
 * (Koji's old_get_repo: the newest repo of a tag in a state), repoInfo, getTagExternalRepos,
 * getExternalRepoList (along the inheritance walk, duplicates dropped), listExternalRepos and
 * getExternalRepo. The mutators come with the repo machinery.
 */
import { REPO_STATES } from '../../protocol/enums.ts';
import { GenericError } from '../../protocol/faults.ts';
import type { XmlRpcValue } from '../../protocol/values.ts';
import type { Sql } from '../../db/types.ts';
import { nameOrId } from '../lookup.ts';
import { eventClause, Select, type QueryOpts } from '../query.ts';
import { method, queryOptsSchema, t, truthy, type MethodDef } from '../registry.ts';
import type { CallContext } from '../types.ts';
import { getTag, tagId } from '../content/tag.ts';
import { readFullInheritance } from '../content/inheritance.ts';
import { pyStrOf } from '../../protocol/pyrepr.ts';

/** Koji's RepoQuery with fields='**': every field, joins included. */
function repoQuery(): Select {
  return new Select('repo')
    .join('tag ON repo.tag_id = tag.id')
    .join('events AS create_ev ON repo.create_event = create_ev.id')
    .join('LEFT JOIN events AS begin_ev ON repo.begin_event = begin_ev.id')
    .join('LEFT JOIN events AS end_ev ON repo.end_event = end_ev.id')
    .join('LEFT JOIN task ON repo.task_id = task.id')
    .columns(
      ['repo.id', 'id'],
      ['repo.tag_id', 'tag_id'],
      ['repo.creation_time', 'creation_time'],
      ["date_part('epoch', repo.creation_time)", 'creation_ts'],
      ['repo.state_time', 'state_time'],
      ["date_part('epoch', repo.state_time)", 'state_ts'],
      ['repo.create_event', 'create_event'],
      ["date_part('epoch', create_ev.time)", 'create_ts'],
      ['repo.begin_event', 'begin_event'],
      ["date_part('epoch', begin_ev.time)", 'begin_ts'],
      ['repo.end_event', 'end_event'],
      ["date_part('epoch', end_ev.time)", 'end_ts'],
      ['repo.state', 'state'],
      ['repo.dist', 'dist'],
      ['repo.opts', 'opts'],
      ['repo.custom_opts', 'custom_opts'],
      ['repo.task_id', 'task_id'],
      ['task.state', 'task_state'],
      ['tag.name', 'tag_name'],
    );
}

/** Koji's get_external_repos. */
async function externalRepos(sql: Sql, info: unknown, url: unknown, event: number | null, queryOpts: QueryOpts | null) {
  const q = new Select('external_repo')
    .join('external_repo_config ON external_repo_config.external_repo_id = external_repo.id')
    .columns(['external_repo.id', 'id'], ['external_repo.name', 'name'], ['external_repo_config.url', 'url']);
  q.where(eventClause(q, 'external_repo_config', event));
  if (info !== null && info !== undefined) {
    const { column, value } = nameOrId(info);
    q.where(`external_repo.${column} = ${q.p(value)}`);
  }
  if (url) q.where(`external_repo_config.url = ${q.p(url)}`);
  return q.run(sql, queryOpts, 'id');
}

async function externalRepo(sql: Sql, info: unknown, strict: boolean, event: number | null): Promise<Record<string, XmlRpcValue> | null> {
  const repos = (await externalRepos(sql, info, null, event, null)) as Array<Record<string, XmlRpcValue>>;
  if (repos.length === 1) return repos[0];
  if (repos.length > 1) throw new GenericError('More than one repo in the result.');
  if (strict) throw new GenericError(`No such repo: ${pyStrOf(info)}`);
  return null;
}

/** Koji's get_tag_external_repos: tag ↔ external repo links by priority. */
async function tagExternalRepos(ctx: CallContext, tagInfo: unknown, repoInfo: unknown, event: number | null) {
  const q = new Select('tag_external_repos')
    .join('tag ON tag_external_repos.tag_id = tag.id')
    .join('external_repo ON tag_external_repos.external_repo_id = external_repo.id')
    .join('external_repo_config ON external_repo.id = external_repo_config.external_repo_id')
    .columns(
      ['external_repo.id', 'external_repo_id'],
      ['external_repo.name', 'external_repo_name'],
      ['tag_external_repos.priority', 'priority'],
      ['tag.id', 'tag_id'],
      ['tag.name', 'tag_name'],
      ['external_repo_config.url', 'url'],
      ['tag_external_repos.merge_mode', 'merge_mode'],
      ['tag_external_repos.arches', 'arches'],
    );
  q.where(eventClause(q, 'tag_external_repos', event));
  q.where(eventClause(q, 'external_repo_config', event));
  if (truthy(tagInfo)) q.where(`tag.id = ${q.p(await tagId(ctx.sql, tagInfo, true))}`);
  if (truthy(repoInfo)) q.where(`external_repo.id = ${q.p((await externalRepo(ctx.sql, repoInfo, true, event))!.id)}`);
  return q.rows(ctx.sql, { order: 'priority,tag_id' });
}

const eventArg = t.int.nullable();

export const repoReadMethods: MethodDef[] = [
  method({
    name: 'getRepo',
    sig: '(tag, state=None, event=None, dist=False, min_event=None)',
    doc: 'The newest repo of a tag: READY ones unless another state is given; with event, the newest created at or before it (any state).',
    args: { state: t.intish.nullable(), event: t.intish.nullable(), dist: t.flag, min_event: t.intish.nullable() },
    async handler(ctx, a) {
      const id = await tagId(ctx.sql, a.tag, true);
      const q = repoQuery();
      q.where(`repo.tag_id = ${q.p(id)}`);
      q.where(a.dist ? 'repo.dist IS TRUE' : 'repo.dist IS FALSE');
      if (a.event) q.where(`repo.create_event <= ${q.p(a.event)}`);
      else q.where(`repo.state = ${q.p(a.state ?? REPO_STATES.byName.READY)}`);
      if (a.min_event !== null) q.where(`repo.create_event >= ${q.p(a.min_event)}`);
      const rows = await q.rows(ctx.sql, { order: '-creation_time,-id', limit: 1 });
      return (rows[0] ?? null) as XmlRpcValue;
    },
  }),
  method({
    name: 'repoInfo',
    sig: '(repo_id, strict=False)',
    doc: 'Get repo information: id, state, create_event, creation_time, tag_id, tag_name, dist, opts …',
    args: { repo_id: t.intish.nullable(), strict: t.flag },
    async handler(ctx, a) {
      const q = repoQuery();
      q.where(a.repo_id === null ? 'FALSE' : `repo.id = ${q.p(a.repo_id)}`);
      const rows = await q.rows(ctx.sql);
      if (!rows.length && a.strict) throw new GenericError('query returned no rows');
      return (rows[0] ?? null) as XmlRpcValue;
    },
  }),
  method({
    name: 'getTagExternalRepos',
    sig: '(tag_info=None, repo_info=None, event=None)',
    doc: 'Tag ↔ external repo associations (of a tag and/or an external repo), by priority.',
    args: { event: eventArg },
    handler: async (ctx, a) => (await tagExternalRepos(ctx, a.tag_info, a.repo_info, a.event)) as XmlRpcValue,
  }),
  method({
    name: 'getExternalRepoList',
    sig: '(tag_info, event=None)',
    doc: 'External repos of a tag and its ancestors, in inheritance order (by priority within a tag), without duplicates.',
    args: { event: eventArg },
    async handler(ctx, a) {
      const tag = (await getTag(ctx, a.tag_info, { strict: true, event: a.event }))!;
      const tags = [tag.id, ...(await readFullInheritance(ctx.sql, tag.id, a.event)).map((l) => l.parent_id)];
      const seen = new Set<unknown>();
      const out: Array<Record<string, unknown>> = [];
      for (const id of tags) {
        for (const r of await tagExternalRepos(ctx, id, null, a.event)) {
          if (seen.has(r.external_repo_id)) continue;
          seen.add(r.external_repo_id);
          out.push(r);
        }
      }
      return out as XmlRpcValue;
    },
  }),
  method({
    name: 'listExternalRepos',
    sig: '(info=None, url=None, event=None, queryOpts=None)',
    doc: 'External repos (id, name, url), optionally by name/id or url.',
    args: { event: eventArg, queryOpts: queryOptsSchema },
    handler: async (ctx, a) => (await externalRepos(ctx.sql, a.info, a.url, a.event, a.queryOpts)) as XmlRpcValue,
  }),
  method({
    name: 'getExternalRepo',
    sig: '(info, strict=False, event=None)',
    doc: 'One external repo (id, name, url) by name or id, or None.',
    args: { strict: t.flag, event: eventArg },
    handler: async (ctx, a) => (await externalRepo(ctx.sql, a.info, a.strict, a.event)) as XmlRpcValue,
  }),
];
