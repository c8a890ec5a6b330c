/**
 * Comps groups of tags, read side (Koji's get_tag_groups / readTagGroups): the group
 * definitions, group package lists and group requirements of a tag, optionally following
 * inheritance and at an event.
 *
 * Along the tag and its inheritance walk, the first definition of each group wins (a blocked
 * one too, which hides the group from every parent). Package and requirement entries are merged
 * across the same tags, first entry per package name / required group wins; entries of blocked
 * groups are ignored, and a requirement counts only when the required group is present (and not
 * blocked) in the tag. Rows of one tag come in the order they were created.
 */
import { GenericError } from '../../protocol/faults.ts';
import type { Sql } from '../../db/types.ts';
import { lookupName, type IdName } from '../lookup.ts';
import { readFullInheritance } from './inheritance.ts';
import { eventCond } from './tag.ts';

export interface GroupPkgEntry {
  group_id: number;
  tag_id: number;
  package: string;
  blocked: boolean;
  type: string;
  basearchonly: boolean | null;
  requires: string | null;
}

export interface GroupReqEntry {
  group_id: number;
  tag_id: number;
  req_id: number;
  blocked: boolean;
  type: string | null;
  is_metapkg: boolean;
  name: string;
}

export interface GroupConfig {
  name: string;
  group_id: number;
  tag_id: number;
  blocked: boolean;
  exported: boolean | null;
  display_name: string;
  is_default: boolean | null;
  uservisible: boolean | null;
  description: string | null;
  langonly: string | null;
  biarchonly: boolean | null;
}

/** A group as get_tag_groups keeps it: entries keyed by package name / required group id. */
export interface TagGroup extends GroupConfig {
  packagelist?: Map<string, GroupPkgEntry>;
  grouplist?: Map<number, GroupReqEntry>;
}

/** The fields of group_config a caller may set (Koji's cfg_fields). */
export const GROUP_FIELDS = ['exported', 'display_name', 'is_default', 'uservisible', 'description', 'langonly', 'biarchonly', 'blocked'] as const;
export const GROUP_PKG_FIELDS = ['type', 'basearchonly', 'requires'] as const;
export const GROUP_REQ_FIELDS = ['type', 'is_metapkg'] as const;

/** Comps group names are limited by the groups table (VARCHAR(50)). */
const MAX_GROUP_NAME = 50;

/** Koji's lookup_group: {id, name} by id, name or struct; create makes a missing name. */
export async function lookupGroup(sql: Sql, info: unknown, o: { strict?: boolean; create?: boolean } = {}): Promise<IdName | null> {
  return lookupName(sql, 'groups', info, {
    ...o,
    validate: (name) => {
      if (name.length === 0) throw new GenericError('Group name must not be empty');
      if (name.length > MAX_GROUP_NAME) throw new GenericError(`Group name ${name} is too long. Max length is ${MAX_GROUP_NAME} characters`);
    },
  });
}

/** The tag ids a group read covers, in order: the tag, then (inheriting) its walk. */
async function tagOrder(sql: Sql, tagId: number, event: number | null, inherit: boolean): Promise<number[]> {
  const ids = [tagId];
  if (inherit) for (const link of await readFullInheritance(sql, tagId, event)) ids.push(link.parent_id);
  return ids;
}

/** Rows of `table` for the given tags, ordered by the tags' first position, then creation. */
async function rowsInTagOrder<T extends { tag_id: number }>(sql: Sql, select: string, table: string, tags: number[], event: number | null, extraOrder: string): Promise<T[]> {
  const params: unknown[] = [[...new Set(tags)]];
  const cond = eventCond(table, event, params);
  const rows = await sql.query<T>(`${select} WHERE ${table}.tag_id = ANY($1::int[]) AND ${cond} ORDER BY ${table}.create_event, ${extraOrder}`, params);
  const pos = new Map<number, number>();
  tags.forEach((t, i) => {
    if (!pos.has(t)) pos.set(t, i);
  });
  // a stable sort keeps the creation order within one tag
  return rows.sort((a, b) => pos.get(a.tag_id)! - pos.get(b.tag_id)!);
}

export interface GroupQuery {
  event?: number | null;
  inherit?: boolean;
  inclPkgs?: boolean;
  inclReqs?: boolean;
}

/** Koji's get_tag_groups: groups by id, blocked entries included. */
export async function getTagGroups(sql: Sql, tagId: number, q: GroupQuery = {}): Promise<Map<number, TagGroup>> {
  const event = q.event ?? null;
  const tags = await tagOrder(sql, tagId, event, q.inherit !== false);
  const groups = new Map<number, TagGroup>();
  const configs = await rowsInTagOrder<GroupConfig>(
    sql,
    `SELECT groups.name, group_config.group_id, group_config.tag_id, group_config.blocked, group_config.exported,
            group_config.display_name, group_config.is_default, group_config.uservisible, group_config.description,
            group_config.langonly, group_config.biarchonly
       FROM group_config JOIN groups ON groups.id = group_config.group_id`,
    'group_config',
    tags,
    event,
    'group_config.group_id',
  );
  for (const c of configs) if (!groups.has(c.group_id)) groups.set(c.group_id, { ...c });
  if (q.inclPkgs !== false) {
    for (const g of groups.values()) g.packagelist = new Map();
    const pkgs = await rowsInTagOrder<GroupPkgEntry>(
      sql,
      `SELECT group_package_listing.group_id, group_package_listing.tag_id, group_package_listing.package,
              group_package_listing.blocked, group_package_listing.type, group_package_listing.basearchonly,
              group_package_listing.requires
         FROM group_package_listing`,
      'group_package_listing',
      tags,
      event,
      'group_package_listing.package',
    );
    for (const p of pkgs) {
      const g = groups.get(p.group_id);
      if (!g || g.blocked) continue;
      if (!g.packagelist!.has(p.package)) g.packagelist!.set(p.package, p);
    }
  }
  if (q.inclReqs !== false) {
    for (const g of groups.values()) g.grouplist = new Map();
    const reqs = await rowsInTagOrder<GroupReqEntry>(
      sql,
      `SELECT group_req_listing.group_id, group_req_listing.tag_id, group_req_listing.req_id, group_req_listing.blocked,
              group_req_listing.type, group_req_listing.is_metapkg, groups.name
         FROM group_req_listing JOIN groups ON groups.id = group_req_listing.req_id`,
      'group_req_listing',
      tags,
      event,
      'group_req_listing.req_id',
    );
    for (const r of reqs) {
      const g = groups.get(r.group_id);
      if (!g || g.blocked) continue;
      const req = groups.get(r.req_id);
      if (!req || req.blocked) continue;
      if (!g.grouplist!.has(r.req_id)) g.grouplist!.set(r.req_id, r);
    }
  }
  return groups;
}

export type GroupListing = GroupConfig & { packagelist?: GroupPkgEntry[]; grouplist?: GroupReqEntry[] };

/** Koji's readTagGroups: a list, blocked groups and entries dropped unless inclBlocked. */
export async function readTagGroups(sql: Sql, tagId: number, q: GroupQuery & { inclBlocked?: boolean } = {}): Promise<GroupListing[]> {
  const groups = await getTagGroups(sql, tagId, q);
  const keep = (x: { blocked: boolean }) => q.inclBlocked || !x.blocked;
  const out: GroupListing[] = [];
  for (const g of groups.values()) {
    if (!keep(g)) continue;
    const { packagelist, grouplist, ...config } = g;
    const item: GroupListing = { ...config };
    if (packagelist) item.packagelist = [...packagelist.values()].filter(keep);
    if (grouplist) item.grouplist = [...grouplist.values()].filter(keep);
    out.push(item);
  }
  return out;
}

/** The current row of a tag's own entry (no inheritance), for remove/unblock checks. */
export async function ownEntry(sql: Sql, table: 'group_config' | 'group_package_listing' | 'group_req_listing', match: Record<string, unknown>): Promise<{ blocked: boolean } | null> {
  const keys = Object.keys(match);
  const where = keys.map((k, i) => `${k} = $${i + 1}`).join(' AND ');
  return sql.maybeOne<{ blocked: boolean }>(`SELECT blocked FROM ${table} WHERE active IS TRUE AND ${where}`, keys.map((k) => match[k]));
}
