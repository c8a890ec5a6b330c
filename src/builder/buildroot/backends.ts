/**
 * The buildroot backend a builder uses, by kojid.conf's `buildroot_backend`: `bwrap` (dnf +
 * bubblewrap, roots cached under mockdir/koji-ts, builds as mockuser) or `fault:STEP` (the bwrap
 * backend failing at create, install, rebuild or buildSRPM; for tests). `mock` is not available
 * yet.
 */
import { join } from 'node:path';
import type { KojidOptions } from '../../config/kojid.ts';
import { BwrapBackend } from './bwrap.ts';
import { FaultBackend, type FaultStep } from './fault.ts';
import { RootCache, type RootMeta } from './root-cache.ts';
import type { BuildrootBackend } from './types.ts';

export const BACKEND_NAMES = ['bwrap', 'fault:create', 'fault:install', 'fault:rebuild', 'fault:buildSRPM'] as const;

/** Where the bwrap backend keeps its cached roots and clones. */
export function rootCacheDir(o: Pick<KojidOptions, 'mockdir'>): string {
  return join(o.mockdir, 'koji-ts');
}

export function buildrootBackend(o: Pick<KojidOptions, 'buildroot_backend' | 'mockdir' | 'mockuser'>): BuildrootBackend {
  const name = o.buildroot_backend;
  const bwrap = () => new BwrapBackend({ cacheDir: rootCacheDir(o), mockuser: o.mockuser });
  if (name === 'bwrap') return bwrap();
  if (name.startsWith('fault:') && (BACKEND_NAMES as readonly string[]).includes(name)) return new FaultBackend(bwrap(), { failAt: name.slice(6) as FaultStep });
  if (name === 'mock') throw new Error('buildroot_backend = mock is not available yet: use bwrap');
  throw new Error(`unknown buildroot_backend ${JSON.stringify(name)} in kojid.conf: use one of ${BACKEND_NAMES.join(', ')}`);
}

/**
 * Drop the bwrap backend's cached roots whose repo is gone (for the daemon to call now and
 * then; `gone` may ask the hub, e.g. whether the repo id is still READY) and leftovers of
 * crashed builds. Returns the removed folders.
 */
export function pruneRoots(o: Pick<KojidOptions, 'mockdir'>, gone?: (m: RootMeta) => boolean | Promise<boolean>): Promise<string[]> {
  return new RootCache(rootCacheDir(o)).prune({ gone, maxAgeDays: 7 });
}
