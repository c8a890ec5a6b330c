/**
 * Koji's genMockConfig (koji/__init__.py): the text of a mock config for a buildroot, byte for
 * byte as Koji writes it — `koji mock-config` prints it, the builder's mock backend writes it as
 * kojid's BuildRoot._writeMockConfig does. Only changes from mock's defaults are written:
 * config_opts sorted by key, then plugin_conf, bind mounts, macros, environment and files, each
 * value as Python's repr().
 *
 * The options keep Koji's names. As with Python's `opts.get(key, default)`, an option that is
 * present but null is used as None (only an absent one — undefined — takes the default).
 */
import { existsSync, readFileSync } from 'node:fs';
import { pyRepr, pyStrOf } from '../protocol/pyrepr.ts';
import { isStruct, truthy, type XmlRpcValue } from '../protocol/values.ts';
import { PathInfo } from './pathinfo.ts';

export interface MockConfigOptions {
  /** the repo's id, or 'latest' */
  repoid: number | string;
  tag_name: string;
  /** a config a builder manages: the header names the buildroot, repo and tag */
  managed?: boolean;
  buildroot_id?: number | null;
  mockdir?: string;
  /** repo URLs are <topurl>/repos/<tag>/<repoid>/<arch> for each; else file://<topdir>/… */
  topurls?: string[] | null;
  topurl?: string | null;
  topdir?: string;
  target_arch?: string;
  install_group?: string;
  use_host_resolv?: boolean;
  rpmbuild_timeout?: XmlRpcValue;
  forcearch?: string;
  package_manager?: XmlRpcValue;
  bootstrap_image?: XmlRpcValue;
  use_bootstrap?: XmlRpcValue;
  module_setup_commands?: XmlRpcValue;
  releasever?: XmlRpcValue;
  internal_dev_setup?: XmlRpcValue;
  /** mount points: kind (e.g. 'dirs') → host path → path in the root */
  bind_opts?: Record<string, Record<string, string>> | null;
  maven_opts?: string[] | null;
  maven_envs?: Record<string, string> | null;
  yum_proxy?: string | null;
  module_hotfixes?: XmlRpcValue;
  yum_best?: number;
  plugin_conf?: Record<string, XmlRpcValue>;
  vendor?: XmlRpcValue;
  packager?: XmlRpcValue;
  distribution?: XmlRpcValue;
  mockhost?: string;
  /** '%name' → value (from the tag's rpm.macro.NAME extras) */
  tag_macros?: Record<string, XmlRpcValue>;
  /** NAME → value (from the tag's rpm.env.NAME extras) */
  tag_envvars?: Record<string, XmlRpcValue>;
  /** the contents of /etc/hosts for use_host_resolv (default: read from the file when it exists) */
  etc_hosts?: string | null;
}

/** Python's sorted() of str keys. */
const sortedKeys = (o: object) => Object.keys(o).sort();

function repoUrls(arch: string, o: MockConfigOptions): string[] {
  const topurls = o.topurls?.length ? o.topurls : o.topurl ? [o.topurl] : null;
  if (topurls) return topurls.map((u) => `${new PathInfo(u).repo(o.repoid, o.tag_name)}/${arch}`);
  return [`file://${new PathInfo(o.topdir ?? '/mnt/koji').repo(o.repoid, o.tag_name)}/${arch}`];
}

function yumConf(urls: string[], o: MockConfigOptions): string {
  const parts = ['[main]\n'];
  if (truthy(o.yum_proxy)) parts.push(`proxy=${pyStrOf(o.yum_proxy)}\n`);
  parts.push(
    'cachedir=/var/cache/yum\ndebuglevel=1\nlogfile=/var/log/yum.log\nreposdir=/dev/null\nretries=20\nobsoletes=1\n' +
      'gpgcheck=0\nassumeyes=1\nkeepcache=1\ninstall_weak_deps=0\nstrict=1\n\n# repos\n\n[build]\nname=build\n',
  );
  parts.push(`baseurl=${urls[0]}\n`, ...urls.slice(1).map((u) => `        ${u}\n`));
  if (truthy(o.module_hotfixes)) parts.push('module_hotfixes=1\n');
  if (truthy(o.yum_best)) parts.push(`best=${Math.trunc(o.yum_best as number)}\n`);
  return parts.join('');
}

const def = <T>(v: T | undefined, d: T): T => (v === undefined ? d : v);

/** config_opts: the keys Koji sets, in the order they are later sorted. */
function configOpts(name: string, arch: string, o: MockConfigOptions, urls: string[]): Record<string, unknown> {
  const useHostResolv = def(o.use_host_resolv, false);
  const c: Record<string, unknown> = {
    root: name,
    basedir: def(o.mockdir, '/var/lib/mock'),
    target_arch: def(o.target_arch, arch),
    chroothome: '/builddir',
    chroot_setup_cmd: `install @${pyStrOf(def<XmlRpcValue>(o.install_group, 'build'))}`,
    rpmbuild_networking: useHostResolv,
    use_host_resolv: useHostResolv,
    rpmbuild_timeout: def(o.rpmbuild_timeout, 86400),
    dnf_warning: false,
  };
  if (o.forcearch !== undefined) c.forcearch = o.forcearch;
  if (truthy(o.package_manager)) c.package_manager = o.package_manager;
  if (truthy(o.bootstrap_image)) {
    c.use_bootstrap_image = true;
    c.bootstrap_image = o.bootstrap_image;
  } else c.use_bootstrap_image = false;
  if (o.use_bootstrap !== undefined) c.use_bootstrap = truthy(o.use_bootstrap);
  if (o.module_setup_commands !== undefined) c.module_setup_commands = o.module_setup_commands;
  if (o.releasever !== undefined) c.releasever = o.releasever;
  // bind mounts need /dev from the host: internal_dev_setup off unless asked for
  const internalDevSetup = o.internal_dev_setup !== undefined ? o.internal_dev_setup : truthy(o.bind_opts) ? false : undefined;
  if (internalDevSetup !== undefined) c.internal_dev_setup = internalDevSetup;
  c['yum.conf'] = yumConf(urls, o);
  return c;
}

function macros(arch: string, o: MockConfigOptions): Record<string, unknown> {
  const m: Record<string, unknown> = {
    '%_rpmfilename': '%%{NAME}-%%{VERSION}-%%{RELEASE}.%%{ARCH}.rpm',
    '%vendor': def<XmlRpcValue>(o.vendor, 'Koji'),
    '%packager': def<XmlRpcValue>(o.packager, 'Koji'),
    '%distribution': def<XmlRpcValue>(o.distribution, 'Unknown'),
    // the tag's macros may override those above, not those below
    ...o.tag_macros,
  };
  const target = def(o.target_arch, arch);
  m['%_topdir'] = '/builddir/build';
  m['%_host_cpu'] = target;
  m['%_host'] = `${target}-${def(o.mockhost, 'koji-linux-gnu')}`;
  return m;
}

function files(o: MockConfigOptions): { files: Record<string, string>; lastMavenEnv: string | null } {
  const f: Record<string, string> = {};
  if (o.use_host_resolv) {
    const hosts = o.etc_hosts !== undefined ? o.etc_hosts : existsSync('/etc/hosts') ? readFileSync('/etc/hosts', 'utf8') : null;
    if (hosts !== null) f['etc/hosts'] = hosts;
  }
  let mavenrc = '';
  let lastMavenEnv: string | null = null;
  if (o.maven_opts?.length) mavenrc = `export MAVEN_OPTS="${o.maven_opts.join(' ')}"\n`;
  for (const [k, v] of Object.entries(o.maven_envs ?? {})) {
    mavenrc += `export ${k}="${v}"\n`;
    lastMavenEnv = k;
  }
  if (mavenrc) f['etc/mavenrc'] = mavenrc;
  return { files: f, lastMavenEnv };
}

/** The mock config for root `name` on `arch` (Koji's genMockConfig). */
export function genMockConfig(name: string, arch: string, o: MockConfigOptions): string {
  if (!(truthy(o.repoid) && truthy(o.tag_name))) throw new Error('please provide a repo and tag');
  const urls = repoUrls(arch, o);
  const config = configOpts(name, arch, o, urls);
  const plugins: Record<string, unknown> = { ccache_enable: false, yum_cache_enable: false, root_cache_enable: false, ...o.plugin_conf };
  const { files: fileMap, lastMavenEnv } = files(o);
  const parts = ['# Auto-generated by the Koji build system\n'];
  if (o.managed) {
    // Koji formats this from its locals, where the maven_envs loop has rebound `name`
    const shown = lastMavenEnv ?? name;
    parts.push(`\n# Koji buildroot id: ${pyStrOf(o.buildroot_id ?? null)}\n# Koji buildroot name: ${shown}\n# Koji repo id: ${pyStrOf(o.repoid)}\n# Koji tag: ${o.tag_name}\n`);
  }
  parts.push('\n');
  for (const k of sortedKeys(config)) parts.push(`config_opts[${pyRepr(k)}] = ${pyRepr(config[k])}\n`);
  parts.push('\n');
  for (const k of sortedKeys(plugins)) {
    const v = plugins[k];
    if (isStruct(v)) {
      // two levels, as Koji allows
      parts.push(`config_opts['plugin_conf'][${pyRepr(k)}] = {}\n`);
      for (const k2 of sortedKeys(v)) parts.push(`config_opts['plugin_conf'][${pyRepr(k)}][${pyRepr(k2)}] = ${pyRepr(v[k2])}\n`);
    } else parts.push(`config_opts['plugin_conf'][${pyRepr(k)}] = ${pyRepr(v)}\n`);
  }
  parts.push('\n');
  if (o.bind_opts && Object.keys(o.bind_opts).length) {
    for (const [kind, mounts] of Object.entries(o.bind_opts)) {
      for (const [src, dest] of Object.entries(mounts)) parts.push(`config_opts['plugin_conf']['bind_mount_opts'][${pyRepr(kind)}].append((${pyRepr(src)}, ${pyRepr(dest)}))\n`);
    }
    parts.push('\n');
  }
  const m = macros(arch, o);
  for (const k of sortedKeys(m)) parts.push(`config_opts['macros'][${pyRepr(k)}] = ${pyRepr(m[k])}\n`);
  parts.push('\n');
  const env = o.tag_envvars ?? {};
  for (const k of sortedKeys(env)) parts.push(`config_opts['environment'][${pyRepr(k)}] = ${pyRepr(env[k])}\n`);
  if (Object.keys(env).length) parts.push('\n');
  for (const k of sortedKeys(fileMap)) parts.push(`config_opts['files'][${pyRepr(k)}] = ${pyRepr(fileMap[k])}\n`);
  return parts.join('');
}
