/**
 * download-build against a hub serving its KojiDir at /kojifiles/, with real rpms (built by
 * rpmbuild) placed as an import leaves them: the files arrive byte for byte, with the stock
 * CLI's output and messages.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { engines } from '../helpers/db.ts';
import { startTestHub, type TestHub } from '../helpers/hub.ts';
import { cliFor, expectUsageError, type CliRunner } from '../helpers/cli.ts';
import { buildsScenario, type Scenario } from '../helpers/build-content.ts';
import { buildFixture, SKIP_RPMBUILD_TESTS, type BuiltFixture } from '../rpm/build-fixtures.ts';
import { formatSize, progressLine } from '../../src/cli/download.ts';

const home = process.cwd();

describe.skipIf(SKIP_RPMBUILD_TESTS).each(engines())('download-build on %s', (engine) => {
  let hub: TestHub;
  let cli: CliRunner;
  let S: Scenario;
  let hello: BuiltFixture;
  let arched: BuiltFixture;
  let work = '';
  beforeAll(async () => {
    hello = buildFixture('hello');
    arched = buildFixture('arched');
    hub = await startTestHub(engine);
    cli = cliFor(hub);
    S = await buildsScenario(hub, await hub.login(), { hello, arched });
  });
  afterAll(async () => {
    process.chdir(home);
    await hub?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });
  beforeEach(() => {
    process.chdir(home);
    if (work) rmSync(work, { recursive: true, force: true });
    work = mkdtempSync(join(tmpdir(), 'kojits-dl-'));
    process.chdir(work);
  });

  const same = (fixture: string) => expect(readFileSync(basename(fixture)).equals(readFileSync(fixture))).toBe(true);

  it('downloads every rpm of a build, byte for byte, with the stock output', async () => {
    const r = await cli.run('download-build', 'hello-1.2-3');
    expect(r).toMatchObject({ exitCode: 0, error: '' });
    const [bin, src] = [hello.rpms[0], hello.srpm];
    expect(readdirSync('.').sort()).toEqual([basename(bin), basename(src)].sort());
    same(bin);
    same(src);
    const size = (f: string) => statSync(f).size;
    expect(r.output).toBe(
      `Downloading [1/2]: ${basename(bin)}\n${progressLine(size(bin), size(bin), size(bin))}\n` +
        `Downloading [2/2]: ${basename(src)}\n${progressLine(size(src), size(src), size(src))}\n`,
    );
    // the hub's modification time comes along
    expect(Math.abs(statSync(basename(bin)).mtimeMs - statSync(join(hub.kojiDir, 'packages/hello/1.2/3/noarch', basename(bin))).mtimeMs)).toBeLessThan(1000);
    // a second run finds them there
    const again = await cli.run('download-build', '--noprogress', String(S.hello));
    expect(again.output).toBe(`Downloading [1/2]: ${basename(bin)}\nFile ${basename(bin)} already downloaded, skipping\nDownloading [2/2]: ${basename(src)}\nFile ${basename(src)} already downloaded, skipping\n`);
  });

  it('resumes a partial file with a range request', async () => {
    const bin = hello.rpms[0];
    writeFileSync(basename(bin), readFileSync(bin).subarray(0, 100));
    const r = await cli.run('download-build', '--noprogress', '--arch', 'noarch', 'hello-1.2-3');
    expect(r.output).toBe(`Downloading [1/1]: ${basename(bin)}\nAppending to existing file ${basename(bin)}\n`);
    same(bin);
  });

  it('takes --arch, --rpm, an rpm N-V-R.A, --latestfrom, --task-id and -q', async () => {
    const a = await cli.run('download-build', '--noprogress', '-a', 'src', '-a', 'x86_64', 'arched-0.9.1-1.fc99');
    expect(a.output).toBe(`Downloading [1/2]: ${basename(arched.rpms[0])}\nDownloading [2/2]: ${basename(arched.srpm)}\n`);
    same(arched.rpms[0]);
    rmSync(basename(arched.rpms[0]));
    const rpm = await cli.run('download-build', '--rpm', '--noprogress', 'arched-0.9.1-1.fc99.x86_64');
    expect(rpm.output).toBe(`Downloading [1/1]: ${basename(arched.rpms[0])}\n`);
    const nvra = await cli.run('download-build', '-q', 'hello-1.2-3.noarch');
    expect(nvra).toMatchObject({ exitCode: 0, output: '', error: '' });
    same(hello.rpms[0]);
    const latest = await cli.run('download-build', '--latestfrom', 'f40', '--arch', 'noarch', '--noprogress', 'hello');
    expect(latest.output).toContain('already downloaded, skipping');
    const task = await cli.run('download-build', '--task-id', '--noprogress', '--quiet', String(S.task));
    expect(task).toMatchObject({ exitCode: 0, output: '' });
  });

  it('reports what it cannot find as the stock CLI does', async () => {
    expect(await cli.run('download-build', 'nope-1-1')).toMatchObject({ exitCode: 1, output: '', error: 'No such build: nope-1-1\n' });
    expect(await cli.run('download-build', '--rpm', 'nope-1-1.noarch')).toMatchObject({ exitCode: 1, error: 'No such rpm: nope-1-1.noarch\n' });
    expect((await cli.run('download-build', '--arch', 'ppc64le', '--arch', 's390x', 'hello-1.2-3')).error).toBe('No ppc64le or s390x packages available for hello-1.2-3\n');
    expect((await cli.run('download-build', 'zsh-5.9-2')).error).toBe('No packages available for zsh-5.9-2\n');
    expect((await cli.run('download-build', '--type', 'win', 'zsh-5.9-2')).error).toBe('No win archives available for zsh-5.9-2\n');
    expect((await cli.run('download-build', '--latestfrom', 'f40', 'zsh')).error).toBe('f40 has no builds of zsh\n');
    expect((await cli.run('download-build', '--task-id', '999999')).error).toBe('No associated builds for task 999999\nIf this is a scratch build, try using download-task instead\n');
    expectUsageError(await cli.run('download-build', '--latestfrom', 'f40', '12'), 'download-build [options] <n-v-r|build_id>', '--latestfrom not compatible with build IDs, specify a package name.');
    expectUsageError(await cli.run('download-build'), 'download-build [options] <n-v-r|build_id>', 'Please specify a package N-V-R or build ID');
    expectUsageError(await cli.run('download-build', 'a', 'b'), 'download-build [options] <n-v-r|build_id>', 'Only a single package N-V-R or build ID may be specified');
    // the archive rows of zsh have no files behind them
    const missing = await cli.run('download-build', '--type', 'remote-sources', '--noprogress', 'zsh-5.9-2');
    expect(missing.output).toBe('Downloading [1/1]: zsh-sources.tar.gz\n');
    expect(missing.error).toMatch(/^\[ERROR\] koji: HTTPError: 404 Client Error: Not Found for url: http:\/\/127\.0\.0\.1:\d+\/kojifiles\/packages\/zsh\/5\.9\/2\/files\/remote-sources\/zsh-sources\.tar\.gz\n$/);
    expect(readdirSync('.')).toEqual([]);
  });

  it('downloads signed copies with --key and skips rpms without that signature', async () => {
    const pi = `packages/hello/1.2/3/data/signed/abcd1234/noarch/${basename(hello.rpms[0])}`;
    await hub.db.rawQuery("INSERT INTO rpmsigs (rpm_id, sigkey, sighash) VALUES ($1, 'abcd1234', 'x')", [S.helloRpms[0]]);
    const { mkdirSync, copyFileSync } = await import('node:fs');
    mkdirSync(join(hub.kojiDir, pi, '..'), { recursive: true });
    copyFileSync(hello.rpms[0], join(hub.kojiDir, pi));
    const r = await cli.run('download-build', '--key', 'abcd1234', '--noprogress', 'hello-1.2-3');
    expect(r.error).toBe(`No such sigkey abcd1234 for rpm hello-1.2-3-src.rpm\n`);
    expect(r.output).toBe(`Downloading [1/1]: ${basename(hello.rpms[0])}\n`);
    same(hello.rpms[0]);
  });

  it('needs a topurl', async () => {
    const conf = join(work, 'koji.conf');
    writeFileSync(conf, `[t]\nserver = ${hub.httpUrl}\nauthtype = noauth\n`);
    const { runCli } = await import('../../src/cli/main.ts');
    const r = await runCli(['-c', conf, '-p', 't', 'download-build', 'hello-1.2-3']);
    expect(r).toMatchObject({ exitCode: 1, error: 'You must specify --topurl to download files\n' });
  });
});

describe('download progress lines', () => {
  it('are koji_cli.lib._download_progress', () => {
    expect(formatSize(0)).toBe('0.00 B');
    expect(formatSize(7037)).toBe('6.87 KiB');
    expect(formatSize(3 * 1048576 + 17)).toBe('3.00 MiB');
    expect(progressLine(2 * 1048576, 1048576, 2 * 1048576)).toBe(`[${'='.repeat(18).padEnd(36)}]  50% 1.00 MiB / 2.00 MiB\r`);
    expect(progressLine(0, 0, null)).toBe(`[${' '.repeat(36)}] ???%     0.00 B\r`);
  });
});
