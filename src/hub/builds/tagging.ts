/**
 * Tagging through tasks, as Koji does it: tagBuild/moveBuild check what they can at once (build
 * complete, tag access, package list, tag policy) and make a `tagBuild` task; the builder
 * running it calls host.tagBuild, which checks again — policy as the task's owner, package
 * list, tag access of the owner — and tags (untagging from `fromtag` first, for a move) in one
 * transaction. moveAllBuilds chains one dependantTask per build, oldest first.
 */
import { BUILD_STATES } from '../../protocol/enums.ts';
import { TagError } from '../../protocol/faults.ts';
import type { XmlRpcValue } from '../../protocol/values.ts';
import { checkPackageListed, directTagBuild, directUntagBuild } from '../api/tagging.ts';
import { pkglistAdd } from '../api/packages.ts';
import { getBuild, type BuildInfo } from '../content/build.ts';
import { packageEntry } from '../content/pkglist.ts';
import { assertTagAccess, getTag, type TagInfo } from '../content/tag.ts';
import { readTaggedBuilds } from '../content/tagged.ts';
import { lookupName } from '../lookup.ts';
import { assertPolicy } from '../policy/hub.ts';
import { makeTask } from '../tasks/task.ts';
import type { CallContext } from '../types.ts';
import { taskOwner } from './lifecycle.ts';

const tagOf = async (ctx: CallContext, info: unknown) => (await getTag(ctx, info, { strict: true })) as TagInfo;

/** Koji's tagBuild (moveBuild with fromtag): the checks, then a tagBuild task (priority 10). */
export async function requestTagBuild(ctx: CallContext, tagInfo: unknown, buildInfo: unknown, force: boolean, fromtagInfo: unknown): Promise<number> {
  ctx.session.assertLogin();
  const build = (await getBuild(ctx.sql, buildInfo, true)) as BuildInfo;
  const tag = await tagOf(ctx, tagInfo);
  const fromtag = fromtagInfo ? await tagOf(ctx, fromtagInfo) : null;
  if (build.state !== BUILD_STATES.byName.COMPLETE) throw new TagError(`build ${build.nvr} not complete: state ${BUILD_STATES.name(build.state)}`);
  await assertTagAccess(ctx, tag, ctx.session.userId, force);
  if (fromtag) await assertTagAccess(ctx, fromtag, ctx.session.userId, force);
  await checkPackageListed(ctx, tag, build, force);
  await assertPolicy(ctx, 'tag', { tag: tag.id, build: build.id, fromtag: fromtag?.id ?? null, operation: fromtag ? 'move' : 'tag' }, force);
  return makeTask(ctx, 'tagBuild', [tag.id, build.id, force, fromtag?.id ?? null], { priority: 10 });
}

/** Koji's host.tagBuild, for a task the calling host holds: tag (or move) as the task's owner. */
export async function hostTagBuild(ctx: CallContext, taskId: number, tagInfo: unknown, buildInfo: unknown, force: boolean, fromtagInfo: unknown): Promise<void> {
  const build = (await getBuild(ctx.sql, buildInfo, true)) as BuildInfo;
  const tag = await tagOf(ctx, tagInfo);
  const userId = await taskOwner(ctx, taskId);
  const fromtag = fromtagInfo ? await tagOf(ctx, fromtagInfo) : null;
  const policyData: Record<string, XmlRpcValue> = { tag: tag.id, build: build.id, fromtag: fromtag?.name ?? null, user_id: userId, operation: fromtag ? 'move' : 'tag' };
  await assertPolicy(ctx, 'tag', policyData, force);
  await checkPackageListed(ctx, tag, build, force);
  if (fromtag) {
    await assertTagAccess(ctx, fromtag, userId, force);
    await directUntagBuild(ctx, fromtag, build, true);
  }
  await assertTagAccess(ctx, tag, userId, force);
  await directTagBuild(ctx, tag, build, userId, force);
}

/** Koji's moveAllBuilds: every build of the package in tag1, oldest tagging first, moved by chained tasks. */
export async function moveAllBuilds(ctx: CallContext, tag1Info: unknown, tag2Info: unknown, pkgInfo: unknown, force: boolean): Promise<number[]> {
  ctx.session.assertLogin();
  const pkg = (await lookupName(ctx.sql, 'package', pkgInfo, { strict: true }))!;
  const tag1 = await tagOf(ctx, tag1Info);
  const tag2 = await tagOf(ctx, tag2Info);
  const entry = await packageEntry(ctx.sql, tag2.id, pkg.id, null, false);
  const problem = !entry ? `Package ${String(pkgInfo)} not in list for tag ${String(tag2Info)}` : entry.blocked ? `Package ${String(pkgInfo)} blocked in tag ${String(tag2Info)}` : null;
  if (problem) {
    if (!(force && (await ctx.session.hasPerm('admin')))) throw new TagError(problem);
    await pkglistAdd(ctx, { taginfo: tag2.id, pkginfo: pkg.id, force: true, block: false, policy: false });
  }
  await assertTagAccess(ctx, tag1, ctx.session.userId, force);
  await assertTagAccess(ctx, tag2, ctx.session.userId, force);
  const builds = (await readTaggedBuilds(ctx.sql, { tagId: tag1.id, package: pkg.name })).reverse();
  for (const b of builds) await assertPolicy(ctx, 'tag', { tag: tag2.name, fromtag: tag1.name, operation: 'move', build: b.id });
  const tasks: number[] = [];
  let waitOn: number[] = [];
  for (const b of builds) {
    const id = await makeTask(ctx, 'dependantTask', [waitOn, [['tagBuild', [tag2.id, b.id, force, tag1.id], { priority: 15 }]]]);
    waitOn = [id];
    tasks.push(id);
  }
  return tasks;
}
