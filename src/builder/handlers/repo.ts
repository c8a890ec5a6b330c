/**
 * Repo tasks — kojid's NewRepoTask and CreaterepoTask. newRepo asks the hub for a new repo
 * (`host.repoInit` writes its skeleton: per arch `pkglist`, `blocklist`, `rpmlist.jsonl`, and
 * `groups/comps.xml`), then per arch either copies the previous repo's repodata (when nothing that
 * goes into it changed) or runs a `createrepo` subtask, and hands the results to `host.repoDone`.
 * createrepo runs createrepo_c over the arch's pkglist (with `--update` from the old repo's
 * repodata), merges the tag's external repos with mergerepo_c in the tag's merge mode, and uploads
 * the repodata into the task's output.
 *
 * Beyond Koji: `copy_old_repodata` defaults to true (see config/kojid.ts), so an unchanged tag's
 * regeneration copies repodata instead of running createrepo_c.
 */
import { execFile } from 'node:child_process';
import { cp, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { GenericError, ParameterError } from '../../protocol/faults.ts';
import { isStruct, type XmlRpcStruct, type XmlRpcValue } from '../../protocol/values.ts';
import { PathInfo } from '../../util/pathinfo.ts';
import { RefuseTask } from '../errors.ts';
import { runLogged } from '../run-logged.ts';
import type { TaskContext } from '../task.ts';
import type { TaskHandler } from './registry.ts';

const REPO_INIT = 0;

/** Files equal byte for byte (both present). */
async function sameFile(a: string, b: string): Promise<boolean> {
  try {
    const [x, y] = await Promise.all([readFile(a), readFile(b)]);
    return x.equals(y);
  } catch {
    return false;
  }
}

export async function isDir(p: string): Promise<boolean> {
  return (await stat(p).catch(() => null))?.isDirectory() ?? false;
}

/** The hub's repos folder must be visible here (a missing mount: let another host try). */
async function checkReposDir(topdir: string): Promise<void> {
  const top = join(topdir, 'repos');
  if (!(await isDir(top))) throw new RefuseTask(`No access to repos dir ${top}`);
}

/** NewRepoTask.get_old_repo: the tag's current repo, else a hinted tag's, else the nearest parent's. */
async function oldRepo(task: TaskContext, tinfo: XmlRpcStruct, pi: PathInfo): Promise<[XmlRpcStruct | null, string | null]> {
  if (!task.options.createrepo_update) return [null, null];
  const s = task.session;
  const found = (repo: XmlRpcStruct, tagId: number, tagName: string): [XmlRpcStruct, string] => [{ ...repo, tag_id: tagId }, pi.repo(repo.id as number, tagName)];
  const own = await s.call<XmlRpcStruct | null>('getRepo', [tinfo.id]);
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

/** Upload every file of `dir` into the task's output; [uploadpath, files]. */
async function uploadDirFiles(task: TaskContext, dir: string): Promise<[string, string[]]> {
  const files = await readdir(dir);
  for (const f of files) await task.session.uploadWrapper(join(dir, f), task.uploadDir(), f);
  return [task.uploadDir(), files];
}

const newRepo: TaskHandler = {
  methods: ['newRepo'],
  className: 'NewRepoTask',
  params: '(tag, event=None, src=None, debuginfo=None, separate_src=None, opts=None)',
  weight: 0.1,
  async run(task, a) {
    const s = task.session;
    const tinfo = await s.call<XmlRpcStruct>('getTag', [a.tag], { strict: true, event: a.event ?? null });
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
    if (a.event !== null && a.event !== undefined) kwargs.event = a.event;
    const [repoId, eventId] = await s.call<[number, number]>('host.repoInit', [tinfo.id], kwargs);
    const pi = new PathInfo(task.options.topdir);
    const path = pi.repo(repoId, tinfo.name as string);
    if (!(await isDir(path))) throw new GenericError(`Repo directory missing: ${path}`);
    const arches: string[] = [];
    for (const fn of await readdir(path)) if (fn !== 'groups' && existsSync(join(path, fn, 'pkglist'))) arches.push(fn);

    const [old, oldPath] = await oldRepo(task, tinfo, pi);
    const clonable = task.options.copy_old_repodata && (await reusable(task, oldPath, path, old, { tag_id: tinfo.id, create_event: eventId }, kwargs));
    const subtasks = new Map<string, number>();
    const data: XmlRpcStruct = {};
    const cloned: string[] = [];
    for (const arch of arches) {
      if (clonable && old && oldPath && (await archReusable(oldPath, path, arch))) {
        const r = await copyArchRepo(task, old.id as number, oldPath, repoId, arch);
        if (r) {
          data[arch] = r;
          cloned.push(arch);
          continue;
        }
      }
      subtasks.set(arch, await task.subtask('createrepo', [repoId, arch, old], { label: arch, arch: 'noarch' }));
    }
    if (subtasks.size) {
      const results = await task.wait([...subtasks.values()], { all: true, failany: true });
      for (const [arch, id] of subtasks) data[arch] = results.get(id) ?? null;
    }
    const done: XmlRpcStruct = {};
    if (cloned.length) done.repo_json_updates = { cloned_from_repo_id: old?.id ?? null, cloned_archs: cloned };
    await s.call('host.repoDone', [repoId, data], done);
    return [repoId, eventId];
  },
};

/** NewRepoTask.copy_arch_repo: the old repodata uploaded as this repo's; null when copying fails. */
async function copyArchRepo(task: TaskContext, srcId: number, srcPath: string, repoId: number, arch: string): Promise<[string, string[]] | null> {
  const dst = join(task.workdir, arch, 'repodata');
  const src = join(srcPath, arch, 'repodata');
  try {
    await mkdir(dst, { recursive: true });
    if (existsSync(src)) await cp(src, dst, { recursive: true });
    return await uploadDirFiles(task, dst);
  } catch (e) {
    task.log.warn(`Copying repo ${srcId} to ${repoId} failed. ${(e as Error).message}`);
    await rm(dst, { recursive: true, force: true });
    return null;
  }
}

/** repoInfo of a repo that must still be INIT (the createrepo tasks' check). */
export async function initRepoInfo(task: TaskContext, repoId: XmlRpcValue): Promise<XmlRpcStruct> {
  const rinfo = await task.session.call<XmlRpcStruct>('repoInfo', [repoId], { strict: true });
  if (rinfo.state !== REPO_INIT) throw new GenericError(`Repo ${String(rinfo.id)} not in INIT state (got ${String(rinfo.state)})`);
  return rinfo;
}

const createrepo: TaskHandler = {
  methods: ['createrepo'],
  className: 'CreaterepoTask',
  params: '(repo_id, arch, oldrepo)',
  weight: 1.5,
  async run(task, a) {
    const s = task.session;
    const arch = String(a.arch);
    const rinfo = await initRepoInfo(task, a.repo_id);
    const pi = new PathInfo(task.options.topdir);
    const toprepodir = pi.repo(rinfo.id as number, rinfo.tag_name as string);
    const repodir = join(toprepodir, arch);
    if (!(await isDir(repodir))) {
      await checkReposDir(task.options.topdir);
      throw new GenericError(`Repo directory missing: ${repodir}`);
    }
    const groupdata = join(toprepodir, 'groups', 'comps.xml');
    const outdir = join(task.workdir, 'repo');
    const datadir = join(outdir, 'repodata');
    let pkglist: string | null = join(repodir, 'pkglist');
    if ((await stat(pkglist)).size === 0) pkglist = null;
    await createLocalRepo(task, { repodir, outdir, datadir, pkglist, groupdata, arch, pi }, isStruct(a.oldrepo) ? a.oldrepo : null);
    const external = await s.call<XmlRpcStruct[]>('getExternalRepoList', [rinfo.tag_id], { event: rinfo.create_event });
    if (external.length) await mergeRepos(task, { repodir, outdir, groupdata, arch, repoId: rinfo.id as number }, external);
    else if (pkglist === null) await writeFile(join(datadir, 'EMPTY_REPO'), 'This repo is empty because its tag has no content for this arch\n');
    await s.call('getTag', [rinfo.tag_id], { event: rinfo.create_event, strict: true });
    return uploadDirFiles(task, datadir);
  },
};

interface LocalRepo {
  repodir: string;
  outdir: string;
  datadir: string;
  pkglist: string | null;
  groupdata: string;
  arch: string;
  pi: PathInfo;
}

/** CreaterepoTask.create_local_repo */
async function createLocalRepo(task: TaskContext, r: LocalRepo, oldrepo: XmlRpcStruct | null): Promise<void> {
  await mkdir(r.outdir, { recursive: true });
  const cmd = task.options.use_createrepo_c ? ['createrepo_c', '--error-exit-val'] : ['createrepo'];
  cmd.push('-vd', '-o', r.outdir);
  if (r.pkglist !== null) cmd.push('-i', r.pkglist);
  if (existsSync(r.groupdata)) cmd.push('-g', r.groupdata);
  if (r.pkglist !== null && oldrepo && task.options.createrepo_update) {
    const info = await task.session.call<XmlRpcStruct>('repoInfo', [oldrepo.id], { strict: true });
    const olddata = join(r.pi.repo(info.id as number, info.tag_name as string), r.arch, 'repodata');
    if (await updateFrom(task, olddata, r.datadir)) {
      cmd.push('--update');
      if (task.options.createrepo_skip_stat) cmd.push('--skip-stat');
    }
  }
  cmd.push(r.pkglist === null ? r.outdir : r.repodir);
  await runCreaterepo(task, cmd, 'createrepo');
}

/**
 * For createrepo --update: the old repodata copied to `datadir` (without its pkgorigins.gz,
 * which mergerepos rewrites); false, with a warning, when it is missing. Beyond Koji: the old
 * repo's EMPTY_REPO marker is left behind too (createrepo_c keeps files it does not know, so
 * Koji's repo of a tag that got content still says it is empty).
 */
export async function updateFrom(task: TaskContext, olddata: string, datadir: string): Promise<boolean> {
  if (!(await isDir(olddata))) {
    task.log.warn(`old repodata is missing: ${olddata}`);
    return false;
  }
  await cp(olddata, datadir, { recursive: true });
  await rm(join(datadir, 'pkgorigins.gz'), { force: true });
  // beyond kojid: an empty old repo's marker would outlive it (createrepo_c --update keeps files
  // it does not know), leaving EMPTY_REPO in a repo that has packages
  await rm(join(datadir, 'EMPTY_REPO'), { force: true });
  return true;
}

/** Run createrepo(_c) with its output in WORKDIR/<logname>.log; kojid's error when it fails. */
export async function runCreaterepo(task: TaskContext, cmd: string[], logname: string): Promise<void> {
  const failed = await runLogged(task, cmd, join(task.workdir, `${logname}.log`), { logerror: true });
  if (failed) throw new GenericError(`failed to create repo: ${failed}`);
}

/** mergerepo_c's version as [major, minor, patch], or null. */
async function mergerepoVersion(task: TaskContext): Promise<number[] | null> {
  try {
    const { stdout } = await promisify(execFile)('mergerepo_c', ['--version']);
    const m = /Version: (\d+)\.(\d+)\.(\d+)/.exec(stdout.trim());
    if (m) return m.slice(1).map(Number);
    task.log.warn('Unable to parse mergerepo_c version');
  } catch {
    task.log.warn('Unable to detect mergerepo_c version');
  }
  return null;
}

const atLeast = (v: number[] | null, want: number[]) => v !== null && (v[0] - want[0] || v[1] - want[1] || v[2] - want[2]) >= 0;

/** CreaterepoTask.merge_repos: the local repo and the external ones, in the tag's (single) merge mode. */
async function mergeRepos(task: TaskContext, r: { repodir: string; outdir: string; groupdata: string; arch: string; repoId: number }, external: XmlRpcStruct[]): Promise<void> {
  const modes = [...new Set(external.map((e) => String(e.merge_mode ?? 'koji')))];
  if (modes.length > 1) throw new GenericError(`Found multiple merge modes for external repos: ${modes.join(', ')}\n`);
  const mode = modes[0];
  const local = join(task.workdir, `repo_${r.repoId}_premerge`);
  await rename(r.outdir, local);
  await mkdir(r.outdir, { recursive: true });
  const repos = [`file://${local}/`];
  for (const e of external) {
    if (typeof e.arches === 'string' && e.arches && !e.arches.split(/\s+/).includes(r.arch)) continue;
    repos.push(String(e.url).replaceAll('$arch', r.arch));
  }
  const version = await mergerepoVersion(task);
  let cmd: string[];
  if (mode === 'simple') {
    if (!atLeast(version, [0, 13, 0])) throw new GenericError(`mergerepo_c is not installed or has low version: ${version ? version.join('.') : 'None'} (0.13.0 needed for --simple)`);
    cmd = ['mergerepo_c', '--koji', '--simple'];
  } else if (mode === 'bare') cmd = ['mergerepo_c', '--pkgorigins', '--all'];
  else cmd = ['mergerepo_c', '--koji'];
  if (mode !== 'bare') cmd.push('-b', join(r.repodir, 'blocklist'));
  cmd.push('-a', r.arch, '-o', r.outdir);
  if (atLeast(version, [0, 15, 11])) cmd.push('--arch-expand');
  if (existsSync(r.groupdata)) cmd.push('-g', r.groupdata);
  for (const u of repos) cmd.push('-r', u);
  const failed = await runLogged(task, cmd, join(task.workdir, 'mergerepos.log'), { logerror: true, env: { TMPDIR: task.workdir } });
  if (failed) throw new GenericError(`failed to merge repos: ${failed}`);
}

export const REPO_HANDLERS: TaskHandler[] = [newRepo, createrepo];
