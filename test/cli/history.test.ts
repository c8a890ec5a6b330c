/**
 * list-history and search: the stock CLI's exact text. Event times are pinned (event N after
 * the scenario's start is at 2026-01-01 00:0N:00 UTC) so timelines can be written out.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines } from '../helpers/db.ts';
import { startTestHub, type TestHub } from '../helpers/hub.ts';
import { cliFor, expectUsageError, type CliRunner } from '../helpers/cli.ts';

// times are printed in the local zone: pin it (each test file runs in its own process)
process.env.TZ = 'UTC';

const T = (min: number) => `Thu Jan  1 00:0${min}:00 2026`;

describe.each(engines())('list-history and search on %s', (engine) => {
  let hub: TestHub;
  let cli: CliRunner;
  const ev: number[] = [];

  beforeAll(async () => {
    hub = await startTestHub(engine);
    cli = cliFor(hub);
    const admin = await hub.login();
    await admin.call('createUser', ['alice']);
    await admin.call('addHost', ['builder1', ['x86_64']]);
    const last = async () => (await hub.anon().call<{ id: number }>('getLastEvent')).id;
    const base = await last();
    const step = async (fn: () => Promise<unknown>) => {
      await fn();
      ev.push(await last());
    };
    await step(() => admin.call('grantPermission', ['alice', 'tag'])); // 1
    await step(() => admin.call('createTag', ['f40'])); // 2
    await step(() => admin.call('packageListAdd', ['f40', 'bash', 'alice'])); // 3
    await step(() =>
      hub.db.rawQuery(
        `INSERT INTO build (volume_id, pkg_id, version, release, state, owner, create_event, completion_time)
         SELECT 0, p.id, '5.2', '1.fc40', 1, u.id, get_event(), now() FROM package p, users u WHERE p.name = 'bash' AND u.name = 'alice'`,
      ),
    ); // 4
    await step(() => admin.call('tagBuildBypass', ['f40', 'bash-5.2-1.fc40'])); // 5
    await step(() => admin.call('editTag2', ['f40'], { arches: 'x86_64' })); // 6
    await step(() => admin.call('untagBuild', ['f40', 'bash-5.2-1.fc40'])); // 7
    await step(() => admin.call('revokePermission', ['alice', 'tag'])); // 8
    expect(ev).toEqual([1, 2, 3, 4, 5, 6, 7, 8].map((n) => base + n));
    await hub.db.rawQuery(
      `UPDATE events SET time = CASE WHEN id <= $1 THEN '2025-12-31 00:00:00+00'::timestamptz
                                     ELSE '2026-01-01 00:00:00+00'::timestamptz + (id - $1) * interval '1 minute' END`,
      [base],
    );
  });
  afterAll(async () => hub?.stop());

  it('a tag timeline: creations, an edit with its changed field, untagging', async () => {
    const r = await cli.run('list-history', '--tag', 'f40');
    expect(r.error).toBe('');
    expect(r.output).toBe(
      [
        `${T(2)} new tag: f40 by kojiadmin`,
        `${T(3)} package owner alice set for bash in f40 by kojiadmin [still active]`,
        `${T(3)} package list entry created: bash in f40 by kojiadmin [still active]`,
        `${T(5)} bash-5.2-1.fc40 tagged into f40 by kojiadmin`,
        `${T(6)} tag configuration for f40 altered by kojiadmin [still active]`,
        '    arches: None -> x86_64',
        `${T(7)} bash-5.2-1.fc40 untagged from f40 by kojiadmin`,
        '',
      ].join('\n'),
    );
  });

  it('--user, --permission and --build', async () => {
    const lines = [`${T(1)} permission tag granted to alice by kojiadmin`, `${T(3)} package owner alice set for bash in f40 by kojiadmin [still active]`, `${T(8)} permission tag revoked for alice by kojiadmin`];
    expect((await cli.run('list-history', '--user', 'alice')).output).toBe(lines.join('\n') + '\n');
    expect((await cli.run('list-history', '--permission', 'tag', '--after-event', String(ev[0] - 1))).output).toBe(`${lines[0]}\n${lines[2]}\n`);
    expect((await cli.run('list-history', '--build', 'bash-5.2-1.fc40')).output).toBe(
      `${T(5)} bash-5.2-1.fc40 tagged into f40 by kojiadmin\n${T(7)} bash-5.2-1.fc40 untagged from f40 by kojiadmin\n`,
    );
  });

  it('-v shows event ids and the new rows fields; -e only the ids', async () => {
    const r = await cli.run('list-history', '--tag', 'f40', '-v', '--before-event', String(ev[3]));
    expect(r.output).toBe(
      [
        `${T(2)} (eid ${ev[1]}) new tag: f40 by kojiadmin`,
        '    arches: None',
        '    locked: False',
        '    maven_include_all: False',
        '    maven_support: False',
        '    permission: None',
        `${T(3)} (eid ${ev[2]}) package owner alice set for bash in f40 by kojiadmin [still active]`,
        '    owner: alice',
        `${T(3)} (eid ${ev[2]}) package list entry created: bash in f40 by kojiadmin [still active]`,
        '    blocked: False',
        '    extra_arches: None',
        '',
      ].join('\n'),
    );
    expect((await cli.run('list-history', '--build', 'bash-5.2-1.fc40', '-e')).output).toBe(
      `${T(5)} (eid ${ev[4]}) bash-5.2-1.fc40 tagged into f40 by kojiadmin\n${T(7)} (eid ${ev[6]}) bash-5.2-1.fc40 untagged from f40 by kojiadmin\n`,
    );
  });

  it('event and time bounds show the matching side; --context shows both', async () => {
    const after = await cli.run('list-history', '--tag', 'f40', '--after-event', String(ev[4]));
    expect(after.output).toBe(
      [`${T(6)} tag configuration for f40 altered by kojiadmin [still active]`, '    arches: None -> x86_64', `${T(7)} bash-5.2-1.fc40 untagged from f40 by kojiadmin`, ''].join('\n'),
    );
    const ctx = await cli.run('list-history', '--build', 'bash-5.2-1.fc40', '--after-event', String(ev[5]), '--context');
    expect(ctx.output).toBe(`${T(5)} bash-5.2-1.fc40 tagged into f40 by kojiadmin\n${T(7)} bash-5.2-1.fc40 untagged from f40 by kojiadmin\n`);
    const noCtx = await cli.run('list-history', '--build', 'bash-5.2-1.fc40', '--after-event', String(ev[5]));
    expect(noCtx.output).toBe(`${T(7)} bash-5.2-1.fc40 untagged from f40 by kojiadmin\n`);
    const times = await cli.run('list-history', '--tag', 'f40', '--after', '2026-01-01 00:04:30', '--before', 'Jan 1 2026 00:05:30');
    expect(times.output).toBe(`${T(5)} bash-5.2-1.fc40 tagged into f40 by kojiadmin\n`);
    const secs = await cli.run('list-history', '--user', 'alice', '--before', String(Date.UTC(2026, 0, 1, 0, 2) / 1000));
    expect(secs.output).toBe(`${T(1)} permission tag granted to alice by kojiadmin\n`);
  });

  it('--active, --revoked, --show and --all', async () => {
    expect((await cli.run('list-history', '--user', 'alice', '--active')).output).toBe(`${T(3)} package owner alice set for bash in f40 by kojiadmin [still active]\n`);
    expect((await cli.run('list-history', '--user', 'alice', '--revoked', '-s', 'user_perms')).output).toBe(
      `${T(1)} permission tag granted to alice by kojiadmin\n${T(8)} permission tag revoked for alice by kojiadmin\n`,
    );
    const all = await cli.run('list-history', '--all', '--show', 'host_config,host_channels');
    expect(all.output).toBe(
      ['Wed Dec 31 00:00:00 2025 host builder1 added to channel default by kojiadmin [still active]', 'Wed Dec 31 00:00:00 2025 new host: builder1 by kojiadmin [still active]', ''].join('\n'),
    );
    expect((await cli.run('list-history', '--host', 'builder1', '--channel', 'default')).output).toBe(
      'Wed Dec 31 00:00:00 2025 host builder1 added to channel default by kojiadmin [still active]\n',
    );
  });

  it('times follow the local zone; --utc prints UTC', async () => {
    process.env.TZ = 'America/New_York';
    try {
      const local = await cli.run('list-history', '--build', 'bash-5.2-1.fc40');
      expect(local.output).toBe('Wed Dec 31 19:05:00 2025 bash-5.2-1.fc40 tagged into f40 by kojiadmin\nWed Dec 31 19:07:00 2025 bash-5.2-1.fc40 untagged from f40 by kojiadmin\n');
      const utc = await cli.run('list-history', '--build', 'bash-5.2-1.fc40', '--utc');
      expect(utc.output).toBe(`${T(5)} bash-5.2-1.fc40 tagged into f40 by kojiadmin\n${T(7)} bash-5.2-1.fc40 untagged from f40 by kojiadmin\n`);
    } finally {
      process.env.TZ = 'UTC';
    }
  });

  it('--debug prints each entry first', async () => {
    const r = await cli.run('list-history', '--build', 'bash-5.2-1.fc40', '--debug', '--active');
    expect(r.output).toBe('');
    const d = await cli.run('list-history', '--permission', 'tag', '--debug', '--revoked');
    const lines = d.output.split('\n');
    expect(lines[0]).toMatch(new RegExp(`^\\[${ev[0]}, 'user_perms', 1, \\{'active': None, 'create_event': ${ev[0]}, 'create_ts': 1767225660\\.0, `));
    expect(lines[1]).toBe(`${T(1)} permission tag granted to alice by kojiadmin`);
  });

  it('list-history errors', async () => {
    const usage = 'list-history [options]';
    expectUsageError(await cli.run('list-history'), usage, 'Please specify an option to limit the query');
    expectUsageError(await cli.run('list-history', '--after-event', '3'), usage, 'Please specify an option to limit the query');
    expectUsageError(await cli.run('list-history', 'extra'), usage, 'This command takes no arguments');
    expectUsageError(await cli.run('list-history', '--before', 'yesterday-ish'), usage, "option --before: invalid time specification: 'yesterday-ish'");
    expect(await cli.run('list-history', '--host', 'nosuch')).toMatchObject({ exitCode: 1, output: '', error: 'No such host: nosuch\n' });
    expect(await cli.run('list-history', '--channel', 'nosuch')).toMatchObject({ exitCode: 1, output: '', error: 'No such channel: nosuch\n' });
    expect(await cli.run('list-history', '--tag', 'nosuch')).toMatchObject({ exitCode: 1, error: '[ERROR] koji: GenericError: No such entry in table tag: nosuch\n' });
    expect(await cli.run('list-history', '--all', '-s', 'nosuch')).toMatchObject({ exitCode: 1, error: '[ERROR] koji: GenericError: No such history table: nosuch\n' });
  });

  it('search prints the names', async () => {
    expect(await cli.run('search', 'package', 'ba*')).toMatchObject({ exitCode: 0, output: 'bash\n' });
    expect((await cli.run('search', 'build', '*fc40')).output).toBe('bash-5.2-1.fc40\n');
    expect((await cli.run('search', '-r', 'user', '^(alice|kojiadmin)$')).output).toBe('kojiadmin\nalice\n');
    expect((await cli.run('search', '--exact', 'tag', 'f4')).output).toBe('');
    expect((await cli.run('search', '--exact', 'host', 'builder1')).output).toBe('builder1\n');
    expect(await cli.run('search', '-r', 'package', '(')).toMatchObject({ exitCode: 1, error: expect.stringMatching(/^\[ERROR\] koji: GenericError: Invalid regular expression '\(': /) });
  });

  it('search errors', async () => {
    const usage = 'search [options] <search_type> <pattern>\nAvailable search types: package, build, tag, target, user, host, rpm, maven, win';
    expectUsageError(await cli.run('search'), usage, 'Please specify search type');
    expectUsageError(await cli.run('search', 'package'), usage, 'Please specify search pattern');
    expectUsageError(await cli.run('search', 'file', 'x'), usage, 'No such search type: file');
  });
});
