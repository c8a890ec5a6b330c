/**
 * Test helper: builds the RPM fixtures of test/fixtures/rpm/specs with the real rpmbuild (cached
 * in os.tmpdir() by a hash of the spec, the build options and rpmbuild's version, so each spec is
 * built once per machine), queries packages with `rpm -qp`, and signs copies with a throwaway
 * GnuPG key through rpmsign.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { accessSync, constants, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';

export const SPEC_DIR = resolve(import.meta.dirname, '../fixtures/rpm/specs');

/** The --define options the fixtures are built with (besides _topdir and _tmppath). */
export const RPMBUILD_DEFINES = [
  // no /usr/lib/.build-id links (they need a build id, and Debian's rpm has no debugedit set-up)
  '_build_id_links none',
  // no debuginfo subpackages for the arch-specific fixture (nothing to strip)
  'debug_package %{nil}',
];

/** The environment rpm runs in: C locale and UTC, so translated and dated output is stable. */
export const RPM_ENV = { ...process.env, LC_ALL: 'C', LANG: 'C', TZ: 'UTC' };

export function which(cmd: string): string | null {
  for (const dir of (process.env.PATH ?? '/usr/bin:/bin').split(delimiter)) {
    const p = join(dir, cmd);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // not here
    }
  }
  return null;
}

const haveRpmbuild = () => which('rpmbuild') !== null && which('rpm') !== null;

/**
 * Whether the tests that need rpmbuild skip: only when it is missing outside CI. Under CI=true
 * they run and fail (buildFixture names what is missing), so a CI machine without rpm cannot
 * pass them unnoticed.
 */
export function skipWithoutRpmbuild(env: Record<string, string | undefined> = process.env, have = haveRpmbuild()): boolean {
  return !have && env.CI !== 'true';
}

export const SKIP_RPMBUILD_TESTS = skipWithoutRpmbuild();

export interface BuiltFixture {
  spec: string;
  /** Directory holding the built packages. */
  dir: string;
  /** Binary packages. */
  rpms: string[];
  /** The source package. */
  srpm: string;
}

/** The argument list given to rpmbuild for a spec file, building into `topdir` (for `target`, e.g. 'x86_64,i686', when given). */
export function rpmbuildArgs(specPath: string, topdir: string, target?: string): string[] {
  const args = ['-ba', '--quiet', '--nodeps', ...(target ? ['--target', target] : []), '--define', `_topdir ${topdir}`, '--define', `_tmppath ${join(topdir, 'tmp')}`];
  for (const d of RPMBUILD_DEFINES) args.push('--define', d);
  return [...args, specPath];
}

function listRpms(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.rpm'))
    .map((f) => join(dir, f))
    .sort();
}

function fixtureOf(spec: string, dir: string): BuiltFixture {
  const all = listRpms(dir);
  const srpm = all.find((f) => f.endsWith('.src.rpm'));
  if (!srpm) throw new Error(`no source package built from ${spec} in ${dir}`);
  return { spec, dir, rpms: all.filter((f) => f !== srpm), srpm };
}

/**
 * Build (or take from the cache) the packages of test/fixtures/rpm/specs/<name>.spec, for
 * rpmbuild's `--target` list when given (e.g. 'x86_64,i686': one source package, binary
 * packages for each arch). Parallel test workers may race: each builds in its own staging
 * directory and the first rename into the cache wins.
 */
export function buildFixture(name: string, target?: string): BuiltFixture {
  if (!haveRpmbuild()) throw new Error(`building ${name}.spec needs rpmbuild and rpm on PATH (scripts/setup-debian.sh installs them)`);
  const specPath = join(SPEC_DIR, `${name}.spec`);
  const spec = readFileSync(specPath);
  const version = execFileSync('rpmbuild', ['--version'], { env: RPM_ENV, encoding: 'utf8' });
  const key = createHash('sha256').update(spec).update('\0').update(RPMBUILD_DEFINES.join('\0')).update('\0').update(version).update(target ? `\0${target}` : '').digest('hex').slice(0, 24);
  const cacheRoot = join(tmpdir(), 'koji-ts-rpm-fixtures');
  const dir = join(cacheRoot, `${name}-${key}`);
  if (existsSync(dir)) return fixtureOf(name, dir);

  mkdirSync(cacheRoot, { recursive: true });
  const staging = mkdtempSync(join(cacheRoot, `.build-${name}-`));
  try {
    const topdir = join(staging, 'top');
    const r = spawnSync('rpmbuild', rpmbuildArgs(specPath, topdir, target), { env: RPM_ENV, encoding: 'utf8', timeout: 120_000 });
    if (r.status !== 0) throw new Error(`rpmbuild of ${name}.spec failed (${r.status ?? r.signal}):\n${r.stdout}\n${r.stderr}`);
    const out = join(staging, 'out');
    mkdirSync(out);
    for (const f of listRpms(join(topdir, 'RPMS')).concat(listRpms(join(topdir, 'SRPMS')))) {
      copyFileSync(f, join(out, f.slice(f.lastIndexOf('/') + 1)));
    }
    try {
      renameSync(out, dir);
    } catch (e) {
      if (!existsSync(dir)) throw e; // else another worker finished first
    }
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return fixtureOf(name, dir);
}

/** `rpm -qp <args> <file>` in the C locale and UTC; stdout. */
export function rpmQuery(file: string, ...args: string[]): string {
  return execFileSync('rpm', ['-qp', ...args, file], { env: RPM_ENV, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

export interface SigningKey {
  /** GnuPG home holding the key (remove with removeSigningKey). */
  home: string;
  uid: string;
  /** 16 hex digits, upper-case, as gpg --with-colons prints it. */
  keyId: string;
  fingerprint: string;
}

export type Outcome<T> = { ok: true; value: T } | { ok: false; reason: string };

/** Create a throwaway key ('rsa2048', 'dsa2048', 'ed25519' …) in a fresh GNUPGHOME. */
export function createSigningKey(algo: string): Outcome<SigningKey> {
  const gpg = which('gpg');
  if (!gpg) return { ok: false, reason: 'gpg is not installed' };
  // a short path: gpg-agent's socket path must stay under ~100 characters
  const home = mkdtempSync(join(tmpdir(), 'kts-gpg-'));
  const uid = `Koji-TS Test ${algo} <${algo}@koji-ts.invalid>`;
  const env = { ...RPM_ENV, GNUPGHOME: home };
  const gen = spawnSync(gpg, ['--batch', '--passphrase', '', '--quick-gen-key', uid, algo, 'sign', 'never'], { env, encoding: 'utf8', timeout: 60_000 });
  if (gen.status !== 0) {
    removeSigningKey(home);
    return { ok: false, reason: `gpg --quick-gen-key ${algo} failed: ${gen.stderr.trim()}` };
  }
  const colons = execFileSync(gpg, ['--batch', '--list-keys', '--with-colons'], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).split('\n');
  const pub = colons.find((l) => l.startsWith('pub:'));
  const fpr = colons.find((l) => l.startsWith('fpr:'));
  if (!pub || !fpr) {
    removeSigningKey(home);
    return { ok: false, reason: `gpg --list-keys shows no key:\n${colons.join('\n')}` };
  }
  return { ok: true, value: { home, uid, keyId: pub.split(':')[4], fingerprint: fpr.split(':')[9] } };
}

/** Stop the key's gpg-agent (started for that home only) and delete the home. */
export function removeSigningKey(home: string): void {
  const gpgconf = which('gpgconf');
  if (gpgconf) spawnSync(gpgconf, ['--kill', 'gpg-agent'], { env: { ...RPM_ENV, GNUPGHOME: home }, timeout: 10_000 });
  rmSync(home, { recursive: true, force: true });
}

/**
 * Sign a copy of `src` at `dest` with rpmsign (header signature; with v3 also the old
 * header+payload PGP/GPG signature).
 */
export function signCopy(src: string, dest: string, key: SigningKey, v3 = false): Outcome<string> {
  const rpmsign = which('rpmsign');
  const gpg = which('gpg');
  if (!rpmsign) return { ok: false, reason: 'rpmsign is not installed' };
  if (!gpg) return { ok: false, reason: 'gpg is not installed' };
  copyFileSync(src, dest);
  const args = ['--addsign', ...(v3 ? ['--rpmv3'] : []), '--define', `_gpg_name ${key.uid}`, '--define', `_gpg_path ${key.home}`,
    // Debian's rpm expects /usr/bin/gpg2, which the gnupg package no longer ships
    '--define', `__gpg ${gpg}`, dest];
  const r = spawnSync(rpmsign, args, { env: { ...RPM_ENV, GNUPGHOME: key.home }, encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) return { ok: false, reason: `rpmsign ${args.join(' ')} failed (${r.status ?? r.signal}): ${r.stderr.trim()}` };
  return { ok: true, value: dest };
}

/** Write `bytes` to a fresh file under a per-test-file scratch directory; returns its path. */
export function scratchFile(dir: string, name: string, bytes: Buffer | string): string {
  mkdirSync(dir, { recursive: true });
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
}
