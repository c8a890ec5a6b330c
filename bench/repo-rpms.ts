/**
 * Synthetic RPMs for the repo benchmark (bench/repos.ts): `count` small noarch binary packages
 * from builds of 100 subpackages each (rpmbuild's time grows with the square of the subpackages
 * of one spec: 100 per spec keeps 10,000 packages near a minute), each subpackage holding one
 * small file and no dependencies, plus a build with one package for the one-package change.
 * Built with the real rpmbuild, two at a time, and cached in os.tmpdir() by a hash of the
 * generated specs and rpmbuild's version, so later runs reuse them.
 */
import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const PER_BUILD = 100;
const RPM_ENV = { ...process.env, LC_ALL: 'C', LANG: 'C', TZ: 'UTC' };
/** no build-id links, no brp scripts, fast payload compression: small packages made quickly */
const DEFINES = ['_build_id_links none', '__os_install_post %{nil}', '_binary_payloadio w1.gzdio', 'debug_package %{nil}'];

export interface BenchBuild {
  /** package (source) name */
  name: string;
  nvr: string;
  srpm: string;
  rpms: string[];
}

function spec(name: string, subpackages: string[]): string {
  const out = [`Name: ${name}\nVersion: 1\nRelease: 1\nSummary: repo benchmark build\nLicense: MIT\nBuildArch: noarch\nAutoReqProv: no\n%description\nSynthetic packages for the repo benchmark.\n`];
  out.push('%install\n', 'mkdir -p %{buildroot}/usr/share/repobench\n');
  for (const p of subpackages) out.push(`echo ${p} > %{buildroot}/usr/share/repobench/${p}\n`);
  for (const p of subpackages) out.push(`%package -n ${p}\nSummary: ${p}\n%description -n ${p}\n${p}\n%files -n ${p}\n/usr/share/repobench/${p}\n`);
  return out.join('');
}

/** The specs: builds rb-NNN with subpackages rb-NNN-MMM, and rb-extra with one package. */
function specs(count: number): Map<string, string> {
  const out = new Map<string, string>();
  for (let b = 0; b * PER_BUILD < count; b++) {
    const name = `rb-${String(b).padStart(3, '0')}`;
    const n = Math.min(PER_BUILD, count - b * PER_BUILD);
    out.set(name, spec(name, Array.from({ length: n }, (_, i) => `${name}-${String(i).padStart(3, '0')}`)));
  }
  out.set('rb-extra', spec('rb-extra', ['rb-extra-one']));
  return out;
}

/** The build a package file belongs to (rb-012-034-1-1.noarch.rpm and rb-012-1-1.src.rpm → rb-012). */
function owner(file: string): string {
  return file.startsWith('rb-extra') ? 'rb-extra' : file.slice(0, 6);
}

function collect(dir: string, names: string[]): BenchBuild[] {
  const byBuild = new Map(names.map((n) => [n, { name: n, nvr: `${n}-1-1`, srpm: '', rpms: [] as string[] }]));
  for (const f of readdirSync(dir).sort()) {
    const b = byBuild.get(owner(f));
    if (!b) continue;
    if (f.endsWith('.src.rpm')) b.srpm = join(dir, f);
    else b.rpms.push(join(dir, f));
  }
  for (const b of byBuild.values()) if (!b.srpm || !b.rpms.length) throw new Error(`packages of ${b.name} missing in ${dir}: remove the folder to build them again`);
  return [...byBuild.values()];
}

/**
 * The benchmark's builds (built once per machine and count; `log` reports progress). The last
 * one is rb-extra.
 */
export async function benchRpms(count: number, log: (s: string) => void): Promise<BenchBuild[]> {
  const all = specs(count);
  const version = execFileSync('rpmbuild', ['--version'], { env: RPM_ENV, encoding: 'utf8' });
  const hash = createHash('sha256');
  for (const [n, s] of all) hash.update(n).update('\0').update(s).update('\0');
  const key = hash.update(DEFINES.join('\0')).update(version).digest('hex').slice(0, 16);
  const root = join(tmpdir(), 'koji-ts-bench-rpms');
  const dir = join(root, `${count}-${key}`);
  if (!existsSync(dir)) {
    mkdirSync(root, { recursive: true });
    const staging = mkdtempSync(join(root, '.build-'));
    const t0 = Date.now();
    try {
      const out = join(staging, 'out');
      mkdirSync(out);
      const names = [...all.keys()];
      let next = 0;
      const worker = async () => {
        while (next < names.length) {
          const name = names[next++];
          const top = join(staging, name);
          mkdirSync(top);
          writeFileSync(join(top, `${name}.spec`), all.get(name) as string);
          const args = ['-ba', '--quiet', '--nodeps', '--define', `_topdir ${top}`, '--define', `_tmppath ${join(top, 'tmp')}`];
          for (const d of DEFINES) args.push('--define', d);
          await promisify(execFile)('rpmbuild', [...args, join(top, `${name}.spec`)], { env: RPM_ENV, maxBuffer: 64 << 20 });
          for (const sub of ['RPMS/noarch', 'SRPMS']) for (const f of readdirSync(join(top, sub))) renameSync(join(top, sub, f), join(out, f));
          rmSync(top, { recursive: true, force: true });
          if (next % 10 === 0) log(`  rpmbuild: ${next} of ${names.length} specs (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
        }
      };
      await Promise.all([worker(), worker()]);
      renameSync(out, dir);
      log(`  built ${count.toLocaleString('en')} packages in ${((Date.now() - t0) / 1000).toFixed(0)} s, cached in ${dir}`);
    } finally {
      rmSync(staging, { recursive: true, force: true });
    }
  }
  return collect(dir, [...all.keys()]);
}
