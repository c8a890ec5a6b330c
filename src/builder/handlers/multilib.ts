/**
 * Which 64-bit packages of a dist repo want their 32-bit build beside them: the rules of
 * python-multilib's DevelMultilibMethod, which kojid's createdistrepo applies to every package
 * of a multilib arch (x86_64, ppc64, s390x) when the repo is made with `--multilib CONF`.
 *
 * The config is python-multilib's INI file (its default is /etc/multilib.conf): sections
 * [runtime] and [devel], each with `white` and `black` lists of package names, one or more a line
 * (continuation lines indented). In order, a package is
 *   - out if [devel] black names it, in if [devel] white does;
 *   - in by the runtime rules: unless [runtime] black names it, in if [runtime] white does, if it
 *     is a 64-bit build of gdb, strace & co. or of a kernel, or if it ships a shared library in a
 *     library folder (`/lib*`, `/usr/lib*`: `*.so.*`, nss and db modules, PAM modules, ld.so.conf.d
 *     snippets, and the plugin folders of gtk2, gstreamer, qt, kde, xine, sane, wine, oprofile …);
 *   - out if it is a `ghc-` package; for a `kernel*` package, its first provide ending in
 *     `-devel` or `-static` decides (out if it is `kernel-devel` itself);
 *   - in if its name ends in `-devel` or `-static`.
 * The lists hold whole package names. (python-multilib tests `name in <the option's text>`, a
 * substring test, so a list naming `libfoo-devel` also catches `libfoo` or `foo`; koji-ts
 * matches whole names, as the config's comments describe.)
 */
import { existsSync, readFileSync } from 'node:fs';
import { parseIni, IniError } from '../../config/ini.ts';
import { GenericError } from '../../protocol/faults.ts';
import { dependencies, fileNames, getString, type RpmPackage } from '../../rpm/index.ts';
import { fnmatch } from '../../util/fnmatch.ts';

/** What the rules read of a package (hawkey's po.name, po.arch, po.provides, po.files). */
export interface MultilibCandidate {
  name: string;
  arch: string;
  /** provide names, in header order */
  provides: string[];
  /** full paths, folders included */
  files: string[];
}

export interface MultilibConf {
  runtimeWhite: ReadonlySet<string>;
  runtimeBlack: ReadonlySet<string>;
  develWhite: ReadonlySet<string>;
  develBlack: ReadonlySet<string>;
}

export function candidateOf(pkg: RpmPackage): MultilibCandidate {
  const h = pkg.header;
  return {
    name: getString(h, 'NAME') ?? '',
    arch: getString(h, 'ARCH') ?? '',
    provides: dependencies(h, 'provides').map((d) => d.name),
    files: fileNames(h),
  };
}

/** The config's lists; a missing file, section or option is a fault naming it (configparser's errors, in words). */
export function parseMultilibConf(text: string, source: string): MultilibConf {
  let ini;
  try {
    ini = parseIni(text, source);
  } catch (e) {
    if (e instanceof IniError) throw new GenericError(`Bad multilib config: ${e.message}`);
    throw e;
  }
  const list = (section: string, option: string): Set<string> => {
    const s = ini.get(section);
    const v = s?.values.get(option);
    if (v === undefined) {
      const what = s ? `option "${option}" in section [${section}]` : `section [${section}]`;
      throw new GenericError(`Bad multilib config ${source}: no ${what} (the devel method reads white and black of [runtime] and [devel])`);
    }
    return new Set(v.split(/\s+/).filter(Boolean));
  };
  return { runtimeWhite: list('runtime', 'white'), runtimeBlack: list('runtime', 'black'), develWhite: list('devel', 'white'), develBlack: list('devel', 'black') };
}

export function readMultilibConf(path: string): MultilibConf {
  if (!existsSync(path)) throw new GenericError(`Multilib config not found: ${path} (the CLI uploads it into the work folder)`);
  return parseMultilibConf(readFileSync(path, 'utf8'), path);
}

const PREFER_64 = new Set(['gdb', 'frysk', 'systemtap', 'systemtap-runtime', 'ltrace', 'strace']);
const ROOT_LIBDIRS = ['/lib', '/lib64'];
const USR_LIBDIRS = ['/usr/lib', '/usr/lib64'];
const LIBDIRS = new Set([...ROOT_LIBDIRS, ...USR_LIBDIRS]);
const PLUGIN_DIRS = new Set([
  ...USR_LIBDIRS.flatMap((d) => ['alsa-lib', 'dri', 'gtk-2.0/modules', 'gtk-2.0/immodules', 'krb5/plugins', 'sasl2', 'vdpau'].map((p) => `${d}/${p}`)),
  ...ROOT_LIBDIRS.map((d) => `${d}/security`),
  '/etc/lsb-release.d',
]);
const GTK2_DIRS = ['engines', 'modules', 'immodules', 'loaders', 'printbackends', 'filesystems'].map((p) => `/usr/lib*/gtk-2.0/*/${p}`);
const USR_PLUGIN_PATTERNS = ['/usr/lib*/qt*/plugins/*', '/usr/lib*/kde*/plugins/*', '/usr/lib*/qt5/qml/*', '/usr/lib*/gdk-pixbuf-2.0/*/loaders', '/usr/lib*/xine/plugins/*'];

/** The base method: 64-bit builds of the tools and kernels that want their 32-bit build too. */
function baseSelect(po: MultilibCandidate): boolean {
  if (!po.arch.includes('64')) return false;
  if (PREFER_64.has(po.name)) return true;
  return po.name.startsWith('kernel') && po.provides.some((p) => p === 'kernel' || p === 'kernel-devel');
}

/** Whether one file makes a package a runtime multilib package. */
function runtimeFile(path: string): boolean {
  const cut = path.lastIndexOf('/');
  if (cut < 0) return false;
  const [dirname, filename] = [path.slice(0, cut), path.slice(cut + 1)];
  if (LIBDIRS.has(dirname) && fnmatch(filename, '*.so.*')) return true;
  if (PLUGIN_DIRS.has(dirname)) return true;
  if (dirname === '/etc/ld.so.conf.d' && filename.endsWith('.conf')) return true;
  if (ROOT_LIBDIRS.includes(dirname) && (filename.startsWith('libnss_') || filename.startsWith('libdb-'))) return true;
  if (!USR_LIBDIRS.some((d) => dirname.startsWith(d))) return false;
  if (dirname.startsWith('/usr/lib/gtk-2.0') || dirname.startsWith('/usr/lib64/gtk-2.0')) return GTK2_DIRS.some((p) => fnmatch(dirname, p));
  if (dirname.startsWith('/usr/lib/gstreamer-') || dirname.startsWith('/usr/lib64/gstreamer-')) return true;
  if (USR_PLUGIN_PATTERNS.some((p) => fnmatch(dirname, p))) return true;
  const usrLibSub = (sub: string) => USR_LIBDIRS.some((d) => dirname === `${d}/${sub}`);
  if (usrLibSub('oprofile') && fnmatch(filename, '*.so.*')) return true;
  if (usrLibSub('wine') && filename.endsWith('.so')) return true;
  return usrLibSub('sane') && filename.startsWith('libsane-');
}

/** python-multilib's RuntimeMultilibMethod.select */
export function runtimeSelect(conf: MultilibConf, po: MultilibCandidate): boolean {
  if (conf.runtimeBlack.has(po.name)) return false;
  if (conf.runtimeWhite.has(po.name)) return true;
  if (baseSelect(po)) return true;
  if (po.name.startsWith('kernel') && po.provides.includes('kernel')) return false;
  return po.files.some(runtimeFile);
}

/** python-multilib's DevelMultilibMethod.select: whether the package's 32-bit build goes into the repo too. */
export function develSelect(conf: MultilibConf, po: MultilibCandidate): boolean {
  if (conf.develBlack.has(po.name)) return false;
  if (conf.develWhite.has(po.name)) return true;
  if (runtimeSelect(conf, po)) return true;
  if (po.name.startsWith('ghc-')) return false;
  if (po.name.startsWith('kernel')) {
    for (const p of po.provides) {
      if (p === 'kernel-devel') return false;
      if (p.endsWith('-devel') || p.endsWith('-static')) return true;
    }
  }
  return po.name.endsWith('-devel') || po.name.endsWith('-static');
}
