/**
 * The bubblewrap + dnf backend: roots made by the host's dnf from the tag's repo (cached per
 * repo, group and arch, cloned per task: root-cache.ts), builds run by rpmbuild inside
 * bubblewrap (sandbox.ts). See types.ts for the contract.
 */
import { execFile } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, linkSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import { dnfArgv, dnfEnv, installedRpms, missingFromOutput, srpmBuildRequires } from './dnf.ts';
import { RootCache, type RootKey } from './root-cache.ts';
import { RootLogs } from './run.ts';
import { buildUser, sandboxArgv, unreachableFor, type BuildUser } from './sandbox.ts';
import { BuildError, BuildrootError, MissingDependencies, type Buildroot, type BuildrootBackend, type InstalledRpm, type RootSpec } from './types.ts';

const run = promisify(execFile);

export interface BwrapOptions {
  /** where cached roots and clones live (kojid: under mockdir) */
  cacheDir: string;
  /** host user builds run as when the builder is root (kojid.conf mockuser) */
  mockuser: string;
}

export class BwrapBackend implements BuildrootBackend {
  readonly name = 'bwrap';
  readonly cache: RootCache;
  private readonly user: BuildUser;

  constructor(o: BwrapOptions) {
    this.cache = new RootCache(o.cacheDir);
    this.user = buildUser(o.mockuser);
  }

  async create(spec: RootSpec, signal?: AbortSignal): Promise<Buildroot> {
    if (signal?.aborted) throw new BuildrootError(`the buildroot for ${spec.tag} was cancelled before it was made`);
    const blocked = unreachableFor(this.user, this.cache.dir);
    if (blocked) {
      throw new BuildrootError(`builds run as uid ${this.user.uid}, which cannot enter ${blocked.dir} (mode ${blocked.mode}) on the way to the buildroots in ${this.cache.dir}: make it searchable (chmod o+x ${blocked.dir}) or set kojid.conf mockdir to a folder that user can reach`);
    }
    const logs = new RootLogs(spec.resultdir);
    const key: RootKey = { repoUrl: spec.repoUrl, repoId: spec.repoId, group: spec.group, arch: spec.arch, tag: spec.tag };
    return logs.phase('init', async () => {
      logs.line('root.log', `buildroot for ${spec.tag} (repo ${spec.repoId}, ${spec.repoUrl}), group ${spec.group}, arch ${spec.arch}; ${this.user.note}`);
      const t0 = Date.now();
      const cached = await this.cache.get(key, logs, signal);
      logs.line('root.log', `${cached.made ? 'made' : 'reusing'} the cached root ${cached.root} (${((Date.now() - t0) / 1000).toFixed(2)} s)`);
      const dir = this.cache.newClonePath(`${spec.tag}-${spec.arch}`);
      try {
        const root = await this.cache.clone(cached.root, dir);
        logs.line('root.log', `cloned into ${root}`);
        return new BwrapBuildroot(root, dir, spec, key, this.cache.dnfCache(key), this.user, logs);
      } catch (e) {
        rmSync(dir, { recursive: true, force: true });
        throw e;
      }
    });
  }
}

/** rpm macros of a build, written to /builddir/.rpmmacros as mock writes them (the tag's rpm.macro.* extras last). */
function rpmMacros(spec: RootSpec): string {
  const macros: Record<string, string> = {
    _topdir: '/builddir/build',
    _rpmfilename: '%%{NAME}-%%{VERSION}-%%{RELEASE}.%%{ARCH}.rpm',
    ...spec.macros,
  };
  return Object.entries(macros)
    .map(([k, v]) => `%${k.replace(/^%/, '')} ${v}\n`)
    .join('');
}

class BwrapBuildroot implements Buildroot {
  private readonly builddir: string;
  private killed = false;

  constructor(
    readonly path: string,
    private readonly dir: string,
    private readonly spec: RootSpec,
    private readonly key: RootKey,
    private readonly dnfCache: string,
    private readonly user: BuildUser,
    private readonly logs: RootLogs,
  ) {
    this.builddir = join(dir, 'builddir');
    this.resetBuilddir();
  }

  /** An empty /builddir owned by the build user, with the build's rpm macros. */
  private resetBuilddir(): void {
    rmSync(this.builddir, { recursive: true, force: true });
    for (const d of ['SPECS', 'SOURCES', 'BUILD', 'RPMS', 'SRPMS']) mkdirSync(join(this.builddir, 'build', d), { recursive: true });
    writeFileSync(join(this.builddir, '.rpmmacros'), rpmMacros(this.spec));
  }

  private async chownBuilddir(): Promise<void> {
    if (this.user.uid !== null) await run('chown', ['-R', `${this.user.uid}:${this.user.gid}`, this.builddir]);
  }

  installedRpms(): Promise<InstalledRpm[]> {
    return installedRpms(this.path);
  }

  async installBuildRequires(srpmPath: string): Promise<InstalledRpm[]> {
    const reqs = await srpmBuildRequires(srpmPath);
    if (reqs.length) {
      await this.logs.phase('installing build requirements', async () => {
        const place = { root: this.path, repoUrl: this.key.repoUrl, cacheDir: this.dnfCache, stateDir: join(this.dir, 'dnf') };
        const r = await this.logs.run(dnfArgv(place, ['install', ...reqs]), 'root.log', { env: dnfEnv(place) });
        if (this.killed) throw new BuildrootError('the buildroot was killed while installing build requirements');
        if (!r.failure) return;
        const missing = missingFromOutput(await this.rootLogTail());
        const what = `BuildRequires of ${basename(srpmPath)}`;
        if (missing.length) {
          const msg = `cannot install the ${what}: repo ${this.key.repoId} of ${this.spec.tag} has no package providing ${missing.join(', ')}; see root.log`;
          this.logs.line('root.log', msg);
          throw new MissingDependencies(missing, msg);
        }
        throw new BuildrootError(`cannot install the ${what} (${reqs.join(', ')}): dnf exited with status ${r.code ?? r.signal}; see root.log`);
      });
    }
    return this.installedRpms();
  }

  private async rootLogTail(): Promise<string> {
    return (await readFile(this.logs.file('root.log'), 'utf8')).slice(-65536);
  }

  /** rpmbuild `args` in the sandbox (output to build.log); throws BuildError on failure. */
  private async rpmbuild(args: string[], srpmDir: string | undefined, what: string): Promise<void> {
    if (this.killed) throw new BuildError(`rpmbuild not started (${what}): the buildroot was killed`);
    await this.chownBuilddir();
    const argv = sandboxArgv({ root: this.path, builddir: this.builddir, srpmDir }, this.user, ['rpmbuild', ...args]);
    const r = await this.logs.phase(what, () => this.logs.run(argv, 'build.log'));
    // kojid's mock result words; the build handler prefixes "error building package (arch A), "
    if (this.killed) throw new BuildError(`rpmbuild was killed (${what}); see build.log for more information`);
    if (r.failure) throw new BuildError(`rpmbuild exited with status ${r.code ?? r.signal}; see build.log for more information`);
  }

  /** Copy the *.rpm files of builddir/build/`sub` (one level of arch folders for RPMS) into the result folder. */
  private collect(sub: 'RPMS' | 'SRPMS'): string[] {
    const top = join(this.builddir, 'build', sub);
    const found: string[] = [];
    const walk = (d: string) => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        if (e.isDirectory()) walk(join(d, e.name));
        else if (e.name.endsWith('.rpm')) found.push(join(d, e.name));
      }
    };
    if (existsSync(top)) walk(top);
    return found.sort().map((f) => {
      const dest = join(this.spec.resultdir, basename(f));
      copyFileSync(f, dest);
      return dest;
    });
  }

  /**
   * The SRPM in a folder of the clone, bound read-only at /srpm: the build's uid may not reach
   * the task's own folder.
   */
  private stageSrpm(srpmPath: string): string {
    const dir = join(this.dir, 'srpm');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { mode: 0o755 });
    const dest = join(dir, basename(srpmPath));
    try {
      // a hard link when the build's uid can read it, else a copy
      if (!(statSync(srpmPath).mode & 0o004)) throw new Error('not world-readable');
      linkSync(srpmPath, dest);
    } catch {
      copyFileSync(srpmPath, dest);
      chmodSync(dest, 0o644);
    }
    return dir;
  }

  async rebuild(srpmPath: string): Promise<{ srpm: string | null; rpms: string[] }> {
    this.resetBuilddir();
    await this.rpmbuild(['-ra', '--nodeps', '--target', this.spec.arch, `/srpm/${basename(srpmPath)}`], this.stageSrpm(srpmPath), 'build phase');
    const srpms = this.collect('SRPMS');
    return { srpm: srpms[0] ?? null, rpms: this.collect('RPMS') };
  }

  async buildSRPM(specDir: string, sourcesDir: string): Promise<string> {
    this.resetBuilddir();
    const specs = readdirSync(specDir).filter((f) => f.endsWith('.spec'));
    if (specs.length !== 1) throw new BuildError(`${specDir} must hold exactly one .spec file, found ${specs.length ? specs.join(', ') : 'none'}`);
    copyFileSync(join(specDir, specs[0]), join(this.builddir, 'build', 'SPECS', specs[0]));
    if (existsSync(sourcesDir)) await run('cp', ['-a', `${sourcesDir}/.`, join(this.builddir, 'build', 'SOURCES')]);
    await this.rpmbuild(['-bs', '--nodeps', '--define', '_sourcedir /builddir/build/SOURCES', `/builddir/build/SPECS/${specs[0]}`], undefined, 'buildsrpm phase');
    const srpms = this.collect('SRPMS');
    if (srpms.length !== 1) throw new BuildError(`rpmbuild -bs of ${specs[0]} made ${srpms.length} SRPMs; see build.log`);
    return srpms[0];
  }

  async kill(): Promise<void> {
    this.killed = true;
    await this.logs.kill();
  }

  async remove(): Promise<void> {
    await this.logs.kill();
    // not rmSync: tens of thousands of links take seconds on a busy disk, the task's log uploads go on meanwhile
    await rm(this.dir, { recursive: true, force: true });
  }
}
