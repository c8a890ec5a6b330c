/**
 * What is tagged where (Koji's readTaggedBuilds / readTaggedRPMS), in one SQL statement per
 * call instead of Koji's query per inherited tag: the inheritance walk goes in as JSON; the
 * inherited package list (first entry wins, blocks hide) and the tag listings are joined, and
 * `latest` keeps the first build per package in (tag order, newest tagging, newest build) order.
 * This is the call Koji is slow at on big tags.
 */
import { GenericError } from '../../protocol/faults.ts';
import type { XmlRpcValue } from '../../protocol/values.ts';
import type { Sql } from '../../db/types.ts';
import { lookupName } from '../lookup.ts';
import { readFullInheritance } from './inheritance.ts';
import { eventCond } from './tag.ts';
import { fixExtra } from './build.ts';
import type { ResultFilter } from '../registry.ts';

export interface TaggedQuery {
  tagId: number;
  event?: number | null;
  inherit?: boolean;
  /** true: latest per package; N: latest N per package */
  latest?: boolean | number;
  package?: string | null;
  owner?: string | null;
  type?: string | null;
  extra?: boolean;
  draft?: boolean | null;
}

export type TaggedBuild = Record<string, XmlRpcValue> & { build_id: number; tag_id: number; package_id: number };

/** the order of readTaggedBuilds' rows: along the walk, newest tagging first */
const TAGGED_ORDER = 'pick.ord, pick.create_event DESC, pick.build_id DESC';

const TAGGED_COLUMNS = `t.id AS tag_id, t.name AS tag_name, b.id, b.id AS build_id, b.version, b.release, b.epoch,
  b.state, b.completion_time, b.promotion_time, b.start_time, b.task_id, b.draft,
  u.id AS owner_id, u.name AS owner_name, pr.id AS promoter_id, pr.name AS promoter_name,
  e.id AS creation_event_id, e.time AS creation_time, v.id AS volume_id, v.name AS volume_name,
  p.id AS package_id, p.name AS package_name, p.name AS name,
  p.name || '-' || b.version || '-' || b.release AS nvr, tl.create_event`;

export async function tagWalk(sql: Sql, tagId: number, event: number | null | undefined) {
  const order = await readFullInheritance(sql, tagId, event);
  const pkgWalk = [{ ord: 0, tag_id: tagId, filters: null as string[] | null }, ...order.map((n, i) => ({ ord: i + 1, tag_id: n.parent_id, filters: n.filter.length ? n.filter : null }))];
  return { order, pkgWalk };
}

export function draftClause(draft: boolean | null | undefined, table: string): string | null {
  if (draft === null || draft === undefined) return null;
  return draft ? `${table}.draft IS TRUE` : `${table}.draft IS NOT TRUE`;
}

/** The statement of readTaggedBuilds in parts: the CTEs up to `pick` (the chosen listings), the joins to the full rows. */
async function taggedParts(sql: Sql, q: TaggedQuery): Promise<{ ctes: string; cols: string; from: string; params: unknown[] }> {
  const latest = typeof q.latest === 'number' ? q.latest : q.latest ? 1 : 0;
  const { pkgWalk } = await tagWalk(sql, q.tagId, q.event);
  // tags whose listings count: the tag, plus its ancestors when inheriting (first position wins)
  const seen = new Set<number>();
  const tagOrder = (q.inherit ? pkgWalk : pkgWalk.slice(0, 1)).filter((w) => (seen.has(w.tag_id) ? false : (seen.add(w.tag_id), true))).map((w, i) => ({ ord: i, tag_id: w.tag_id }));
  const params: unknown[] = [JSON.stringify(pkgWalk), JSON.stringify(tagOrder)];
  const tpCond = eventCond('tp', q.event, params);
  const tlCond = eventCond('tl', q.event, params);
  // filters that decide which builds compete for "latest" go into the narrow `tagged` step
  const where = ['b.state = 1'];
  const narrowJoins: string[] = [];
  const joins: string[] = [];
  let cols = TAGGED_COLUMNS;
  let pkgFilter = '';
  if (q.package) {
    params.push(q.package);
    pkgFilter = ` AND p2.name = $${params.length}`;
  }
  if (q.owner) {
    params.push(q.owner);
    narrowJoins.push(`JOIN users ow ON ow.id = b.owner AND ow.name = $${params.length}`);
  }
  const dc = draftClause(q.draft, 'b');
  if (dc) where.push(dc);
  if (q.type) {
    if (q.type === 'maven') {
      narrowJoins.push('JOIN maven_builds mb0 ON mb0.build_id = b.id');
      joins.push('JOIN maven_builds mb ON mb.build_id = b.id');
      cols += ', mb.group_id AS maven_group_id, mb.artifact_id AS maven_artifact_id, mb.version AS maven_version';
    } else if (q.type === 'win') {
      narrowJoins.push('JOIN win_builds wb0 ON wb0.build_id = b.id');
      joins.push('JOIN win_builds wb ON wb.build_id = b.id');
      cols += ', wb.platform';
    } else if (q.type === 'image') {
      narrowJoins.push('JOIN image_builds ib ON ib.build_id = b.id');
    } else {
      const bt = await lookupName(sql, 'btype', q.type);
      if (!bt) throw new GenericError(`unsupported build type: ${q.type}`);
      params.push(bt.id);
      narrowJoins.push(`JOIN build_types bt ON bt.build_id = b.id AND bt.btype_id = $${params.length}`);
    }
  }
  if (q.extra) cols += ', b.extra';
  let pickSql: string;
  if (latest === 0) pickSql = 'SELECT * FROM tagged';
  else if (latest === 1) pickSql = 'SELECT DISTINCT ON (pkg_id) * FROM tagged ORDER BY pkg_id, ord, create_event DESC, build_id DESC';
  else {
    params.push(latest);
    pickSql = `SELECT * FROM (SELECT tagged.*, row_number() OVER (PARTITION BY pkg_id ORDER BY ord, create_event DESC, build_id DESC) AS n FROM tagged) AS ranked WHERE n <= $${params.length}`;
  }
  const ctes = `
    WITH pw AS (SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(ord int, tag_id int, filters text[])),
         tw AS (SELECT * FROM jsonb_to_recordset($2::jsonb) AS y(ord int, tag_id int)),
         pk AS (
           SELECT DISTINCT ON (tp.package_id) tp.package_id, tp.blocked
             FROM pw JOIN tag_packages tp ON tp.tag_id = pw.tag_id AND ${tpCond}
             JOIN package p2 ON p2.id = tp.package_id${pkgFilter}
            WHERE pw.filters IS NULL OR NOT EXISTS (SELECT 1 FROM unnest(pw.filters) f WHERE p2.name !~ ('^(?:' || f || ')'))
            ORDER BY tp.package_id, pw.ord),
         tagged AS (
           SELECT tl.build_id, tl.tag_id, tl.create_event, tw.ord, b.pkg_id
             FROM tw JOIN tag_listing tl ON tl.tag_id = tw.tag_id AND ${tlCond}
             JOIN build b ON b.id = tl.build_id
             JOIN pk ON pk.package_id = b.pkg_id AND NOT pk.blocked
             ${narrowJoins.join(' ')}
            WHERE ${where.join(' AND ')}),
         pick AS (${pickSql})`;
  const from = `
      FROM pick
      JOIN tag_listing tl ON tl.build_id = pick.build_id AND tl.tag_id = pick.tag_id AND tl.create_event = pick.create_event
      JOIN build b ON b.id = pick.build_id
      JOIN tag t ON t.id = pick.tag_id
      JOIN package p ON p.id = b.pkg_id
      JOIN events e ON e.id = b.create_event
      JOIN volume v ON v.id = b.volume_id
      JOIN users u ON u.id = b.owner
      LEFT JOIN users pr ON pr.id = b.promoter
      ${joins.join('\n      ')}`;
  return { ctes, cols, from, params };
}

export async function readTaggedBuilds(sql: Sql, q: TaggedQuery): Promise<TaggedBuild[]> {
  const { ctes, cols, from, params } = await taggedParts(sql, q);
  const rows = await sql.query<TaggedBuild>(`${ctes} SELECT ${cols} ${from} ORDER BY ${TAGGED_ORDER}`, params);
  if (q.extra) for (const r of rows) fixExtra(r as { extra?: unknown });
  return rows;
}

/** Keys of a tagged-build row the database can sort by as the wrappers sort the list: text by code point, times by their text. */
const TEXT_KEYS = new Set(['tag_name', 'version', 'release', 'owner_name', 'promoter_name', 'volume_name', 'package_name', 'name', 'nvr']);
const TIME_KEYS = new Set(['completion_time', 'promotion_time', 'start_time', 'creation_time']);
const PLAIN_KEYS = new Set(['tag_id', 'id', 'build_id', 'epoch', 'state', 'task_id', 'draft', 'owner_id', 'promoter_id', 'creation_event_id', 'volume_id', 'package_id', 'create_event']);

/** Whether pageTaggedBuilds can do this filter (else the caller sorts the whole list). */
export function canPageTagged(f: ResultFilter | null): boolean {
  if (!f) return true;
  const key = f.order?.replace(/^-/, '') ?? null;
  const whole = (n: number | null) => n === null || (Number.isInteger(n) && n >= 0);
  return (key === null || TEXT_KEYS.has(key) || TIME_KEYS.has(key) || PLAIN_KEYS.has(key)) && whole(f.offset) && whole(f.limit);
}

/**
 * count / countAndFilterResults of listTagged without reading the whole list: the number of
 * rows readTaggedBuilds would return and (with a filter) the rows of the sorted, cut list, by
 * the database. The same answer as sorting readTaggedBuilds' rows (test/hub/tagged-page.test.ts);
 * kept in the memo until content changes.
 */
export async function pageTaggedBuilds(sql: Sql, q: TaggedQuery, f: ResultFilter | null): Promise<{ total: number; rows: TaggedBuild[] }> {
  if (!canPageTagged(f)) throw new GenericError(`cannot page tagged builds by ${String(f?.order)}`);
  const memoKey = `taggedPage:${JSON.stringify([q, f])}`;
  const hit = sql.memo?.get<{ total: number; rows: TaggedBuild[] }>(memoKey);
  if (hit) return { total: hit.total, rows: hit.rows.map((r) => ({ ...r })) };
  const ticket = sql.memo?.ticket() ?? 0;
  const { ctes, cols, from, params } = await taggedParts(sql, q);
  const count = async () => Number(await sql.value(`${ctes} SELECT count(*) FROM pick`, params));
  let out: { total: number; rows: TaggedBuild[] };
  if (!f) out = { total: await count(), rows: [] };
  else {
    const desc = f.order?.startsWith('-') ?? false;
    const key = f.order?.replace(/^-/, '') || null;
    const expr = key === null ? null : TIME_KEYS.has(key) ? `"${key}"::text COLLATE "C"` : TEXT_KEYS.has(key) ? `"${key}" COLLATE "C"` : `"${key}"`;
    // None greatest: last going up, first going down (as the wrappers' sort)
    const nulls = f.noneGreatest === desc ? 'NULLS FIRST' : 'NULLS LAST';
    const sortBy = expr ? `${expr} ${desc ? 'DESC' : 'ASC'} ${nulls}, ` : '';
    const p = [...params];
    let cut = '';
    if (f.offset !== null) cut += ` OFFSET ${Number(f.offset)}`;
    if (f.limit !== null) cut += ` LIMIT ${Number(f.limit)}`;
    const rows = await sql.query<TaggedBuild & { __total: number; __ord: number }>(
      `${ctes}, sel AS (SELECT ${cols}, pick.ord AS __ord ${from})
       SELECT *, count(*) OVER () AS __total FROM sel ORDER BY ${sortBy}__ord, create_event DESC, build_id DESC${cut}`,
      p,
    );
    const total = rows.length ? Number(rows[0].__total) : await count();
    for (const r of rows) {
      delete (r as Partial<typeof r>).__total;
      delete (r as Partial<typeof r>).__ord;
      if (q.extra) fixExtra(r as { extra?: unknown });
    }
    out = { total, rows };
  }
  sql.memo?.put(ticket, memoKey, { total: out.total, rows: out.rows.map((r) => ({ ...r })) });
  return out;
}

export interface TaggedRpmQuery extends TaggedQuery {
  arch?: string | string[] | null;
  rpmsigs?: boolean;
  /** include rpminfo.extra (default true) */
  rpmExtra?: boolean;
}

/** Koji's readTaggedRPMS: [rpms, builds] for the same selection as readTaggedBuilds. */
export async function readTaggedRPMS(sql: Sql, q: TaggedRpmQuery): Promise<[Array<Record<string, XmlRpcValue>>, TaggedBuild[]]> {
  const builds = await readTaggedBuilds(sql, { ...q, extra: false });
  if (builds.length === 0) return [[], builds];
  const params: unknown[] = [builds.map((b) => b.build_id)];
  const where = ['r.build_id = ANY($1::int[])'];
  if (q.arch) {
    if (typeof q.arch === 'string') {
      params.push(q.arch);
      where.push(`r.arch = $${params.length}`);
    } else if (Array.isArray(q.arch)) {
      params.push(q.arch);
      where.push(`r.arch = ANY($${params.length}::text[])`);
    } else throw new GenericError(`Invalid type for arch option: ${typeof q.arch}`);
  }
  const dc = draftClause(q.draft, 'r');
  if (dc) where.push(dc);
  let cols = 'r.name, r.version, r.release, r.arch, r.id, r.epoch, r.draft, r.payloadhash, r.size, r.buildtime, r.buildroot_id, r.build_id, r.metadata_only';
  let joins = '';
  if (q.rpmsigs) {
    cols += ', s.sigkey';
    joins = 'LEFT JOIN rpmsigs s ON s.rpm_id = r.id';
  }
  if (q.rpmExtra !== false) cols += ', r.extra';
  const rpms = await sql.query<Record<string, XmlRpcValue>>(`SELECT ${cols} FROM rpminfo r ${joins} WHERE ${where.join(' AND ')}`, params);
  // as Koji reads them: tag by tag along the walk, by rpm id within a tag
  const tagRank = new Map<number, number>();
  for (const b of builds) if (!tagRank.has(b.tag_id)) tagRank.set(b.tag_id, tagRank.size);
  const rankOf = new Map(builds.map((b) => [b.build_id, tagRank.get(b.tag_id)!]));
  rpms.sort((a, b) => rankOf.get(a.build_id as number)! - rankOf.get(b.build_id as number)! || (a.id as number) - (b.id as number));
  if (q.rpmExtra !== false) for (const r of rpms) fixExtra(r as { extra?: unknown });
  return [rpms, builds];
}
