/**
 * The bubblewrap + dnf buildroot backend with real parts: roots made by dnf from the base repo
 * of this machine's Debian packages (test/helpers/base-repo.ts; cached roots shared between
 * runs under the same folder), real rpmbuilds inside bubblewrap. Also the fault-injecting
 * backend, the root cache's pruning and the backend selection.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BwrapBackend } from '../../src/builder/buildroot/bwrap.ts';
import { FaultBackend } from '../../src/builder/buildroot/fault.ts';
import { checkFreeSpace, RootCache } from '../../src/builder/buildroot/root-cache.ts';
import { compsGroupPackages, primaryOffers, sameView } from '../../src/builder/buildroot/seed.ts';
import { buildrootBackend, pruneRoots } from '../../src/builder/buildroot/backends.ts';
import { BuildError, BuildrootError, MissingDependencies, type Buildroot, type RootSpec } from '../../src/builder/buildroot/types.ts';
import { BASE_REPO_ROOT, missingForBuildroots, SKIP_BUILDROOT_TESTS, testBaseRepo } from '../helpers/base-repo.ts';
import { buildFixture, RPM_ENV } from '../rpm/build-fixtures.ts';

const run = promisify(execFile);
const scratch = mkdtempSync(join(tmpdir(), 'kts-buildroot-'));
let counter = 0;

afterAll(() => process.env.KTS_KEEP || rmSync(scratch, { recursive: true, force: true }));

/** An SRPM made on the host from spec text (and source files). */
async function srpmOf(name: string, spec: string, sources: Record<string, string> = {}): Promise<string> {
  const top = join(scratch, `top-${name}-${++counter}`);
  mkdirSync(join(top, 'SOURCES'), { recursive: true });
  for (const [f, text] of Object.entries(sources)) writeFileSync(join(top, 'SOURCES', f), text);
  writeFileSync(join(top, `${name}.spec`), spec);
  await run('rpmbuild', ['-bs', '--quiet', '--define', `_topdir ${top}`, join(top, `${name}.spec`)], { env: RPM_ENV });
  const dir = join(top, 'SRPMS');
  return join(dir, readdirSync(dir)[0]);
}

const spec = (name: string, body: string, extra = '') => `Name: ${name}\nVersion: 1\nRelease: 1\nSummary: test\nLicense: MIT\nBuildArch: noarch\n${extra}\n%description\ntest\n\n${body}\n`;

describe('root cache pruning, disk check, backend selection', () => {
  it('prunes roots whose file:// repo is gone and keeps the others', async () => {
    const mockdir = join(scratch, 'mock');
    const dir = join(mockdir, 'koji-ts');
    const live = join(scratch, 'live-repo');
    mkdirSync(join(live, 'repodata'), { recursive: true });
    writeFileSync(join(live, 'repodata', 'repomd.xml'), '<repomd/>');
    for (const [key, url] of [['gone', 'file:///nonexistent/kts-repo'], ['live', `file://${live}`]]) {
      mkdirSync(join(dir, 'roots', key, 'root'), { recursive: true });
      writeFileSync(join(dir, 'roots', key, 'meta.json'), JSON.stringify({ repoUrl: url, repoId: 1, group: 'build', arch: 'x86_64' }));
    }
    const removed = await pruneRoots({ mockdir });
    expect(removed).toEqual([join(dir, 'roots', 'gone')]);
    expect(existsSync(join(dir, 'roots', 'live', 'root'))).toBe(true);
    expect(await new RootCache(dir).prune({ gone: (m) => m.repoId === 1 })).toEqual([join(dir, 'roots', 'live')]);
  });

  it("tells a repo's packages apart from its primary and group data", () => {
    const primary = (rel: string) =>
      `<metadata><package type="rpm">\n <name>gcc</name>\n <arch>x86_64</arch>\n <version epoch="0" ver="12" rel="${rel}"/>\n</package><package type="rpm"><name>other</name><arch>noarch</arch><version epoch="1" ver="2" rel="3"/></package></metadata>`;
    const comps = (extra: string) => `<comps><group><id>srpm-build</id><packagelist><packagereq>bash</packagereq></packagelist></group><group><id>build</id><packagelist><packagereq type="mandatory">gcc</packagereq>${extra}</packagelist></group></comps>`;
    expect(primaryOffers(primary('1'), new Set(['gcc', 'make']))).toEqual({ gcc: ['gcc-0:12-1.x86_64'], make: [] });
    expect(compsGroupPackages(comps('<packagereq>make</packagereq>'), 'build')).toEqual(['gcc', 'make']);
    expect(compsGroupPackages(comps(''), 'nope')).toBeNull();
    const view = (rel: string, extra = '') => ({ group: compsGroupPackages(comps(extra), 'build') as string[], offers: primaryOffers(primary(rel), new Set(['gcc'])) });
    expect(sameView(view('1'), view('1'))).toBe(true);
    expect(sameView(view('1'), view('2'))).toBe(false);
    expect(sameView(view('1'), view('1', '<packagereq>make</packagereq>'))).toBe(false);
  });

  it('fails clearly when the disk is short', () => {
    expect(() => checkFreeSpace(scratch, 1e12, 'a new buildroot')).toThrow(BuildrootError);
    expect(() => checkFreeSpace(scratch, 1e12, 'a new buildroot')).toThrow(/not enough free disk space for a new buildroot: .* MB free, 1000000000000 MB are needed; free some space there or set mockdir/);
  });

  it('selects the backend named by kojid.conf', () => {
    const o = { mockdir: scratch, mockuser: 'nobody' };
    expect(buildrootBackend({ ...o, buildroot_backend: 'bwrap' }).name).toBe('bwrap');
    expect(buildrootBackend({ ...o, buildroot_backend: 'fault:rebuild' }).name).toBe('fault');
    expect(() => buildrootBackend({ ...o, buildroot_backend: 'chroot' })).toThrow(/unknown buildroot_backend "chroot" in kojid.conf: use one of bwrap, fault:create/);
  });
});

describe.skipIf(SKIP_BUILDROOT_TESTS)('bubblewrap + dnf buildroots from the base repo', () => {
  let backend: BwrapBackend;
  let repoUrl: string;
  const roots: Buildroot[] = [];
  const rootSpec = (group = 'build'): RootSpec => {
    const resultdir = join(scratch, `result-${++counter}`);
    return { tag: 'br-test-build', repoId: 1, repoUrl, arch: 'x86_64', group, macros: { dist: '.kts1' }, workdir: join(scratch, 'work'), resultdir };
  };
  const create = async (s = rootSpec()) => {
    const br = await backend.create(s);
    roots.push(br);
    return { br, s };
  };

  beforeAll(async () => {
    expect(missingForBuildroots()).toEqual([]);
    repoUrl = (await testBaseRepo((l) => console.log(`base-repo: ${l}`))).url;
    // roots are cached between runs next to the base repo; those of removed repos go
    const cacheDir = join(BASE_REPO_ROOT, 'roots');
    await new RootCache(cacheDir).prune({ maxAgeDays: 7 });
    backend = new BwrapBackend({ cacheDir, mockuser: 'kojits-test-no-such-user' });
  }, 900_000);

  afterAll(async () => {
    for (const br of roots) await br.remove();
  });

  it('makes the @build root once and gives each build a fresh clone of it', async () => {
    const a = await create();
    const t0 = Date.now();
    const b = await create();
    const cloneSeconds = (Date.now() - t0) / 1000;
    console.log(`warm clone: ${cloneSeconds.toFixed(2)} s`);
    expect(cloneSeconds).toBeLessThan(2);
    expect(b.br.path).not.toBe(a.br.path);
    const names = (await a.br.installedRpms()).map((r) => r.name);
    expect(names).toEqual(expect.arrayContaining(['gcc', 'make', 'libc6-dev', 'binutils', 'bash', 'rpm', 'koji-ts-buildroot']));
    expect((await a.br.installedRpms())[0]).toMatchObject({ epoch: null, payloadhash: expect.stringMatching(/^[0-9a-f]{32}$/) });
    expect(readFileSync(join(a.s.resultdir, 'root.log'), 'utf8')).toMatch(/(made|reusing) the cached root .*\n.*cloned into /);
    expect(readFileSync(join(a.s.resultdir, 'state.log'), 'utf8')).toMatch(/Start: init\n.*Finish: init \(\d+\.\d+ s\)/);
    await a.br.remove();
    expect(existsSync(a.br.path)).toBe(false);
    expect(existsSync(join(b.br.path, 'usr', 'bin', 'gcc'))).toBe(true);
  }, 120_000);

  it("reuses the root of the tag's previous repo when the new repo offers the same packages", async () => {
    // a new repo of the tag with the same content, as kojira makes after a build of another package
    const next = join(scratch, 'next-repo');
    await run('cp', ['-al', fileURLToPath(repoUrl), next]);
    const s = { ...rootSpec(), repoId: 2, repoUrl: pathToFileURL(next).href };
    const t0 = Date.now();
    const { br } = await create(s);
    const seconds = (Date.now() - t0) / 1000;
    console.log(`root for a new repo with the same packages: ${seconds.toFixed(2)} s`);
    expect(readFileSync(join(s.resultdir, 'root.log'), 'utf8')).toMatch(/repo 2 offers the packages of the root of repo 1 unchanged: that root is reused/);
    expect(seconds).toBeLessThan(3);
    expect((await br.installedRpms()).map((p) => p.name)).toContain('gcc');
  }, 120_000);

  it('rebuilds a noarch SRPM: results and logs in the result folder', async () => {
    const { br, s } = await create();
    const srpm = buildFixture('hello').srpm;
    expect(await br.installBuildRequires(srpm)).toHaveLength((await br.installedRpms()).length);
    const t0 = Date.now();
    const r = await br.rebuild(srpm);
    console.log(`noarch rebuild: ${((Date.now() - t0) / 1000).toFixed(2)} s`);
    expect(r).toEqual({ srpm: join(s.resultdir, 'hello-1.2-3.src.rpm'), rpms: [join(s.resultdir, 'hello-1.2-3.noarch.rpm')] });
    expect(readFileSync(join(s.resultdir, 'build.log'), 'utf8')).toMatch(/Wrote: \/builddir\/build\/RPMS\/hello-1.2-3.noarch.rpm/);
    expect(readFileSync(join(s.resultdir, 'mock_output.log'), 'utf8')).toMatch(/Executing command: setpriv .* bwrap .* rpmbuild -ra --nodeps --target x86_64 \/srpm\/hello-1.2-3.src.rpm/);
  }, 60_000);

  it('installs the BuildRequires of a C SRPM (gcc, make) and compiles it, with the tag macros', async () => {
    const { br, s } = await create();
    const srpm = buildFixture('hello-c').srpm;
    const after = await br.installBuildRequires(srpm);
    expect(after.map((p) => p.name)).toEqual(expect.arrayContaining(['gcc', 'make']));
    const r = await br.rebuild(srpm);
    expect(r.rpms).toEqual([join(s.resultdir, 'hello-c-1.0-1.kts1.x86_64.rpm')]);
    const { stdout } = await run('rpm', ['-qp', '--nosignature', '--qf', '%{ARCH} %{BUILDHOST}\n', '-l', r.rpms[0]], { env: RPM_ENV });
    expect(stdout).toMatch(/^x86_64 koji-builder\n\/usr\/bin\/hello-c\n/);
  }, 60_000);

  it('fails naming a BuildRequires the repo cannot satisfy, in the error and in root.log', async () => {
    const { br, s } = await create();
    const srpm = await srpmOf('needs-missing', spec('needs-missing', '%files', 'BuildRequires: kts-no-such-package\nBuildRequires: make\n'));
    const err = await br.installBuildRequires(srpm).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MissingDependencies);
    expect(err).toBeInstanceOf(BuildrootError);
    expect(err).toMatchObject({ missing: ['kts-no-such-package'], faultCode: 1012, message: expect.stringMatching(/no package providing kts-no-such-package; see root.log/) });
    expect(readFileSync(join(s.resultdir, 'root.log'), 'utf8')).toMatch(/No match for argument: kts-no-such-package/);
  }, 60_000);

  it('fails a spec that fails with BuildError, its output in build.log', async () => {
    const { br, s } = await create();
    const err = await br.rebuild(await srpmOf('broken', spec('broken', '%build\necho about to fail\nexit 3\n%files'))).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BuildError);
    expect(err).toMatchObject({ faultCode: 1005, message: 'rpmbuild exited with status 1; see build.log for more information' });
    expect(readFileSync(join(s.resultdir, 'build.log'), 'utf8')).toMatch(/^about to fail$[\s\S]*Bad exit status from .* \(%build\)/m);
    expect(readFileSync(join(s.resultdir, 'state.log'), 'utf8')).toMatch(/Finish: build phase/);
  }, 60_000);

  it('a create cancelled before it starts makes nothing', async () => {
    await expect(backend.create(rootSpec(), AbortSignal.abort())).rejects.toThrow(/cancelled before it was made/);
  });

  describe('isolation', () => {
    let server: Server;
    let connections = 0;
    let port = 0;
    beforeAll(async () => {
      server = createServer((c) => {
        connections++;
        c.destroy();
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      port = (server.address() as { port: number }).port;
    });
    afterAll(() => new Promise<void>((r) => server.close(() => r())));

    it('runs the build without network, as an unprivileged uid, with only /builddir writable; the next root has nothing of it', async () => {
      const body = [
        '%build',
        'echo "probe-uid=$(id -u) probe-caps=$(grep CapEff /proc/self/status | cut -f2)"',
        `if (exec 3<>/dev/tcp/127.0.0.1/${port}) 2>/dev/null; then echo probe-net=open; else echo probe-net=closed; fi`,
        'if touch /etc/probe 2>/dev/null; then echo probe-root=writable; else echo probe-root=readonly; fi',
        'touch /builddir/marker',
        '%files',
      ].join('\n');
      const { br, s } = await create();
      await br.rebuild(await srpmOf('probe', spec('probe', body)));
      const log = readFileSync(join(s.resultdir, 'build.log'), 'utf8');
      expect(log).toMatch(/^probe-uid=1000 probe-caps=0000000000000000$/m);
      expect(log).toMatch(/^probe-net=closed$/m);
      expect(log).toMatch(/^probe-root=readonly$/m);
      expect(connections).toBe(0);
      const marker = join(dirname(br.path), 'builddir', 'marker');
      expect(statSync(marker).uid).toBe(65534);
      const next = await create();
      expect(existsSync(join(dirname(next.br.path), 'builddir', 'marker'))).toBe(false);
      expect(existsSync(join(next.br.path, 'etc', 'probe'))).toBe(false);
    }, 60_000);

    it('kill() stops a sleeping build and its whole process tree', async () => {
      const { br, s } = await create();
      const srpm = await srpmOf('sleeper', spec('sleeper', '%build\necho sleeping\n(sleep 317 &) ; sleep 317\n%files'));
      const building = br.rebuild(srpm).catch((e: unknown) => e);
      const until = Date.now() + 20_000;
      while (sleepers().length < 2 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
      expect(readFileSync(join(s.resultdir, 'build.log'), 'utf8')).toMatch(/^sleeping$/m);
      expect(sleepers()).toHaveLength(2);
      const t0 = Date.now();
      await br.kill();
      const err = await building;
      expect(Date.now() - t0).toBeLessThan(5000);
      expect(err).toBeInstanceOf(BuildError);
      expect((err as Error).message).toMatch(/^rpmbuild was killed \(build phase\)/);
      expect(sleepers()).toEqual([]);
    }, 60_000);
  });

  it('builds an SRPM from a spec and sources in an srpm-build root', async () => {
    const { br, s } = await create(rootSpec('srpm-build'));
    expect((await br.installedRpms()).map((p) => p.name)).not.toContain('gcc');
    const specDir = join(scratch, 'scm-spec');
    const sourcesDir = join(scratch, 'scm-sources');
    mkdirSync(specDir);
    mkdirSync(sourcesDir);
    writeFileSync(join(specDir, 'greet.spec'), spec('greet', '%install\ninstall -D -m644 %{SOURCE0} %{buildroot}/usr/share/greet.txt\n%files\n/usr/share/greet.txt', 'Source0: greet.txt\n'));
    writeFileSync(join(sourcesDir, 'greet.txt'), 'hi\n');
    const srpm = await br.buildSRPM(specDir, sourcesDir);
    expect(srpm).toBe(join(s.resultdir, 'greet-1-1.src.rpm'));
    const { stdout } = await run('rpm', ['-qpl', '--nosignature', srpm], { env: RPM_ENV });
    expect(stdout.split('\n').sort().filter(Boolean)).toEqual(['greet.spec', 'greet.txt']);
  }, 120_000);

  it('fault backend: fails at the step asked for, as the real backend would', async () => {
    const create1 = new FaultBackend(backend, { failAt: 'create' });
    await expect(create1.create(rootSpec())).rejects.toThrow(/injected failure: cannot make the buildroot for br-test-build/);
    const install = new FaultBackend(backend, { failAt: 'install', missing: ['libfoo-devel'] });
    const s = rootSpec();
    const br = await install.create(s);
    roots.push(br);
    await expect(br.installBuildRequires(buildFixture('hello').srpm)).rejects.toMatchObject({ missing: ['libfoo-devel'], faultCode: 1012 });
    expect(readFileSync(join(s.resultdir, 'root.log'), 'utf8')).toMatch(/injected failure at install/);
    const rebuild = new FaultBackend(backend, { failAt: 'rebuild' });
    const br2 = await rebuild.create(rootSpec());
    roots.push(br2);
    await expect(br2.rebuild(buildFixture('hello').srpm)).rejects.toMatchObject({ faultCode: 1005, message: expect.stringMatching(/^injected failure; see build.log/) });
  }, 60_000);
});

/** Processes running `sleep 317`. */
function sleepers(): number[] {
  const out: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      if (readFileSync(`/proc/${e}/cmdline`, 'utf8') === 'sleep\x00317\x00') out.push(Number(e));
    } catch {
      // gone
    }
  }
  return out;
}
