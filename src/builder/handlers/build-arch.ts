/**
 * The tasks that run in a buildroot — kojid's BuildArchTask, RebuildSRPM and
 * BuildSRPMFromSCMTask. Each makes a fresh root from the build tag's repo through the builder's
 * buildroot backend (see src/builder/buildroot/types.ts), records it on the hub, works in it and
 * uploads the results and logs into the task's output; the root is expired and removed at the end.
 */
import { cp, mkdir, readdir, readFile, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { BuildError, KojiError } from '../../protocol/faults.ts';
import { isStruct, type XmlRpcStruct, type XmlRpcValue } from '../../protocol/values.ts';
import { canonArch } from '../../util/arch.ts';
import { buildrootBackend } from '../buildroot/backends.ts';
import { HubBuildroot } from '../buildroot/hub-root.ts';
import { localPath } from '../remote-file.ts';
import { runLogged } from '../run-logged.ts';
import { SCM } from '../scm.ts';
import { readSrpm } from '../srpm.ts';
import type { TaskContext } from '../task.ts';
import type { TaskHandler } from './registry.ts';

type Row = XmlRpcStruct;

/** BaseBuildTask.checkHostArch: a host whose arches miss all the tag's arches cannot take the task. */
async function checkHostArch(task: TaskContext, tag: XmlRpcValue, hostdata: Row): Promise<boolean> {
  const ref = isStruct(tag) ? (tag.id ?? tag.name) : tag;
  const cfg = await task.session.call<Row | null>('getBuildConfig', [ref]);
  if (!cfg?.arches) return true;
  const tagArches = String(cfg.arches).split(/\s+/).filter(Boolean).map(canonArch);
  const hostArches = String(hostdata.arches ?? '').split(/\s+/);
  if (!tagArches.some((a) => hostArches.includes(a))) {
    task.log.info(`Task ${task.id} (${task.method}): tag arches (${tagArches.join(', ')}) and host arches (${hostArches.join(', ')}) are disjoint`);
    return false;
  }
  return true;
}

/** BaseTaskHandler.find_arch: the arch of the root — noarch builds on an arch this host and the tag share. */
async function findArch(task: TaskContext, arch: string, tagArches: string, preferred: string | null = null): Promise<string> {
  if (arch !== 'noarch') return arch;
  const host = await task.session.call<Row>('host.getHost');
  const hostArches = String(host.arches ?? '').split(/\s+/).filter(Boolean);
  const tagList = tagArches.split(/\s+/).filter(Boolean).map(canonArch);
  const common = hostArches.filter((a) => tagList.includes(canonArch(a)));
  if (preferred && preferred !== 'noarch' && common.includes(preferred)) return preferred;
  if (!common.length) throw new BuildError(`No arch of host ${String(host.name)} (${hostArches.join(' ')}) builds for the tag (${tagList.join(' ')})`);
  return common[0];
}

/** Run `fn` with a fresh root; the root is expired (when still open) and removed afterwards. */
async function withRoot<T>(task: TaskContext, tag: XmlRpcValue, arch: string, repoId: number, group: string, fn: (br: HubBuildroot) => Promise<T>): Promise<T> {
  const br = await HubBuildroot.create(task, buildrootBackend(task.options), { tag: tag as number | string, arch, repoId, group });
  const onCancel = () => void br.kill();
  process.once('SIGTERM', onCancel);
  try {
    return await fn(br);
  } finally {
    process.removeListener('SIGTERM', onCancel);
    await br.expire();
    await br.remove();
  }
}

async function listDir(dir: string): Promise<string[]> {
  return (await readdir(dir).catch(() => [] as string[])).sort();
}

/** The one SRPM in `dir`, named N-V-R.src.rpm after its header (kojid's checks). */
async function oneSrpm(dir: string, where: string): Promise<string> {
  const srpms = (await listDir(dir)).filter((f) => f.endsWith('.src.rpm'));
  if (!srpms.length) throw new BuildError(`No srpms found in ${where}`);
  if (srpms.length > 1) throw new BuildError(`Multiple srpms found in ${where}: ${srpms.join(', ')}`);
  const h = await readSrpm(join(dir, srpms[0]));
  const expected = `${h.name}-${h.version}-${h.release}.src.rpm`;
  if (expected !== srpms[0]) throw new BuildError(`srpm name mismatch: ${expected} != ${srpms[0]}`);
  return join(dir, srpms[0]);
}

const buildArch: TaskHandler = {
  methods: ['buildArch'],
  className: 'BuildArchTask',
  params: '(pkg, root, arch, keep_srpm, opts=None)',
  weight: 1.5,
  checkHost: (task, hostdata) => checkHostArch(task, task.params[1], hostdata),
  async run(task, a) {
    const s = task.session;
    const opts = isStruct(a.opts) ? a.opts : {};
    const repoId = opts.repo_id as number | undefined;
    if (!repoId) throw new BuildError('A repo id must be provided');
    const repo = await s.call<Row>('repoInfo', [repoId], { strict: true });
    const fn = await localPath(task.options, `work/${String(a.pkg)}`, task.workdir).catch(() => {
      throw new BuildError(`SRPM file missing: work/${String(a.pkg)}`);
    });
    const h = await readSrpm(fn, 'not a source package');
    await updateWeight(task, h.name);
    const arch = String(a.arch);
    const cfg = await s.call<Row>('getBuildConfig', [a.root], { event: repo.create_event as number });
    const preferred = arch === 'noarch' ? ((await task.taskinfo()).arch as string) : null;
    const brArch = await findArch(task, arch, String(cfg.arches ?? ''), preferred);
    return withRoot(task, a.root, brArch, repoId, 'build', async (br) => {
      await br.build(fn, arch);
      const files = await listDir(br.resultdir);
      const rpms = files.filter((f) => f.endsWith('.rpm') && !f.endsWith('.src.rpm'));
      const srpms = files.filter((f) => f.endsWith('.src.rpm'));
      const up = task.uploadDir();
      for (const f of rpms) await task.uploadFile(join(br.resultdir, f));
      if (a.keep_srpm) {
        if (!srpms.length) throw new BuildError(`no srpm files found for task ${task.id}`);
        if (srpms.length > 1) throw new BuildError(`multiple srpm files found for task ${task.id}: ${JSON.stringify(srpms)}`);
        const sh = await readSrpm(join(br.resultdir, srpms[0]));
        if (!sh.packager) throw new BuildError('The build system failed to set the packager tag');
        if (!sh.vendor) throw new BuildError('The build system failed to set the vendor tag');
        if (!sh.distribution) throw new BuildError('The build system failed to set the distribution tag');
        await task.uploadFile(join(br.resultdir, srpms[0]));
      }
      return {
        rpms: rpms.map((f) => `${up}/${f}`),
        srpms: a.keep_srpm ? srpms.map((f) => `${up}/${f}`) : [],
        logs: [...br.logs].map((f) => `${up}/${f}`),
        brootid: br.id,
      };
    });
  },
};

/** BuildArchTask.updateWeight: 1.5, plus 0.75 per hour of the package's average build time (at most +4.5). */
async function updateWeight(task: TaskContext, name: string): Promise<void> {
  let avg: number | null;
  try {
    avg = await task.session.call<number | null>('getAverageBuildDuration', [name], { age: 6 });
  } catch (e) {
    if (!(e instanceof KojiError)) throw e;
    return;
  }
  if (!avg || avg < 0) return;
  await task.session.call('host.setTaskWeight', [task.id, 1.5 + Math.min(4.5, avg / 4800)]);
}

/** The build tag at the repo's event and the arch of an srpm-build root for it. */
async function srpmRootFor(task: TaskContext, buildTag: XmlRpcValue, opts: Row): Promise<{ repoId: number; tag: Row; arch: string }> {
  const repoId = opts.repo_id as number | undefined;
  if (!repoId) throw new BuildError('A repo id must be provided');
  const repo = await task.session.call<Row>('repoInfo', [repoId], { strict: true });
  const tag = await task.session.call<Row>('getTag', [buildTag], { strict: true, event: repo.create_event as number });
  const cfg = await task.session.call<Row>('getBuildConfig', [tag.id as number], { event: repo.create_event as number });
  return { repoId, tag, arch: await findArch(task, 'noarch', String(cfg.arches ?? '')) };
}

const rebuildSRPM: TaskHandler = {
  methods: ['rebuildSRPM'],
  className: 'RebuildSRPM',
  params: '(srpm, build_tag, opts=None)',
  weight: 1.0,
  checkHost: (task, hostdata) => checkHostArch(task, task.params[1], hostdata),
  async run(task, a) {
    const opts = isStruct(a.opts) ? a.opts : {};
    const { repoId, tag, arch } = await srpmRootFor(task, a.build_tag, opts);
    const fn = await localPath(task.options, `work/${String(a.srpm)}`, task.workdir).catch(() => {
      throw new BuildError(`Input SRPM file missing: work/${String(a.srpm)}`);
    });
    await readSrpm(fn, String(a.srpm));
    return withRoot(task, tag.id as number, arch, repoId, 'srpm-build', async (br) => {
      // the SRPM's spec and sources, unpacked on the host (rpm2cpio | cpio), rebuilt with rpmbuild -bs in the root
      const unpacked = join(task.workdir, 'srpm_unpacked');
      await mkdir(unpacked, { recursive: true });
      const failed = await runLogged(task, ['sh', '-c', 'rpm2cpio "$1" | cpio -idmu --quiet --no-absolute-filenames', 'unpack-srpm', fn], join(task.workdir, 'unpack.log'), { cwd: unpacked, logerror: true });
      if (failed) throw new BuildError(`error unpacking srpm, ${failed}`);
      const specs = (await listDir(unpacked)).filter((f) => f.endsWith('.spec'));
      if (!specs.length) throw new BuildError('No spec file found');
      if (specs.length > 1) throw new BuildError(`Multiple spec files found: ${specs.join(', ')}`);
      await br.buildSRPM(unpacked, unpacked);
      const final = await oneSrpm(br.resultdir, br.resultdir);
      await task.uploadFile(final);
      const up = task.uploadDir();
      return { srpm: `${up}/${basename(final)}`, logs: [...br.logs].map((f) => `${up}/${f}`), brootid: br.id, source: { source: basename(final), url: basename(final) } };
    });
  },
};

/** BuildSRPMFromSCMTask.spec_sanity_checks: Packager, Distribution and Vendor belong to the build system. */
async function specSanity(spec: string): Promise<void> {
  const text = await readFile(spec, 'utf8');
  for (const t of ['Packager', 'Distribution', 'Vendor']) if (new RegExp(`^${t}:`, 'm').test(text)) throw new BuildError(`${t} is not allowed to be set in spec file`);
  for (const t of ['packager', 'distribution', 'vendor']) if (new RegExp(`^%define\\s+${t}\\s+`, 'm').test(text)) throw new BuildError(`${t} is not allowed to be defined in spec file`);
}

const buildSRPMFromSCM: TaskHandler = {
  methods: ['buildSRPMFromSCM'],
  className: 'BuildSRPMFromSCMTask',
  params: '(url, build_tag, opts=None)',
  weight: 1.0,
  checkHost: (task, hostdata) => checkHostArch(task, task.params[1], hostdata),
  async run(task, a) {
    const o = task.options;
    const opts = isStruct(a.opts) ? a.opts : {};
    const scm = new SCM(String(a.url), o.allow_password_in_scm_url);
    const info = await task.taskinfo();
    if (o.allowed_scms_use_config) scm.assertAllowedByConfig(o.allowed_scms, (m) => task.log.warn(m));
    if (o.allowed_scms_use_policy) {
      const channel = await task.session.call<Row>('getChannel', [info.channel_id as number], { strict: true });
      await scm.assertAllowedByPolicy(task.session, { user_id: info.owner as number, channel: channel.name as string, scratch: opts.scratch ?? null });
    }
    const { repoId, tag, arch } = await srpmRootFor(task, a.build_tag, opts);
    return withRoot(task, tag.id as number, arch, repoId, 'srpm-build', async (br) => {
      const scmdir = join(task.workdir, 'scmroot');
      await mkdir(scmdir, { recursive: true });
      const log = join(task.workdir, 'checkout.log');
      const c = scm.checkoutCommands(scmdir);
      let n = 0;
      const run = async (argv: string[], cwd: string) => {
        const failed = await runLogged(task, argv, log, { cwd, logerror: true, append: n++ > 0 });
        if (failed) throw new BuildError(`Error running ${scm.scmtype} command "${argv.join(' ')}", see checkout.log for details`);
      };
      await run(c.clone, scmdir);
      try {
        for (const cmd of c.update) await run(cmd, c.checkoutDir);
      } catch {
        await run(c.recovery, c.checkoutDir);
      }
      const source = await scm.source(c.checkoutDir);
      if (scm.sourceCmd) throw new BuildError(`allowed_scms entry for ${scm.host}:${scm.repository} asks for the source command "${scm.sourceCmd.join(' ')}": koji-ts does not run source commands yet — end the entry with an empty source_cmd (host:repository:no:)`);
      let specDir = c.sourcedir;
      let specs = (await listDir(specDir)).filter((f) => f.endsWith('.spec'));
      if (!specs.length && o.support_rpm_source_layout && (await stat(join(c.sourcedir, 'SPECS')).catch(() => null))) {
        specDir = join(c.sourcedir, 'SPECS');
        specs = (await listDir(specDir)).filter((f) => f.endsWith('.spec'));
      }
      if (!specs.length) throw new BuildError('No spec file found');
      let spec = specs[0];
      if (specs.length > 1) {
        const want = `${basename(c.sourcedir)}.spec`;
        if (!specs.includes(want)) throw new BuildError(`Multiple spec files found but none is matching SCM checkout dir name: ${JSON.stringify(specs.map((f) => join(specDir, f)))}`);
        spec = want;
      }
      await specSanity(join(specDir, spec));
      const sources = o.support_rpm_source_layout && (await stat(join(c.sourcedir, 'SOURCES')).catch(() => null)) ? join(c.sourcedir, 'SOURCES') : c.sourcedir;
      // the spec alone in its folder, so that the backend finds exactly one
      const specOnly = join(task.workdir, 'spec');
      await mkdir(specOnly, { recursive: true });
      await cp(join(specDir, spec), join(specOnly, spec));
      await br.buildSRPM(specOnly, sources);
      const final = await oneSrpm(br.resultdir, c.sourcedir);
      await task.uploadFile(final);
      const up = task.uploadDir();
      const logs = [...br.logs, 'checkout.log'];
      await task.uploadFile(log).catch(() => undefined);
      return { srpm: `${up}/${basename(final)}`, logs: logs.map((f) => `${up}/${f}`), brootid: br.id, source };
    });
  },
};


export const BUILD_ARCH_HANDLERS: TaskHandler[] = [buildArch, rebuildSRPM, buildSRPMFromSCM];
