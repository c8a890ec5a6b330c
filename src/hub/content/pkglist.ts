/**
 * Package lists: which packages a tag carries (and which it blocks), with owners, following
 * inheritance. One query does the whole inherited read: the walk (tag order + accumulated
 * pkg_filter regexes, anchored at the start like Python's re.match) is passed in as JSON and
 * `DISTINCT ON (package)` keeps the first entry in walk order — blocked entries included, so a
 * block hides the package from every parent.
 */
import { GenericError } from '../../protocol/faults.ts';
import type { XmlRpcValue } from '../../protocol/values.ts';
import type { Sql } from '../../db/types.ts';
import { eventCond } from './tag.ts';
import { readFullInheritance } from './inheritance.ts';

export interface PkgEntry {
  package_id: number;
  package_name: string;
  tag_id: number;
  tag_name: string;
  extra_arches: string | null;
  blocked: boolean;
  owner_id?: number;
  owner_name?: string;
  [k: string]: XmlRpcValue | undefined;
}

export interface PkgListQuery {
  tagId?: number | null;
  userId?: number | null;
  /** package id, or name */
  pkg?: number | string | null;
  event?: number | null;
  inherit?: boolean;
  withDups?: boolean;
  withOwners?: boolean;
  withBlocked?: boolean;
}

/** The tags a package list is read from, in order, with their accumulated filters. */
export async function packageWalk(sql: Sql, tagId: number, event: number | null | undefined, inherit: boolean): Promise<Array<{ ord: number; tag_id: number; filters: string[] | null }>> {
  const walk: Array<{ ord: number; tag_id: number; filters: string[] | null }> = [{ ord: 0, tag_id: tagId, filters: null }];
  if (inherit) {
    const order = await readFullInheritance(sql, tagId, event);
    order.forEach((n, i) => walk.push({ ord: i + 1, tag_id: n.parent_id, filters: n.filter.length ? n.filter : null }));
  }
  return walk;
}

/**
 * Koji's readPackageList, as rows in the order of Koji's result dict: for a tag, the tag's own
 * entries first, then each package as it is first met along the inheritance walk (by package id
 * within a tag); with_dups keeps every entry, grouped by package in that order. Without a tag and
 * without with_dups, Koji keeps one entry per package (the last one read; here the newest).
 */
/** The statement of readPackageList: its rows by package, the walk position (`_ord`) and the key that orders a package's rows. */
async function pkgListParts(sql: Sql, q: PkgListQuery): Promise<{ text: string; params: unknown[]; cols: string[]; groupKey: string }> {
  if (q.tagId == null && q.userId == null && q.pkg == null) throw new GenericError('tag,user, and/or pkg must be specified');
  const withOwners = q.withOwners !== false;
  if (q.userId != null && !withOwners) throw new GenericError("userID and with_owners=False can't be used together");
  const params: unknown[] = [];
  const clauses: string[] = [eventCond('tp', q.event, params)];
  let from = 'tag_packages tp';
  let distinct = q.withDups ? '' : 'DISTINCT ON (tp.package_id) ';
  let order = q.withDups ? 'tp.package_id, tp.tag_id' : 'tp.package_id, tp.create_event DESC';
  let ordCol = '0';
  let groupKey = 'tag_id';
  if (q.tagId != null) {
    const walk = await packageWalk(sql, q.tagId, q.event, Boolean(q.inherit));
    params.push(JSON.stringify(walk));
    from = `jsonb_to_recordset($${params.length}::jsonb) AS w(ord int, tag_id int, filters text[]) JOIN tag_packages tp ON tp.tag_id = w.tag_id`;
    clauses.push(`(w.filters IS NULL OR NOT EXISTS (SELECT 1 FROM unnest(w.filters) f WHERE p.name !~ ('^(?:' || f || ')')))`);
    distinct = q.withDups ? '' : 'DISTINCT ON (tp.package_id) ';
    order = 'tp.package_id, w.ord';
    ordCol = 'w.ord';
    groupKey = '_ord';
  }
  let joins = 'JOIN package p ON p.id = tp.package_id JOIN tag t ON t.id = tp.tag_id';
  let cols = `tp.package_id, p.name AS package_name, tp.tag_id, t.name AS tag_name, tp.extra_arches, tp.blocked, ${ordCol} AS _ord`;
  const names = ['package_id', 'package_name', 'tag_id', 'tag_name', 'extra_arches', 'blocked'];
  if (withOwners) {
    const oc = eventCond('o', q.event, params);
    joins += ` JOIN tag_package_owners o ON o.tag_id = tp.tag_id AND o.package_id = tp.package_id AND ${oc} JOIN users u ON u.id = o.owner`;
    cols += ', u.id AS owner_id, u.name AS owner_name';
    names.push('owner_id', 'owner_name');
  }
  if (q.userId != null) {
    params.push(q.userId);
    clauses.push(`u.id = $${params.length}`);
  }
  if (q.pkg != null) {
    params.push(q.pkg);
    clauses.push(typeof q.pkg === 'number' ? `p.id = $${params.length}` : `p.name = $${params.length}`);
  }
  // as in Koji, excluding blocked entries happens before the first-entry-wins selection
  if (q.withBlocked === false) clauses.push('NOT tp.blocked');
  return { text: `SELECT ${distinct}${cols} FROM ${from} ${joins} WHERE ${clauses.join(' AND ')} ORDER BY ${order}`, params, cols: names, groupKey };
}

/**
 * Koji's readPackageList, as rows in the order of Koji's result dict: for a tag, the tag's own
 * entries first, then each package as it is first met along the inheritance walk (by package id
 * within a tag); with_dups keeps every entry, grouped by package in that order. Without a tag and
 * without with_dups, Koji keeps one entry per package (the last one read; here the newest).
 */
export async function readPackageList(sql: Sql, q: PkgListQuery): Promise<PkgEntry[]> {
  const { text, params } = await pkgListParts(sql, q);
  const rows = await sql.query<PkgEntry & { _ord?: number }>(text, params);
  // rows come by package (then walk position): order packages by where they were first met
  const first = new Map<number, number>();
  for (const r of rows) if (!first.has(r.package_id)) first.set(r.package_id, r._ord as number);
  const pos = new Map(rows.map((r, i) => [r, i]));
  rows.sort((a, b) => first.get(a.package_id)! - first.get(b.package_id)! || a.package_id - b.package_id || pos.get(a)! - pos.get(b)!);
  for (const r of rows) delete r._ord;
  return rows;
}

/** A page of readPackageList: order keys ('-' descending), offset, limit, count only; a name prefix (ASCII, any case). */
export interface PkgListPage {
  order: string | null;
  offset: number;
  limit: number;
  countOnly: boolean;
  prefix: string | null;
}

/** Keys of a package list row compared as text (by code point, as the in-memory sort). */
const PKG_TEXT_KEYS = new Set(['package_name', 'tag_name', 'extra_arches', 'owner_name']);

/**
 * readPackageList filtered by a name prefix, sorted (stable: ties keep readPackageList's order)
 * and cut — or the number of rows of that cut — by the database, without reading the whole list:
 * the answer of sorting readPackageList's rows as queryOpts do (test/hub/pkglist-page.test.ts).
 * Order keys that are not columns of the rows are ignored, as there. Remembered until content changes.
 */
export async function pagePackageList(sql: Sql, q: PkgListQuery, o: PkgListPage): Promise<PkgEntry[] | number> {
  const memoKey = `pkgListPage:${JSON.stringify([q, o])}`;
  const hit = sql.memo?.get<PkgEntry[] | number>(memoKey);
  if (hit !== undefined) return typeof hit === 'number' ? hit : hit.map((r) => ({ ...r }));
  const ticket = sql.memo?.ticket() ?? 0;
  const { text, params, cols, groupKey } = await pkgListParts(sql, q);
  const p = [...params];
  let where = '';
  if (o.prefix) {
    if (!/^[\x00-\x7f]*$/.test(o.prefix)) throw new GenericError('pagePackageList: the prefix must be ASCII');
    p.push(o.prefix.toLowerCase().replace(/[\\%_]/g, '\\$&') + '%');
    // lower case as JavaScript's toLowerCase for an ASCII prefix: ASCII letters, and the two other characters that become ASCII
    where = `WHERE replace(translate(package_name, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ\u212a', 'abcdefghijklmnopqrstuvwxyzk'), '\u0130', 'i\u0307') LIKE $${p.length}`;
  }
  let out: PkgEntry[] | number;
  if (o.countOnly) {
    // queryOpts count the cut list
    const total = Number(await sql.value(`SELECT count(*) FROM (${text}) AS l ${where}`, p));
    const after = Math.max(0, total - o.offset);
    out = o.limit ? Math.min(after, o.limit) : after;
  } else {
    const sortBy: string[] = [];
    for (const k of (o.order ?? '').split(',').map((x) => x.trim())) {
      const desc = k.startsWith('-');
      const name = desc ? k.slice(1) : k;
      if (!cols.includes(name)) continue;
      // None first going up (as the in-memory sort), last going down
      const expr = PKG_TEXT_KEYS.has(name) ? `"${name}" COLLATE "C"` : `"${name}"`;
      sortBy.push(`${expr} ${desc ? 'DESC NULLS LAST' : 'ASC NULLS FIRST'}`);
    }
    // readPackageList's order: packages by where they were first met, a package's rows in walk (or tag) order
    sortBy.push('_first', 'package_id', groupKey);
    let cut = '';
    if (o.offset) cut += ` OFFSET ${o.offset}`;
    if (o.limit) cut += ` LIMIT ${o.limit}`;
    const rows = await sql.query<PkgEntry & { _ord?: number; _first?: number }>(
      `WITH l AS (${text}) SELECT l.*, min(_ord) OVER (PARTITION BY package_id) AS _first FROM l ${where} ORDER BY ${sortBy.join(', ')}${cut}`,
      p,
    );
    for (const r of rows) {
      delete r._ord;
      delete r._first;
    }
    out = rows;
  }
  sql.memo?.put(ticket, memoKey, typeof out === 'number' ? out : out.map((r) => ({ ...r })));
  return out;
}

/** The inherited entry for one package in a tag, or null. */
export async function packageEntry(sql: Sql, tagId: number, pkgId: number, event: number | null = null, withOwners = true): Promise<PkgEntry | null> {
  const rows = await readPackageList(sql, { tagId, pkg: pkgId, inherit: true, event, withOwners });
  return rows[0] ?? null;
}
