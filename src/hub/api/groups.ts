/**
 * Comps groups per tag: groupList{Add,Remove,Block,Unblock}, groupPackageList{…},
 * groupReqList{…} and getTagGroups, with Koji's semantics (grplist_*, grp_pkg_*, grp_req_*):
 * adding compares against the inherited entry and writes nothing when nothing changes; a block
 * is an entry with blocked=True; unblocking revokes the tag's own blocking entry, so the
 * inherited one shows again. Every mutator needs the `tag` permission.
 */
import { GenericError, ParameterError } from '../../protocol/faults.ts';
import type { XmlRpcValue } from '../../protocol/values.ts';
import { lookupName } from '../lookup.ts';
import { pyRepr, pyStrOf } from '../../protocol/pyrepr.ts';
import { method, t, truthy, type MethodDef } from '../registry.ts';
import { insertVersioned, revokeRows } from '../versioned.ts';
import type { CallContext } from '../types.ts';
import { getTag, type TagInfo } from '../content/tag.ts';
import {
  GROUP_FIELDS, GROUP_PKG_FIELDS, GROUP_REQ_FIELDS, getTagGroups, lookupGroup, ownEntry, readTagGroups,
} from '../content/groups.ts';

type Row = Record<string, XmlRpcValue>;

type Kind = 'bool' | 'nullbool' | 'text' | 'nulltext' | 'type' | 'nulltype';

const KINDS: Record<string, Kind> = {
  blocked: 'bool',
  exported: 'nullbool',
  display_name: 'text',
  is_default: 'nullbool',
  uservisible: 'nullbool',
  description: 'nulltext',
  langonly: 'nulltext',
  biarchonly: 'nullbool',
  basearchonly: 'nullbool',
  requires: 'nulltext',
  is_metapkg: 'bool',
};

/** Keep only `fields` of the caller's options (Koji's dslice) and give them their column types. */
function cleanOpts(opts: Record<string, XmlRpcValue>, fields: readonly string[], typeKind: Kind): Record<string, XmlRpcValue> {
  const out: Record<string, XmlRpcValue> = {};
  for (const f of fields) {
    if (!(f in opts)) continue;
    const v = opts[f];
    const kind = f === 'type' ? typeKind : KINDS[f];
    if (kind === 'bool') out[f] = truthy(v);
    else if (kind === 'nullbool') out[f] = v === null || v === undefined ? null : truthy(v);
    else {
      if (v === null || v === undefined) {
        if (kind === 'text' || kind === 'type') throw new ParameterError(`Invalid value for ${f}: None`);
        out[f] = null;
        continue;
      }
      if (typeof v !== 'string') throw new ParameterError(`Invalid type for ${f}: expected a string, got ${pyRepr(v)}`);
      if ((kind === 'type' || kind === 'nulltype') && v.length > 25) throw new GenericError(`Invalid ${f}: ${v} is longer than 25 characters`);
      out[f] = v;
    }
  }
  return out;
}

/** Fill unset fields from the previous entry; true when a given field differs from it. */
function mergePrevious(opts: Record<string, XmlRpcValue>, previous: Record<string, XmlRpcValue>, fields: readonly string[]): boolean {
  let changed = false;
  for (const f of fields) {
    if (f in opts) {
      if (opts[f] !== previous[f]) changed = true;
    } else opts[f] = previous[f];
  }
  return changed;
}

async function strictTag(ctx: CallContext, info: unknown): Promise<TagInfo> {
  return (await getTag(ctx, info, { strict: true })) as TagInfo;
}

/** lookup_tag(strict=True): the tag row, even of a deleted tag. */
async function tagRow(ctx: CallContext, info: unknown) {
  return (await lookupName(ctx.sql, 'tag', info, { strict: true }))!;
}

async function groupRow(ctx: CallContext, info: unknown) {
  return (await lookupGroup(ctx.sql, info, { strict: true }))!;
}

async function replaceEntry(ctx: CallContext, table: string, match: Record<string, unknown>, data: Record<string, XmlRpcValue>): Promise<void> {
  await revokeRows(ctx, table, match);
  await insertVersioned(ctx, table, { ...match, ...data });
}

/** Koji's _grplist_add (no permission check). */
export async function groupListAdd(ctx: CallContext, taginfo: unknown, grpinfo: unknown, block: boolean, force: boolean, rawOpts: Record<string, XmlRpcValue> = {}): Promise<void> {
  const tag = await strictTag(ctx, taginfo);
  const group = (await lookupGroup(ctx.sql, grpinfo, { create: true }))!;
  const opts = cleanOpts({ ...rawOpts, blocked: block }, GROUP_FIELDS, 'nulltext');
  const previous = (await getTagGroups(ctx.sql, tag.id, { inherit: true, inclPkgs: false, inclReqs: false })).get(group.id);
  if (previous) {
    if (previous.blocked && !force) throw new GenericError(`group ${group.name} is blocked in tag ${tag.name}`);
    if (!mergePrevious(opts, previous as unknown as Row, GROUP_FIELDS)) return;
  }
  opts.display_name ??= group.name;
  if (!('biarchonly' in opts)) opts.biarchonly = false;
  if (!('exported' in opts)) opts.exported = true;
  if (!('uservisible' in opts)) opts.uservisible = true;
  await replaceEntry(ctx, 'group_config', { group_id: group.id, tag_id: tag.id }, opts);
}

/** Koji's _grplist_remove. */
export async function groupListRemove(ctx: CallContext, taginfo: unknown, grpinfo: unknown, force: boolean): Promise<void> {
  const tag = await strictTag(ctx, taginfo);
  const group = await groupRow(ctx, grpinfo);
  const match = { group_id: group.id, tag_id: tag.id };
  if (!force && !(await ownEntry(ctx.sql, 'group_config', match))) throw new GenericError(`No group: ${group.name} found for tag: ${tag.name}`);
  await revokeRows(ctx, 'group_config', match);
}

async function groupListUnblock(ctx: CallContext, taginfo: unknown, grpinfo: unknown): Promise<void> {
  const tag = await tagRow(ctx, taginfo);
  const group = await groupRow(ctx, grpinfo);
  const match = { group_id: group.id, tag_id: tag.id };
  if (!(await ownEntry(ctx.sql, 'group_config', match))?.blocked) throw new GenericError(`group ${group.name} is NOT blocked in tag ${tag.name}`);
  await revokeRows(ctx, 'group_config', match);
}

/** The group's inherited config in the tag, which must be present and not blocked. */
async function activeGroup(ctx: CallContext, tag: { id: number; name: string }, group: { id: number; name: string }, pkgs: boolean) {
  const cfg = (await getTagGroups(ctx.sql, tag.id, { inherit: true, inclPkgs: pkgs, inclReqs: !pkgs })).get(group.id);
  if (!cfg) throw new GenericError(`group ${group.name} not present in tag ${tag.name}`);
  if (cfg.blocked) throw new GenericError(`group ${group.name} is blocked in tag ${tag.name}`);
  return cfg;
}

/** Koji's _grp_pkg_add. */
export async function groupPackageListAdd(ctx: CallContext, taginfo: unknown, grpinfo: unknown, pkgName: unknown, block: boolean, force: boolean, rawOpts: Record<string, XmlRpcValue> = {}): Promise<void> {
  const tag = await tagRow(ctx, taginfo);
  const group = await groupRow(ctx, grpinfo);
  if (typeof pkgName !== 'string' || pkgName === '') throw new ParameterError(`Invalid package name: ${pyRepr(pkgName)}`);
  const cfg = await activeGroup(ctx, tag, group, true);
  const previous = cfg.packagelist!.get(pkgName);
  const opts = cleanOpts(rawOpts, GROUP_PKG_FIELDS, 'type');
  if (previous) {
    if (previous.blocked && !force) throw new GenericError(`package ${pkgName} blocked in group ${group.name}, tag ${tag.name}`);
    const changed = mergePrevious(opts, previous as unknown as Row, GROUP_PKG_FIELDS) || block;
    if (!changed && !force) return;
  }
  opts.type ??= 'mandatory';
  opts.blocked = block;
  await replaceEntry(ctx, 'group_package_listing', { group_id: group.id, tag_id: tag.id, package: pkgName }, opts);
}

/** Koji's _grp_pkg_remove: revokes the tag's own entry, if any. */
export async function groupPackageListRemove(ctx: CallContext, taginfo: unknown, grpinfo: unknown, pkgName: unknown): Promise<void> {
  const tag = await tagRow(ctx, taginfo);
  const group = await groupRow(ctx, grpinfo);
  await revokeRows(ctx, 'group_package_listing', { package: pkgName, tag_id: tag.id, group_id: group.id });
}

async function groupPackageListUnblock(ctx: CallContext, taginfo: unknown, grpinfo: unknown, pkgName: unknown): Promise<void> {
  const tag = await tagRow(ctx, taginfo);
  const group = await groupRow(ctx, grpinfo);
  const match = { group_id: group.id, tag_id: tag.id, package: pkgName };
  // Koji's message names the group and tag by id
  if (!(await ownEntry(ctx.sql, 'group_package_listing', match))?.blocked) throw new GenericError(`package ${pyStrOf(pkgName)} is NOT blocked in group ${group.id}, tag ${tag.id}`);
  await revokeRows(ctx, 'group_package_listing', match);
}

/** Koji's _grp_req_add. */
export async function groupReqListAdd(ctx: CallContext, taginfo: unknown, grpinfo: unknown, reqinfo: unknown, block: boolean, force: boolean, rawOpts: Record<string, XmlRpcValue> = {}): Promise<void> {
  const tag = await tagRow(ctx, taginfo);
  const group = await groupRow(ctx, grpinfo);
  const req = await groupRow(ctx, reqinfo);
  const cfg = await activeGroup(ctx, tag, group, false);
  const previous = cfg.grouplist!.get(req.id);
  const opts = cleanOpts(rawOpts, GROUP_REQ_FIELDS, 'nulltype');
  if (previous) {
    if (previous.blocked && !force) throw new GenericError(`requirement on group ${req.name} blocked in group ${group.name}, tag ${tag.name}`);
    const changed = mergePrevious(opts, previous as unknown as Row, GROUP_REQ_FIELDS) || block;
    if (!changed) return;
  }
  if (!('type' in opts)) opts.type = 'mandatory';
  opts.blocked = block;
  await replaceEntry(ctx, 'group_req_listing', { group_id: group.id, tag_id: tag.id, req_id: req.id }, opts);
}

/** Koji's _grp_req_remove. */
export async function groupReqListRemove(ctx: CallContext, taginfo: unknown, grpinfo: unknown, reqinfo: unknown): Promise<void> {
  const tag = await tagRow(ctx, taginfo);
  const group = await groupRow(ctx, grpinfo);
  const req = await groupRow(ctx, reqinfo);
  await revokeRows(ctx, 'group_req_listing', { req_id: req.id, tag_id: tag.id, group_id: group.id });
}

async function groupReqListUnblock(ctx: CallContext, taginfo: unknown, grpinfo: unknown, reqinfo: unknown): Promise<void> {
  const tag = await tagRow(ctx, taginfo);
  const group = await groupRow(ctx, grpinfo);
  const req = await groupRow(ctx, reqinfo);
  const match = { group_id: group.id, tag_id: tag.id, req_id: req.id };
  if (!(await ownEntry(ctx.sql, 'group_req_listing', match))?.blocked) throw new GenericError(`group req ${req.id} is NOT blocked in group ${group.id}, tag ${tag.id}`);
  await revokeRows(ctx, 'group_req_listing', match);
}

const TAG = { perm: 'tag' } as const;
const addArgs = { block: t.flag, force: t.flag, opts: t.struct };

export const groupMethods: MethodDef[] = [
  method({
    name: 'groupListAdd',
    sig: '(taginfo, grpinfo, block=False, force=False, **opts)',
    requires: TAG,
    writes: true,
    doc: 'Add a comps group to a tag (or update it); opts: display_name, is_default, uservisible, description, langonly, biarchonly, exported.',
    args: addArgs,
    handler: async (ctx, a) => (await groupListAdd(ctx, a.taginfo, a.grpinfo, a.block, a.force, a.opts), null),
  }),
  method({
    name: 'groupListRemove',
    sig: '(taginfo, grpinfo, force=False)',
    requires: TAG,
    writes: true,
    doc: "Remove a tag's own entry for a group (blocking is usually what you want).",
    args: { force: t.flag },
    handler: async (ctx, a) => (await groupListRemove(ctx, a.taginfo, a.grpinfo, a.force), null),
  }),
  method({
    name: 'groupListBlock',
    sig: '(taginfo, grpinfo)',
    requires: TAG,
    writes: true,
    doc: 'Block a group in a tag (hides it from every parent too).',
    handler: async (ctx, a) => (await groupListAdd(ctx, a.taginfo, a.grpinfo, true, false), null),
  }),
  method({
    name: 'groupListUnblock',
    sig: '(taginfo, grpinfo)',
    requires: TAG,
    writes: true,
    doc: "Remove a tag's block of a group.",
    handler: async (ctx, a) => (await groupListUnblock(ctx, a.taginfo, a.grpinfo), null),
  }),
  method({
    name: 'groupPackageListAdd',
    sig: '(taginfo, grpinfo, pkg_name, block=False, force=False, **opts)',
    requires: TAG,
    writes: true,
    doc: "Add a package to a group's package list in a tag; opts: type, basearchonly, requires.",
    args: addArgs,
    handler: async (ctx, a) => (await groupPackageListAdd(ctx, a.taginfo, a.grpinfo, a.pkg_name, a.block, a.force, a.opts), null),
  }),
  method({
    name: 'groupPackageListRemove',
    sig: '(taginfo, grpinfo, pkg_name)',
    requires: TAG,
    writes: true,
    doc: "Remove a tag's own entry for a package of a group.",
    handler: async (ctx, a) => (await groupPackageListRemove(ctx, a.taginfo, a.grpinfo, a.pkg_name), null),
  }),
  method({
    name: 'groupPackageListBlock',
    sig: '(taginfo, grpinfo, pkg_name)',
    requires: TAG,
    writes: true,
    doc: "Block a package in a group's package list in a tag.",
    handler: async (ctx, a) => (await groupPackageListAdd(ctx, a.taginfo, a.grpinfo, a.pkg_name, true, false), null),
  }),
  method({
    name: 'groupPackageListUnblock',
    sig: '(taginfo, grpinfo, pkg_name)',
    requires: TAG,
    writes: true,
    doc: "Remove a tag's block of a package in a group.",
    handler: async (ctx, a) => (await groupPackageListUnblock(ctx, a.taginfo, a.grpinfo, a.pkg_name), null),
  }),
  method({
    name: 'groupReqListAdd',
    sig: '(taginfo, grpinfo, reqinfo, block=False, force=False, **opts)',
    requires: TAG,
    writes: true,
    doc: 'Make a group require another group in a tag; opts: type, is_metapkg.',
    args: addArgs,
    handler: async (ctx, a) => (await groupReqListAdd(ctx, a.taginfo, a.grpinfo, a.reqinfo, a.block, a.force, a.opts), null),
  }),
  method({
    name: 'groupReqListRemove',
    sig: '(taginfo, grpinfo, reqinfo, force=None)',
    requires: TAG,
    writes: true,
    doc: "Remove a tag's own entry for a group requirement (force is deprecated and ignored).",
    handler: async (ctx, a) => (await groupReqListRemove(ctx, a.taginfo, a.grpinfo, a.reqinfo), null),
  }),
  method({
    name: 'groupReqListBlock',
    sig: '(taginfo, grpinfo, reqinfo)',
    requires: TAG,
    writes: true,
    doc: 'Block a group requirement in a tag.',
    handler: async (ctx, a) => (await groupReqListAdd(ctx, a.taginfo, a.grpinfo, a.reqinfo, true, false), null),
  }),
  method({
    name: 'groupReqListUnblock',
    sig: '(taginfo, grpinfo, reqinfo)',
    requires: TAG,
    writes: true,
    doc: "Remove a tag's block of a group requirement.",
    handler: async (ctx, a) => (await groupReqListUnblock(ctx, a.taginfo, a.grpinfo, a.reqinfo), null),
  }),
  method({
    name: 'getTagGroups',
    sig: '(tag, event=None, inherit=True, incl_pkgs=True, incl_reqs=True, incl_blocked=False)',
    doc: 'Comps groups of a tag (inherited by default) with their package lists and required groups; blocked entries only with incl_blocked.',
    args: { event: t.int.nullable(), inherit: t.flag, incl_pkgs: t.flag, incl_reqs: t.flag, incl_blocked: t.flag },
    async handler(ctx, a) {
      const tag = await tagRow(ctx, a.tag);
      return (await readTagGroups(ctx.sql, tag.id, { event: a.event, inherit: a.inherit, inclPkgs: a.incl_pkgs, inclReqs: a.incl_reqs, inclBlocked: a.incl_blocked })) as unknown as XmlRpcValue;
    },
  }),
];
