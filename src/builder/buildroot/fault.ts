/**
 * A fault-injecting backend for tests: wraps a real backend and fails on request at one step —
 * `create` (BuildrootError, as when the root cannot be made), `install` (MissingDependencies
 * naming `missing`, written to root.log as the real backend does), `rebuild` or `buildSRPM`
 * (BuildError, after writing build.log), optionally after `delayMs` (to test cancels and
 * timeouts) — so build handlers can be tested on every failure path without a broken repo.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { BuildError, BuildrootError, MissingDependencies, type Buildroot, type BuildrootBackend, type InstalledRpm, type RootSpec } from './types.ts';

export type FaultStep = 'create' | 'install' | 'rebuild' | 'buildSRPM';

export interface FaultPlan {
  /** the step that fails (none: the inner backend's behaviour) */
  failAt?: FaultStep | null;
  /** message of the injected failure */
  message?: string;
  /** for `install`: the requirements named as missing */
  missing?: string[];
  /** wait this long before failing (abortable by kill()) */
  delayMs?: number;
}

export class FaultBackend implements BuildrootBackend {
  readonly name = 'fault';

  constructor(
    private readonly inner: BuildrootBackend,
    public plan: FaultPlan = {},
  ) {}

  async create(spec: RootSpec, signal?: AbortSignal): Promise<Buildroot> {
    if (this.plan.failAt === 'create') {
      await injected(spec, 'root.log', this.plan, signal);
      throw new BuildrootError(this.plan.message ?? `injected failure: cannot make the buildroot for ${spec.tag}`);
    }
    return new FaultBuildroot(await this.inner.create(spec, signal), spec, this.plan);
  }
}

/** Log the injected failure and wait the plan's delay. */
async function injected(spec: RootSpec, log: string, plan: FaultPlan, signal?: AbortSignal): Promise<void> {
  mkdirSync(spec.resultdir, { recursive: true });
  appendFileSync(join(spec.resultdir, log), `injected failure at ${plan.failAt}${plan.message ? `: ${plan.message}` : ''}\n`);
  if (plan.delayMs) await delay(plan.delayMs, undefined, { signal }).catch(() => {});
}

class FaultBuildroot implements Buildroot {
  private readonly abort = new AbortController();

  constructor(
    private readonly inner: Buildroot,
    private readonly spec: RootSpec,
    private readonly plan: FaultPlan,
  ) {}

  get path(): string {
    return this.inner.path;
  }

  installedRpms(): Promise<InstalledRpm[]> {
    return this.inner.installedRpms();
  }

  async installBuildRequires(srpmPath: string): Promise<InstalledRpm[]> {
    if (this.plan.failAt !== 'install') return this.inner.installBuildRequires(srpmPath);
    await injected(this.spec, 'root.log', this.plan, this.abort.signal);
    const missing = this.plan.missing ?? ['injected-missing-package'];
    throw new MissingDependencies(missing, this.plan.message ?? `cannot install the BuildRequires: no package provides ${missing.join(', ')}; see root.log`);
  }

  async rebuild(srpmPath: string): Promise<{ srpm: string | null; rpms: string[] }> {
    if (this.plan.failAt !== 'rebuild') return this.inner.rebuild(srpmPath);
    await injected(this.spec, 'build.log', this.plan, this.abort.signal);
    throw new BuildError(this.plan.message ?? 'injected failure; see build.log for more information');
  }

  async buildSRPM(specDir: string, sourcesDir: string): Promise<string> {
    if (this.plan.failAt !== 'buildSRPM') return this.inner.buildSRPM(specDir, sourcesDir);
    await injected(this.spec, 'build.log', this.plan, this.abort.signal);
    throw new BuildError(this.plan.message ?? 'error building the SRPM, injected failure; see build.log for more information');
  }

  async kill(): Promise<void> {
    this.abort.abort();
    await this.inner.kill();
  }

  remove(): Promise<void> {
    return this.inner.remove();
  }
}
