/**
 * Dist repo tasks — kojid's NewDistRepoTask and createDistRepoTask. The hub's distRepo call made
 * the INIT repo under repos-dist/<tag>/<id>/; distRepo runs a `createdistrepo` subtask per
 * canonical arch, moves each arch into place with host.distRepoMove and finishes with
 * host.repoDone. With `multilib` (the path of a python-multilib config under work/), the arches
 * that are not multilib ones run and are moved into place first, then the multilib ones
 * (x86_64, ppc64, s390x), which add the 32-bit packages the config selects and their
 * dependencies (distrepo-multilib.ts). createdistrepo picks the rpms (distrepo-rpms.ts), writes
 * `kojipkgs` and `pkglist`, symlinks the packages into `Packages/<first letter>/`, runs
 * createrepo_c (`--update` from the tag's last READY dist repo, `--deltas` against the `delta`
 * repos, `--zck`), and uploads everything but the symlinks with a `repo_manifest`; the hub links
 * the packages from their signed (or primary) copies.
 *
 * Not in koji-ts yet: postCreateDistRepo callbacks.
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, symlink, writeFile } from 'node:fs/promises';
import { dirname, join, normalize, relative } from 'node:path';
import { GenericError } from '../../protocol/faults.ts';
import { isStruct, type XmlRpcStruct, type XmlRpcValue } from '../../protocol/values.ts';
import { canonArch } from '../../util/arch.ts';
import { isDebuginfo } from '../../util/nvr.ts';
import { PathInfo } from '../../util/pathinfo.ts';
import { taskRelPath, type TaskContext } from '../task.ts';
import { addMultilib } from './distrepo-multilib.ts';
import { getDistRpms, type DistRpm } from './distrepo-rpms.ts';
import { initRepoInfo, isDir, runCreaterepo, updateFrom } from './createrepo.ts';
import type { TaskHandler } from './registry.ts';

const REPO_READY = 1;

/** koji.arch.isMultiLibArch for the arches a dist repo is made for. */
const MULTILIB_ARCHES = new Set(['x86_64', 'amd64', 'ia32e', 'sparc64', 'sparc64v', 'ppc64', 'ppc64p7', 'ppc64pseries', 'ppc64iseries', 's390x']);

const distRepo: TaskHandler = {
  methods: ['distRepo'],
  className: 'NewDistRepoTask',
  params: '(tag, repo_id, keys, task_opts)',
  weight: 0.1,
  async run(task, a) {
    const s = task.session;
    const opts = (isStruct(a.task_opts) ? a.task_opts : {}) as XmlRpcStruct;
    const tinfo = await s.call<XmlRpcStruct>('getTag', [a.tag], { strict: true, event: opts.event ?? null });
    let arches = Array.isArray(opts.arch) ? opts.arch.map(String) : [];
    if (arches.length === 0) {
      arches = String(tinfo.arches ?? '').split(/\s+/).filter(Boolean);
      opts.arch = arches;
    }
    if (arches.length === 0) throw new GenericError('No arches specified nor for the tag!');
    const canon = [...new Set(arches.map(canonArch))];
    const subtasks = new Map<string, number>();
    const start = async (arch: string) => {
      subtasks.set(arch, await task.subtask('createdistrepo', [a.tag, a.repo_id, arch, a.keys, opts], { label: arch, arch: 'noarch' }));
    };
    const moved = new Set<string>();
    const moveDone = async () => {
      await task.wait([...subtasks.values()], { all: true, failany: true });
      for (const [arch, id] of subtasks) {
        if (moved.has(arch)) continue;
        await s.call('host.distRepoMove', [a.repo_id, taskRelPath(id), arch]);
        moved.add(arch);
      }
    };
    // the 32-bit (non-multilib) arches first; with multilib, the 64-bit ones read them in place
    for (const arch of canon.filter((x) => !MULTILIB_ARCHES.has(x))) await start(arch);
    if (opts.multilib && subtasks.size) await moveDone();
    for (const arch of canon.filter((x) => MULTILIB_ARCHES.has(x))) await start(arch);
    await moveDone();
    await s.call('host.repoDone', [a.repo_id, {}]);
    return `Dist repository #${String(a.repo_id)} successfully generated`;
  },
};

interface CreaterepoArgs {
  repodir: string;
  pkglist: string;
  groupdata: string;
  oldpkgs: string[];
  oldrepodata: string | null;
  logname?: string;
  zck: boolean;
  zckDictDir: string | null;
  skipStat: XmlRpcValue;
}

/** createDistRepoTask.do_createrepo */
async function doCreaterepo(task: TaskContext, c: CreaterepoArgs): Promise<void> {
  await mkdir(c.repodir, { recursive: true });
  let cmd: string[];
  if (task.options.use_createrepo_c) cmd = ['createrepo_c', '--error-exit-val'];
  else {
    cmd = ['createrepo'];
    if (c.zck) throw new GenericError("createrepo doesn't support zchunks");
  }
  if (c.zckDictDir && !c.zck) throw new GenericError('--zck-dict-dir makes no sense without --zck');
  cmd.push('-vd', '-i', c.pkglist);
  if (existsSync(c.groupdata)) cmd.push('-g', c.groupdata);
  // createrepo_c --update reads the old metadata from the output folder
  if (c.oldrepodata && task.options.createrepo_update && (await updateFrom(task, c.oldrepodata, join(c.repodir, 'repodata')))) {
    cmd.push('--update');
    const skip = c.skipStat === null || c.skipStat === undefined ? task.options.distrepo_skip_stat : Boolean(c.skipStat);
    if (skip) cmd.push('--skip-stat');
  }
  if (c.oldpkgs.length) {
    cmd.push('--deltas');
    for (const d of c.oldpkgs) cmd.push('--oldpackagedirs', d);
  }
  if (c.zck) cmd.push('--zck');
  if (c.zckDictDir) {
    const d = normalize(c.zckDictDir);
    if (existsSync(d) && !(await isDir(d))) throw new GenericError(`zchunk dir path is file: ${d}`);
    if (!(await isDir(d))) throw new GenericError(`zchunk dir path doesn't exist: ${d}`);
    cmd.push('--zck-dict-dir', d);
  }
  cmd.push(c.repodir);
  await runCreaterepo(task, cmd, c.logname ?? 'createrepo');
}

/** The `delta` option's repos: their top folders (dist repos only). */
async function deltaDirs(task: TaskContext, pi: PathInfo, delta: XmlRpcValue): Promise<string[]> {
  const dirs: string[] = [];
  for (const id of Array.isArray(delta) ? delta : []) {
    const old = await task.session.call<XmlRpcStruct>('repoInfo', [id], { strict: true });
    if (!old.dist) throw new GenericError('Base repo for deltas must also be a dist repo');
    const path = pi.distrepo(old.id as number, String(old.tag_name));
    if (!existsSync(path)) throw new GenericError(`Base drpm repo missing: ${path}`);
    dirs.push(path);
  }
  return dirs;
}

/** The pkglist lines (`Packages/<l>/<file>`, `../Packages/…` in a subrepo) and the subrepo folders. */
async function writePkglists(repodir: string, kojipkgs: Map<string, DistRpm>): Promise<Set<string>> {
  const top: string[] = [];
  const sub = new Map<string, string[]>();
  for (const [bnp, r] of kojipkgs) {
    const rel = `Packages/${bnp[0].toLowerCase()}/${bnp}\n`;
    if (r._subrepo) sub.set(r._subrepo, [...(sub.get(r._subrepo) ?? []), `../${rel}`]);
    else top.push(rel);
  }
  await writeFile(join(repodir, 'pkglist'), top.join(''));
  for (const [name, lines] of sub) {
    await mkdir(join(repodir, name), { recursive: true });
    await writeFile(join(repodir, name, 'pkglist'), lines.join(''));
  }
  return new Set(sub.keys());
}

/** Every file under `dir` that is not a symlink, relative to it, in Koji's `./name` form at the top. */
async function repoFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!e.isFile()) continue;
    const rel = relative(dir, join(e.parentPath, e.name));
    out.push(rel.includes('/') ? rel : `./${rel}`);
  }
  return out.sort();
}

const createDistRepo: TaskHandler = {
  methods: ['createdistrepo'],
  className: 'createDistRepoTask',
  params: '(tag, repo_id, arch, keys, opts)',
  weight: 1.5,
  async run(task, a) {
    const s = task.session;
    const arch = String(a.arch);
    const opts = (isStruct(a.opts) ? a.opts : {}) as XmlRpcStruct;
    const rinfo = await initRepoInfo(task, a.repo_id);
    const pi = new PathInfo(task.options.topdir);
    const tagName = String(rinfo.tag_name);
    const groupdata = join(pi.distrepo(rinfo.id as number, tagName), 'groups', 'comps.xml');
    const repodir = join(task.workdir, 'repo');
    await mkdir(repodir, { recursive: true });
    const oldpkgs = opts.delta ? await deltaDirs(task, pi, opts.delta) : [];
    const oldrepo = await s.call<XmlRpcStruct | null>('getRepo', [a.tag], { dist: true, state: REPO_READY });
    const oldrepodir = oldrepo ? pi.distrepo(oldrepo.id as number, tagName) : null;
    const uploadpath = task.uploadDir();

    const kojipkgs = await getDistRpms(task, a.tag, arch, Array.isArray(a.keys) ? a.keys.map(String) : [], opts, uploadpath);
    if (opts.multilib && MULTILIB_ARCHES.has(arch)) await addMultilib(task, { rinfo, arch, conf: String(opts.multilib), kojipkgs, uploadpath });
    // split_pkgs: debuginfo into the debug subrepo
    for (const r of kojipkgs.values()) if (opts.split_debuginfo && isDebuginfo(String(r.name))) r._subrepo = 'debug';
    await writeFile(join(repodir, 'kojipkgs'), JSON.stringify(Object.fromEntries(kojipkgs), null, 4));
    const subrepos = await writePkglists(repodir, kojipkgs);
    for (const [bnp, r] of kojipkgs) {
      const dst = join(repodir, 'Packages', bnp[0].toLowerCase(), bnp);
      await mkdir(dirname(dst), { recursive: true });
      await symlink(r._pkgpath!, dst);
    }

    const common = { groupdata, oldpkgs, zck: Boolean(opts.zck), zckDictDir: (opts.zck_dict_dir as string | null | undefined) ?? null };
    await doCreaterepo(task, { ...common, repodir, pkglist: join(repodir, 'pkglist'), oldrepodata: oldrepodir && join(oldrepodir, arch, 'repodata'), skipStat: opts.createrepo_skip_stat });
    for (const sub of subrepos) {
      const oldrepodata = oldrepodir && join(oldrepodir, arch, sub, 'repodata');
      // as kojid: the subrepos take the builder's distrepo_skip_stat
      await doCreaterepo(task, { ...common, repodir: join(repodir, sub), pkglist: join(repodir, sub, 'pkglist'), oldrepodata, logname: `createrepo_${sub}`, skipStat: null });
    }
    if (kojipkgs.size === 0) await writeFile(join(repodir, 'repodata', 'EMPTY_REPO'), 'This repo is empty because its tag has no content for this arch\n');

    const files = await repoFiles(repodir);
    for (const rel of files) {
      const dir = dirname(rel);
      const name = rel.slice(dir.length + 1);
      await s.uploadWrapper(join(repodir, rel), dir === '.' ? uploadpath : `${uploadpath}/${dir}`, name);
    }
    const manifest = join(task.workdir, 'repo_manifest');
    await writeFile(manifest, JSON.stringify(files, null, 4));
    await s.uploadWrapper(manifest, uploadpath);
    return null;
  },
};

export const DIST_REPO_HANDLERS: TaskHandler[] = [distRepo, createDistRepo];
