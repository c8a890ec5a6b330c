/**
 * Debian package relations as RPM dependencies, for the base repo (see
 * /work/shared/docs/buildroots.md): the repo is closed, one version per name, so versions are
 * dropped; arch qualifiers (`:any`, `:amd64`) are dropped; `a | b` becomes the rich dependency
 * `(a or b)`. RPM's own automatic requires cannot be resolved from Debian files, so the
 * converted specs say `AutoReq: no` and carry these instead.
 */

/** The control fields the conversion reads (dpkg-deb -f). */
export interface DebControl {
  package: string;
  version: string;
  architecture: string;
  depends: string;
  preDepends: string;
  provides: string;
}

/** `dpkg-deb -f` output ("Field: value" lines, continuation lines indented) as a field map (lower-case names). */
export function parseControl(text: string): DebControl {
  const fields = new Map<string, string>();
  let last = '';
  for (const line of text.split('\n')) {
    if (/^\s/.test(line) && last) fields.set(last, `${fields.get(last)} ${line.trim()}`);
    else {
      const m = /^([\w-]+):\s*(.*)$/.exec(line);
      if (m) fields.set((last = m[1].toLowerCase()), m[2]);
    }
  }
  const f = (k: string) => fields.get(k) ?? '';
  if (!f('package')) throw new Error(`no Package field in the control data:\n${text}`);
  return { package: f('package'), version: f('version'), architecture: f('architecture'), depends: f('depends'), preDepends: f('pre-depends'), provides: f('provides') };
}

/** One relation's name without version or arch qualifier: "libc6:any (>= 2.34)" → "libc6". */
function relationName(rel: string): string {
  return rel.trim().replace(/\(.*\)/, '').replace(/\[.*\]/, '').trim().replace(/:\w+$/, '');
}

/** A Debian relation field as RPM dependencies, one per comma-separated entry, without duplicates. */
export function rpmDeps(field: string, self?: string): string[] {
  const out = new Set<string>();
  for (const entry of field.split(',')) {
    const alts = [...new Set(entry.split('|').map(relationName).filter(Boolean))];
    if (!alts.length || (alts.length === 1 && alts[0] === self)) continue;
    out.add(alts.length === 1 ? alts[0] : `(${alts.join(' or ')})`);
  }
  return [...out];
}

/** RPM arch of a Debian architecture. */
export function rpmArch(debArch: string): string {
  const map: Record<string, string> = { all: 'noarch', amd64: 'x86_64', i386: 'i686', arm64: 'aarch64', ppc64el: 'ppc64le', s390x: 's390x', armhf: 'armv7hl' };
  const a = map[debArch];
  if (!a) throw new Error(`Debian architecture ${debArch} has no RPM counterpart here`);
  return a;
}

const BIN_DIRS = ['/bin/', '/sbin/', '/usr/bin/', '/usr/sbin/'];

/**
 * File provides for the merged-/usr twin of every program: a deb ships `/bin/sh` while specs
 * ask for `/usr/bin/sh` (and the other way round); in the root both paths are the same file.
 */
export function fileProvides(files: string[]): string[] {
  const out = new Set<string>();
  for (const f of files) {
    if (!BIN_DIRS.some((d) => f.startsWith(d)) || f.endsWith('/')) continue;
    const twin = f.startsWith('/usr/') ? f.slice(4) : `/usr${f}`;
    out.add(f);
    out.add(twin);
  }
  return [...out].sort();
}

/** Extra provides of particular packages: what the RPM dependency generators of the root's rpmbuild ask for. */
export function extraProvides(pkg: string): string[] {
  return pkg === 'libc6' ? ['rtld(GNU_HASH)'] : [];
}
