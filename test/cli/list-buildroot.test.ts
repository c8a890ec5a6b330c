/**
 * list-buildroot on the build content of test/helpers/build-content.ts: a standard buildroot
 * with an rpm installed in it and rpms built in it, archives used and built, drafts and updates
 * with --verbose. With KOJI_SRC set, every run is also compared with the stock CLI's.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CommandResult } from '../../src/cli/command.ts';
import { engines } from '../helpers/db.ts';
import { startTestHub, type TestHub } from '../helpers/hub.ts';
import { cliFor, expectSameAsStock, expectUsageError, type CliRunner } from '../helpers/cli.ts';
import { addArchive, buildsScenario, placeRpm, type Scenario } from '../helpers/build-content.ts';
import { buildFixture, SKIP_RPMBUILD_TESTS } from '../rpm/build-fixtures.ts';

describe.skipIf(SKIP_RPMBUILD_TESTS).each(engines())('list-buildroot on %s', (engine) => {
  let hub: TestHub;
  let cli: CliRunner;
  let S: Scenario;
  const listBuildroot = async (...args: string[]): Promise<CommandResult> => {
    const r = await cli.runAs(null, null, 'list-buildroot', ...args);
    await expectSameAsStock(cli, ['list-buildroot', ...args], r);
    return { ...r, error: r.error ?? '' };
  };

  beforeAll(async () => {
    const hello = buildFixture('hello');
    const arched = buildFixture('arched');
    hub = await startTestHub(engine);
    cli = cliFor(hub);
    S = await buildsScenario(hub, await hub.login(), { hello, arched });
  });
  afterAll(async () => hub?.stop());

  it('lists the component rpms, and with --built the rpms built there', async () => {
    expect(await listBuildroot(String(S.buildroot))).toEqual({ output: 'Component RPMs:\nhello-1.2-3.noarch\n', error: '', exitCode: 0 });
    expect((await listBuildroot('--built', String(S.buildroot))).output).toBe('Built RPMs:\narched-0.9.1-1.fc99.src\narched-0.9.1-1.fc99.x86_64\n');
    expect(await listBuildroot('999')).toEqual({ output: '', error: '', exitCode: 0 });
  });

  it('marks drafts and updates with --verbose, and lists archives after a blank line', async () => {
    const extra = buildFixture('extra');
    const draftRpm = await placeRpm(hub, S.draft, extra.rpms[0]);
    await hub.db.rawQuery('INSERT INTO buildroot_listing (buildroot_id, rpm_id, is_update) VALUES ($1, $2, true)', [S.buildroot, draftRpm]);
    const zip = await addArchive(hub, S.zsh, 'b-used.zip', { type: 'zip', btype: 'maven' });
    const jar = await addArchive(hub, S.zsh, 'a-used.jar', { type: 'jar', btype: 'maven' });
    for (const id of [zip, jar]) await hub.db.rawQuery('INSERT INTO buildroot_archives (buildroot_id, archive_id, project_dep) VALUES ($1, $2, false)', [S.buildroot, id]);
    await addArchive(hub, S.zsh, 'built.tar', { type: 'tar', btype: 'maven', buildrootId: S.buildroot });
    expect((await listBuildroot(String(S.buildroot))).output).toBe('Component RPMs:\nextra-2.0-1.noarch\nhello-1.2-3.noarch\n\nComponent Archives:\na-used.jar\nb-used.zip\n');
    expect((await listBuildroot('-v', String(S.buildroot))).output).toBe(`Component RPMs:\nextra-2.0-1.noarch (,draft_${S.draft}) [update]\nhello-1.2-3.noarch\n\nComponent Archives:\na-used.jar\nb-used.zip\n`);
    expect((await listBuildroot('--built', String(S.buildroot))).output).toBe('Built RPMs:\narched-0.9.1-1.fc99.src\narched-0.9.1-1.fc99.x86_64\n\nBuilt Archives:\nbuilt.tar\n');
  });

  it('fails with the stock messages', async () => {
    expectUsageError(await listBuildroot(), 'list-buildroot [options] <buildroot-id>', 'Incorrect number of arguments');
    expectUsageError(await listBuildroot('1', '2'), 'list-buildroot [options] <buildroot-id>', 'Incorrect number of arguments');
    expect(await listBuildroot('x')).toMatchObject({ exitCode: 1, output: '', error: "[ERROR] koji: ValueError: invalid literal for int() with base 10: 'x'\n" });
  });
});
