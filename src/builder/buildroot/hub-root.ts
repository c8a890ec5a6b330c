/**
 * A buildroot as the hub knows it — kojid's BuildRoot minus mock: checks the repo (READY or
 * EXPIRED, of the tag), registers the root (`host.newBuildRoot`), has the backend make it from
 * the tag's repo, records what is installed (`host.setBuildRootList` / `updateBuildRootList`,
 * each RPM mapped to its id from the repo's rpmlist.jsonl or to its external repo from the
 * repo's pkgorigins), moves the state (BUILDING, EXPIRED) and streams the root's logs
 * (root.log, build.log, state.log, mock_output.log …) into the task's output while it works.
 */
import { gunzipSync } from 'node:zlib';
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { REPO_STATES } from '../../protocol/enums.ts';
import { BuildError, BuildrootError, GenericError } from '../../protocol/faults.ts';
import type { XmlRpcStruct, XmlRpcValue } from '../../protocol/values.ts';
import { canonArch } from '../../util/arch.ts';
import { parseNVRA } from '../../util/nvr.ts';
import { readRemoteFile, remoteUrl } from '../remote-file.ts';
import type { TaskContext } from '../task.ts';
import { LogUploader } from '../tasklog.ts';
import type { Buildroot, BuildrootBackend, InstalledRpm } from './types.ts';
import type { MockRootSpec } from './mock-opts.ts';


export interface HubRootOptions {
  tag: string | number;
  arch: string;
  repoId: number;
  /** comps group installed: build (default) or srpm-build */
  group?: string;
}

type Row = XmlRpcStruct;

/** N-V-R.A of an RPM's fields, the key of pkgorigins and rpmlist.jsonl. */
const nvraOf = (r: Row) => `${String(r.name)}-${String(r.version)}-${String(r.release)}.${String(r.arch)}`;

export class HubBuildroot {
  /** file names of the logs uploaded for this root (kojid's broot.logs) */
  readonly logs = new Set<string>();
  private root: Buildroot | null = null;
  private readonly uploader: LogUploader;
  private watching: NodeJS.Timeout | null = null;

  private constructor(
    private readonly task: TaskContext,
    readonly id: number,
    readonly repo: Row,
    readonly config: Row,
    readonly brArch: string,
    readonly resultdir: string,
  ) {
    this.uploader = new LogUploader(task.session, task.uploadDir(), { debug() {}, info() {}, warn: (m: string) => task.log.warn(m), error: (m: string) => task.log.error(m) });
  }

  /** BuildRoot._new + init(): a registered, populated root (BuildrootError when it cannot be made). */
  static async create(task: TaskContext, backend: BuildrootBackend, o: HubRootOptions): Promise<HubBuildroot> {
    const s = task.session;
    const repo = await s.call<Row>('repoInfo', [o.repoId], { strict: true });
    const config = await s.call<Row | null>('getBuildConfig', [o.tag], { event: repo.create_event as number });
    if (!config) throw new BuildrootError(`Could not get config info for tag: ${String(o.tag)}`);
    if (config.id !== repo.tag_id) throw new BuildrootError(`tag/repo mismatch: ${String(config.name)} vs ${String(repo.tag_name)}`);
    const state = REPO_STATES.names[repo.state as number] ?? String(repo.state);
    if (state === 'EXPIRED') task.log.info(`Requested repo (${o.repoId}) is no longer current`);
    else if (state !== 'READY') throw new BuildrootError(`Requested repo (${o.repoId}) is ${state}`);
    const brArch = canonArch(o.arch);
    const id = await s.call<number | null>('host.newBuildRoot', [repo.id as number, brArch], { task_id: task.id });
    if (id === null || id === undefined) throw new BuildrootError('failed to get a buildroot id');
    const resultdir = join(task.workdir, `broot-${id}`, 'result');
    await mkdir(resultdir, { recursive: true });
    const br = new HubBuildroot(task, id, repo, config, brArch, resultdir);
    await br.init(backend, o.group ?? 'build');
    return br;
  }

  get name(): string {
    return `${String(this.config.name)}-${this.id}-${String(this.repo.id)}`;
  }

  /** The root made by the backend (after create()). */
  get backendRoot(): Buildroot {
    if (!this.root) throw new GenericError(`buildroot ${this.id} is not initialised`);
    return this.root;
  }

  private repoRel(): string {
    return `repos/${String(this.repo.tag_name)}/${String(this.repo.id)}/${this.brArch}`;
  }

  /** rpm macros for the root: the builder's packager/vendor/distribution, the target triplet, the tag's rpm.macro.* extras. */
  macros(): Record<string, string> {
    const o = this.task.options;
    const m: Record<string, string> = { _host: `${this.brArch}-${o.mockhost}`, packager: o.packager, vendor: o.vendor, distribution: o.distribution };
    const extra = (this.config.extra ?? {}) as Row;
    for (const [k, v] of Object.entries(extra)) if (k.startsWith('rpm.macro.')) m[k.slice('rpm.macro.'.length)] = String(v);
    return m;
  }

  private async init(backend: BuildrootBackend, group: string): Promise<void> {
    const repoUrl = remoteUrl(this.task.options, this.repoRel(), await this.localRepo());
    try {
      // buildrootId and extra: what the mock backend needs for kojid's config (others ignore them)
      const spec: MockRootSpec = {
        tag: String(this.config.name), repoId: this.repo.id as number, repoUrl, arch: this.brArch, group,
        macros: this.macros(), workdir: this.task.workdir, resultdir: this.resultdir, buildrootId: this.id, extra: (this.config.extra ?? {}) as Row,
      };
      this.root = await this.watchLogs(() => backend.create(spec));
    } catch (e) {
      await this.expire();
      throw new BuildrootError(`could not init buildroot, ${(e as Error).message}; see root.log for more information`);
    }
    await this.task.session.call('host.setBuildRootList', [this.id, await this.packageList(await this.root.installedRpms())]);
  }

  private async localRepo(): Promise<boolean> {
    try {
      await readdir(join(this.task.options.topdir, this.repoRel(), 'repodata'));
      return true;
    } catch {
      return false;
    }
  }

  /** Run `fn` while the root's logs are synced to the hub every second, and once more after it. */
  async watchLogs<T>(fn: () => Promise<T>): Promise<T> {
    const round = async () => {
      for (const f of await readdir(this.resultdir).catch(() => [] as string[])) {
        if (!f.endsWith('.log')) continue;
        this.uploader.add(join(this.resultdir, f), f);
        this.logs.add(f);
      }
      await this.uploader.sync();
    };
    this.watching ??= setInterval(() => void round().catch((e: Error) => this.task.log.warn(`log upload: ${e.message}`)), 1000);
    try {
      return await fn();
    } finally {
      clearInterval(this.watching);
      this.watching = null;
      await round().catch((e: Error) => this.task.log.warn(`log upload: ${e.message}`));
    }
  }

  async setState(state: 'BUILDING' | 'EXPIRED'): Promise<void> {
    await this.task.session.call('host.setBuildRootState', [this.id, state]);
  }

  async expire(): Promise<void> {
    await this.setState('EXPIRED').catch((e: Error) => this.task.log.warn(`expiring buildroot ${this.id}: ${e.message}`));
  }

  /** The root's SRPM's BuildRequires installed, then rpmbuild --rebuild (BuildrootError / BuildError name the log to read). */
  async build(srpmPath: string, arch: string): Promise<{ srpm: string | null; rpms: string[] }> {
    await this.setState('BUILDING');
    const root = this.backendRoot;
    let result: { srpm: string | null; rpms: string[] } | null = null;
    let failure: unknown = null;
    try {
      await this.watchLogs(() => root.installBuildRequires(srpmPath));
      result = await this.watchLogs(() => this.withTimeout(() => root.rebuild(srpmPath)));
    } catch (e) {
      failure = e;
    }
    // kojid's order: the final package list while the root is still BUILDING, then EXPIRED on failure
    const list = await root.installedRpms().catch(() => null);
    if (list) await this.task.session.call('host.updateBuildRootList', [this.id, await this.packageList(list)]);
    if (failure !== null || !result) {
      await this.expire();
      const err = failure as Error & { faultCode?: number };
      throw Object.assign(err, { message: `error building package (arch ${arch}), ${err.message}` });
    }
    return result;
  }

  /** kojid.conf rpmbuild_timeout (mock's): the build's process tree is stopped after that many seconds. */
  private async withTimeout<T>(fn: () => Promise<T>): Promise<T> {
    const secs = this.task.options.rpmbuild_timeout;
    let timedOut = false;
    const timer = secs > 0 ? setTimeout(() => {
      timedOut = true;
      this.task.log.warn(`rpmbuild_timeout: stopping the build after ${secs} s`);
      void this.root?.kill();
    }, secs * 1000) : null;
    timer?.unref();
    try {
      return await fn();
    } catch (e) {
      if (timedOut) throw new BuildError(`the build took longer than rpmbuild_timeout (${secs} s) and was stopped; see build.log`);
      throw e;
    } finally {
      if (timer) clearTimeout(timer);
    }
  }

  /** rpmbuild -bs in the root from a spec folder and its sources; the SRPM's path in resultdir. */
  async buildSRPM(specDir: string, sourcesDir: string): Promise<string> {
    await this.setState('BUILDING');
    try {
      return await this.watchLogs(() => this.backendRoot.buildSRPM(specDir, sourcesDir));
    } catch (e) {
      await this.expire();
      throw e;
    }
  }

  async remove(): Promise<void> {
    await this.root?.remove().catch((e: Error) => this.task.log.warn(`removing buildroot ${this.id}: ${e.message}`));
  }

  async kill(): Promise<void> {
    await this.root?.kill();
  }

  /** getPackageList's entries: header fields, then the external repo (pkgorigins) or the RPM id (rpmlist.jsonl). */
  async packageList(installed: InstalledRpm[]): Promise<XmlRpcValue[]> {
    const list: Row[] = installed
      .filter((r) => r.name !== 'gpg-pubkey' && r.name !== 'buildsys-build')
      .map((r) => ({ name: r.name, version: r.version, release: r.release, epoch: r.epoch, arch: r.arch, payloadhash: r.payloadhash ?? '', size: r.size ?? 0, buildtime: r.buildtime ?? 0 }));
    await this.markExternal(list);
    await this.mapInternal(list);
    return list;
  }

  /** The repo's external repos by expanded URL and its pkgorigins (NVRA → origin URL); null without external repos. Read once per root. */
  private originsOnce: Promise<{ byUrl: Map<string, Row>; origin: Map<string, string> } | null> | null = null;
  /** The repo's rpmlist.jsonl by NVRA (null when the file is missing). Read once per root. */
  private rpmlistOnce: Promise<Map<string, Row> | null> | null = null;

  private async readOrigins(): Promise<{ byUrl: Map<string, Row>; origin: Map<string, string> } | null> {
    const erepos = await this.task.session.call<Row[]>('getExternalRepoList', [this.repo.tag_id as number], { event: this.repo.create_event as number });
    if (!erepos.length) return null;
    const byUrl = new Map(erepos.map((e) => [String(e.url).replace(/\$arch/g, this.brArch), e]));
    const repomd = (await readRemoteFile(this.task.options, `${this.repoRel()}/repodata/repomd.xml`))?.toString('utf8') ?? '';
    const href = /<data type="origin">[\s\S]*?<location href="([^"]+)"/.exec(repomd)?.[1];
    if (!href) throw new BuildError(`No origin data in the repodata of repo ${String(this.repo.id)} (${this.brArch})`);
    const gz = await readRemoteFile(this.task.options, `${this.repoRel()}/${href}`);
    if (!gz) throw new BuildError(`Missing ${href} in repo ${String(this.repo.id)}`);
    const origin = new Map<string, string>();
    for (const line of gunzipSync(gz).toString('utf8').split('\n')) {
      const parts = line.split(/\s+/);
      if (parts.length < 2 || !parts[0]) continue;
      const n = parseNVRA(parts[0].replace(/^\d+:/, ''));
      origin.set(`${n.name}-${n.version}-${n.release}.${n.arch}`, parts[1]);
    }
    return { byUrl, origin };
  }

  private async markExternal(list: Row[]): Promise<void> {
    this.originsOnce ??= this.readOrigins();
    const index = await this.originsOnce;
    if (!index) return;
    const { byUrl, origin } = index;
    const localtail = `/repo_${String(this.repo.id)}_premerge/`;
    for (const r of list) {
      const key = nvraOf(r);
      const url = origin.get(key);
      if (!url) throw new BuildError(`No origin for ${key}`);
      const erepo = byUrl.get(url);
      if (!erepo) {
        if (url.startsWith('file://') && url.endsWith(localtail)) continue;
        throw new BuildError(`Unknown origin for ${key}: ${url}`);
      }
      r.external_repo = erepo;
      r.location = erepo.external_repo_id as number;
    }
  }

  private async readRpmlist(): Promise<Map<string, Row> | null> {
    const body = await readRemoteFile(this.task.options, `${this.repoRel()}/rpmlist.jsonl`);
    if (!body) {
      this.task.log.warn(`Missing repo content file: ${this.repoRel()}/rpmlist.jsonl`);
      return null;
    }
    const byNvra = new Map<string, Row>();
    for (const line of body.toString('utf8').split('\n')) {
      if (!line.trim()) continue;
      const r = JSON.parse(line) as Row;
      byNvra.set(nvraOf(r), r);
    }
    return byNvra;
  }

  private async mapInternal(list: Row[]): Promise<void> {
    this.rpmlistOnce ??= this.readRpmlist();
    const byNvra = await this.rpmlistOnce;
    if (!byNvra) return;
    for (const r of list) {
      if ('external_repo' in r) continue;
      const nvra = nvraOf(r);
      const data = byNvra.get(nvra);
      if (!data) {
        this.task.log.warn(`${nvra} not found in rpmlist.jsonl`);
        continue;
      }
      if (data.payloadhash !== r.payloadhash) throw new BuildrootError(`RPM: ${nvra}: payloadhash: ${String(r.payloadhash)} mismatch expected ${String(data.payloadhash)} in rpmlist.jsonl`);
      r.id = data.id as number;
    }
  }
}
