/** When did a tag's content change: tag_updates plus every versioned table scoped to tags, and external repos. */
import type { Sql } from '../../db/types.ts';
import type { CallContext } from '../types.ts';
import { getTag, tagId } from './tag.ts';
import { readFullInheritance } from './inheritance.ts';

export const TAG_TABLES = ['tag_listing', 'tag_inheritance', 'tag_config', 'tag_packages', 'tag_external_repos', 'tag_extra', 'group_package_listing', 'group_req_listing', 'group_config'] as const;

export async function tagChangedSinceEvent(sql: Sql, event: number, tags: number[]): Promise<boolean> {
  if (tags.length === 0) return false;
  if (await sql.maybeOne('SELECT id FROM tag_updates WHERE update_event > $1 AND tag_id = ANY($2::int[]) LIMIT 1', [event, tags])) return true;
  for (const table of TAG_TABLES) {
    const hit = await sql.maybeOne(`SELECT tag_id FROM ${table} WHERE (create_event > $1 OR revoke_event > $1) AND tag_id = ANY($2::int[]) LIMIT 1`, [event, tags]);
    if (hit) return true;
  }
  return false;
}

/** Koji's tag_last_change_event (last) and tag_first_change_event (!last). */
export async function tagChangeEvent(ctx: CallContext, tag: unknown, o: { last: boolean; bound: number | null; inherit: boolean }): Promise<number | null> {
  let id: number;
  let tagDelete: number | null = null;
  let tagCreate: number | null = null;
  if (o.last) {
    const info = await getTag(ctx, tag, { strict: true, event: 'auto' });
    id = info!.id;
    tagDelete = (info!.revoke_event as number | undefined) ?? null;
    if (o.bound === null && tagDelete !== null) return tagDelete;
  } else {
    id = (await tagId(ctx.sql, tag, true)) as number;
    tagCreate = await ctx.sql.value<number>('SELECT min(create_event) FROM tag_config WHERE tag_id = $1', [id]);
    if (o.bound === null) return tagCreate;
  }
  const tags = [id];
  if (o.inherit) for (const n of await readFullInheritance(ctx.sql, id, o.bound)) tags.push(n.parent_id);
  const agg = o.last ? 'max' : 'min';
  const cmp = o.last ? '<' : '>';
  const params: unknown[] = [tags];
  const bound = (col: string) => {
    if (o.bound === null) return '';
    return ` AND ${col} ${cmp} $2`;
  };
  if (o.bound !== null) params.push(o.bound);
  const parts = [`SELECT ${agg}(update_event) AS e FROM tag_updates WHERE tag_id = ANY($1::int[])${bound('update_event')}`];
  for (const table of TAG_TABLES) {
    parts.push(`SELECT ${agg}(create_event) FROM ${table} WHERE tag_id = ANY($1::int[])${bound('create_event')}`);
    parts.push(`SELECT ${agg}(revoke_event) FROM ${table} WHERE tag_id = ANY($1::int[])${bound('revoke_event')}`);
  }
  // external repos linked to these tags (at the bound)
  const repoCond = o.bound === null ? 'active IS TRUE' : `create_event <= $2 AND (revoke_event IS NULL OR $2 < revoke_event)`;
  for (const table of ['external_repo_config', 'external_repo_data']) {
    const inRepos = `external_repo_id IN (SELECT external_repo_id FROM tag_external_repos WHERE tag_id = ANY($1::int[]) AND ${repoCond})`;
    parts.push(`SELECT ${agg}(create_event) FROM ${table} WHERE ${inRepos}${bound('create_event')}`);
    parts.push(`SELECT ${agg}(revoke_event) FROM ${table} WHERE ${inRepos}${bound('revoke_event')}`);
  }
  const rows = await ctx.sql.query<{ e: number | null }>(parts.join(' UNION ALL '), params);
  const events = rows.map((r) => r.e).filter((e): e is number => e !== null);
  if (events.length === 0) return null;
  if (o.last) return tagDelete !== null ? Math.min(tagDelete, Math.max(...events)) : Math.max(...events);
  return Math.max(Math.min(...events), tagCreate ?? 0);
}
