import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines } from '../helpers/db.ts';
import { startTestHub, type TestHub } from '../helpers/hub.ts';
import { cliFor, expectUsageError, type CliRunner } from '../helpers/cli.ts';

interface Chan {
  id: number;
  name: string;
  description: string | null;
  comment: string | null;
  enabled: boolean;
}

describe.each(engines())('channel CLI commands on %s', (engine) => {
  let hub: TestHub;
  let cli: CliRunner;
  beforeAll(async () => {
    hub = await startTestHub(engine);
    cli = cliFor(hub);
    const admin = await hub.login();
    await admin.call('createUser', ['bob']);
    await admin.call('kojits.setPassword', ['bob', 'bob-password']);
    await admin.call('addHost', ['h1', ['x86_64']]);
    await admin.call('addHost', ['h2', ['s390x']]);
  });
  afterAll(async () => hub?.stop());

  const getChannel = (name: string) => hub.anon().call<Chan | null>('getChannel', [name]);

  it('add-channel creates a channel', async () => {
    const r = await cli.run('add-channel', 'build-ch', '--description', 'Builds things');
    const chan = await getChannel('build-ch');
    expect(r).toMatchObject({ exitCode: 0, output: `build-ch added: id ${String(chan?.id)}\n` });
    expect(chan).toMatchObject({ description: 'Builds things', enabled: true, comment: null });
    expect((await cli.run('add-channel', 'spare')).output).toMatch(/^spare added: id \d+\n$/);
  });

  it('add-channel errors', async () => {
    expect(await cli.run('add-channel', 'build-ch')).toMatchObject({ exitCode: 1, output: '', error: 'channel build-ch already exists\n' });
    expect((await cli.run('add-channel', 'bad name!')).exitCode).toBe(1);
    expectUsageError(await cli.run('add-channel'), 'add-channel [options] <channel_name>', 'Please specify one channel name');
    expectUsageError(await cli.run('add-channel', 'a', 'b'), 'add-channel [options] <channel_name>', 'Please specify one channel name');
  });

  it('edit-channel renames and sets description and comment', async () => {
    expect(await cli.run('edit-channel', 'spare', '--name', 'spare2', '--description', 'Spare', '--comment', 'A comment')).toMatchObject({ exitCode: 0, output: '', error: '' });
    expect(await getChannel('spare')).toBeNull();
    expect(await getChannel('spare2')).toMatchObject({ description: 'Spare', comment: 'A comment' });
  });

  it('edit-channel errors', async () => {
    const noChange = 'No changes made, please correct the command line\n';
    expect(await cli.run('edit-channel', 'spare2')).toMatchObject({ exitCode: 1, error: noChange });
    expect(await cli.run('edit-channel', 'spare2', '--comment', 'A comment')).toMatchObject({ exitCode: 1, error: noChange });
    const dup = await cli.run('edit-channel', 'spare2', '--name', 'build-ch');
    expect(dup.exitCode).toBe(1);
    expect(dup.error).toMatch(/^channel build-ch already exists \(id=\d+\)\nNo changes made, please correct the command line\n$/);
    expect(await cli.run('edit-channel', 'nosuch', '--name', 'x')).toMatchObject({ exitCode: 1, error: 'No such channel: nosuch\n' });
    expectUsageError(await cli.run('edit-channel'), 'edit-channel [options] <old-name>', 'Incorrect number of arguments');
  });

  it('disable-channel and enable-channel', async () => {
    expect(await cli.run('disable-channel', 'spare2', '--comment', 'Not needed')).toMatchObject({ exitCode: 0, output: '', error: '' });
    expect(await getChannel('spare2')).toMatchObject({ enabled: false, comment: 'Not needed' });
    expect(await cli.run('enable-channel', 'spare2')).toMatchObject({ exitCode: 0, output: '' });
    expect(await getChannel('spare2')).toMatchObject({ enabled: true, comment: 'Not needed' });
    const r = await cli.run('disable-channel', 'spare2', 'nosuch1', 'nosuch2');
    expect(r).toMatchObject({ exitCode: 1, output: 'No such channel: nosuch1\nNo such channel: nosuch2\n', error: 'No changes made. Please correct the command line.\n' });
    expect((await getChannel('spare2'))?.enabled).toBe(true);
    expectUsageError(await cli.run('enable-channel'), 'enable-channel [options] <channelname> [<channelname> ...]', 'At least one channel must be specified');
    expectUsageError(await cli.run('disable-channel'), 'disable-channel [options] <channelname> [<channelname> ...]', 'At least one channel must be specified');
  });

  it('list-channels counts hosts, load and capacity per channel', async () => {
    const admin = await hub.login();
    await admin.call('addHostToChannel', ['h1', 'build-ch']);
    await admin.call('addHostToChannel', ['h2', 'build-ch']);
    await admin.call('disableHost', ['h2']);
    await admin.call('editHost', ['h1'], { capacity: 3.5 });
    await hub.db.rawQuery("UPDATE host SET ready = true, task_load = 1.25 WHERE name = 'h1'");
    await admin.call('disableChannel', ['spare2']);
    const names = (await hub.anon().call<Chan[]>('listChannels')).map((c) => (c.enabled ? c.name : `${c.name} [disabled]`)).sort();
    const w = Math.max(...names.map((n) => n.length));
    const hdr = `${'Channel'.padEnd(w)}Enabled  Ready Disbld   Load    Cap   Perc    `;
    const row = (name: string, nums: string) => `${name.padEnd(w)} ${nums}`;
    const empty = '     0      0      0      0      0      0%';
    // h1: enabled, ready, load 1.25, capacity 3.5; h2: disabled, load 0, capacity 2.0 → 1 1 1 1 5 22%
    const busy = '     1      1      1      1      5     22%';
    const r = await cli.runAs(null, null, 'list-channels');
    expect(r.exitCode).toBe(0);
    const expected = [hdr, '-'.repeat(hdr.length), ...names.map((n) => row(n, n === 'build-ch' || n === 'default' ? busy : empty)), ''];
    expect(r.output).toBe(expected.join('\n'));
    expect(r.output).toContain('\nspare2 [disabled]      0      0      0      0      0      0%\n');
    expect((await cli.run('list-channels', '--quiet')).output).toBe(expected.slice(2).join('\n'));
    expect((await cli.run('-q', 'list-channels')).output).toBe(expected.slice(2).join('\n'));

    // only hosts of the given arch are counted
    const s390 = await cli.run('list-channels', '--arch', 's390x', '--quiet');
    expect(s390.output).toContain(`\n${row('build-ch', '     0      0      1      0      2      0%')}\n`);

    const enabled = await cli.run('list-channels', '--enabled', '--simple');
    expect(enabled.output).toBe(['Channel', '-------', ...names.filter((n) => !n.endsWith(']')), ''].join('\n'));
    expect((await cli.run('list-channels', '--disabled', '--simple', '--quiet')).output).toBe('spare2 [disabled]\n');
    expect((await cli.run('list-channels', '--not-enabled', '--quiet')).output).toBe('spare2 [disabled]      0      0      0      0      0      0%\n');
  });

  it('list-channels --description and --comment add truncated columns', async () => {
    await hub.login().then((s) => s.call('editChannel', ['build-ch'], { comment: 'A rather long comment\nthat needs truncating to fit the column' }));
    const r = await cli.run('list-channels', '--enabled', '--description', '--comment');
    const lines = r.output.split('\n');
    const w = lines[0].indexOf('Enabled');
    expect(lines[0]).toBe(`${'Channel'.padEnd(w)}Enabled  Ready Disbld   Load    Cap   Perc    ${'Description'.padEnd(53)}${'Comment'.padEnd(53)}`);
    expect(lines[1]).toBe('-'.repeat(lines[0].length));
    expect(lines).toContain(`${'build-ch'.padEnd(w)}      1      1      1      1      5     22%   ${'Builds things'.padEnd(50)}   A rather long comment that needs truncating to ...`);
    expect(lines).toContain(`${'default'.padEnd(w)}      1      1      1      1      5     22%   ${''.padEnd(50)}   ${''.padEnd(50)}`);
  });

  it('channel administration needs permissions (enable/disable-channel faults are not reported, as in the stock CLI)', async () => {
    // add-channel prints the hub's message without the fault class, as the stock CLI
    expect(await cli.runAs('bob', 'bob-password', 'add-channel', 'evil')).toMatchObject({ exitCode: 1, error: 'admin permission required (logged in as bob)\n' });
    expect(await getChannel('evil')).toBeNull();
    const edit = await cli.runAs('bob', 'bob-password', 'edit-channel', 'build-ch', '--name', 'evil');
    expect(edit).toMatchObject({ exitCode: 1, error: 'admin permission required (logged in as bob)\nNo changes made, please correct the command line\n' });
    // the stock CLI never looks at the results of its enableChannel/disableChannel multicall
    expect(await cli.runAs('bob', 'bob-password', 'disable-channel', 'build-ch')).toMatchObject({ exitCode: 0, output: '', error: '' });
    expect((await getChannel('build-ch'))?.enabled).toBe(true);
  });

  it('--help describes the options', async () => {
    const r = await cli.run('list-channels', '--help');
    expect(r.output).toMatch(/^usage: koji list-channels \[options\]\n/i);
    expect(r.output).toMatch(/--simple +Print just list of channels without additional info\n/);
    expect(r.output).toMatch(/--not-enabled +Limit to not enabled channels\n/);
    expect(r.output).toMatch(/--arch=ARCH +Limit to channels with specific arch\n/);
    expect((await cli.run('edit-channel', '--help')).output).toMatch(/--name=NAME +New channel name\n/);
    expect((await cli.run('disable-channel', '--help')).output).toMatch(/--comment=COMMENT +Comment indicating why the channel\(s\) are being\s+disabled\n/);
  });
});
