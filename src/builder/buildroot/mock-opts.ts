/**
 * What kojid's BuildRoot gives mock, as pure functions of the builder's options, the root spec
 * and the build tag's extras: the root's name, the genMockConfig options of _writeMockConfig,
 * and the command line of BuildRoot.mock (the mock.new_chroot extra).
 */
import { constants } from 'node:os';
import { basename } from 'node:path';
import type { KojidOptions } from '../../config/kojid.ts';
import { BuildrootError } from '../../protocol/faults.ts';
import { Float, truthy, type XmlRpcStruct, type XmlRpcValue } from '../../protocol/values.ts';
import type { MockConfigOptions } from '../../util/mock-config.ts';
import type { RootSpec } from './types.ts';

/** The kojid.conf options the mock backend reads. */
export type MockKojidOptions = Pick<
  KojidOptions,
  'mockpath' | 'mockdir' | 'mockuser' | 'mockhost' | 'topurls' | 'topdir' | 'packager' | 'vendor' | 'distribution' | 'yum_proxy' | 'rpmbuild_timeout' | 'mock_bootstrap_image'
>;

/**
 * A RootSpec with what kojid's BuildRoot also knows; every field is optional, so a plain
 * RootSpec works too.
 */
export interface MockRootSpec extends RootSpec {
  /** the hub's id of the root (host.newBuildRoot): in its name and the config's header */
  buildrootId?: number;
  /** the build tag's extra at the repo's event (getBuildConfig): mock.* and rpm.env.* keys */
  extra?: XmlRpcStruct;
  /** mock's --target for rebuild (kojid: the task's arch, noarch included); default `arch` */
  taskArch?: string;
  /** DNS in the root (kojid's setup_dns, for SCM checkouts) */
  setupDns?: boolean;
}

/**
 * kojid's "<tag>-<buildroot id>-<repo id>"; without a buildroot id the task's folder name
 * stands in for it, so that two tasks never share a root.
 */
export function mockRootName(spec: MockRootSpec): string {
  return `${spec.tag}-${spec.buildrootId ?? `w${basename(spec.workdir)}`}-${spec.repoId}`;
}

/** armhfp is no autoconf arch: kojid builds it as armv7hl. */
const targetArch = (arch: string) => (arch === 'armhfp' ? 'armv7hl' : arch);

/** kojid's int() of mock.yum.best (a value int() rejects fails the root, as there). */
function intOf(key: string, v: XmlRpcValue): number {
  const n = typeof v === 'boolean' ? Number(v) : typeof v === 'string' && /^\s*[+-]?\d+\s*$/.test(v) ? Number(v) : typeof v === 'number' || v instanceof Float ? Math.trunc(Number(v)) : NaN;
  if (Number.isNaN(n)) throw new BuildrootError(`tag extra ${key} must be an integer, not ${JSON.stringify(v)}`);
  return n;
}

/** The genMockConfig options of kojid's BuildRoot._writeMockConfig. `warn` gets its warnings. */
export function kojidMockConfigOptions(o: MockKojidOptions, spec: MockRootSpec, warn: (msg: string) => void = () => {}): MockConfigOptions {
  const extra = spec.extra ?? {};
  const has = (k: string) => Object.hasOwn(extra, k);
  const target = targetArch(spec.arch);
  const opts: MockConfigOptions = {
    repoid: spec.repoId,
    tag_name: spec.tag,
    managed: true,
    mockdir: o.mockdir,
    topdir: o.topdir,
    topurl: o.topurls[0] ?? null,
    topurls: o.topurls,
    packager: o.packager,
    vendor: o.vendor,
    distribution: o.distribution,
    mockhost: o.mockhost,
    yum_proxy: o.yum_proxy,
    rpmbuild_timeout: o.rpmbuild_timeout,
    buildroot_id: spec.buildrootId ?? null,
    use_host_resolv: spec.setupDns ?? false,
    install_group: spec.group,
    maven_opts: null,
    maven_envs: null,
    bind_opts: null,
    target_arch: target,
  };
  if (has('mock.forcearch') && truthy(extra['mock.forcearch'])) opts.forcearch = target;
  if (has('mock.package_manager')) opts.package_manager = extra['mock.package_manager'];
  if (has('mock.yum.module_hotfixes')) opts.module_hotfixes = extra['mock.yum.module_hotfixes'];
  if (has('mock.yum.best')) opts.yum_best = intOf('mock.yum.best', extra['mock.yum.best']);
  if (has('mock.plugin_conf.sign_enable')) {
    if (!has('mock.plugin_conf.sign_opts.cmd') || !has('mock.plugin_conf.sign_opts.opts')) throw new BuildrootError("Tag is not configured properly for mock's sign plugin'");
    opts.plugin_conf = {
      sign_enable: extra['mock.plugin_conf.sign_enable'],
      sign_opts: { cmd: extra['mock.plugin_conf.sign_opts.cmd'], opts: extra['mock.plugin_conf.sign_opts.opts'] },
    };
  }
  if (has('mock.module_setup_commands')) opts.module_setup_commands = extra['mock.module_setup_commands'];
  if (has('mock.releasever')) opts.releasever = extra['mock.releasever'];
  // the tag's rpm.macro.* extras as they are (the spec's macros, strings, when there are no extras)
  opts.tag_macros = spec.extra ? {} : Object.fromEntries(Object.entries(spec.macros).map(([k, v]) => [`%${k}`, v]));
  opts.tag_envvars = {};
  for (const [k, v] of Object.entries(extra)) {
    if (k.startsWith('rpm.macro.')) opts.tag_macros[`%${k.slice(10)}`] = v;
    else if (k.startsWith('rpm.env.')) opts.tag_envvars[k.slice(8)] = v;
  }
  if (has('mock.use_bootstrap')) opts.use_bootstrap = truthy(extra['mock.use_bootstrap']);
  // a bootstrap image must be allowed in kojid.conf and asked for by the tag
  const image = extra['mock.bootstrap_image'];
  if (!o.mock_bootstrap_image && truthy(image)) warn(`Mock bootstrap image requested by buildroot ${String(spec.buildrootId ?? null)}, but forbidden on builder`);
  opts.bootstrap_image = truthy(o.mock_bootstrap_image) ? (image ?? null) : null;
  return opts;
}

/** kojid's `mock -r CFG [--new-chroot|--old-chroot] ARGS…` (the mock.new_chroot extra). */
export function mockCommand(mockpath: string, config: string, extra: XmlRpcStruct | undefined, args: string[]): string[] {
  const cmd = [mockpath, '-r', config];
  if (extra && Object.hasOwn(extra, 'mock.new_chroot')) cmd.push(truthy(extra['mock.new_chroot']) ? '--new-chroot' : '--old-chroot');
  return [...cmd, ...args];
}

/** kojid's _mockResult: mock's status and the log that tells why (10: build.log; 1: either). */
export function mockResult(code: number | null, signal: NodeJS.Signals | null): string {
  const log = code === 10 ? 'build.log' : code === 1 ? 'build.log or root.log' : 'root.log';
  const status = code !== null ? `mock exited with status ${code}` : `mock was killed by signal ${signal === null ? '?' : constants.signals[signal]}`;
  return `${status}; see ${log} for more information`;
}
