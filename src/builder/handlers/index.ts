/**
 * The handlers a builder serves: Koji's test and control tasks, the repo tasks (newRepo,
 * createrepo, distRepo, createdistrepo), the build tasks (build, chainbuild, tagBuild, waitrepo)
 * and the buildroot tasks (buildArch, rebuildSRPM, buildSRPMFromSCM). Plugins add theirs at start-up.
 */
import { BUILD_HANDLERS } from './build.ts';
import { BUILD_ARCH_HANDLERS } from './build-arch.ts';
import { CONTROL_HANDLERS } from './control.ts';
import { DIST_REPO_HANDLERS } from './distrepo.ts';
import { HandlerRegistry, loadPlugins } from './registry.ts';
import { REPO_HANDLERS } from './repo.ts';
import { TEST_HANDLERS } from './test.ts';

/** A registry of the built-in handlers plus the plugins named in kojid.conf. */
export async function handlerRegistry(o: { plugins: string[]; pluginpath: string }): Promise<HandlerRegistry> {
  const r = new HandlerRegistry();
  for (const h of [...TEST_HANDLERS, ...CONTROL_HANDLERS, ...REPO_HANDLERS, ...DIST_REPO_HANDLERS, ...BUILD_HANDLERS, ...BUILD_ARCH_HANDLERS]) r.register(h);
  await loadPlugins(r, o.plugins, o.pluginpath);
  return r;
}
