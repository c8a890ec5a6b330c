/**
 * One .deb as a real RPM: `alien --to-rpm --generate` unpacks it and writes a spec; the spec is
 * fixed for dnf (buildroots.md) — `AutoReq: no`, the Debian relations as Requires/Provides
 * (control.ts), the merged-/usr twins of programs as file provides, root ownership — and built
 * with the host's rpmbuild. Results are cached by the .deb's sha256 (and CONVERSION, bumped when
 * the conversion changes), so a re-run converts nothing.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { extraProvides, fileProvides, parseControl, rpmArch, rpmDeps } from './control.ts';

const run = promisify(execFile);

/** Bump when the spec fixes change: cached RPMs of older conversions are not reused. */
export const CONVERSION = 'c2';

/** rpmbuild defines shared by the conversions and the glue package. */
export const RPMBUILD_DEFINES = [
  '__os_install_post %{nil}',
  '_build_id_links none',
  '_rpmfilename %{NAME}-%{VERSION}-%{RELEASE}.%{ARCH}.rpm',
  // zstd: packing gcc's 100 MB is several times faster than with rpm's default gzip -9
  '_binary_payload w3.zstdio',
];

export async function tool(cmd: string, args: string[], cwd?: string): Promise<string> {
  try {
    return (await run(cmd, args, { cwd, env: { ...process.env, LC_ALL: 'C' }, maxBuffer: 256 << 20 })).stdout;
  } catch (e) {
    const err = e as Error & { stderr?: string; stdout?: string };
    const out = `${err.stdout ?? ''}${err.stderr ?? ''}`.trim().split('\n').slice(-15).join('\n');
    throw new Error(`${cmd} ${args.join(' ')} failed:\n${out || err.message}`, { cause: e });
  }
}

/** The cache key of a .deb's conversion. */
export const debKey = (sha256: string) => `${sha256}-${CONVERSION}`;

/** The cached RPM under `key`, or null. */
export function cachedRpm(cacheDir: string, key: string): string | null {
  const dir = join(cacheDir, key);
  if (!existsSync(dir)) return null;
  const rpm = readdirSync(dir).find((f) => f.endsWith('.rpm'));
  return rpm ? join(dir, rpm) : null;
}

/** Move a built RPM into the cache under `key` (atomically: a rename of its folder). */
export function storeRpm(cacheDir: string, key: string, rpm: string, work: string): string {
  const staged = join(work, 'cache-entry');
  mkdirSync(staged);
  const name = rpm.split('/').pop() as string;
  renameSync(rpm, join(staged, name));
  const dest = join(cacheDir, key);
  rmSync(dest, { recursive: true, force: true });
  renameSync(staged, dest);
  return join(dest, name);
}

/** The alien spec with the fixes; `files` are the paths of its %files section. */
export function fixSpec(spec: string, deps: { requires: string[]; provides: string[] }): string {
  const out: string[] = [];
  let inFiles = false;
  for (const line of spec.split('\n')) {
    if (/^%define _(rpmdir|rpmfilename) /.test(line) || /^Buildroot:/i.test(line)) continue;
    out.push(line);
    if (/^Group:/.test(line)) {
      out.push('AutoReq: no');
      for (const r of deps.requires) out.push(`Requires: ${r}`);
      for (const p of deps.provides) out.push(`Provides: ${p}`);
    }
    if (line === '%files' && !inFiles) {
      inFiles = true;
      out.push('%defattr(-,root,root,-)');
    }
  }
  return out.join('\n');
}

/** Paths a spec's %files section lists (not directories). */
export function specFiles(spec: string): string[] {
  const at = spec.indexOf('\n%files\n');
  if (at < 0) return [];
  return [...spec.slice(at).matchAll(/^(?:%config )?"([^"]+)"$/gm)].map((m) => m[1]);
}

/** Convert `deb` (checksum `sha256`) into an RPM in the cache; returns its path. `work` is a scratch folder. */
export async function convertDeb(deb: string, sha256: string, cacheDir: string, work: string): Promise<string> {
  const tmp = mkdtempSync(join(work, 'conv-'));
  try {
    const control = parseControl(await tool('dpkg-deb', ['-f', deb, 'Package', 'Version', 'Architecture', 'Depends', 'Pre-Depends', 'Provides']));
    await tool('alien', ['--to-rpm', '--generate', '--keep-version', deb], tmp);
    const tree = readdirSync(tmp, { withFileTypes: true }).find((e) => e.isDirectory());
    if (!tree) throw new Error(`alien left no package tree for ${deb}`);
    const root = join(tmp, tree.name);
    const specName = readdirSync(root).find((f) => f.endsWith('.spec'));
    if (!specName) throw new Error(`alien wrote no spec for ${deb}`);
    const spec = readFileSync(join(root, specName), 'utf8');
    const requires = [...new Set([...rpmDeps(control.preDepends, control.package), ...rpmDeps(control.depends, control.package)])];
    const provides = [...rpmDeps(control.provides, control.package), ...fileProvides(specFiles(spec)), ...extraProvides(control.package)];
    // the spec moves out of the tree: rpmbuild packs the whole buildroot
    const fixed = join(tmp, specName);
    writeFileSync(fixed, fixSpec(spec, { requires, provides }));
    rmSync(join(root, specName));
    const out = join(tmp, 'out');
    const defines = [...RPMBUILD_DEFINES, `_rpmdir ${out}`, `_topdir ${join(tmp, 'top')}`];
    await tool('rpmbuild', ['-bb', '--quiet', '--buildroot', root, '--target', rpmArch(control.architecture), ...defines.flatMap((d) => ['--define', d]), fixed], tmp);
    const rpm = readdirSync(out).find((f) => f.endsWith('.rpm'));
    if (!rpm) throw new Error(`rpmbuild made no RPM of ${deb}`);
    return storeRpm(cacheDir, debKey(sha256), join(out, rpm), tmp);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
