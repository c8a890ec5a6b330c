/**
 * The buildroot backend contract between the builder's build handlers and the code that makes
 * roots (kojid uses mock for this). Backends: `bwrap` (dnf + bubblewrap, bwrap.ts), `fault`
 * (wraps another and fails on request, for tests, fault.ts); chosen by kojid.conf's
 * `buildroot_backend` (backends.ts).
 *
 * Lifecycle, as a build handler drives it:
 *   1. `backend.create(spec)` — a fresh root for one task: the repo's `@group` installed (from a
 *      per-(repo, group, arch) cache, cloned), nothing left of earlier builds. Fails with
 *      BuildrootError (disk space, repo unreachable, group not installable).
 *   2. `installedRpms()` — what is in it (host.setBuildRootList).
 *   3. `installBuildRequires(srpm)` — adds the SRPM's BuildRequires; a requirement the repo
 *      cannot satisfy fails with BuildrootError naming it (also in root.log).
 *   4. `rebuild(srpm)` or `buildSRPM(specDir, sourcesDir)` — rpmbuild inside the root: no
 *      network, an unprivileged uid, the root read-only but /builddir; a failed build is a
 *      BuildError whose message is the result in kojid's words ("rpmbuild exited with status
 *      1; see build.log for more information"), for the handler to prefix. Logs go to `spec.resultdir` as they are written (root.log: root set-up and
 *      dnf; build.log: rpmbuild; state.log: phase lines; mock_output.log: the backend's own
 *      commands), so a handler can upload them while the build runs.
 *   5. `remove()` — always, also after failures; `kill()` (cancel) stops a running build's
 *      whole process tree and may be called at any time from another async context.
 * One Buildroot serves one task: its methods are not meant to run concurrently, except kill().
 */
import { BuildError, BuildrootError } from '../../protocol/faults.ts';

export interface RootSpec {
  /** build tag name (for names and logs) */
  tag: string;
  /** the repo's id (the cache key together with repoUrl and group) */
  repoId: number;
  /** baseurl of the tag's repo for this arch (file:///… or http://…), with repodata holding the tag's comps */
  repoUrl: string;
  /** target arch (noarch builds pass the host arch) */
  arch: string;
  /** 'build' or 'srpm-build': installed as `@group` from the repo's comps */
  group: string;
  /** rpm.macro.* tag extras without the prefix (e.g. dist: '.fc40') */
  macros: Record<string, string>;
  /** the task's own scratch folder (roots and clones live under the backend's cache, not here) */
  workdir: string;
  /** where logs (root.log, build.log, state.log, mock_output.log) and results go */
  resultdir: string;
}

export interface InstalledRpm {
  name: string;
  version: string;
  release: string;
  epoch: number | null;
  arch: string;
  /** SIGMD5 as hex, as Koji records it */
  payloadhash?: string;
  size?: number;
  buildtime?: number;
}

export interface Buildroot {
  /** the root's folder on the host */
  readonly path: string;
  /** for host.setBuildRootList */
  installedRpms(): Promise<InstalledRpm[]>;
  /** installs the SRPM's BuildRequires; returns the updated list; throws BuildrootError naming the missing package(s) (also written to root.log) */
  installBuildRequires(srpmPath: string): Promise<InstalledRpm[]>;
  /** rpmbuild of the SRPM inside the root, isolated; output to build.log; results copied to resultdir; throws BuildError on failure */
  rebuild(srpmPath: string): Promise<{ srpm: string | null; rpms: string[] }>;
  /** for SCM builds: rpmbuild -bs in the root (srpm-build group); returns the SRPM's path in resultdir */
  buildSRPM(specDir: string, sourcesDir: string): Promise<string>;
  /** stop the running process tree (cancel) */
  kill(): Promise<void>;
  /** delete the clone */
  remove(): Promise<void>;
}

export interface BuildrootBackend {
  readonly name: string;
  create(spec: RootSpec, signal?: AbortSignal): Promise<Buildroot>;
}

/**
 * Failures carry Koji's fault classes (codes 1012 and 1005), so a task failing with one reports
 * the same fault kojid would: BuildrootError when the root cannot be made or populated (disk,
 * repo, unresolvable dependencies), BuildError when rpmbuild fails or is killed.
 */
export { BuildError, BuildrootError };

/** A BuildrootError for requirements the repo cannot satisfy; `missing` names them. */
export class MissingDependencies extends BuildrootError {
  constructor(readonly missing: string[], message: string) {
    super(message);
    this.name = 'BuildrootError';
  }
}
