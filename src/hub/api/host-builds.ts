/**
 * The host.* calls a builder's build tasks make (Koji's HostExports): the build's life
 * (initBuild, completeBuild, failBuild, moveBuildToScratch), its buildroots (newBuildRoot,
 * setBuildRootState, setBuildRootList, updateBuildRootList) and tagging (tagBuild,
 * tagNotification). Every call needs a host with an exclusive session that holds the task it
 * names (OPEN and assigned to it): another host's task is refused with "host H does not own
 * task T"; a buildroot must be the host's own, and the task's when a task is named.
 */
import { GenericError } from '../../protocol/faults.ts';
import type { XmlRpcValue } from '../../protocol/values.ts';
import { method, t, type MethodDef } from '../registry.ts';
import type { CallContext } from '../types.ts';
import { callingHost } from '../tasks/host.ts';
import { assertHost, taskId } from '../tasks/task.ts';
import { assertBuildrootOwner, loadBuildroot, newBuildroot, setBuildrootList, setBuildrootState } from '../builds/buildroot.ts';
import { importBuild } from '../builds/import.ts';
import { failBuild, initBuild, initDataTask, moveToScratch } from '../builds/lifecycle.ts';
import { hostTagBuild } from '../builds/tagging.ts';

/** Koji's Host().verify() + Task(task_id).assertHost(host.id): the task, held by the caller. */
async function ownTask(ctx: CallContext, task: unknown): Promise<number> {
  const host = await callingHost(ctx);
  const id = taskId(task);
  await assertHost(ctx, id, host);
  return id;
}

/** The buildroot, checked to be the calling host's (and the named task's, which the host must hold). */
async function ownBuildroot(ctx: CallContext, brootid: unknown, task: unknown) {
  const host = await callingHost(ctx);
  const tid = task === null || task === undefined ? null : taskId(task);
  if (tid !== null) await assertHost(ctx, tid, host);
  const br = await loadBuildroot(ctx, brootid);
  assertBuildrootOwner(br, host, tid);
  return br;
}

const hostCall = (name: string, sig: string, doc: string, handler: MethodDef['handler'], args?: MethodDef['args']): MethodDef =>
  method({ name, sig, doc, requires: 'hostSession', writes: true, args, handler });

/** A host call about the task in its first argument (task_id), which the calling host must hold; answers None. */
const taskCall = (name: string, sig: string, doc: string, run: (ctx: CallContext, a: Record<string, unknown>, task: number) => Promise<unknown>, args?: MethodDef['args']): MethodDef =>
  hostCall(name, sig, doc, async (ctx, a) => {
    const r = await run(ctx, a, await ownTask(ctx, a.task_id));
    return (r ?? null) as XmlRpcValue;
  }, args);

export const hostBuildMethods: MethodDef[] = [
  hostCall('host.initBuild', '(data)', 'Create (or reuse) the BUILDING build of a build task: data has name, version, release, epoch, task_id (source, extra, draft). Returns the build id.', async (ctx, a) => {
    const { data, taskId: tid } = initDataTask(a.data);
    await ownTask(ctx, tid);
    return initBuild(ctx, data, tid);
  }),
  taskCall(
    'host.completeBuild',
    '(task_id, build_id, srpm, rpms, brmap=None, logs=None)',
    'Import the uploaded SRPM, RPMs (with their buildroots in brmap) and logs ({arch: [paths]}) into the BUILDING build: it becomes COMPLETE. Paths are relative to the work dir.',
    (ctx, a, task) => importBuild(ctx, { taskId: task, buildId: a.build_id as number, srpm: a.srpm, rpms: a.rpms, brmap: a.brmap, logs: a.logs }),
    { build_id: t.int },
  ),
  taskCall('host.failBuild', '(task_id, build_id)', 'Mark the BUILDING build of a task FAILED.', (ctx, a) => failBuild(ctx, a.build_id)),
  taskCall('host.moveBuildToScratch', '(task_id, srpm, rpms, logs=None)', 'Put the results of a scratch build under scratch/<owner>/task_<id>/ (not imported).', (ctx, a, task) =>
    moveToScratch(ctx, task, a.srpm, a.rpms, a.logs),
  ),
  hostCall('host.newBuildRoot', '(repo, arch, task_id=None)', 'Record a new buildroot (state INIT) of the calling host for its task, on a repo. Returns its id.', async (ctx, a) => {
    const host = await callingHost(ctx);
    const tid = a.task_id === null || a.task_id === undefined ? null : await ownTask(ctx, a.task_id);
    return newBuildroot(ctx, host, a.repo, a.arch, tid);
  }),
  hostCall('host.setBuildRootState', '(brootid, state, task_id=None)', "Move a buildroot on: WAITING, BUILDING or EXPIRED (by name or number; never back to INIT).", async (ctx, a) => {
    await setBuildrootState(ctx, await ownBuildroot(ctx, a.brootid, a.task_id), a.state);
    return null;
  }),
  hostCall('host.setBuildRootList', '(brootid, rpmlist, task_id=None)', 'The rpms installed in a new (INIT) buildroot; external ones carry `location` (the external repo).', async (ctx, a) => {
    await setBuildrootList(ctx, await ownBuildroot(ctx, a.brootid, a.task_id), a.rpmlist, false);
    return null;
  }),
  hostCall('host.updateBuildRootList', '(brootid, rpmlist, task_id=None)', 'Add rpms installed later in a BUILDING buildroot (listed as updates).', async (ctx, a) => {
    await setBuildrootList(ctx, await ownBuildroot(ctx, a.brootid, a.task_id), a.rpmlist, true);
    return null;
  }),
  taskCall(
    'host.tagBuild',
    '(task_id, tag, build, force=False, fromtag=None)',
    "Tag a build (with fromtag: move it) as the task's owner, after the tag policy, package list and tag access checks.",
    (ctx, a, task) => hostTagBuild(ctx, task, a.tag, a.build, a.force as boolean, a.fromtag),
    { force: t.flag },
  ),
  hostCall(
    'host.tagNotification',
    "(is_successful, tag_id, from_id, build_id, user_id, ignore_success=False, failure_msg='')",
    'Make a tagNotification task for the notification recipients of a tagging; koji-ts sends no e-mail yet, so there are none and no task is made.',
    async (ctx) => {
      await callingHost(ctx);
      return null;
    },
  ),
  // Maven builds are not supported (Koji with EnableMaven off answers the same)
  hostCall('host.importWrapperRPMs', '(task_id, build_id, rpm_results)', 'Maven wrapper rpms: not supported (Maven support not enabled).', () => {
    throw new GenericError('Maven support not enabled');
  }),
];
