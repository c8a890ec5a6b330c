/**
 * External repos (Koji's external repo functions): the repos themselves (name; url versioned in
 * external_repo_config, always ending in `/`), their links to tags (tag_external_repos:
 * priority, merge mode koji/simple/bare, arches) and kojira's tracking data
 * (external_repo_data). Reads take an event; writes revoke and insert versioned rows.
 */
import { GenericError } from '../../protocol/faults.ts';
import { REPO_MERGE_MODES } from '../../protocol/enums.ts';
import { pyStrOf } from '../../protocol/pyrepr.ts';
import { isStruct, type XmlRpcValue } from '../../protocol/values.ts';
import type { Sql } from '../../db/types.ts';
import { parseArches } from '../../util/arch.ts';
import { lookupName, nameOrId } from '../lookup.ts';
import { verifyNameInternal } from '../names.ts';
import { eventClause, Select, type QueryOpts } from '../query.ts';
import { truthy } from '../registry.ts';
import { insertVersioned, revokeRows } from '../versioned.ts';
import { getTag, tagId } from '../content/tag.ts';
import { taskId as intValue, wrongType } from '../tasks/task.ts';
import type { CallContext } from '../types.ts';

type Row = Record<string, XmlRpcValue>;

/** Koji's get_external_repos. */
export async function externalRepos(sql: Sql, info: unknown, url: unknown, event: number | null, queryOpts: QueryOpts | null) {
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

/** Koji's get_external_repo. */
export async function externalRepo(sql: Sql, info: unknown, strict: boolean, event: number | null = null): Promise<Row | null> {
  const repos = (await externalRepos(sql, info, null, event, null)) as Row[];
  if (repos.length === 1) return repos[0];
  if (repos.length > 1) throw new GenericError('More than one repo in the result.');
  if (strict) throw new GenericError(`No such repo: ${pyStrOf(info)}`);
  return null;
}

/** Koji's get_tag_external_repos: tag ↔ external repo links by priority. */
export async function tagExternalRepos(ctx: { sql: Sql }, tagInfo: unknown, repoInfo: unknown, event: number | null = null): Promise<Row[]> {
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
  return (await q.rows(ctx.sql, { order: 'priority,tag_id' })) as Row[];
}

const withSlash = (url: string) => (url.endsWith('/') ? url : `${url}/`);

export async function createExternalRepo(ctx: CallContext, name: unknown, url: unknown): Promise<Row> {
  verifyNameInternal(ctx, name);
  if (((await externalRepos(ctx.sql, name, null, null, null)) as Row[]).length) throw new GenericError(`An external repo named "${name}" already exists`);
  const id = (await lookupName(ctx.sql, 'external_repo', name, { create: true }))!.id;
  if (typeof url !== 'string') throw new GenericError(`Invalid url: ${pyStrOf(url)}`);
  const u = withSlash(url);
  await insertVersioned(ctx, 'external_repo_config', { external_repo_id: id, url: u });
  return { id, name, url: u };
}

export async function editExternalRepo(ctx: CallContext, info: unknown, name: unknown, url: unknown): Promise<void> {
  const repo = (await externalRepo(ctx.sql, info, true))!;
  if (name && name !== repo.name) {
    verifyNameInternal(ctx, name);
    const taken = await ctx.sql.value<number>('SELECT id FROM external_repo WHERE name = $1', [name]);
    if (taken !== null) throw new GenericError(`name "${name}" is already taken by external repo ${taken}`);
    await ctx.sql.execute('UPDATE external_repo SET name = $1 WHERE id = $2', [name, repo.id]);
  }
  if (url && url !== repo.url) {
    if (typeof url !== 'string') throw new GenericError(`Invalid url: ${pyStrOf(url)}`);
    await revokeRows(ctx, 'external_repo_config', { external_repo_id: repo.id });
    await insertVersioned(ctx, 'external_repo_config', { external_repo_id: repo.id, url: withSlash(url) });
  }
}

export async function deleteExternalRepo(ctx: CallContext, info: unknown): Promise<void> {
  const repo = (await externalRepo(ctx.sql, info, true))!;
  for (const link of await tagExternalRepos(ctx, null, repo.id)) await removeExternalRepoFromTag(ctx, link.tag_id, repo.id);
  await revokeRows(ctx, 'external_repo_config', { external_repo_id: repo.id });
}

function arches(v: unknown): string | null {
  return v === null || v === undefined ? null : parseArches(v as string, true).join(' ');
}

export async function addExternalRepoToTag(ctx: CallContext, tagInfo: unknown, repoInfo: unknown, priorityIn: unknown, mergeMode: unknown, archesIn: unknown): Promise<void> {
  const mode = mergeMode === null || mergeMode === undefined ? 'koji' : mergeMode;
  if (!(REPO_MERGE_MODES as readonly unknown[]).includes(mode)) throw new GenericError(`No such merge mode: ${pyStrOf(mode)}`);
  const tag = (await getTag(ctx, tagInfo, { strict: true }))!;
  const repo = (await externalRepo(ctx.sql, repoInfo, true))!;
  const a = arches(archesIn);
  const priority = intValue(priorityIn);
  const links = await tagExternalRepos(ctx, tag.id, null);
  if (links.some((l) => l.external_repo_id === repo.id)) throw new GenericError(`tag ${tag.name} already associated with external repo ${String(repo.name)}`);
  if (links.some((l) => l.priority === priority)) throw new GenericError(`tag ${tag.name} already associated with an external repo at priority ${priority}`);
  await insertVersioned(ctx, 'tag_external_repos', { tag_id: tag.id, external_repo_id: repo.id, priority, merge_mode: mode, arches: a });
}

export async function removeExternalRepoFromTag(ctx: CallContext, tagInfo: unknown, repoInfo: unknown): Promise<void> {
  const tag = (await getTag(ctx, tagInfo, { strict: true }))!;
  const repo = (await externalRepo(ctx.sql, repoInfo, true))!;
  if (!(await tagExternalRepos(ctx, tag.id, repo.id)).length) throw new GenericError(`external repo ${String(repo.name)} not associated with tag ${tag.name}`);
  await revokeRows(ctx, 'tag_external_repos', { tag_id: tag.id, external_repo_id: repo.id });
}

/** Koji's edit_tag_external_repo: None leaves a value as it is; returns whether anything changed. */
export async function editTagExternalRepo(ctx: CallContext, tagInfo: unknown, repoInfo: unknown, o: { priority: unknown; merge_mode: unknown; arches: unknown }): Promise<boolean> {
  const tag = (await getTag(ctx, tagInfo, { strict: true }))!;
  const repo = (await externalRepo(ctx.sql, repoInfo, true))!;
  const link = (await tagExternalRepos(ctx, tag.id, repo.id))[0];
  if (!link) throw new GenericError(`external repo ${String(repo.name)} not associated with tag ${tag.name}`);
  const wanted: Record<string, unknown> = { priority: o.priority, merge_mode: o.merge_mode, arches: arches(o.arches) };
  const changed = Object.keys(wanted).filter((k) => wanted[k] !== null && wanted[k] !== undefined && wanted[k] !== link[k]);
  if (!changed.length) return false;
  const data = Object.fromEntries(Object.keys(wanted).map((k) => [k, changed.includes(k) ? wanted[k] : link[k]]));
  await removeExternalRepoFromTag(ctx, tag.id, repo.id);
  await addExternalRepoToTag(ctx, tag.id, repo.id, data.priority, data.merge_mode, data.arches);
  return true;
}

export async function externalRepoData(ctx: CallContext, info: unknown): Promise<XmlRpcValue> {
  const id = (await lookupName(ctx.sql, 'external_repo', info, { strict: true }))!.id;
  return (await ctx.sql.value<XmlRpcValue>('SELECT data FROM external_repo_data WHERE external_repo_id = $1 AND active IS TRUE', [id])) ?? null;
}

export async function setExternalRepoData(ctx: CallContext, info: unknown, data: unknown): Promise<void> {
  const id = (await lookupName(ctx.sql, 'external_repo', info, { strict: true }))!.id;
  if (!isStruct(data)) throw wrongType(data, 'dict');
  await revokeRows(ctx, 'external_repo_data', { external_repo_id: id });
  await insertVersioned(ctx, 'external_repo_data', { external_repo_id: id, data: JSON.stringify(data) });
}
