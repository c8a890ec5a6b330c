/**
 * buildinfo, rpminfo, list-builds and list-untagged against a hub holding real rpms (built by
 * rpmbuild) — the expected outputs were checked against the stock koji 1.35.3 CLI on the same
 * data (test/helpers/build-content.ts buildsScenario).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rpmInfo, type RpmInfo } from '../../src/rpm/index.ts';
import { engines } from '../helpers/db.ts';
import { startTestHub, type TestHub } from '../helpers/hub.ts';
import { cliFor, type CliRunner } from '../helpers/cli.ts';
import { buildsScenario, type Scenario } from '../helpers/build-content.ts';
import { buildFixture, SKIP_RPMBUILD_TESTS } from '../rpm/build-fixtures.ts';

// times are printed in the local zone: pin it (each test file runs in its own process)
process.env.TZ = 'UTC';

const lines = (...l: string[]) => l.map((x) => x + '\n').join('');
const utc = (ts: number) => new Date(ts * 1000).toUTCString().replace('GMT', 'UTC');

describe.skipIf(SKIP_RPMBUILD_TESTS).each(engines())('build CLI commands on %s', (engine) => {
  let hub: TestHub;
  let cli: CliRunner;
  let S: Scenario;
  let top = '';
  let helloInfo: RpmInfo;
  let archedInfo: RpmInfo;
  beforeAll(async () => {
    const hello = buildFixture('hello');
    const arched = buildFixture('arched');
    helloInfo = await rpmInfo(hello.rpms[0]);
    archedInfo = await rpmInfo(arched.rpms[0]);
    hub = await startTestHub(engine);
    cli = cliFor(hub);
    S = await buildsScenario(hub, await hub.login(), { hello, arched });
    top = hub.kojiDir;
  });
  afterAll(async () => hub?.stop());

  it('buildinfo shows a build with its task, tags, archives, rpms and changelog', async () => {
    const r = await cli.run('buildinfo', 'hello-1.2-3', 'zsh-5.9-2', '--changelog');
    expect(r).toMatchObject({ exitCode: 0, error: '' });
    expect(r.output).toBe(
      lines(
        `BUILD: hello-1.2-3 [${S.hello}]`, 'State: COMPLETE', 'Built by: kojiadmin', 'Source: git://example.com/hello.git#abc123', 'Volume: DEFAULT',
        `Task: ${S.task} build (f40-candidate, /hello.git:abc123)`, 'Finished: Tue, 14 Nov 2023 22:13:20 UTC', 'Tags: f40', 'RPMs:',
        `${top}/packages/hello/1.2/3/noarch/hello-1.2-3.noarch.rpm`, `${top}/packages/hello/1.2/3/src/hello-1.2-3.src.rpm`, 'Changelog:',
        '* Tue Jan 02 2024 Alice Example <alice@example.com> - 2:1.2-3', '- second entry', '- with two lines', '',
        '* Mon Jan 01 2024 Bob Example <bob@example.com> - 2:1.2-2', '- first entry', '', '',
        `BUILD: zsh-5.9-2 [${S.zsh}]`, 'State: COMPLETE', 'Built by: alice', 'Volume: DEFAULT', 'Task: none', 'Finished: Wed, 15 Nov 2023 00:13:20 UTC',
        'Maven groupId: org.zsh', 'Maven artifactId: zsh', 'Maven version: 5.9', 'Tags: ', `Extra: {'source': {'original_url': 'git://x/zsh'}, 'note': "it's"}`,
        'Maven archives:', `${top}/packages/zsh/5.9/2/maven/org/zsh/zsh/5.9/zsh-5.9.jar`, 'Remote-sources Archives:', `${top}/packages/zsh/5.9/2/files/remote-sources/zsh-sources.tar.gz`,
      ),
    );
    const d = await cli.run('buildinfo', String(S.draft));
    expect(d.output).toContain(`BUILD: zsh-5.9-3,draft_${S.draft} [${S.draft}]\nDraft: YES\nState: COMPLETE\n`);
  });

  it('buildinfo reports unknown builds and needs an argument', async () => {
    const r = await cli.run('buildinfo', 'nope-1-1', String(S.arched));
    expect(r.exitCode).toBe(1);
    expect(r.error).toBe('No such build: nope-1-1\n\n');
    expect(r.output).toMatch(/^BUILD: arched-0\.9\.1-1\.fc99 \[\d+\]\n/);
    const u = await cli.run('buildinfo');
    expect(u.exitCode).toBe(2);
    expect(u.error).toContain('error: Please specify a build\n');
  });

  it('rpminfo shows rpms, their source rpm, buildroot and where they were used', async () => {
    const r = await cli.run('rpminfo', '--buildroots', 'hello-1.2-3.noarch', 'arched-0.9.1-1.fc99.x86_64');
    expect(r).toMatchObject({ exitCode: 0, error: '' });
    const [h, a] = S.helloRpms;
    expect(r.output).toBe(
      lines(
        `RPM: 2:hello-1.2-3.noarch [${h}]`, `Build: hello-1.2-3 [${S.hello}]`, `RPM Path: ${top}/packages/hello/1.2/3/noarch/hello-1.2-3.noarch.rpm`,
        `SRPM: 2:hello-1.2-3 [${a}]`, `SRPM Path: ${top}/packages/hello/1.2/3/src/hello-1.2-3.src.rpm`, `Built: ${utc(helloInfo.buildtime)}`,
        `SIGMD5: ${helloInfo.payloadhash}`, `Size: ${helloInfo.size}`, 'License: MIT', `Build ID: ${S.hello}`, 'No buildroot data available',
        'Used in 1 buildroots:', '        id build tag                    arch     build host                   ',
        '  -------- ---------------------------- -------- -----------------------------',
        `  ${String(S.buildroot).padStart(8)} f40                          x86_64   builder1                     `,
        `RPM: arched-0.9.1-1.fc99.x86_64 [${S.archedRpms[0]}]`, `Build: arched-0.9.1-1.fc99 [${S.arched}]`,
        `RPM Path: ${top}/packages/arched/0.9.1/1.fc99/x86_64/arched-0.9.1-1.fc99.x86_64.rpm`, `SRPM: arched-0.9.1-1.fc99 [${S.archedRpms[1]}]`,
        `SRPM Path: ${top}/packages/arched/0.9.1/1.fc99/src/arched-0.9.1-1.fc99.src.rpm`, `Built: ${utc(archedInfo.buildtime)}`,
        `SIGMD5: ${archedInfo.payloadhash}`, `Size: ${archedInfo.size}`, 'License: GPL-2.0-or-later', `Build ID: ${S.arched}`,
        `Buildroot: ${S.buildroot} (tag f40, arch x86_64, repo 1)`, 'Build Host: builder1', 'Build Task: 2', 'Used in 0 buildroots:',
      ),
    );
    const m = await cli.run('rpminfo', 'nope-1-1.x', String(S.helloRpms[1]));
    expect(m.exitCode).toBe(1);
    expect(m.error).toBe('No such rpm: nope-1-1.x\n\n');
    expect(m.output).toContain(`RPM: 2:hello-1.2-3.src [${S.helloRpms[1]}]\nBuild: hello-1.2-3 [${S.hello}]\n`);
  });

  it('list-builds filters, sorts and formats', async () => {
    const head = ['Build                                                    Built by          State', `${'-'.repeat(55)}  ${'-'.repeat(16)}  ${'-'.repeat(16)}`];
    const row = (nvr: string, owner: string, state = 'COMPLETE') => `${nvr.padEnd(55)}  ${owner.padEnd(16)}  ${state}`;
    expect((await cli.run('list-builds', '--state', 'COMPLETE', '-k', 'owner_name', '-r')).output).toBe(
      lines(...head, row('hello-1.2-3', 'kojiadmin'), row('arched-0.9.1-1.fc99', 'kojiadmin'), row(`zsh-5.9-3,draft_${S.draft}`, 'kojiadmin'), row('zsh-5.9-2', 'alice')),
    );
    expect((await cli.run('list-builds', '--owner', 'alice')).output).toBe(lines(...head, row('zsh-5.9-2', 'alice')));
    expect((await cli.run('list-builds', '--quiet', '--package', 'hello')).output).toBe(lines(row('hello-1.2-3', 'kojiadmin')));
    expect((await cli.run('list-builds', '--after', '1700000001', '--no-draft')).output).toBe(lines(...head, row('arched-0.9.1-1.fc99', 'kojiadmin'), row('zsh-5.9-2', 'alice')));
    expect((await cli.run('list-builds', '--draft-only')).output).toBe(lines(...head, row(`zsh-5.9-3,draft_${S.draft}`, 'kojiadmin')));
    expect((await cli.run('list-builds', '--pattern', '*h*', '--volume', 'DEFAULT', '--type', 'rpm')).output).toBe(lines(...head));
    expect((await cli.run('list-builds', '--buildid', 'hello-1.2-3')).output).toBe(lines(...head, row('hello-1.2-3', 'kojiadmin')));
    expect((await cli.run('list-builds', '--task', String(S.task))).output).toBe(lines(...head, row('hello-1.2-3', 'kojiadmin')));
    expect((await cli.run('list-builds', '--source', 'git://*', '--before', '2023-11-15')).output).toBe(lines(...head, row('hello-1.2-3', 'kojiadmin')));
    const w = await cli.run('list-builds', '--state', '0', '-k', 'bogus');
    expect(w).toMatchObject({ exitCode: 0, output: lines(...head), error: 'Invalid sort_key: bogus.\n' });
    for (const [args, msg] of [
      [[], 'Filter must be provided for list'], [['x'], 'This command takes no arguments'], [['--state', 'BOGUS'], 'Invalid state: BOGUS'],
      [['--state', '7'], 'Invalid state: 7'], [['--volume', 'nope'], 'No such volume: nope'], [['--package', 'nope'], 'No such package: nope'],
      [['--owner', 'nope'], 'No such user: nope'], [['--task', 'x'], 'Task id must be an integer'], [['--draft-only', '--no-draft'], '--draft-only conflits with --no-draft'],
      [['--buildid', '999'], "No such build: '999'"], [['--before', 'whenever', '--package', 'hello'], "option --before: invalid time specification: 'whenever'"],
    ] as Array<[string[], string]>) {
      const r = await cli.run('list-builds', ...args);
      expect(r.exitCode, args.join(' ')).toBe(2);
      expect(r.error).toContain(`error: ${msg}\n`);
    }
  });

  it('list-untagged lists names or paths, with references', async () => {
    const d = `zsh-5.9-3,draft_${S.draft}`;
    expect((await cli.run('list-untagged')).output).toBe(lines('arched-0.9.1-1.fc99', 'zsh-5.9-2', d));
    expect((await cli.run('list-untagged', '--paths', 'zsh')).output).toBe(lines(`${top}/packages/zsh/5.9/2`, `${top}/packages/zsh/5.9/3,draft_${S.draft}`));
    expect((await cli.run('list-untagged', '--show-references')).output).toBe(lines('(Showing build references)', 'arched-0.9.1-1.fc99 ', 'zsh-5.9-2 ', `${d} `));
    expect(await cli.run('list-untagged', 'nope')).toMatchObject({ exitCode: 1, output: '', error: 'No such package: nope\n' });
    const u = await cli.run('list-untagged', 'a', 'b');
    expect(u.exitCode).toBe(2);
    expect(u.error).toContain('error: Only one package name may be specified\n');
  });
});
