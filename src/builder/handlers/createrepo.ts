/**
 * kojid's CreaterepoTask: the repodata of one arch of a repo that `host.repoInit` laid out —
 * createrepo_c over the arch's pkglist (with `--update` from the old repo's repodata), the tag's
 * external repos merged with mergerepo_c in the tag's merge mode, and the repodata uploaded into
 * the task's output for `host.repoDone`. `buildArchRepo` is also what newRepo runs itself when it
 * makes the repodata of a single arch (repo.ts).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { GenericError } from '../../protocol/faults.ts';
import { isStruct, type XmlRpcStruct, type XmlRpcValue } from '../../protocol/values.ts';
import { PathInfo } from '../../util/pathinfo.ts';
import { RefuseTask } from '../errors.ts';
import { runLogged } from '../run-logged.ts';
import type { TaskContext } from '../task.ts';
import type { TaskHandler } from './registry.ts';
import type { StepTimes } from '../step-times.ts';

const REPO_INIT = 0;

/** kojid's CreaterepoTask._taskWeight */
export const CREATEREPO_WEIGHT = 1.5;

export async function isDir(p: string): Promise<boolean> {
  return (await stat(p).catch(() => null))?.isDirectory() ?? false;
}

/** The hub's repos folder must be visible here (a missing mount: let another host try). */
export async function checkReposDir(topdir: string): Promise<void> {
  const top = join(topdir, 'repos');
  if (!(await isDir(top))) throw new RefuseTask(`No access to repos dir ${top}`);
}

/** How many files uploadDirFiles sends side by side. */
const UPLOAD_STREAMS = 3;

/**
 * Upload every file of `dir` into the task's output; [uploadpath, files]. Beyond kojid (one file
 * after the other): the biggest files first, UPLOAD_STREAMS at a time (chunks without a callnum,
 * see ClientSession.rawUpload) — nine repodata files of 10,000 packages take about half the time.
 */
export async function uploadDirFiles(task: TaskContext, dir: string): Promise<[string, string[]]> {
  const files = await readdir(dir);
  const sized = await Promise.all(files.map(async (f) => ({ f, size: (await stat(join(dir, f))).size })));
  const queue = sized.sort((a, b) => b.size - a.size).map((x) => x.f);
  const stream = async () => {
    for (let f = queue.shift(); f !== undefined; f = queue.shift()) await task.session.uploadWrapper(join(dir, f), task.uploadDir(), f, { parallel: true });
  };
  await Promise.all(Array.from({ length: Math.min(UPLOAD_STREAMS, queue.length) }, stream));
  return [task.uploadDir(), files];
}

/** repoInfo of a repo that must still be INIT (the createrepo tasks' check). */
export async function initRepoInfo(task: TaskContext, repoId: XmlRpcValue): Promise<XmlRpcStruct> {
  const rinfo = await task.session.call<XmlRpcStruct>('repoInfo', [repoId], { strict: true });
  if (rinfo.state !== REPO_INIT) throw new GenericError(`Repo ${String(rinfo.id)} not in INIT state (got ${String(rinfo.state)})`);
  return rinfo;
}

/** What buildArchRepo needs of the repo (repoInfo's fields). */
export interface RepoRef {
  id: number;
  tag_id: number;
  tag_name: string;
  create_event: number;
}

/** What newRepo knows already when it makes the repodata itself. */
export interface ArchRepoExtras {
  /** the old repo's folder (else asked of the hub with repoInfo, as kojid's createrepo task does) */
  oldPath?: string | null;
  steps?: StepTimes;
}

/**
 * The repodata of `arch` in WORKDIR/repo/repodata (CreaterepoTask.handler up to the upload):
 * createrepo_c, then the external repos merged, or EMPTY_REPO when there is nothing at all.
 * Returns the repodata folder.
 */
export async function buildArchRepo(task: TaskContext, rinfo: RepoRef, arch: string, oldrepo: XmlRpcStruct | null, x: ArchRepoExtras = {}): Promise<string> {
  const pi = new PathInfo(task.options.topdir);
  const toprepodir = pi.repo(rinfo.id, rinfo.tag_name);
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
  // asked while createrepo_c runs (kojid asks after it)
  const externalList = task.session.call<XmlRpcStruct[]>('getExternalRepoList', [rinfo.tag_id], { event: rinfo.create_event });
  externalList.catch(() => undefined);
  await createLocalRepo(task, { repodir, outdir, datadir, pkglist, groupdata, arch, pi }, oldrepo, x);
  const external = await externalList;
  if (external.length) await mergeRepos(task, { repodir, outdir, groupdata, arch, repoId: rinfo.id }, external);
  else if (pkglist === null) await writeFile(join(datadir, 'EMPTY_REPO'), 'This repo is empty because its tag has no content for this arch\n');
  x.steps?.mark(external.length ? 'external repos merged' : 'getExternalRepoList');
  return datadir;
}

export const createrepo: TaskHandler = {
  methods: ['createrepo'],
  className: 'CreaterepoTask',
  params: '(repo_id, arch, oldrepo)',
  weight: CREATEREPO_WEIGHT,
  busyStart: true,
  async run(task, a) {
    const rinfo = (await initRepoInfo(task, a.repo_id)) as unknown as RepoRef;
    const datadir = await buildArchRepo(task, rinfo, String(a.arch), isStruct(a.oldrepo) ? a.oldrepo : null);
    await task.session.call('getTag', [rinfo.tag_id], { event: rinfo.create_event, strict: true });
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
async function createLocalRepo(task: TaskContext, r: LocalRepo, oldrepo: XmlRpcStruct | null, x: ArchRepoExtras): Promise<void> {
  await mkdir(r.outdir, { recursive: true });
  const cmd = task.options.use_createrepo_c ? ['createrepo_c', '--error-exit-val'] : ['createrepo'];
  cmd.push('-vd', '-o', r.outdir);
  if (r.pkglist !== null) cmd.push('-i', r.pkglist);
  if (existsSync(r.groupdata)) cmd.push('-g', r.groupdata);
  if (r.pkglist !== null && oldrepo && task.options.createrepo_update) {
    let oldPath = x.oldPath;
    if (!oldPath) {
      const info = await task.session.call<XmlRpcStruct>('repoInfo', [oldrepo.id], { strict: true });
      oldPath = r.pi.repo(info.id as number, info.tag_name as string);
    }
    const olddata = join(oldPath, r.arch, 'repodata');
    // beyond kojid: an empty old repo has nothing to reuse (its metadata would only be copied)
    if (existsSync(join(olddata, 'EMPTY_REPO'))) task.log.info(`old repo ${String(oldrepo.id)} is empty: no --update`);
    else if (await updateFrom(task, olddata, r.datadir)) {
      cmd.push('--update');
      if (task.options.createrepo_skip_stat) cmd.push('--skip-stat');
    }
  }
  cmd.push(r.pkglist === null ? r.outdir : r.repodir);
  x.steps?.mark(cmd.includes('--update') ? 'old repodata copied for --update' : 'createrepo_c prepared');
  await runCreaterepo(task, cmd, 'createrepo', x.steps);
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
export async function runCreaterepo(task: TaskContext, cmd: string[], logname: string, steps?: StepTimes): Promise<void> {
  const failed = await runLogged(task, cmd, join(task.workdir, `${logname}.log`), { logerror: true, steps });
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
