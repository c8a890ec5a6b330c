/**
 * Builds through tasks, as users ask for them: build, chainBuild (tasks for the builders),
 * tagBuild, moveBuild and moveAllBuilds (tagging tasks), cancelBuild, mergeScratch, and the
 * build facts around them: getAverageBuildDuration, applyVolumePolicy, checkTagAccess.
 * Wire shapes and permission checks only; the work is in ../builds/.
 */
import { ActionNotAllowed } from '../../protocol/faults.ts';
import { Float, newStruct, type XmlRpcValue } from '../../protocol/values.ts';
import { getBuild, type BuildInfo } from '../content/build.ts';
import { checkTagAccess, getTag, type TagInfo } from '../content/tag.ts';
import { lookupName } from '../lookup.ts';
import { method, t, truthy, type MethodDef } from '../registry.ts';
import type { CallContext } from '../types.ts';
import { cancelBuild } from '../builds/lifecycle.ts';
import { mergeScratch } from '../builds/merge-scratch.ts';
import { moveAllBuilds, requestTagBuild } from '../builds/tagging.ts';
import { applyVolumePolicy } from '../builds/volume.ts';
import { makeTask, PRIO_DEFAULT, taskId, wrongType } from '../tasks/task.ts';

/**
 * Koji's build and chainBuild: `priority` is relative to the default (higher runs later; below 0
 * for admins only); the channel and priority policies decide the rest in makeTask.
 */
async function buildTask(ctx: CallContext, taskMethod: string, src: XmlRpcValue, a: { target: unknown; opts: unknown; priority: unknown; channel: unknown }): Promise<number> {
  ctx.session.assertLogin();
  const opts = truthy(a.opts) ? (a.opts as XmlRpcValue) : newStruct();
  const taskOpts: Record<string, unknown> = {};
  if (truthy(a.priority)) {
    const p = Number(a.priority);
    if (p < 0 && !(await ctx.session.hasPerm('admin'))) throw new ActionNotAllowed('only admins may create high-priority tasks');
    taskOpts.priority = PRIO_DEFAULT + p;
  }
  if (truthy(a.channel)) taskOpts.channel = a.channel;
  return makeTask(ctx, taskMethod, [src, a.target as XmlRpcValue, opts], taskOpts);
}

/** Koji's getAverageBuildDuration: seconds, over the package's COMPLETE builds made by tasks (optionally of the last `age` months). */
async function averageBuildDuration(ctx: CallContext, pkgInfo: unknown, age: number | null): Promise<XmlRpcValue> {
  const pkg = await lookupName(ctx.sql, 'package', pkgInfo);
  if (!pkg) return null;
  const params: unknown[] = [pkg.id];
  let ageCond = '';
  if (age !== null) {
    params.push(`${Math.trunc(age)} months`);
    ageCond = ' AND (build.completion_time > NOW() - $2::interval)';
  }
  const avg = await ctx.sql.value<number | null>(
    `SELECT date_part('epoch', avg(build.completion_time - events.time)) AS avg FROM build JOIN events ON build.create_event = events.id
      WHERE build.pkg_id = $1 AND build.state = 1 AND (build.task_id IS NOT NULL OR build.extra LIKE '%koji_task_id%')${ageCond}`,
    params,
  );
  return avg === null ? null : new Float(Number(avg));
}

const priorityArg = t.intish.nullish();

/** A tagging call of a logged-in user with Koji's `force` flag (admins override locks, lists and policy). */
const forceCall = (name: string, sig: string, doc: string, handler: MethodDef['handler']): MethodDef =>
  method({ name, sig, doc, requires: 'login', writes: true, args: { force: t.flag }, handler });

export const buildTaskMethods: MethodDef[] = [
  method({
    name: 'build',
    sig: '(src, target, opts=None, priority=None, channel=None)',
    requires: 'login',
    writes: true,
    doc: 'Create a build task: src is an SRPM uploaded to work/ (its path) or an SCM URL; target a build target. Returns the task id.',
    args: { priority: priorityArg },
    handler(ctx, a) {
      if (typeof a.src !== 'string') throw wrongType(a.src, 'str');
      return buildTask(ctx, 'build', a.src, a as never);
    },
  }),
  method({
    name: 'chainBuild',
    sig: '(srcs, target, opts=None, priority=None, channel=None)',
    requires: 'login',
    writes: true,
    doc: 'Create a chainbuild task: srcs is a list of lists of sources (or N-V-Rs); each list is built, and a new repo made, before the next. Returns the task id.',
    args: { priority: priorityArg },
    handler(ctx, a) {
      if (!Array.isArray(a.srcs)) throw wrongType(a.srcs, 'list');
      return buildTask(ctx, 'chainbuild', a.srcs as XmlRpcValue, a as never);
    },
  }),
  forceCall('tagBuild', '(tag, build, force=False, fromtag=None)', 'Ask for a build to be tagged (a move with fromtag): checked now, done by a tagBuild task. Returns the task id.', (ctx, a) =>
    requestTagBuild(ctx, a.tag, a.build, a.force as boolean, a.fromtag),
  ),
  forceCall('moveBuild', '(tag1, tag2, build, force=False)', 'Move a build from tag1 to tag2 (a tagBuild task). Returns the task id.', (ctx, a) =>
    requestTagBuild(ctx, a.tag2, a.build, a.force as boolean, a.tag1),
  ),
  forceCall('moveAllBuilds', '(tag1, tag2, package, force=False)', 'Move every build of a package from tag1 to tag2, oldest first (chained tasks). Returns the task ids.', (ctx, a) =>
    moveAllBuilds(ctx, a.tag1, a.tag2, a.package, a.force as boolean),
  ),
  method({
    name: 'cancelBuild',
    sig: '(buildID, strict=False)',
    requires: 'login',
    writes: true,
    doc: 'Cancel a BUILDING build (its owner or an admin) and its task. True if canceled; False if it was not building (or, without strict, does not exist).',
    args: { strict: t.flag },
    async handler(ctx, a) {
      const b = (await getBuild(ctx.sql, a.buildID, a.strict)) as BuildInfo | null;
      if (!b) return false;
      if (b.owner_id !== ctx.session.userId && !(await ctx.session.hasPerm('admin'))) throw new ActionNotAllowed('Cannot cancel build, not owner');
      return cancelBuild(ctx, b.id);
    },
  }),
  method({
    name: 'mergeScratch',
    sig: '(task_id)',
    requires: { perm: 'admin' },
    writes: true,
    doc: "Import the arch-specific rpms of a scratch build task into the existing build of the same SRPM (new arches only). Returns the build id.",
    handler: (ctx, a) => mergeScratch(ctx, taskId(a.task_id)),
  }),
  method({
    name: 'getAverageBuildDuration',
    sig: '(package, age=None)',
    doc: 'Average seconds from start to completion of the COMPLETE task builds of a package (within the last `age` months), or None.',
    args: { age: t.number.nullish() },
    handler: (ctx, a) => averageBuildDuration(ctx, a.package, a.age ?? null),
  }),
  method({
    name: 'applyVolumePolicy',
    sig: '(build, strict=False)',
    requires: { perm: 'admin' },
    writes: true,
    doc: 'Move a build to the volume the volume policy picks for it (strict: a policy problem is a fault).',
    args: { strict: t.flag },
    async handler(ctx, a) {
      const b = (await getBuild(ctx.sql, a.build, true)) as BuildInfo;
      return applyVolumePolicy(ctx, b, a.strict);
    },
  }),
  method({
    name: 'checkTagAccess',
    sig: '(tag_id, user_id=None)',
    doc: '[access, override, reason]: may the user (default: the caller) tag into the tag (not locked, has its permission); override: an admin may force it.',
    async handler(ctx, a) {
      const userId = a.user_id === null || a.user_id === undefined ? ctx.session.userId : taskId(a.user_id);
      const tag = (await getTag(ctx, a.tag_id, { strict: true })) as TagInfo;
      const r = await checkTagAccess(ctx, tag, userId);
      return [r.access, r.override, r.reason];
    },
  }),
];
