/**
 * The host's dnf installing into a root from one repo only (buildroots.md): no system repos,
 * no weak deps, metadata always re-read (a repo id names one revision, but file:// repos are
 * cheap to check), and its cache, logs and state in folders the builder owns (dnf otherwise
 * writes hawkey.log and solv files to host paths). Debian's rpm keeps its database in
 * ~/.rpmdb: dnf runs with a HOME whose .rpmmacros puts it in the root's /var/lib/rpm, as the
 * root's own rpm expects. Also: the root's installed packages, read with the host's rpm.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { InstalledRpm } from './types.ts';

const run = promisify(execFile);

export const RPM_DBPATH = '/var/lib/rpm';

export interface DnfPlace {
  /** the root to install into */
  root: string;
  repoUrl: string;
  /** dnf's metadata cache (shared by the roots of one repo) */
  cacheDir: string;
  /** folder for dnf's logs and state, and the HOME it runs with (one per root) */
  stateDir: string;
}

/**
 * dnf's command line for `args` (e.g. ['install', '@build']) into the root. Without root, dnf
 * runs as root of a user namespace of its own (`unshare --map-root-user`): the base repo's
 * files all belong to root, which maps to the builder's uid.
 */
export function dnfArgv(p: DnfPlace, args: string[], uid = process.getuid?.() ?? 0): string[] {
  return [
    ...(uid === 0 ? [] : ['unshare', '--map-root-user']),
    'dnf', '-y', `--installroot=${p.root}`, '--releasever=1', '--setopt=reposdir=/dev/null', `--repofrompath=koji,${p.repoUrl}`, '--repo=koji', '--nogpgcheck',
    '--setopt=install_weak_deps=False', '--setopt=metadata_expire=0', '--setopt=keepcache=False',
    `--setopt=cachedir=${p.cacheDir}`, `--setopt=logdir=${join(p.stateDir, 'log')}`, `--setopt=persistdir=${join(p.stateDir, 'persist')}`,
    ...args,
  ];
}

/** The environment dnf runs with (its HOME holds the .rpmmacros that sets the database path). */
export function dnfEnv(p: DnfPlace): Record<string, string> {
  const home = join(p.stateDir, 'home');
  for (const d of [home, join(p.stateDir, 'log'), join(p.stateDir, 'persist'), p.cacheDir]) mkdirSync(d, { recursive: true });
  writeFileSync(join(home, '.rpmmacros'), `%_dbpath ${RPM_DBPATH}\n`);
  return { HOME: home, PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', LC_ALL: 'C.UTF-8' };
}

/** The requirements dnf names as unsatisfiable in its output. */
export function missingFromOutput(text: string): string[] {
  const out = new Set<string>();
  for (const m of text.matchAll(/^No match for argument: (.+)$/gm)) out.add(m[1].trim());
  for (const m of text.matchAll(/nothing provides (.+?) needed by /g)) out.add(m[1].trim());
  for (const m of text.matchAll(/^No match for group package "(.+)"$/gm)) out.add(m[1].trim());
  return [...out];
}

/** Requirements of an SRPM (its BuildRequires), rpmlib() ones left out. */
export async function srpmBuildRequires(srpm: string): Promise<string[]> {
  const { stdout } = await run('rpm', ['-qp', '--nosignature', '--requires', srpm], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C' } });
  return [...new Set(stdout.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('rpmlib(')))];
}

/** What the root's rpm database lists (gpg-pubkey entries left out). */
export async function installedRpms(root: string): Promise<InstalledRpm[]> {
  const qf = '%{NAME}\\t%{VERSION}\\t%{RELEASE}\\t%{EPOCH}\\t%{ARCH}\\t%{SIGMD5}\\t%{SIZE}\\t%{BUILDTIME}\\n';
  const { stdout } = await run('rpm', ['--root', root, '--dbpath', RPM_DBPATH, '-qa', '--nosignature', '--qf', qf], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C' }, maxBuffer: 16 << 20 });
  const out: InstalledRpm[] = [];
  for (const line of stdout.split('\n')) {
    const [name, version, release, epoch, arch, sigmd5, size, buildtime] = line.split('\t');
    if (!name || name === 'gpg-pubkey' || arch === undefined) continue;
    out.push({
      name, version, release, arch,
      epoch: epoch === '(none)' ? null : Number(epoch),
      payloadhash: sigmd5 === '(none)' ? undefined : sigmd5,
      size: Number(size),
      buildtime: Number(buildtime),
    });
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
