/**
 * The multilib step of createdistrepo for a 64-bit arch — kojid's createDistRepoTask.do_multilib.
 * The 32-bit arch of the same dist repo (x86_64 → i386, ppc64 → ppc, s390x → s390) is already in
 * place (distRepo moved it first). Each package of the arch that the multilib rules select
 * (multilib.ts) must have its 32-bit build in that arch's kojipkgs; those builds, and what they
 * need from the 32-bit arch (dnf's depsolve with the 64-bit arch, which takes the 32-bit
 * packages as compatible), join the arch's kojipkgs flagged `_multilib`, linked from the 32-bit
 * arch's Packages/. Selected builds or dependencies missing there fail the task with
 * missing_multilib.log; a failed depsolve fails it with dnf's problem.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { GenericError } from '../../protocol/faults.ts';
import type { XmlRpcStruct } from '../../protocol/values.ts';
import { readRpmHeaders } from '../../rpm/index.ts';
import { canonArch } from '../../util/arch.ts';
import { PathInfo } from '../../util/pathinfo.ts';
import type { TaskContext } from '../task.ts';
import type { DistRpm } from './distrepo-rpms.ts';
import { candidateOf, develSelect, readMultilibConf } from './multilib.ts';

const run = promisify(execFile);

/** createDistRepoTask.archmap: the 32-bit rpm arch of each multilib arch. */
const ML_ARCH: Readonly<Record<string, string>> = { x86_64: 'i686', ppc64: 'ppc', s390x: 's390' };

/**
 * The depsolve, in Debian's python3-dnf rather than the dnf command: kojid asks dnf's Python API
 * for the transaction's install set, and the dnf command has no machine-readable form of it (only
 * its formatted table). Reads {config, arch, install: [file names]} from argv[1], writes
 * {install: [{file, arch}]} or {error} to argv[2]. No system repo is loaded, so the empty
 * installroot needs no rpm database.
 */
const DEPSOLVE_PY = `
import json, os, sys
import dnf, dnf.exceptions
req = json.load(open(sys.argv[1]))
def done(res):
    json.dump(res, open(sys.argv[2], 'w'))
    sys.exit(0 if 'install' in res else 1)
conf = dnf.conf.Conf()
conf.reposdir = []
conf.config_file_path = req['config']
conf.read()
conf.arch = req['arch']
for d in (conf.cachedir, conf.persistdir, conf.logdir):
    os.makedirs(d, exist_ok=True)
base = dnf.Base(conf)
base.read_all_repos()
base.fill_sack(load_system_repo=False, load_available_repos=True)
avail = {os.path.basename(p.location): p for p in base.sack.query().available()}
absent = [f for f in req['install'] if f not in avail]
if absent:
    done({'error': 'not in the repodata of %s: %s' % (req['repo'], ', '.join(absent))})
for f in req['install']:
    base.package_install(avail[f], strict=True)
try:
    base.resolve()
except dnf.exceptions.DepsolveError as e:
    done({'error': str(e).strip()})
print('dnf depsolve successfully finished')
done({'install': [{'file': os.path.basename(p.location), 'arch': p.arch} for p in base.transaction.install_set]})
`;

interface InstallItem {
  file: string;
  arch: string;
}

/** dnf's install set for `files` of the 32-bit arch at `mldir`, with `arch` as dnf's arch. */
async function depsolve(task: TaskContext, arch: string, mldir: string, files: string[], uploadpath: string): Promise<InstallItem[]> {
  const dnfdir = join(task.workdir, 'dnf');
  await mkdir(dnfdir, { recursive: true });
  const config = join(dnfdir, `dnf.conf-koji-${arch}`);
  // kojid's [main] and repo, plus the folders dnf would otherwise take on the host
  const text = [
    '[main]', 'debuglevel=2', 'gpgcheck=0', `installroot=${dnfdir}`, `cachedir=${dnfdir}/dnfcache`, `persistdir=${dnfdir}/persist`, `logdir=${dnfdir}/log`, '',
    `[koji-${task.id}]`, 'name=koji multilib task', `baseurl=file://${mldir}`, 'enabled=1', '',
  ].join('\n');
  await writeFile(config, text);
  await task.session.uploadWrapper(config, uploadpath);
  if (files.length === 0) return [];
  const script = join(dnfdir, 'depsolve.py');
  const reqFile = join(dnfdir, 'depsolve-request.json');
  const resFile = join(dnfdir, 'depsolve-result.json');
  await writeFile(script, DEPSOLVE_PY);
  await writeFile(reqFile, JSON.stringify({ config, arch, repo: mldir, install: files }));
  const python = '/usr/bin/python3';
  const out = await run(python, [script, reqFile, resFile], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C.UTF-8', HOME: dnfdir } }).catch((e: Error & { stderr?: string }) => e);
  const res = existsSync(resFile) ? (JSON.parse(await readFile(resFile, 'utf8')) as { install?: InstallItem[]; error?: string }) : null;
  if (res?.install) return res.install;
  if (res?.error) throw new GenericError(`Multilib depsolve for ${arch} failed: ${res.error}`);
  const why = out instanceof Error ? (out.stderr?.trim().split('\n').pop() ?? out.message) : 'no result';
  throw new GenericError(`Multilib depsolve for ${arch} could not run ${python} with dnf: ${why} (Debian: apt-get install python3-dnf)`);
}

export interface MultilibInput {
  rinfo: XmlRpcStruct;
  /** the 64-bit arch being made */
  arch: string;
  /** the config's path relative to the work folder (task_opts.multilib) */
  conf: string;
  kojipkgs: Map<string, DistRpm>;
  uploadpath: string;
}

/** createDistRepoTask.do_multilib: adds the 32-bit packages to `kojipkgs`. */
export async function addMultilib(task: TaskContext, m: MultilibInput): Promise<void> {
  const mlArch = ML_ARCH[m.arch];
  if (!mlArch) throw new GenericError(`No multilib arch is known for ${m.arch} (koji knows ${Object.keys(ML_ARCH).join(', ')})`);
  const pi = new PathInfo(task.options.topdir);
  const mldir = join(pi.distrepo(m.rinfo.id as number, String(m.rinfo.tag_name)), canonArch(mlArch));
  const mlPkgFile = join(mldir, 'kojipkgs');
  if (!existsSync(mlPkgFile)) throw new GenericError(`Multilib needs the ${canonArch(mlArch)} arch of the dist repo, but ${mlPkgFile} is missing (include ${mlArch} in the repo's arches)`);
  const mlPkgs = JSON.parse(await readFile(mlPkgFile, 'utf8')) as Record<string, DistRpm>;
  const conf = readMultilibConf(join(pi.work(), m.conf));
  const pkgPath = (bnp: string) => join(mldir, 'Packages', bnp[0].toLowerCase(), bnp);

  // step 1: the selected packages' 32-bit builds (all missing ones are reported together)
  const missing = new Set<string>();
  const wanted: string[] = [];
  for (const [bnp, r] of m.kojipkgs) {
    if (!develSelect(conf, candidateOf(await readRpmHeaders(r._pkgpath!)))) continue;
    const mlBnp = bnp.endsWith(`.${m.arch}.rpm`) ? `${bnp.slice(0, -`.${m.arch}.rpm`.length)}.${mlArch}.rpm` : bnp;
    if (mlBnp in mlPkgs) wanted.push(mlBnp);
    else {
      task.log.error(`${pkgPath(mlBnp)} (multilib) is not on the filesystem`);
      missing.add(pkgPath(mlBnp));
    }
  }
  // steps 2-4: their dependency closure in the 32-bit arch
  task.log.info(`Resolving multilib for ${m.arch} using method devel`);
  const needed = new Map<string, InstallItem>();
  for (const item of await depsolve(task, m.arch, mldir, wanted, m.uploadpath)) {
    needed.set(item.file, item);
    if (!existsSync(pkgPath(item.file)) || !(item.file in mlPkgs)) {
      task.log.error(`${pkgPath(item.file)} (multilib dep) not on filesystem`);
      missing.add(pkgPath(item.file));
    }
  }
  if (missing.size) {
    const log = join(task.workdir, 'missing_multilib.log');
    await writeFile(log, `The following multilib files were missing:\n${[...missing].sort().map((p) => `${p}\n`).join('')}`);
    await task.session.uploadWrapper(log, m.uploadpath);
    throw new GenericError('multilib packages missing. See missing_multilib.log');
  }
  // step 5: into kojipkgs (noarch ones are there already)
  for (const [bnp, item] of needed) {
    if (m.kojipkgs.has(bnp)) {
      if (item.arch !== 'noarch') task.log.warn(`Multilib duplicate: ${bnp}`);
      continue;
    }
    m.kojipkgs.set(bnp, { ...mlPkgs[bnp], _pkgpath: pkgPath(bnp), _multilib: true });
  }
}
