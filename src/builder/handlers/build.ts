/**
 * The build tasks that mostly wait on others — kojid's BuildTask, ChainBuildTask, TagBuildTask
 * and koji.tasks' WaitrepoTask. `build` checks the target and the build policies, finds (or
 * waits for) a repo, gets the SRPM (rebuildSRPM or buildSRPMFromSCM child), chooses the arches,
 * registers the build (host.initBuild), runs a buildArch child per arch and imports the results
 * (host.completeBuild, or host.moveBuildToScratch for scratch builds), then tags the build with a
 * tagBuild child; any failure after initBuild marks the build failed (host.failBuild).
 */
import { REPO_STATES } from '../../protocol/enums.ts';
import { BuildError, GenericError, ParameterError } from '../../protocol/faults.ts';
import { isStruct, type XmlRpcStruct, type XmlRpcValue } from '../../protocol/values.ts';
import { LEVELS, RepoWatcher } from '../../protocol/repo-watcher.ts';
import { buildArchList, chooseTaskArch, readSrpm, type SrpmFields } from '../srpm.ts';
import { localPath } from '../remote-file.ts';
import { isScmUrl } from '../scm.ts';
import type { TaskContext } from '../task.ts';
import type { TaskHandler } from './registry.ts';

type Row = XmlRpcStruct;

/** A RepoWatcher logging into the task's log. */
function watcher(task: TaskContext, tag: string | number, o: { nvrs?: string[]; minEvent?: number | 'last' | null; pause?: number; timeout?: number }): Promise<RepoWatcher> {
  return RepoWatcher.create(task.session, tag, {
    nvrs: o.nvrs ?? [],
    minEvent: o.minEvent ?? null,
    pause: o.pause ?? 60,
    timeout: o.timeout ?? 120,
    level: LEVELS.INFO,
    log: (m) => task.log.info(m),
  });
}

/** BaseTaskHandler.getRepo: a fitting repo now, else a waitrepo child that waits for one. */
async function getRepo(task: TaskContext, tag: number, builds: string[] | null, wait: boolean): Promise<Row> {
  const w = await watcher(task, tag, { nvrs: builds ?? [], minEvent: wait ? 'last' : null });
  const repo = await w.getRepo();
  if (repo) return repo;
  const child = await task.subtask('waitrepo', w.taskArgs());
  return (await task.wait(child)).get(child) as Row;
}

class BuildRun {
  private eventId: number | null = null;
  private source: Row | null = null;
  private readonly configs = new Map<number, Row>();

  constructor(
    private readonly task: TaskContext,
    private readonly opts: Row,
  ) {}

  private async buildConfig(tag: number): Promise<Row> {
    let c = this.configs.get(tag);
    if (!c) {
      c = await this.task.session.call<Row>('getBuildConfig', [tag], { event: this.eventId });
      this.configs.set(tag, c);
    }
    return c;
  }

  private async taskArch(arch: string, h: SrpmFields | null, buildTag: number): Promise<string> {
    const cfg = await this.buildConfig(buildTag);
    const extra = isStruct(cfg.extra) ? cfg.extra : {};
    const literal = this.task.options.literal_task_arches.split(/[\s,]+/).filter(Boolean);
    return chooseTaskArch(arch, h, String(cfg.arches ?? ''), (extra.noarch_arches as string | undefined) ?? null, literal);
  }

  private async readHeader(srpm: string): Promise<SrpmFields> {
    return readSrpm(await localPath(this.task.options, `work/${srpm}`, this.task.workdir), srpm);
  }

  async run(src: XmlRpcValue, target: XmlRpcValue): Promise<XmlRpcValue> {
    const s = this.task.session;
    const opts = this.opts;
    if (opts.arch_override && !opts.scratch) throw new BuildError('arch_override is only allowed for scratch builds');
    let repo: Row | null = null;
    if (opts.repo_id !== null && opts.repo_id !== undefined) {
      repo = await s.call<Row | null>('repoInfo', [opts.repo_id]);
      if (!repo) throw new BuildError(`No such repo: ${String(opts.repo_id)}`);
      const state = REPO_STATES.names[repo.state as number];
      if (state !== 'READY' && state !== 'EXPIRED') throw new BuildError(`Bad repo: ${String(repo.id)} (${state})`);
      this.eventId = repo.create_event as number;
    }
    if (opts.custom_user_metadata !== undefined && opts.custom_user_metadata !== null && !isStruct(opts.custom_user_metadata)) {
      throw new BuildError('custom_user_metadata must be serializable to a JSON object');
    }
    const taskInfo = await s.call<Row>('getTaskInfo', [this.task.id]);
    const targetInfo = target ? await s.call<Row | null>('getBuildTarget', [target], { event: this.eventId }) : null;
    let destTag: number;
    let buildTag: number;
    if (targetInfo) {
      destTag = targetInfo.dest_tag as number;
      buildTag = targetInfo.build_tag as number;
      if (repo && repo.tag_id !== targetInfo.build_tag) throw new BuildError(`Repo/Target mismatch: ${String(repo.tag_name)}/${String(targetInfo.build_tag_name)}`);
    } else {
      if (!repo) throw new GenericError(`unknown build target: ${String(target)}`);
      buildTag = repo.tag_id as number;
      if (target === null || target === undefined) {
        opts.skip_tag = true;
        destTag = buildTag;
      } else {
        const tinfo = await s.call<Row | null>('getTag', [target], { event: this.eventId });
        if (!tinfo) throw new GenericError(`neither tag nor target: ${String(target)}`);
        destTag = tinfo.id as number;
      }
    }
    const fromScm = isScmUrl(src);
    const policy: Row = {
      user_id: taskInfo.owner as number, source: src, task_id: this.task.id, build_tag: buildTag, skip_tag: Boolean(opts.skip_tag),
      scratch: opts.scratch ?? null, draft: opts.draft ?? null, from_scm: fromScm, repo_id: opts.repo_id ?? null,
    };
    if (targetInfo) policy.target = targetInfo.name as string;
    if (!opts.skip_tag) policy.tag = destTag;
    if (!fromScm && !opts.scratch) await s.call('host.assertPolicy', ['build_from_srpm', policy]);
    if (opts.repo_id !== null && opts.repo_id !== undefined) await s.call('host.assertPolicy', ['build_from_repo_id', policy]);
    await s.call('host.assertPolicy', ['build_rpm', policy]);
    if (!repo) {
      repo = await getRepo(this.task, buildTag, (opts.wait_builds as string[] | undefined) ?? null, Boolean(opts.wait_repo));
      this.eventId = ((await s.call<Row>('getLastEvent')).id as number);
    }
    const srpm = await this.getSRPM(src, buildTag, repo.id as number);
    const h = await this.readHeader(srpm);
    const data: Row = { name: h.name, version: h.version, release: h.release, epoch: h.epoch, task_id: this.task.id };
    if (this.source) {
      data.source = this.source.source as string;
      data.extra = { source: { original_url: this.source.url as string } };
    }
    if (isStruct(opts.custom_user_metadata)) data.extra = { ...((data.extra as Row | undefined) ?? {}), custom_user_metadata: opts.custom_user_metadata };
    this.task.log.info(`Reading package config for ${h.name}`);
    const pkgCfg = await s.call<Row | null>('getPackageConfig', [destTag, h.name], { event: this.eventId });
    if (!opts.skip_tag && !opts.scratch) {
      if (!pkgCfg) throw new BuildError(`package ${h.name} not in list for tag ${String(targetInfo?.dest_tag_name ?? destTag)}`);
      if (pkgCfg.blocked) throw new BuildError(`package ${h.name} is blocked for tag ${String(targetInfo?.dest_tag_name ?? destTag)}`);
    }
    const cfg = await this.buildConfig(buildTag);
    const archlist = buildArchList((cfg.arches as string | null) ?? null, h, {
      extra: (pkgCfg?.extra_arches as string | null | undefined) ?? null, override: (opts.arch_override as string | undefined) ?? null,
      scratch: Boolean(opts.scratch), tagName: cfg.name as string, tagId: cfg.id as number,
    });
    if (opts.draft) data.draft = opts.draft;
    let buildId: number | null = null;
    if (!opts.scratch) buildId = await s.call<number>('host.initBuild', [data]);
    const failany = Boolean(opts.fail_fast) || !this.task.options.build_arch_can_fail;
    try {
      const r = await this.runBuilds(srpm, buildTag, archlist, repo.id as number, h, failany);
      if (opts.scratch) await s.call('host.moveBuildToScratch', [this.task.id, r.srpm, r.rpms], { logs: r.logs });
      else await s.call('host.completeBuild', [this.task.id, buildId, r.srpm, r.rpms, r.brmap], { logs: r.logs });
    } catch (e) {
      if (buildId !== null) await s.call('host.failBuild', [this.task.id, buildId]).catch((f: Error) => this.task.log.error(`failBuild: ${f.message}`));
      throw e;
    }
    if (!opts.skip_tag && !opts.scratch && buildId !== null) {
      const child = await this.task.subtask('tagBuild', [destTag, buildId, false, null, true], { label: 'tag', arch: 'noarch' });
      await this.task.wait(child);
    }
    return null;
  }

  /** BuildTask.getSRPM: from SCM, else the uploaded SRPM rebuilt in the tag's srpm-build root (unless rebuild_srpm is off). */
  private async getSRPM(src: XmlRpcValue, buildTag: number, repoId: number): Promise<string> {
    if (typeof src !== 'string') throw new BuildError(`Invalid source specification: ${String(src)}`);
    let method = 'buildSRPMFromSCM';
    if (!isScmUrl(src)) {
      const cfg = await this.buildConfig(buildTag);
      let rebuild = (isStruct(cfg.extra) ? cfg.extra.rebuild_srpm : undefined) ?? true;
      if (this.opts.scratch && this.opts.rebuild_srpm !== undefined && this.opts.rebuild_srpm !== null) rebuild = this.opts.rebuild_srpm;
      if (!rebuild) return src;
      method = 'rebuildSRPM';
    }
    const arch = await this.taskArch('noarch', null, buildTag);
    const child = await this.task.subtask(method, [src, buildTag, { repo_id: repoId, scratch: this.opts.scratch ?? null }], { label: 'srpm', arch });
    const result = (await this.task.wait(child)).get(child) as Row;
    if (isStruct(result.source)) this.source = result.source;
    else this.task.log.warn('subtask did not provide source data');
    return result.srpm as string;
  }

  /** BuildTask.runBuilds: a buildArch child per arch (the first keeps the SRPM); their results merged for completeBuild. */
  private async runBuilds(srpm: string, buildTag: number, archlist: string[], repoId: number, h: SrpmFields, failany: boolean) {
    const subtasks = new Map<string, number>();
    let keep = true;
    for (const arch of archlist) {
      const taskarch = await this.taskArch(arch, h, buildTag);
      subtasks.set(arch, await this.task.subtask('buildArch', [srpm, buildTag, arch, keep, { repo_id: repoId }], { label: arch, arch: taskarch }));
      keep = false;
    }
    const results = await this.task.wait([...subtasks.values()], { all: true, failany });
    const rpms: string[] = [];
    const brmap: Row = {};
    const logs: Record<string, XmlRpcValue[]> = {};
    let built: string | null = null;
    for (const [arch, id] of subtasks) {
      const r = results.get(id) as Row;
      for (const fn of r.rpms as string[]) {
        rpms.push(fn);
        brmap[fn] = r.brootid as number;
      }
      for (const fn of r.logs as string[]) (logs[arch] ??= []).push(fn);
      const srpms = r.srpms as string[];
      if (srpms.length) {
        if (built) throw new BuildError(`multiple builds returned a srpm.  task ${this.task.id}`);
        built = srpms[0];
        brmap[built] = r.brootid as number;
      }
    }
    if (!built) throw new BuildError('could not find a built srpm');
    return { srpm: built, rpms, brmap, logs };
  }
}

const build: TaskHandler = {
  methods: ['build'],
  className: 'BuildTask',
  params: '(src, target, opts=None)',
  weight: 0.2,
  run: (task, a) => new BuildRun(task, isStruct(a.opts) ? { ...a.opts } : {}).run(a.src, a.target),
};

/** Beyond Koji: a chain level may name an SRPM uploaded by the CLI (a path under work/, …/x.src.rpm). */
const isUploadedSrpm = (src: XmlRpcValue) => typeof src === 'string' && !src.includes('://') && src.includes('/') && src.endsWith('.src.rpm');

const chainbuild: TaskHandler = {
  methods: ['chainbuild'],
  className: 'ChainBuildTask',
  params: '(srcs, target, opts=None)',
  weight: 0.1,
  async run(task, a) {
    const opts = isStruct(a.opts) ? a.opts : {};
    if (opts.scratch) throw new BuildError('--scratch is not allowed with chain-builds');
    const s = task.session;
    const target = await s.call<Row | null>('getBuildTarget', [a.target]);
    if (!target) throw new GenericError(`unknown build target: ${String(a.target)}`);
    if (!Array.isArray(a.srcs)) throw new ParameterError('srcs must be a list of build levels');
    let nvrs: string[] = [];
    for (const [level, srcs] of a.srcs.entries()) {
      if (nvrs.length) {
        const w = await task.subtask('waitrepo', [target.build_tag_name as string, null, nvrs], { label: `wait ${level}` });
        await task.wait(w, { all: true, failany: true });
      }
      nvrs = [];
      const builds: number[] = [];
      for (const [n, src] of (Array.isArray(srcs) ? srcs : [srcs]).entries()) {
        if (isScmUrl(src) || isUploadedSrpm(src)) builds.push(await task.subtask('build', [src as string, a.target, opts], { label: `build ${level},${n}` }));
        else nvrs.push(String(src));
      }
      if (builds.length) await task.wait(builds, { all: true, failany: true });
      for (const t of builds) {
        const found = await s.call<Row[]>('listBuilds', [], { taskID: t });
        if (found.length) nvrs.push(found[0].nvr as string);
      }
    }
    return null;
  },
};

const tagBuild: TaskHandler = {
  methods: ['tagBuild'],
  className: 'TagBuildTask',
  params: '(tag_id, build_id, force=False, fromtag=None, ignore_success=False)',
  async run(task, a) {
    const s = task.session;
    const owner = (await s.call<Row>('getTaskInfo', [task.id])).owner as number;
    try {
      await s.call('getBuild', [a.build_id], { strict: true });
      await s.call('getTag', [a.tag_id], { strict: true });
      await s.call('host.tagBuild', [task.id, a.tag_id, a.build_id], { force: a.force, fromtag: a.fromtag });
      await s.call('host.tagNotification', [true, a.tag_id, a.fromtag, a.build_id, owner, a.ignore_success]);
    } catch (e) {
      const err = e as Error;
      await s.call('host.tagNotification', [false, a.tag_id, a.fromtag, a.build_id, owner, a.ignore_success, `${err.name}: ${err.message}`]).catch(() => undefined);
      throw e;
    }
    return null;
  },
};

const waitrepo: TaskHandler = {
  methods: ['waitrepo'],
  className: 'WaitrepoTask',
  params: '(tag, newer_than=None, nvrs=None, min_event=None)',
  weight: 0.2,
  async run(task, a) {
    let minEvent = a.min_event as number | 'last' | null;
    if (a.newer_than !== null && a.newer_than !== undefined) {
      if (minEvent !== null && minEvent !== undefined) throw new GenericError('newer_than and min_event args confict');
      if (typeof a.newer_than === 'string' && a.newer_than.toLowerCase() === 'now') minEvent = 'last';
      else if (typeof a.newer_than === 'number') {
        const base = await task.session.call<Row | null>('getLastEvent', [], { before: a.newer_than, strict: false });
        minEvent = (await task.session.call<number | null>('tagFirstChangeEvent', [a.tag], { after: base?.id ?? null })) ?? 'last';
      } else throw new GenericError(`Invalid value for newer_than: ${String(a.newer_than)}`);
    }
    const w = await watcher(task, a.tag as string | number, { nvrs: (a.nvrs as string[] | null) ?? [], minEvent });
    return w.waitrepo(false);
  },
};

export const BUILD_HANDLERS: TaskHandler[] = [build, chainbuild, tagBuild, waitrepo];
