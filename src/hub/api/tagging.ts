/** Tagging builds and reading what is tagged: tagBuildBypass, untagBuild*, massTag, listTagged … */
import { BUILD_STATES } from '../../protocol/enums.ts';
import { TagError } from '../../protocol/faults.ts';
import { Float, type XmlRpcValue } from '../../protocol/values.ts';
import { method, t, type MethodDef } from '../registry.ts';
import { revokeRows } from '../versioned.ts';
import type { CallContext } from '../types.ts';
import { assertTagAccess, getTag, tagId, type TagInfo } from '../content/tag.ts';
import { getBuild, type BuildInfo } from '../content/build.ts';
import { packageEntry } from '../content/pkglist.ts';
import { pkglistAdd } from './packages.ts';
import { canPageTagged, pageTaggedBuilds, readTaggedBuilds, readTaggedRPMS, type TaggedQuery } from '../content/tagged.ts';
import { assertPolicy } from '../policy/hub.ts';
import { tagChangeEvent, tagChangedSinceEvent } from '../content/changes.ts';

/** Koji's _direct_tag_build: no access checks. */
export async function directTagBuild(ctx: CallContext, tag: TagInfo, build: BuildInfo, userId: number, force: boolean): Promise<void> {
  if (build.state !== BUILD_STATES.byName.COMPLETE) {
    throw new TagError(`build ${build.nvr} not complete: state ${BUILD_STATES.name(build.state)}`);
  }
  const tagged = await ctx.sql.value('SELECT build_id FROM tag_listing WHERE active IS TRUE AND tag_id = $1 AND build_id = $2 FOR UPDATE', [tag.id, build.id]);
  if (tagged !== null) {
    if (!force) throw new TagError(`build ${build.nvr} already tagged (${tag.name})`);
    await revokeRows(ctx, 'tag_listing', { tag_id: tag.id, build_id: build.id });
  }
  const event = await ctx.event();
  await ctx.sql.execute('INSERT INTO tag_listing (tag_id, build_id, create_event, creator_id) VALUES ($1, $2, $3, $4)', [tag.id, build.id, event, userId]);
}

export async function directUntagBuild(ctx: CallContext, tag: TagInfo, build: BuildInfo, strict: boolean): Promise<void> {
  const n = await revokeRows(ctx, 'tag_listing', { tag_id: tag.id, build_id: build.id });
  if (n === 0 && strict) throw new TagError(`build ${build.nvr} not in tag ${tag.name}`);
}

/**
 * koji-ts also applies to tagBuildBypass the package-list check Koji's tagBuild makes: a build
 * whose package the tag does not list (or blocks) is refused, unless an admin forces it — then,
 * as tagBuild does, the package is added to the list so the build is visible in the tag.
 */
export async function checkPackageListed(ctx: CallContext, tag: TagInfo, build: BuildInfo, force: boolean): Promise<void> {
  const entry = await packageEntry(ctx.sql, tag.id, build.package_id, null, false);
  let problem: string | null = null;
  if (!entry) problem = `Package ${build.name} not in list for ${tag.name}`;
  else if (entry.blocked) problem = `Package ${build.name} blocked in ${tag.name}`;
  if (!problem) return;
  if (!(force && (await ctx.session.hasPerm('admin')))) throw new TagError(problem);
  await pkglistAdd(ctx, { taginfo: tag.id, pkginfo: build.package_id, force: true, block: false, policy: false });
  ctx.hub.log.info(`Package add policy ${tag.name}/${build.nvr} overridden by ${ctx.session.userName}`);
}

/** untagBuild and untagBuildBypass: the tag policy, then the tag's lock/perm, then untag at once. */
async function untag(ctx: CallContext, tagInfo: unknown, buildInfo: unknown, strict: boolean, force: boolean): Promise<null> {
  const tag = (await getTag(ctx, tagInfo, { strict: true })) as TagInfo;
  const build = (await getBuild(ctx.sql, buildInfo, true)) as BuildInfo;
  await assertPolicy(ctx, 'tag', { tag: null, build: build.id, fromtag: tag.id, operation: 'untag' }, force);
  await assertTagAccess(ctx, tag, ctx.session.userId, force);
  await directUntagBuild(ctx, tag, build, strict);
  return null;
}

/**
 * `latest` as Koji's loop reads it (`seen >= latest` skips a build): True → 1; a number N → the
 * first ceil(N) builds per package; 0 → no `latest` at all; below 0 → nothing; NaN and inf never
 * skip (all builds); -inf skips all.
 */
function latestArg(v: unknown): boolean | number {
  const n = v instanceof Float ? v.value : typeof v === 'bigint' ? Number(v) : v;
  if (typeof n !== 'number') return Boolean(n);
  if (n === 0 || Number.isNaN(n) || n === Infinity) return 0;
  return n < 0 ? -1 : Math.ceil(n);
}

/** listTagged's selection from its arguments. */
function taggedQuery(tagId: number, a: { event: number | null; inherit: boolean; latest?: unknown; package: string | null; owner: string | null; type: string | null; extra: boolean; draft?: unknown }): TaggedQuery {
  return { tagId, event: a.event, inherit: a.inherit, latest: latestArg(a.latest), package: a.package, owner: a.owner, type: a.type, extra: a.extra, draft: a.draft as boolean | null };
}

export const taggingMethods: MethodDef[] = [
  method({
    name: 'tagBuildBypass',
    sig: '(tag, build, force=False, notify=False)',
    requires: { perm: 'tag' },
    writes: true,
    doc: 'Tag a build at once (no task). Checks the tag lock/perm, the package list and the tag policy; force (admin) overrides.',
    args: { force: t.flag, notify: t.flag },
    async handler(ctx, a) {
      const tag = (await getTag(ctx, a.tag, { strict: true })) as TagInfo;
      const build = (await getBuild(ctx.sql, a.build, true)) as BuildInfo;
      await assertPolicy(ctx, 'tag', { tag: tag.id, build: build.id, fromtag: null, operation: 'tag' }, a.force);
      await assertTagAccess(ctx, tag, ctx.session.userId, a.force);
      await checkPackageListed(ctx, tag, build, a.force);
      await directTagBuild(ctx, tag, build, ctx.session.userId as number, a.force);
      return null;
    },
  }),
  method({
    name: 'untagBuildBypass',
    sig: '(tag, build, strict=True, force=False, notify=False)',
    requires: { perm: 'tag' },
    writes: true,
    doc: 'Untag a build (tag permission; checks the tag lock/perm and the tag policy).',
    args: { strict: t.flag, force: t.flag, notify: t.flag },
    handler: (ctx, a) => untag(ctx, a.tag, a.build, a.strict, a.force),
  }),
  method({
    name: 'untagBuild',
    sig: '(tag, build, strict=True, force=False)',
    requires: 'login',
    writes: true,
    doc: 'Untag a build at once (checks the tag policy and the tag lock/perm).',
    args: { strict: t.flag, force: t.flag },
    handler: (ctx, a) => untag(ctx, a.tag, a.build, a.strict, a.force),
  }),
  method({
    name: 'massTag',
    sig: '(tag, builds)',
    requires: { perm: 'tag' },
    writes: true,
    doc: 'Tag many builds (N-V-Rs or ids) in order, skipping access checks and policies.',
    args: { builds: t.list },
    async handler(ctx, a) {
      const tag = (await getTag(ctx, a.tag, { strict: true })) as TagInfo;
      for (const b of a.builds) {
        const build = (await getBuild(ctx.sql, b, true)) as BuildInfo;
        await directTagBuild(ctx, tag, build, ctx.session.userId as number, true);
        ctx.nextEvent(); // keeps the tagging order
      }
      return null;
    },
  }),
  method({
    name: 'listTagged',
    sig: '(tag, event=None, inherit=False, prefix=None, latest=False, package=None, owner=None, type=None, strict=True, extra=False, draft=None)',
    doc: 'Builds tagged in a tag (optionally inherited, latest per package, at an event …), newest tagging first.',
    args: { event: t.int.nullable(), inherit: t.flag, strict: t.flag, extra: t.flag, prefix: t.str.nullable(), package: t.str.nullable(), owner: t.str.nullable(), type: t.str.nullable() },
    async handler(ctx, a) {
      const tag = await getTag(ctx, a.tag, { strict: a.strict, event: a.event });
      if (!tag) return [];
      let rows = await readTaggedBuilds(ctx.sql, taggedQuery(tag.id, a));
      if (a.prefix) {
        const p = a.prefix.toLowerCase();
        rows = rows.filter((r) => String(r.package_name).toLowerCase().startsWith(p));
      }
      return rows;
    },
    // a tag's builds page (count, one sorted page) without the whole list; with a prefix the handler's list is filtered
    async paged(ctx, a, f) {
      if (a.prefix || !canPageTagged(f)) return null;
      const tag = await getTag(ctx, a.tag, { strict: a.strict, event: a.event });
      if (!tag) return { total: 0, rows: [] };
      return pageTaggedBuilds(ctx.sql, taggedQuery(tag.id, a), f);
    },
  }),
  method({
    name: 'listTaggedRPMS',
    sig: '(tag, event=None, inherit=False, latest=False, package=None, arch=None, rpmsigs=False, owner=None, type=None, strict=True, extra=True, draft=None)',
    doc: 'RPMs and builds in a tag: [rpms, builds].',
    args: { event: t.int.nullable(), inherit: t.flag, rpmsigs: t.flag, strict: t.flag, extra: t.flag, package: t.str.nullable(), owner: t.str.nullable(), type: t.str.nullable() },
    async handler(ctx, a) {
      const tag = await getTag(ctx, a.tag, { strict: a.strict, event: a.event });
      if (!tag) return [];
      return (await readTaggedRPMS(ctx.sql, { tagId: tag.id, event: a.event, inherit: a.inherit, latest: latestArg(a.latest), package: a.package, arch: a.arch as string | string[] | null, rpmsigs: a.rpmsigs, owner: a.owner, type: a.type, rpmExtra: a.extra, draft: a.draft as boolean | null })) as XmlRpcValue;
    },
  }),
  method({
    name: 'getLatestBuilds',
    sig: '(tag, event=None, package=None, type=None, draft=None)',
    doc: 'Latest build per package in a tag, following inheritance.',
    args: { event: t.int.nullable(), package: t.str.nullable(), type: t.str.nullable() },
    async handler(ctx, a) {
      // as Koji: an int is used as it is (an unknown id has no builds)
      const id = typeof a.tag === 'number' ? a.tag : ((await tagId(ctx.sql, a.tag, true)) as number);
      return readTaggedBuilds(ctx.sql, { tagId: id, event: a.event, inherit: true, latest: true, package: a.package, type: a.type, draft: a.draft as boolean | null });
    },
  }),
  method({
    name: 'getLatestRPMS',
    sig: '(tag, package=None, arch=None, event=None, rpmsigs=False, type=None, draft=None)',
    doc: 'RPMs of the latest builds in a tag, following inheritance: [rpms, builds].',
    args: { event: t.int.nullable(), rpmsigs: t.flag, package: t.str.nullable(), type: t.str.nullable() },
    async handler(ctx, a) {
      const id = (await tagId(ctx.sql, a.tag, true)) as number;
      return (await readTaggedRPMS(ctx.sql, { tagId: id, event: a.event, inherit: true, latest: true, package: a.package, arch: a.arch as string | string[] | null, rpmsigs: a.rpmsigs, type: a.type, draft: a.draft as boolean | null })) as XmlRpcValue;
    },
  }),
  method({
    name: 'tagChangedSinceEvent',
    sig: '(event, taglist)',
    doc: 'Has any of these tags changed since the event? (no inheritance)',
    args: { event: t.int, taglist: t.list },
    async handler(ctx, a) {
      const ids: number[] = [];
      for (const tg of a.taglist) {
        const id = await tagId(ctx.sql, tg);
        if (id !== null) ids.push(id);
      }
      return tagChangedSinceEvent(ctx.sql, a.event, ids);
    },
  }),
  method({
    name: 'tagLastChangeEvent',
    sig: '(tag, before=None, inherit=True)',
    doc: 'The most recent event that changed the tag (or its ancestors), or None.',
    args: { before: t.intish.nullable(), inherit: t.flag },
    handler: (ctx, a) => tagChangeEvent(ctx, a.tag, { last: true, bound: a.before, inherit: a.inherit }),
  }),
  method({
    name: 'tagFirstChangeEvent',
    sig: '(tag, after=None, inherit=True)',
    doc: 'The earliest event after `after` that changed the tag (or its ancestors), or None.',
    args: { after: t.intish.nullable(), inherit: t.flag },
    handler: (ctx, a) => tagChangeEvent(ctx, a.tag, { last: false, bound: a.after, inherit: a.inherit }),
  }),
];
