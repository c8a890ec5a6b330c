/** Package lists of tags: packageListAdd/Block/Unblock/Remove/SetOwner/SetArches, listPackages … */
import { GenericError } from '../../protocol/faults.ts';
import type { XmlRpcValue } from '../../protocol/values.ts';
import { parseArches } from '../../util/arch.ts';
import { checkString, lookupName } from '../lookup.ts';
import { applyQueryOpts, Select, type QueryOpts } from '../query.ts';
import { method, queryOptsSchema, t, truthy, type MethodDef } from '../registry.ts';
import { insertVersioned, revokeRows } from '../versioned.ts';
import type { CallContext } from '../types.ts';
import { getTag, tagId, type TagInfo } from '../content/tag.ts';
import { packageEntry, pagePackageList, readPackageList, type PkgListPage, type PkgListQuery } from '../content/pkglist.ts';
import { assertPolicy } from '../policy/hub.ts';
import { getUser } from './users.ts';
import { verifyDirName } from '../names.ts';
import { pyStrOf } from '../../protocol/pyrepr.ts';

/** Koji's _pkglist_remove: only the tag_packages entry is revoked (the owner row stays, as in Koji). */
async function removeEntry(ctx: CallContext, tagId: number, pkgId: number): Promise<void> {
  await revokeRows(ctx, 'tag_packages', { package_id: pkgId, tag_id: tagId });
}

async function setOwner(ctx: CallContext, tagId: number, pkgId: number, owner: number): Promise<void> {
  await revokeRows(ctx, 'tag_package_owners', { package_id: pkgId, tag_id: tagId });
  await insertVersioned(ctx, 'tag_package_owners', { package_id: pkgId, tag_id: tagId, owner });
}

async function addEntry(ctx: CallContext, tagId: number, pkgId: number, owner: number, blocked: boolean, extraArches: string | null): Promise<void> {
  await revokeRows(ctx, 'tag_packages', { package_id: pkgId, tag_id: tagId });
  const arches = extraArches === null ? null : parseArches(extraArches, true).join(' ');
  await insertVersioned(ctx, 'tag_packages', { package_id: pkgId, tag_id: tagId, blocked, extra_arches: arches });
  await setOwner(ctx, tagId, pkgId, owner);
}

/** Koji's pkglist_add (also update, block, set owner / arches). */
export async function pkglistAdd(
  ctx: CallContext,
  a: { taginfo: unknown; pkginfo: unknown; owner?: unknown; block?: unknown; extra_arches?: unknown; force?: boolean; update?: boolean; policy?: boolean },
): Promise<null> {
  const tag = (await getTag(ctx, a.taginfo, { strict: true })) as TagInfo;
  let pkg = await lookupName(ctx.sql, 'package', a.pkginfo);
  if (!pkg && typeof a.pkginfo !== 'string') throw new GenericError(`No such package: ${pyStrOf(a.pkginfo)}`);
  let owner = a.owner === null || a.owner === undefined ? null : (await getUser(ctx, a.owner, { strict: true }))!.id;
  const action = a.update ? 'update' : a.block ? 'block' : 'add';
  if (a.policy !== false) {
    ctx.session.assertLogin();
    await assertPolicy(ctx, 'package_list', { tag: tag.id, action, package: a.pkginfo as XmlRpcValue, force: Boolean(a.force) }, Boolean(a.force));
  }
  if (!pkg) pkg = await lookupName(ctx.sql, 'package', a.pkginfo, { create: true, validate: (n) => verifyDirName(ctx, 'package', n) });
  const pkgId = pkg!.id;
  checkString(a.extra_arches, 'extra_arches');
  let extra = a.extra_arches === null || a.extra_arches === undefined ? null : parseArches(String(a.extra_arches), true).join(' ');
  const previous = await packageEntry(ctx.sql, tag.id, pkgId);
  let block: boolean | null = a.block === null || a.block === undefined ? null : Boolean(a.block);
  let changed = false;
  let changedOwner = false;
  if (!previous) {
    block = Boolean(block);
    if (a.update && !a.force) throw new GenericError(`cannot update: tag ${tag.name} has no data for package ${pkg!.name}`);
  } else {
    if (owner === null) owner = previous.owner_id ?? null;
    changedOwner = previous.owner_id !== owner;
    if (block === null) block = previous.blocked;
    if (extra === null) extra = previous.extra_arches;
    changed = previous.blocked !== block || (previous.extra_arches ?? null) !== (extra ?? null);
    if (!changed && !changedOwner && !a.force) return null;
    if (previous.blocked && !block && !a.force) throw new GenericError(`package ${pkg!.name} is blocked in tag ${tag.name}`);
  }
  if (owner === null) {
    if (a.force) owner = ctx.session.userId;
    else throw new GenericError('owner not specified');
  }
  if (!previous || changed) await addEntry(ctx, tag.id, pkgId, owner as number, Boolean(block), extra);
  else if (changedOwner) await setOwner(ctx, tag.id, pkgId, owner as number);
  return null;
}

async function pkglistUnblock(ctx: CallContext, taginfo: unknown, pkginfo: unknown, force: boolean): Promise<null> {
  const tag = (await getTag(ctx, taginfo, { strict: true })) as TagInfo;
  const pkg = (await lookupName(ctx.sql, 'package', pkginfo, { strict: true }))!;
  ctx.session.assertLogin();
  await assertPolicy(ctx, 'package_list', { tag: tag.id, action: 'unblock', package: pkg.id, force }, force);
  const previous = await packageEntry(ctx.sql, tag.id, pkg.id);
  if (!previous) throw new GenericError(`no data (blocked or otherwise) for package ${pkg.name} in tag ${tag.name}`);
  if (!previous.blocked) throw new GenericError(`package ${pkg.name} NOT blocked in tag ${tag.name}`);
  if (previous.tag_id !== tag.id) {
    await addEntry(ctx, tag.id, pkg.id, previous.owner_id as number, false, previous.extra_arches);
  } else {
    await removeEntry(ctx, tag.id, pkg.id);
    const after = await packageEntry(ctx.sql, tag.id, pkg.id);
    if (!after || after.blocked) await addEntry(ctx, tag.id, pkg.id, previous.owner_id as number, false, previous.extra_arches);
  }
  return null;
}

async function listPackages(ctx: CallContext, a: Record<string, unknown> & { queryOpts: QueryOpts | null }) {
  if (a.tagID == null && a.userID == null && a.pkgID == null) return listPackagesSimple(ctx, a.prefix, a.queryOpts);
  const tid = a.tagID == null ? null : await tagId(ctx.sql, a.tagID, true);
  const uid = a.userID == null ? null : (await getUser(ctx, a.userID, { strict: true }))!.id;
  const pid = a.pkgID == null ? null : (await lookupName(ctx.sql, 'package', a.pkgID, { strict: true }))!.id;
  const q: PkgListQuery = {
    tagId: tid,
    userId: uid,
    pkg: pid,
    inherit: Boolean(a.inherited),
    withDups: Boolean(a.with_dups),
    event: (a.event as number | null) ?? null,
    withOwners: a.with_owners !== false,
    withBlocked: a.with_blocked !== false,
  };
  const prefix = typeof a.prefix === 'string' && a.prefix ? a.prefix : null;
  const page = pageOf(a.queryOpts, prefix);
  if (page) return (await pagePackageList(ctx.sql, q, page)) as XmlRpcValue;
  let rows = await readPackageList(ctx.sql, q);
  if (prefix) {
    const p = prefix.toLowerCase();
    rows = rows.filter((r) => r.package_name.toLowerCase().startsWith(p));
  }
  return applyQueryOpts(rows, a.queryOpts) as XmlRpcValue;
}

/** queryOpts the database can answer for a package list (a count or a sorted page), else null: the whole list is sorted here. */
function pageOf(o: QueryOpts | null, prefix: string | null): PkgListPage | null {
  if (!o || truthy(o.asList)) return null;
  const countOnly = truthy(o.countOnly);
  if (!countOnly && !o.order && !o.offset && !o.limit) return null;
  const whole = (n: unknown) => n === null || n === undefined || (Number.isInteger(n) && (n as number) >= 0);
  if (!whole(o.offset) || !whole(o.limit) || (prefix !== null && !/^[\x00-\x7f]*$/.test(prefix))) return null;
  return { order: o.order || null, offset: Number(o.offset ?? 0), limit: Number(o.limit ?? 0), countOnly, prefix };
}

async function listPackagesSimple(ctx: CallContext, prefix: unknown, queryOpts: QueryOpts | null) {
  const q = new Select('package').columns(['package.id', 'package_id'], ['package.name', 'package_name']);
  if (typeof prefix === 'string') q.where(`package.name ILIKE ${q.p(prefix.replace(/[\\%_]/g, '\\$&') + '%')}`);
  return (await q.run(ctx.sql, queryOpts, 'package_id')) as XmlRpcValue;
}

const pkgArgs = { force: t.flag };

export const packageMethods: MethodDef[] = [
  method({
    name: 'packageListAdd',
    sig: '(taginfo, pkginfo, owner=None, block=None, extra_arches=None, force=False, update=False)',
    requires: 'login',
    writes: true,
    doc: 'Add a package to a tag\'s package list (or update its entry). Checked by the package_list policy.',
    args: { ...pkgArgs, update: t.flag },
    handler: (ctx, a) => pkglistAdd(ctx, a as never),
  }),
  method({
    name: 'packageListRemove',
    sig: '(taginfo, pkginfo, force=False)',
    requires: 'login',
    writes: true,
    doc: 'Remove a package entry from a tag (so it can be inherited again).',
    args: pkgArgs,
    async handler(ctx, a) {
      const tag = (await getTag(ctx, a.taginfo, { strict: true })) as TagInfo;
      const pkg = (await lookupName(ctx.sql, 'package', a.pkginfo, { strict: true }))!;
      await assertPolicy(ctx, 'package_list', { tag: tag.id, action: 'remove', package: pkg.id, force: a.force }, a.force);
      await removeEntry(ctx, tag.id, pkg.id);
      return null;
    },
  }),
  method({
    name: 'packageListBlock',
    sig: '(taginfo, pkginfo, force=False)',
    requires: 'login',
    writes: true,
    doc: 'Block a package in a tag (hides it from every parent too).',
    args: pkgArgs,
    async handler(ctx, a) {
      const tag = (await getTag(ctx, a.taginfo, { strict: true })) as TagInfo;
      const pkg = (await lookupName(ctx.sql, 'package', a.pkginfo, { strict: true }))!;
      if (!(await packageEntry(ctx.sql, tag.id, pkg.id, null, false))) throw new GenericError(`Package ${pkg.name} is not in tag listing for ${tag.name}`);
      return pkglistAdd(ctx, { taginfo: a.taginfo, pkginfo: a.pkginfo, block: true, force: a.force });
    },
  }),
  method({ name: 'packageListUnblock', sig: '(taginfo, pkginfo, force=False)', requires: 'login', writes: true, doc: 'Unblock a package in a tag', args: pkgArgs, handler: (ctx, a) => pkglistUnblock(ctx, a.taginfo, a.pkginfo, a.force) }),
  method({
    name: 'packageListSetOwner',
    sig: '(taginfo, pkginfo, owner, force=False)',
    requires: 'login',
    writes: true,
    doc: 'Set the owner of a package in a tag',
    args: pkgArgs,
    handler: (ctx, a) => pkglistAdd(ctx, { taginfo: a.taginfo, pkginfo: a.pkginfo, owner: a.owner, force: a.force, update: true }),
  }),
  method({
    name: 'packageListSetArches',
    sig: '(taginfo, pkginfo, arches, force=False)',
    requires: 'login',
    writes: true,
    doc: 'Set the extra arches of a package in a tag',
    args: pkgArgs,
    handler: (ctx, a) => pkglistAdd(ctx, { taginfo: a.taginfo, pkginfo: a.pkginfo, extra_arches: a.arches, force: a.force, update: true }),
  }),
  method({
    name: 'listPackages',
    sig: '(tagID=None, userID=None, pkgID=None, prefix=None, inherited=False, with_dups=False, event=None, queryOpts=None, with_owners=True, with_blocked=True)',
    doc: 'List packages: all of them, or the package lists of a tag (optionally inherited), owner or package.',
    args: { queryOpts: queryOptsSchema, event: t.int.nullable(), inherited: t.flag, with_dups: t.flag, with_owners: t.flag, with_blocked: t.flag },
    handler: (ctx, a) => listPackages(ctx, a as never),
  }),
  method({
    name: 'listPackagesSimple',
    sig: '(prefix=None, queryOpts=None)',
    doc: 'List packages (package_id, package_name), optionally by name prefix.',
    args: { queryOpts: queryOptsSchema },
    handler: (ctx, a) => listPackagesSimple(ctx, a.prefix, a.queryOpts),
  }),
  method({
    name: 'getPackage',
    sig: '(info, strict=False, create=False)',
    doc: 'Look up a package by id or name: {id, name}.',
    args: { strict: t.flag, create: t.flag },
    async handler(ctx, a) {
      if (a.create) throw new GenericError('getPackage(create=True) is not supported by koji-ts: packages are created by packageListAdd or import');
      return (await lookupName(ctx.sql, 'package', a.info, { strict: a.strict })) as XmlRpcValue;
    },
  }),
  method({
    name: 'getPackageID',
    sig: '(name, strict=False)',
    doc: 'Get a package id by name.',
    args: { strict: t.flag },
    async handler(ctx, a) {
      const id = await ctx.sql.value<number>('SELECT id FROM package WHERE name = $1', [a.name]);
      if (id === null && a.strict) throw new GenericError(`No such package name: ${pyStrOf(a.name)}`);
      return id;
    },
  }),
  method({
    name: 'checkTagPackage',
    sig: '(tag, pkg)',
    doc: 'Is the package on the tag\'s (inherited) list and not blocked?',
    async handler(ctx, a) {
      const tid = await tagId(ctx.sql, a.tag);
      const pkg = await lookupName(ctx.sql, 'package', a.pkg);
      if (tid === null || !pkg) return false;
      const e = await packageEntry(ctx.sql, tid, pkg.id, null, false);
      return e !== null && !e.blocked;
    },
  }),
  method({
    name: 'getPackageConfig',
    sig: '(tag, pkg, event=None)',
    doc: 'The (inherited) package list entry for a package in a tag, or None.',
    args: { event: t.int.nullable() },
    async handler(ctx, a) {
      const tid = await tagId(ctx.sql, a.tag);
      const pkg = await lookupName(ctx.sql, 'package', a.pkg);
      if (tid === null || !pkg) return null;
      return (await packageEntry(ctx.sql, tid, pkg.id, a.event)) as XmlRpcValue;
    },
  }),
];
