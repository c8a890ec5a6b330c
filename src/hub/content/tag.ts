/**
 * Tags: lookup (by id, name or struct; current or at an event), extra values, creation,
 * editing and deletion (a delete revokes every versioned row of the tag), and the lock/perm
 * access check applied when builds are tagged.
 */
import { ActionNotAllowed, GenericError } from '../../protocol/faults.ts';
import { isStruct, newStruct, type XmlRpcValue } from '../../protocol/values.ts';
import { parseArches } from '../../util/arch.ts';
import { lookupName, nameOrId } from '../lookup.ts';
import { pyRepr, pyStrOf } from '../../protocol/pyrepr.ts';
import { userPerms } from '../auth/session.ts';
import { insertVersioned, revokeRows } from '../versioned.ts';
import type { CallContext } from '../types.ts';
import type { Sql } from '../../db/types.ts';
import { verifyDirName } from '../names.ts';
import { decodeStoredJson, encodeStoredJson } from './stored-json.ts';
import { readFullInheritance } from './inheritance.ts';

export interface TagInfo {
  id: number;
  name: string;
  perm_id: number | null;
  perm: string | null;
  arches: string | null;
  locked: boolean;
  maven_support: boolean;
  maven_include_all: boolean;
  extra: Record<string, XmlRpcValue>;
  query_event?: number;
  revoke_event?: number;
  [k: string]: XmlRpcValue | undefined;
}

/** `event` condition for versioned table `t` ($n placeholders appended to params). */
export function eventCond(t: string, event: number | null | undefined, params: unknown[]): string {
  if (event === null || event === undefined) return `${t}.active IS TRUE`;
  params.push(event);
  const p = `$${params.length}`;
  return `(${t}.create_event <= ${p} AND (${t}.revoke_event IS NULL OR ${p} < ${t}.revoke_event))`;
}

/** A tag's own extra values; with `blocked`, each value is [is_blocked, value]. */
export async function getTagExtra(sql: Sql, tagId: number, event: number | null | undefined, blocked: boolean): Promise<Record<string, XmlRpcValue>> {
  const params: unknown[] = [tagId];
  const cond = eventCond('tag_extra', event, params);
  const rows = await sql.query<{ key: string; value: string | null }>(
    `SELECT key, value FROM tag_extra WHERE tag_id = $1 AND ${cond}${blocked ? '' : ' AND value IS NOT NULL'} ORDER BY key`,
    params,
  );
  const out = newStruct();
  for (const r of rows) {
    const value = r.value === null ? null : decodeStoredJson(r.value, () => new GenericError(`No such tag extra data: ${r.key}`));
    out[r.key] = blocked ? [r.value === null, value] : value;
  }
  return out;
}

export async function getTag(ctx: CallContext | { sql: Sql }, tagInfo: unknown, o: { strict?: boolean; event?: number | 'auto' | null; blocked?: boolean } = {}): Promise<TagInfo | null> {
  const { column, value } = nameOrId(tagInfo);
  let event = o.event ?? null;
  let revokeEvent: number | null = null;
  if (event === 'auto') {
    const last = await ctx.sql.maybeOne<{ revoke_event: number | null }>(
      `SELECT tc.revoke_event FROM tag_config tc JOIN tag ON tag.id = tc.tag_id WHERE tag.${column} = $1 ORDER BY tc.create_event DESC LIMIT 1`,
      [value],
    );
    revokeEvent = last?.revoke_event ?? null;
    event = revokeEvent === null ? null : revokeEvent - 1;
  }
  const params: unknown[] = [value];
  const cond = eventCond('tag_config', event, params);
  const row = await ctx.sql.maybeOne<TagInfo>(
    `SELECT tag.id, tag.name, tag_config.perm_id, permissions.name AS perm, tag_config.arches, tag_config.locked,
            tag_config.maven_support, tag_config.maven_include_all
       FROM tag_config JOIN tag ON tag.id = tag_config.tag_id
       LEFT JOIN permissions ON permissions.id = tag_config.perm_id
      WHERE tag.${column} = $1 AND ${cond}`,
    params,
  );
  if (!row) {
    if (o.strict) throw new GenericError(`No such tagInfo: ${pyRepr(tagInfo)}`);
    return null;
  }
  row.extra = await getTagExtra(ctx.sql, row.id, event, o.blocked ?? false);
  if (revokeEvent !== null) row.revoke_event = revokeEvent;
  if (event !== null) row.query_event = event;
  return row;
}

/** id of a tag, current or not (the tag row survives deletion). */
export async function tagId(sql: Sql, info: unknown, strict = false): Promise<number | null> {
  const row = await lookupName(sql, 'tag', info, { strict: false });
  // Koji's get_tag_id → lookup_name(strict=True)
  if (!row && strict) throw new GenericError(`No such entry in table tag: ${pyStrOf(isStruct(info) ? pyRepr(info) : info)}`);
  return row?.id ?? null;
}

export async function createTagRow(
  ctx: CallContext,
  a: { name: string; arches: string | null; perm: unknown; locked: boolean; maven_support: boolean; maven_include_all: boolean; extra: Record<string, XmlRpcValue> | null },
  /** checks run where Koji checks the parent: after the name is found free, before the perm lookup */
  beforeCreate?: () => Promise<void>,
): Promise<number> {
  verifyDirName(ctx, 'tag', a.name);
  const arches = a.arches === null ? null : parseArches(a.arches, true).join(' ');
  if (!ctx.hub.options.EnableMaven && (a.maven_support || a.maven_include_all)) throw new GenericError('Maven support not enabled');
  if (await getTag(ctx, a.name)) throw new GenericError(`A tag with the name '${a.name}' already exists`);
  await beforeCreate?.();
  let permId: number | null = null;
  if (a.perm !== null && a.perm !== undefined) permId = (await lookupName(ctx.sql, 'permissions', a.perm, { strict: true }))!.id;
  // a deleted tag's row is reused, as Koji does
  const id = (await lookupName(ctx.sql, 'tag', a.name, { create: true }))!.id;
  await insertVersioned(ctx, 'tag_config', { tag_id: id, arches, perm_id: permId, locked: a.locked, maven_support: a.maven_support, maven_include_all: a.maven_include_all });
  for (const [key, value] of Object.entries(a.extra ?? {})) {
    await insertVersioned(ctx, 'tag_extra', { tag_id: id, key, value: encodeStoredJson(value ?? null, `tag extra '${key}'`) });
  }
  return id;
}

/** Set one extra value of a tag: a new version, unless the stored value is the same. */
export async function setTagExtra(ctx: CallContext, tag: TagInfo, key: string, value: XmlRpcValue): Promise<void> {
  const what = `tag extra '${key}'`;
  const text = encodeStoredJson(value ?? null, what);
  if (Object.hasOwn(tag.extra, key) && encodeStoredJson(tag.extra[key], what) === text) return;
  await revokeRows(ctx, 'tag_extra', { tag_id: tag.id, key });
  await insertVersioned(ctx, 'tag_extra', { tag_id: tag.id, key, value: text });
}

/** Every versioned row that belongs to a tag, revoked (Koji never deletes tag data). */
export async function deleteTagRows(ctx: CallContext, id: number): Promise<void> {
  const revoke = async (table: string, column = 'tag_id') => revokeRows(ctx, table, { [column]: id });
  await revoke('tag_config');
  await revoke('tag_extra');
  await revoke('tag_inheritance');
  await revoke('tag_inheritance', 'parent_id');
  await revoke('build_target_config', 'build_tag');
  await revoke('build_target_config', 'dest_tag');
  await revoke('tag_listing');
  await revoke('tag_packages');
  await revoke('tag_package_owners');
  await revoke('tag_external_repos');
  await revoke('group_config');
  await revoke('group_req_listing');
  await revoke('group_package_listing');
}

/** Koji's check_tag_access: locked tags and tags with a perm refuse; admins may override with force. */
export async function checkTagAccess(ctx: CallContext, tag: TagInfo, userId: number | null): Promise<{ access: boolean; override: boolean; reason: string }> {
  if (userId === null) throw new GenericError('a user_id is required');
  const perms = await userPerms(ctx.sql, userId, true);
  const override = perms.has('admin');
  if (tag.locked) return { access: false, override, reason: 'tag is locked' };
  if (tag.perm_id !== null) {
    const needed = tag.perm ?? (await lookupName(ctx.sql, 'permissions', tag.perm_id, { strict: true }))!.name;
    if (!perms.has(needed)) return { access: false, override, reason: `tag requires ${needed} permission` };
  }
  return { access: true, override, reason: '' };
}

export async function assertTagAccess(ctx: CallContext, tag: TagInfo, userId: number | null, force: boolean): Promise<void> {
  const r = await checkTagAccess(ctx, tag, userId);
  if (!r.access && !(r.override && force)) throw new ActionNotAllowed(r.reason);
}

/** Koji's getBuildConfig: the tag with arches and extra inherited along non-noconfig links. */
export async function getBuildConfig(ctx: CallContext, tag: unknown, event: number | null): Promise<XmlRpcValue> {
  const info = (await getTag(ctx, tag, { strict: true, event, blocked: true })) as TagInfo;
  const inh: { extra: Record<string, XmlRpcValue>; arches: XmlRpcValue } = { extra: newStruct(), arches: null };
  for (const link of await readFullInheritance(ctx.sql, info.id, event)) {
    if (link.noconfig) continue;
    const anc = (await getTag(ctx, link.parent_id, { strict: true, event, blocked: true })) as TagInfo;
    if (info.arches === null && anc.arches !== null) {
      info.arches = anc.arches;
      inh.arches = { id: anc.id, name: anc.name };
    }
    for (const key of Object.keys(anc.extra)) {
      if (!Object.hasOwn(info.extra, key)) {
        info.extra[key] = anc.extra[key];
        inh.extra[key] = { id: anc.id, name: anc.name };
      }
    }
  }
  for (const [k, v] of Object.entries(info.extra)) {
    const [blocked, value] = v as [boolean, XmlRpcValue];
    if (blocked) delete info.extra[k];
    else info.extra[k] = value;
  }
  return { ...info, config_inheritance: inh } as XmlRpcValue;
}
