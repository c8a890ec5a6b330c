/**
 * The buildroot backend a builder uses, by kojid.conf's `buildroot_backend`: `bwrap` (dnf +
 * bubblewrap, roots cached under mockdir/koji-ts, builds as mockuser) or `fault:STEP` (the bwrap
 * backend failing at create, install, rebuild or buildSRPM; for tests) or `mock` (kojid's way, for
 * Fedora/EL builders: mock.ts).
 */
import { join } from 'node:path';
import type { KojidOptions } from '../../config/kojid.ts';
import { BwrapBackend } from './bwrap.ts';
import { FaultBackend, type FaultStep } from './fault.ts';
import { MockBackend } from './mock.ts';
import type { MockKojidOptions } from './mock-opts.ts';
import { RootCache, type RootMeta } from './root-cache.ts';
import type { BuildrootBackend } from './types.ts';

export const BACKEND_NAMES = ['bwrap', 'fault:create', 'fault:install', 'fault:rebuild', 'fault:buildSRPM', 'mock'] as const;

/** Where the bwrap backend keeps its cached roots and clones. */
export function rootCacheDir(o: Pick<KojidOptions, 'mockdir'>): string {
  return join(o.mockdir, 'koji-ts');
}

/** `o` is kojid's options; the mock backend reads more of them (MockKojidOptions). */
export function buildrootBackend(o: Pick<KojidOptions, 'buildroot_backend' | 'mockdir' | 'mockuser'> & Partial<MockKojidOptions>): BuildrootBackend {
  const name = o.buildroot_backend;
  const bwrap = () => new BwrapBackend({ cacheDir: rootCacheDir(o), mockuser: o.mockuser });
  if (name === 'bwrap') return bwrap();
  if (name.startsWith('fault:') && (BACKEND_NAMES as readonly string[]).includes(name)) return new FaultBackend(bwrap(), { failAt: name.slice(6) as FaultStep });
  if (name === 'mock') {
    if (!o.mockpath || !o.topurls) throw new Error('the mock backend needs kojid\'s options (mockpath, topurls …): pass the loaded kojid.conf');
    return new MockBackend(o as MockKojidOptions);
  }
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
