/**
 * `kojits base-repo`: the Debian relation translation (pure), then the real repo made from this
 * machine's Debian packages (test/helpers/base-repo.ts: once per machine, a few minutes cold):
 * its groups, the spec fixes visible in the RPMs, and a warm re-run through the CLI that
 * converts nothing and takes seconds.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { fileProvides, parseControl, rpmArch, rpmDeps } from '../../src/setup/base-repo/control.ts';
import { fixSpec, specFiles } from '../../src/setup/base-repo/convert.ts';
import { defaultCacheDir } from '../../src/setup/base-repo/index.ts';
import { BASE_REPO_CACHE, missingForBuildroots, SKIP_BUILDROOT_TESTS, testBaseRepo } from '../helpers/base-repo.ts';

const run = promisify(execFile);
const KOJITS = resolve(import.meta.dirname, '../../bin/kojits');

describe('Debian relations as RPM dependencies', () => {
  it('drops versions and arch qualifiers, writes alternatives as rich dependencies, skips the package itself', () => {
    expect(rpmDeps('libc6 (>= 2.34), libgmp10:any (>= 2:6.2.1+dfsg1), debconf (>= 0.5) | debconf-2.0, libc6')).toEqual(['libc6', 'libgmp10', '(debconf or debconf-2.0)']);
    expect(rpmDeps('libc6 (>= 2.34), awk', 'libc6')).toEqual(['awk']);
    expect(rpmDeps('')).toEqual([]);
  });

  it('reads dpkg-deb -f output with continuation lines', () => {
    const c = parseControl('Package: gawk\nVersion: 1:5.2.1-2\nArchitecture: amd64\nPre-Depends: libc6 (>= 2.34),\n libgmp10\nProvides: awk\n');
    expect(c).toMatchObject({ package: 'gawk', version: '1:5.2.1-2', architecture: 'amd64', preDepends: 'libc6 (>= 2.34), libgmp10', depends: '', provides: 'awk' });
    expect(rpmDeps(c.preDepends)).toEqual(['libc6', 'libgmp10']);
    expect(() => parseControl('Version: 1\n')).toThrow(/no Package field/);
  });

  it('maps arches and gives programs their merged-/usr twin as file provides', () => {
    expect(rpmArch('all')).toBe('noarch');
    expect(rpmArch('amd64')).toBe('x86_64');
    expect(() => rpmArch('mips64el')).toThrow(/mips64el has no RPM counterpart/);
    expect(fileProvides(['/bin/sh', '/usr/bin/gcc', '/usr/share/doc/x', '/usr/bin/'])).toEqual(['/bin/gcc', '/bin/sh', '/usr/bin/gcc', '/usr/bin/sh']);
  });

  it("fixes alien's spec: no automatic requires, the translated relations, root ownership, no rpmdir of its own", () => {
    const alien = 'Buildroot: /x\nName: sed\nGroup: Converted/utils\n\n%define _rpmdir ../\n%define _rpmfilename %%{NAME}.rpm\n\n%files\n"/bin/sed"\n%dir "/usr/share/doc/sed/"\n%config "/etc/x"\n';
    const fixed = fixSpec(alien, { requires: ['libc6', '(a or b)'], provides: ['/usr/bin/sed'] });
    expect(fixed).toBe('Name: sed\nGroup: Converted/utils\nAutoReq: no\nRequires: libc6\nRequires: (a or b)\nProvides: /usr/bin/sed\n\n\n%files\n%defattr(-,root,root,-)\n"/bin/sed"\n%dir "/usr/share/doc/sed/"\n%config "/etc/x"\n');
    expect(specFiles(alien)).toEqual(['/bin/sed', '/etc/x']);
  });

  it('keeps its cache under XDG_CACHE_HOME, else ~/.cache', () => {
    expect(defaultCacheDir({ XDG_CACHE_HOME: '/c' })).toBe('/c/koji-ts/base-repo');
    expect(defaultCacheDir({})).toMatch(/\/\.cache\/koji-ts\/base-repo$/);
  });

  it('names its usage when DIR is missing', async () => {
    const r = await run(KOJITS, ['base-repo']).catch((e: { code: number; stderr: string }) => e);
    expect(r).toMatchObject({ code: 1, stderr: expect.stringMatching(/usage: kojits base-repo DIR/) });
  }, 30_000);
});

describe.skipIf(SKIP_BUILDROOT_TESTS)('the base repo made from this machine', () => {
  let repo: { dir: string; url: string };
  const names = new Map<string, string>();
  const q = async (file: string, ...args: string[]) => (await run('rpm', ['-qp', '--nosignature', ...args, join(repo.dir, file)], { env: { ...process.env, LC_ALL: 'C' } })).stdout;

  beforeAll(async () => {
    expect(missingForBuildroots()).toEqual([]);
    repo = await testBaseRepo((l) => console.log(`base-repo: ${l}`));
    const rpms = readdirSync(repo.dir).filter((f) => f.endsWith('.rpm'));
    const { stdout } = await run('rpm', ['-qp', '--nosignature', '--qf', '%{NAME}\n', ...rpms.map((f) => join(repo.dir, f))]);
    stdout.trim().split('\n').forEach((n, i) => names.set(n, rpms[i]));
  }, 900_000);

  it('writes groups.txt with a build group able to compile C and an srpm-build group, every package in the repo', () => {
    const groups = new Map(readFileSync(join(repo.dir, 'groups.txt'), 'utf8').trim().split('\n').map((l) => [l.split(':')[0], l.split(':')[1].trim().split(' ')]));
    expect([...groups.keys()]).toEqual(['build', 'srpm-build']);
    expect(groups.get('build')).toEqual(expect.arrayContaining(['gcc', 'libc6-dev', 'binutils', 'make', 'bash', 'rpm', 'koji-ts-buildroot']));
    expect(groups.get('srpm-build')).toEqual(expect.arrayContaining(['rpm', 'bash', 'koji-ts-buildroot']));
    for (const p of [...groups.values()].flat()) expect(names.has(p), `${p} in the repo`).toBe(true);
    expect(readdirSync(join(repo.dir, 'repodata')).some((f) => f.endsWith('comps.xml'))).toBe(true);
  });

  it('carries the spec fixes: translated requires without rpm auto-requires, rtld(GNU_HASH) from libc6, /usr twins of programs', async () => {
    const gawk = (await q(names.get('gawk') as string, '--requires')).split('\n');
    expect(gawk).toContain('libc6');
    expect(gawk.filter((r) => /^(rtld|lib.*\.so|perl )/.test(r))).toEqual([]);
    expect(await q(names.get('libc6') as string, '--provides')).toMatch(/^rtld\(GNU_HASH\)$/m);
    const dash = await q(names.get('dash') as string, '--provides');
    expect(dash).toMatch(/^\/usr\/bin\/sh$/m);
    expect(await q(names.get('libpam0g') as string, '--requires')).toMatch(/^\(debconf or debconf-2\.0\)$/m);
    expect(await q(names.get('koji-ts-buildroot') as string, '--list')).toMatch(/^\/etc\/passwd$/m);
  });

  it('re-runs from the cache in seconds through the CLI, converting nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kts-base-repo-'));
    try {
      const t0 = Date.now();
      const r = await run(KOJITS, ['base-repo', join(dir, 'repo'), '--cache-dir', BASE_REPO_CACHE], { timeout: 60_000 });
      const seconds = (Date.now() - t0) / 1000;
      expect(r.stdout).toBe(`${join(dir, 'repo')}\n`);
      expect(r.stderr).toMatch(/^base-repo: \d+ packages, (\d+) converted already/m);
      expect(r.stderr).toMatch(/: \d+ RPMs \(0 converted now\)/);
      expect(readdirSync(join(dir, 'repo')).filter((f) => f.endsWith('.rpm')).sort()).toEqual([...names.values()].sort());
      expect(seconds).toBeLessThan(30);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

