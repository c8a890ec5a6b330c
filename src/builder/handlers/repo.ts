/**
 * Repo tasks — kojid's NewRepoTask (the createrepo subtask is in createrepo.ts). newRepo asks the
 * hub for a new repo (`host.repoInit` writes its skeleton: per arch `pkglist`, `blocklist`,
 * `rpmlist.jsonl`, and `groups/comps.xml`), then per arch either copies the previous repo's
 * repodata (when nothing that goes into it changed) or has a `createrepo` subtask make it, and
 * hands the results to `host.repoDone`.
 *
 * Beyond Koji: `copy_old_repodata` defaults to true (see config/kojid.ts), so an unchanged tag's
 * regeneration copies repodata instead of running createrepo_c; and with `createrepo_inline`
 * (default true) a repo with a single arch to make has it made by the newRepo task itself — the
 * same work and hub calls as the subtask's, without a second task to dispatch, wait for and wake
 * from (kojid always starts a subtask).
 */
import { readdir, readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { GenericError, ParameterError } from '../../protocol/faults.ts';
import { isStruct, type XmlRpcStruct, type XmlRpcValue } from '../../protocol/values.ts';
import { PathInfo } from '../../util/pathinfo.ts';
import type { TaskContext } from '../task.ts';
import { buildArchRepo, checkReposDir, createrepo, CREATEREPO_WEIGHT, isDir, uploadDirFiles, type ArchRepoExtras, type RepoRef } from './createrepo.ts';
import type { TaskHandler } from './registry.ts';
import { StepTimes } from '../step-times.ts';

/** Files equal byte for byte (both present). */
async function sameFile(a: string, b: string): Promise<boolean> {
  try {
    const [x, y] = await Promise.all([readFile(a), readFile(b)]);
    return x.equals(y);
  } catch {
    return false;
  }
}

/**
 * NewRepoTask.get_old_repo: the tag's current repo, else a hinted tag's, else the nearest
 * parent's. `own`: the tag's current repo when asked already (undefined: ask).
 */
async function oldRepo(task: TaskContext, tinfo: XmlRpcStruct, pi: PathInfo, own?: XmlRpcStruct | null): Promise<[XmlRpcStruct | null, string | null]> {
  if (!task.options.createrepo_update) return [null, null];
  const s = task.session;
  const found = (repo: XmlRpcStruct, tagId: number, tagName: string): [XmlRpcStruct, string] => [{ ...repo, tag_id: tagId }, pi.repo(repo.id as number, tagName)];
  if (own === undefined) own = await s.call<XmlRpcStruct | null>('getRepo', [tinfo.id]);
  if (own) return found(own, tinfo.id as number, tinfo.name as string);
  const extra = isStruct(tinfo.extra) ? tinfo.extra : {};
  const hint = extra['repo.oldrepo_hint'];
  for (const ref of Array.isArray(hint) ? hint : hint === undefined ? [] : [hint]) {
    const reftag = await s.call<XmlRpcStruct | null>('getTag', [ref], { strict: false });
    if (!reftag) {
      task.log.warn(`oldrepo_hint refers to invalid tag: ${String(ref)}`);
      continue;
    }
    const r = await s.call<XmlRpcStruct | null>('getRepo', [reftag.id]);
    if (r) return found(r, reftag.id as number, reftag.name as string);
  }
  const parents = await s.call<XmlRpcStruct[]>('getFullInheritance', [tinfo.id]);
  for (const link of [...parents].sort((a, b) => (a.currdepth as number) - (b.currdepth as number))) {
    const r = await s.call<XmlRpcStruct | null>('getRepo', [link.parent_id]);
    if (r) {
      const parent = await s.call<XmlRpcStruct>('getTag', [link.parent_id]);
      return found(r, parent.id as number, parent.name as string);
    }
  }
  return [null, null];
}

/** NewRepoTask.check_repo: may the old repo's repodata serve the new one as it is? */
async function reusable(task: TaskContext, src: string | null, dst: string, srcRepo: XmlRpcStruct | null, dstRepo: XmlRpcStruct, opts: XmlRpcStruct): Promise<boolean> {
  if (!src || !srcRepo || !(await isDir(src))) return false;
  try {
    const json = JSON.parse(await readFile(join(src, 'repo.json'), 'utf8')) as Record<string, unknown>;
    for (const key of ['with_debuginfo', 'with_src', 'with_separate_src']) if (Boolean(json[key] ?? false) !== Boolean(opts[key] ?? false)) return false;
  } catch {
    task.log.debug(`Can't open repo.json for repo ${String(srcRepo.id)}`);
    return false;
  }
  const [a, b] = [join(src, 'groups/comps.xml'), join(dst, 'groups/comps.xml')];
  if (existsSync(a) !== existsSync(b)) return false;
  if (existsSync(a) && !(await sameFile(a, b))) return false;
  for (const r of [srcRepo, dstRepo]) {
    const ext = await task.session.call<XmlRpcValue[]>('getExternalRepoList', [r.tag_id], { event: r.create_event });
    if (ext.length) return false;
  }
  return true;
}

/** NewRepoTask.check_arch_repo: same pkglist and blocklist for the arch. */
async function archReusable(src: string, dst: string, arch: string): Promise<boolean> {
  for (const f of ['blocklist', 'pkglist']) if (!(await sameFile(join(src, arch, f), join(dst, arch, f)))) return false;
  return true;
}

const newRepo: TaskHandler = {
  methods: ['newRepo'],
  className: 'NewRepoTask',
  params: '(tag, event=None, src=None, debuginfo=None, separate_src=None, opts=None)',
  weight: 0.1,
  busyStart: true,
  async run(task, a) {
    const s = task.session;
    const steps = new StepTimes();
    let opts = a.opts as XmlRpcStruct | null;
    const legacy: XmlRpcStruct = {};
    for (const k of ['src', 'debuginfo', 'separate_src'] as const) if (a[k] !== null && a[k] !== undefined) legacy[k] = Boolean(a[k]);
    if (Object.keys(legacy).length) {
      if (opts !== null && opts !== undefined) throw new ParameterError('opts parameter cannot be combined with legacy options');
      task.log.warn('The src, debuginfo, and separate_src parameters for newRepo tasks are deprecated. Use the opts parameter.');
      opts = legacy;
    }
    await checkReposDir(task.options.topdir);
    const kwargs: XmlRpcStruct = { opts: opts ?? null, task_id: task.id };
    const atEvent = a.event !== null && a.event !== undefined;
    if (atEvent) kwargs.event = a.event as XmlRpcValue;
    let tinfo: XmlRpcStruct;
    let repoId: number;
    let eventId: number;
    let own: XmlRpcStruct | null | undefined;
    if (atEvent) {
      // as kojid: the tag at the event, then the repo of that tag (its name may have changed since)
      tinfo = await s.call<XmlRpcStruct>('getTag', [a.tag], { strict: true, event: a.event as XmlRpcValue });
      [repoId, eventId] = await s.call<[number, number]>('host.repoInit', [tinfo.id], kwargs);
    } else {
      // beyond kojid: the tag, the new repo and the tag's current (old) repo in one request — the
      // new one is INIT, so getRepo still answers the previous READY one
      const [t, init, cur] = await s.multiCall(
        [
          { method: 'getTag', args: [a.tag], kwargs: { strict: true } },
          { method: 'host.repoInit', args: [a.tag], kwargs },
          { method: 'getRepo', args: [a.tag] },
        ],
        { strict: true },
      );
      tinfo = (t as [XmlRpcStruct])[0];
      [repoId, eventId] = (init as [[number, number]])[0];
      own = (cur as [XmlRpcStruct | null])[0];
    }
    steps.mark('getTag, host.repoInit');
    const pi = new PathInfo(task.options.topdir);
    const path = pi.repo(repoId, tinfo.name as string);
    if (!(await isDir(path))) throw new GenericError(`Repo directory missing: ${path}`);
    const arches: string[] = [];
    for (const fn of await readdir(path)) if (fn !== 'groups' && existsSync(join(path, fn, 'pkglist'))) arches.push(fn);

    const [old, oldPath] = await oldRepo(task, tinfo, pi, own);
    // the arches whose pkglist and blocklist are the old repo's — the local files first, the hub
    // is asked about the rest of check_repo only when there is one
    const same: string[] = [];
    if (task.options.copy_old_repodata && old && oldPath) for (const arch of arches) if (await archReusable(oldPath, path, arch)) same.push(arch);
    const clonable = same.length > 0 && (await reusable(task, oldPath, path, old, { tag_id: tinfo.id, create_event: eventId }, kwargs));
    steps.mark('old repo checks');
    const data: XmlRpcStruct = {};
    const cloned: string[] = [];
    const make: string[] = [];
    for (const arch of arches) {
      if (clonable && old && oldPath && same.includes(arch)) {
        const r = await copyArchRepo(task, old.id as number, oldPath, repoId, arch);
        if (r) {
          data[arch] = r;
          cloned.push(arch);
          continue;
        }
      }
      make.push(arch);
    }
    if (make.length === 1 && !cloned.length && task.options.createrepo_inline) {
      const rinfo = { id: repoId, tag_id: tinfo.id as number, tag_name: tinfo.name as string, create_event: eventId };
      data[make[0]] = await createrepoInline(task, rinfo, make[0], old, { oldPath, steps });
    } else if (make.length) {
      const subtasks = new Map<string, number>();
      for (const arch of make) subtasks.set(arch, await task.subtask('createrepo', [repoId, arch, old], { label: arch, arch: 'noarch' }));
      const results = await task.wait([...subtasks.values()], { all: true, failany: true });
      for (const [arch, id] of subtasks) data[arch] = results.get(id) ?? null;
    }
    steps.mark(make.length ? 'repodata made' : 'repodata copied');
    const done: XmlRpcStruct = {};
    if (cloned.length) done.repo_json_updates = { cloned_from_repo_id: old?.id ?? null, cloned_archs: cloned };
    await s.call('host.repoDone', [repoId, data], done);
    steps.mark('host.repoDone');
    task.log.info(`steps: ${steps.text()}`);
    return [repoId, eventId];
  },
};

/**
 * The createrepo subtask's work done by the newRepo task itself (createrepo_inline): its output
 * (createrepo.log, the repodata) goes into this task's, and the task takes the subtask's weight.
 */
async function createrepoInline(task: TaskContext, rinfo: RepoRef, arch: string, old: XmlRpcStruct | null, x: ArchRepoExtras): Promise<[string, string[]]> {
  task.log.info(`making the repodata of ${arch} in this task (createrepo_inline)`);
  const [, datadir] = await Promise.all([task.session.call('host.setTaskWeight', [task.id, CREATEREPO_WEIGHT]), buildArchRepo(task, rinfo, arch, old, x)]);
  const r = await uploadDirFiles(task, datadir);
  x.steps?.mark('repodata upload');
  return r;
}

/**
 * NewRepoTask.copy_arch_repo: the old repodata uploaded as this repo's; null when copying fails.
 * Beyond kojid: the files are uploaded from the old repo's folder as they are, without a local
 * copy first (kojid copies the folder into its work folder, then uploads the copy).
 */
async function copyArchRepo(task: TaskContext, srcId: number, srcPath: string, repoId: number, arch: string): Promise<[string, string[]] | null> {
  const src = join(srcPath, arch, 'repodata');
  try {
    return existsSync(src) ? await uploadDirFiles(task, src) : [task.uploadDir(), []];
  } catch (e) {
    task.log.warn(`Copying repo ${srcId} to ${repoId} failed. ${(e as Error).message}`);
    return null;
  }
}

export const REPO_HANDLERS: TaskHandler[] = [newRepo, createrepo];
