/**
 * snapshotTag / snapshotTagModify: copy a tag's config, package list, tagged builds and comps
 * groups (as they are now or at an event) into a new tag, or make an existing tag match. Each
 * step uses its own event (Koji's _delete_event_id), so the destination's history shows the
 * copy in order and builds keep their tagging order. Inheritance and external repos are not
 * copied. Needs the `tag` permission; locked tags need `force`.
 */
import { GenericError, ParameterError } from '../../protocol/faults.ts';
import type { XmlRpcValue } from '../../protocol/values.ts';
import { method, t, type MethodDef } from '../registry.ts';
import { insertVersioned, revokeRows } from '../versioned.ts';
import type { CallContext } from '../types.ts';
import { assertTagAccess, createTagRow, getTag, setTagExtra, type TagInfo } from '../content/tag.ts';
import { readPackageList, type PkgEntry } from '../content/pkglist.ts';
import { readTaggedBuilds, type TaggedBuild } from '../content/tagged.ts';
import { readTagGroups, type GroupListing } from '../content/groups.ts';
import type { BuildInfo } from '../content/build.ts';
import { pkglistAdd } from './packages.ts';
import { directTagBuild, directUntagBuild } from './tagging.ts';
import { groupListAdd, groupListRemove, groupPackageListAdd, groupPackageListRemove, groupReqListAdd, groupReqListRemove } from './groups.ts';

interface SnapshotArgs {
  src: XmlRpcValue;
  dst: XmlRpcValue;
  config: boolean;
  pkgs: boolean;
  builds: boolean;
  groups: boolean;
  latest_only: boolean;
  inherit_builds: boolean;
  event: number | null;
  force: boolean;
  remove?: boolean;
}

const CONFIG_KEYS = ['perm_id', 'arches', 'locked', 'maven_support', 'maven_include_all'] as const;
const GROUP_OPTS = ['exported', 'display_name', 'is_default', 'uservisible', 'description', 'langonly', 'biarchonly'] as const;

function pick(row: object, keys: readonly string[]): Record<string, XmlRpcValue> {
  const r = row as Record<string, XmlRpcValue>;
  return Object.fromEntries(keys.filter((k) => k in r).map((k) => [k, r[k]]));
}

async function inheritedPackages(ctx: CallContext, tagId: number, event: number | null): Promise<PkgEntry[]> {
  return readPackageList(ctx.sql, { tagId, event, inherit: true, withOwners: true });
}

/** Koji's edit_tag(dst, <src's config>, extra=<src's extra>, remove_extra=<dst-only keys>). */
async function copyConfig(ctx: CallContext, dst: TagInfo, src: TagInfo): Promise<void> {
  // Koji refuses here whenever maven options are passed at all; koji-ts only when they are set
  if (!ctx.hub.options.EnableMaven && (src.maven_support || src.maven_include_all)) throw new GenericError('Maven support not enabled');
  if (CONFIG_KEYS.some((k) => dst[k] !== src[k])) {
    await revokeRows(ctx, 'tag_config', { tag_id: dst.id });
    await insertVersioned(ctx, 'tag_config', { tag_id: dst.id, arches: src.arches, perm_id: src.perm_id, locked: src.locked, maven_support: src.maven_support, maven_include_all: src.maven_include_all });
  }
  for (const [key, value] of Object.entries(src.extra)) await setTagExtra(ctx, dst, key, value);
  for (const key of Object.keys(dst.extra)) {
    if (!Object.hasOwn(src.extra, key)) await revokeRows(ctx, 'tag_extra', { tag_id: dst.id, key });
  }
}

/** The source tag at the event, checked as both calls do. */
async function sourceTag(ctx: CallContext, a: SnapshotArgs): Promise<TagInfo> {
  if (a.builds && !a.pkgs) throw new ParameterError("builds can't be used without pkgs in snapshotTag");
  return (await getTag(ctx, a.src, { event: a.event, strict: true })) as TagInfo;
}

async function snapshotTag(ctx: CallContext, a: SnapshotArgs): Promise<null> {
  if (a.builds && !a.pkgs) throw new ParameterError("builds can't be used without pkgs in snapshotTag");
  if (await getTag(ctx, a.dst)) throw new GenericError('Target tag already exists');
  const src = await sourceTag(ctx, a);
  if (src.locked && !a.force) throw new GenericError('Source tag is locked, use force to copy');
  const config = a.config
    ? { arches: src.arches, perm: src.perm_id, locked: src.locked, maven_support: src.maven_support, maven_include_all: src.maven_include_all, extra: src.extra }
    : { arches: null, perm: null, locked: false, maven_support: false, maven_include_all: false, extra: null };
  const dstId = await createTagRow(ctx, { name: a.dst as string, ...config });
  ctx.nextEvent();
  const dst = (await getTag(ctx, dstId, { strict: true })) as TagInfo;
  if (a.pkgs) {
    for (const p of await inheritedPackages(ctx, src.id, a.event)) {
      await pkglistAdd(ctx, { taginfo: dst.id, pkginfo: p.package_name, owner: p.owner_name, block: p.blocked, extra_arches: p.extra_arches, force: true, update: false, policy: false });
      ctx.nextEvent();
    }
  }
  if (a.builds) {
    const builds = await readTaggedBuilds(ctx.sql, { tagId: src.id, inherit: a.inherit_builds, event: a.event, latest: a.latest_only });
    // oldest first, each in its own event: the copy keeps the tagging order
    for (const b of builds.reverse()) {
      await directTagBuild(ctx, dst, b as unknown as BuildInfo, ctx.session.userId as number, true);
      ctx.nextEvent();
    }
  }
  if (a.groups) {
    for (const g of await readTagGroups(ctx.sql, src.id, { event: a.event })) {
      await groupListAdd(ctx, dst.id, g.name, g.blocked, true, pick(g, GROUP_OPTS));
      ctx.nextEvent();
      for (const p of g.packagelist ?? []) {
        await groupPackageListAdd(ctx, dst.id, g.name, p.package, p.blocked, true, pick(p, ['type', 'basearchonly', 'requires']));
        ctx.nextEvent();
      }
      for (const r of g.grouplist ?? []) {
        await groupReqListAdd(ctx, dst.id, g.name, r.name, r.blocked, true, pick(r, ['type', 'is_metapkg']));
        ctx.nextEvent();
      }
    }
  }
  return null;
}

async function syncPackages(ctx: CallContext, src: TagInfo, dst: TagInfo, event: number | null): Promise<void> {
  const srcPkgs = new Map((await inheritedPackages(ctx, src.id, event)).map((p) => [p.package_name, p]));
  const dstPkgs = new Map((await inheritedPackages(ctx, dst.id, null)).map((p) => [p.package_name, p]));
  for (const [name, p] of dstPkgs) {
    if (srcPkgs.has(name)) continue;
    await pkglistAdd(ctx, { taginfo: dst.id, pkginfo: name, owner: p.owner_name, block: true, extra_arches: p.extra_arches, force: true, update: true, policy: false });
    ctx.nextEvent();
  }
  for (const [name, p] of srcPkgs) {
    if (dstPkgs.has(name)) continue;
    await pkglistAdd(ctx, { taginfo: dst.id, pkginfo: name, owner: p.owner_name, block: p.blocked, extra_arches: p.extra_arches, force: true, update: false, policy: false });
    ctx.nextEvent();
  }
}

function byPackage(builds: TaggedBuild[]): Map<string, Map<string, TaggedBuild>> {
  const out = new Map<string, Map<string, TaggedBuild>>();
  // the reads list newest first: reversed, each package's builds are oldest first
  for (const b of [...builds].reverse()) {
    const pkg = String(b.package_name);
    if (!out.has(pkg)) out.set(pkg, new Map());
    out.get(pkg)!.set(String(b.nvr), b);
  }
  return out;
}

/** Make dst's own builds match src's (per package, same builds in the same order). */
async function syncBuilds(ctx: CallContext, src: TagInfo, dst: TagInfo, a: SnapshotArgs): Promise<void> {
  const userId = ctx.session.userId as number;
  const untag = async (b: TaggedBuild, checkAccess: boolean) => {
    if (checkAccess) await assertTagAccess(ctx, dst, userId, a.force);
    await directUntagBuild(ctx, dst, b as unknown as BuildInfo, true);
    ctx.nextEvent();
  };
  const srcBy = byPackage(await readTaggedBuilds(ctx.sql, { tagId: src.id, event: a.event, inherit: a.inherit_builds, latest: a.latest_only }));
  // dst's own builds, all of them, so that only the latest per package survives in the end
  const dstBy = byPackage(await readTaggedBuilds(ctx.sql, { tagId: dst.id, inherit: false, latest: false }));
  if (a.remove) {
    for (const [pkg, blds] of dstBy) {
      if (srcBy.has(pkg)) continue;
      for (const b of blds.values()) if (b.tag_name === dst.name) await untag(b, false);
    }
  }
  for (const [pkg, srcBlds] of srcBy) {
    const dstBlds = dstBy.get(pkg) ?? new Map<string, TaggedBuild>();
    const extra = [...dstBlds.keys()].filter((nvr) => !srcBlds.has(nvr));
    let order: Map<string, TaggedBuild>;
    if (a.remove) {
      for (const nvr of extra) {
        const b = dstBlds.get(nvr)!;
        if (b.tag_name === dst.name) await untag(b, true);
        dstBlds.delete(nvr);
      }
      order = srcBlds;
    } else {
      // without removal, builds only dst has go first (so they end up oldest)
      order = new Map([...extra.map((nvr) => [nvr, dstBlds.get(nvr)!] as const), ...srcBlds]);
    }
    for (const [nvr, b] of order) {
      let found = false;
      const outOfOrder: string[] = [];
      for (const [dnvr, db] of dstBlds) {
        if (dnvr === nvr) {
          found = true;
          break;
        }
        outOfOrder.push(dnvr);
        if (db.tag_name === dst.name) await untag(db, true);
      }
      for (const dnvr of outOfOrder) dstBlds.delete(dnvr);
      if (found) dstBlds.delete(nvr);
      else {
        await directTagBuild(ctx, dst, b as unknown as BuildInfo, userId, a.force);
        ctx.nextEvent();
      }
    }
  }
}

async function syncGroups(ctx: CallContext, src: TagInfo, dst: TagInfo, a: SnapshotArgs): Promise<void> {
  const srcGroups = new Map((await readTagGroups(ctx.sql, src.id, { event: a.event, inclBlocked: true })).map((g) => [g.name, g]));
  const dstGroups = new Map((await readTagGroups(ctx.sql, dst.id, { inclBlocked: true })).map((g) => [g.name, g]));
  const configDiffers = (s: GroupListing, d: GroupListing) => GROUP_OPTS.some((k) => s[k] !== d[k]);
  for (const [name, g] of srcGroups) {
    const d = dstGroups.get(name);
    if (!d || g.blocked !== d.blocked || (!g.blocked && configDiffers(g, d))) {
      await groupListAdd(ctx, dst.id, name, g.blocked, a.force, g.blocked ? {} : pick(g, GROUP_OPTS));
      ctx.nextEvent();
    }
  }
  if (a.remove) {
    for (const [name, g] of dstGroups) {
      if (srcGroups.has(name)) continue;
      if (g.tag_id === dst.id) await groupListRemove(ctx, dst.id, g.group_id, a.force);
      else await groupListAdd(ctx, dst.id, name, true, a.force);
      ctx.nextEvent();
    }
  }
  for (const [name, g] of srcGroups) {
    if (g.blocked) continue;
    const d = dstGroups.get(name);
    const dstPkgs = new Map((d?.packagelist ?? []).map((p) => [p.package, p]));
    const srcPkgs = new Map((g.packagelist ?? []).map((p) => [p.package, p]));
    for (const p of srcPkgs.values()) {
      if (dstPkgs.has(p.package)) continue;
      await groupPackageListAdd(ctx, dst.id, name, p.package, p.blocked, a.force, pick(p, ['type', 'basearchonly', 'requires']));
      ctx.nextEvent();
    }
    const dstReqs = new Map((d?.grouplist ?? []).map((r) => [r.name, r]));
    const srcReqs = new Map((g.grouplist ?? []).map((r) => [r.name, r]));
    for (const r of srcReqs.values()) {
      if (dstReqs.has(r.name)) continue;
      await groupReqListAdd(ctx, dst.id, name, r.name, r.blocked, a.force, pick(r, ['type', 'is_metapkg']));
      ctx.nextEvent();
    }
    if (!a.remove) continue;
    for (const [pkgName, p] of dstPkgs) {
      if (p.blocked) continue;
      if (srcPkgs.get(pkgName)?.blocked) {
        await groupPackageListAdd(ctx, dst.id, name, pkgName, true, a.force);
        ctx.nextEvent();
      } else if (!srcPkgs.has(pkgName) && p.tag_id === dst.id) {
        await groupPackageListRemove(ctx, dst.id, name, pkgName);
        ctx.nextEvent();
      }
    }
    for (const [reqName, r] of dstReqs) {
      if (r.blocked || srcReqs.has(reqName)) continue;
      if (r.tag_id === dst.id) await groupReqListRemove(ctx, dst.id, name, reqName);
      else await groupReqListAdd(ctx, dst.id, name, reqName, true, a.force);
      ctx.nextEvent();
    }
  }
}

async function snapshotTagModify(ctx: CallContext, a: SnapshotArgs): Promise<null> {
  const src = await sourceTag(ctx, a);
  let dst = (await getTag(ctx, a.dst, { strict: true })) as TagInfo;
  if ((src.locked || dst.locked) && !a.force) throw new GenericError('Source or destination tag is locked, use force to copy');
  if (a.config) {
    await copyConfig(ctx, dst, src);
    ctx.nextEvent();
    dst = (await getTag(ctx, dst.id, { strict: true })) as TagInfo;
  }
  if (a.pkgs) await syncPackages(ctx, src, dst, a.event);
  if (a.builds) await syncBuilds(ctx, src, dst, a);
  if (a.groups) await syncGroups(ctx, src, dst, a);
  return null;
}

const snapArgs = {
  config: t.flag, pkgs: t.flag, builds: t.flag, groups: t.flag, latest_only: t.flag, inherit_builds: t.flag, event: t.int.nullable(), force: t.flag,
};

export const snapshotMethods: MethodDef[] = [
  method({
    name: 'snapshotTag',
    sig: '(src, dst, config=True, pkgs=True, builds=True, groups=True, latest_only=True, inherit_builds=True, event=None, force=False)',
    requires: { perm: 'tag' },
    writes: true,
    doc: "Create tag dst as a copy of src's config, package list, builds and groups (now or at an event); inheritance is not copied.",
    args: snapArgs,
    handler: (ctx, a) => snapshotTag(ctx, a as unknown as SnapshotArgs),
  }),
  method({
    name: 'snapshotTagModify',
    sig: '(src, dst, config=True, pkgs=True, builds=True, groups=True, latest_only=True, inherit_builds=True, event=None, force=False, remove=False)',
    requires: { perm: 'tag' },
    writes: true,
    doc: "Make existing tag dst match src's config, package list, builds and groups; with remove, also drop what src does not have.",
    args: { ...snapArgs, remove: t.flag },
    handler: (ctx, a) => snapshotTagModify(ctx, a as unknown as SnapshotArgs),
  }),
];
