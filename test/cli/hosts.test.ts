import { Float } from '../../src/protocol/values.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines } from '../helpers/db.ts';
import { startTestHub, type TestHub } from '../helpers/hub.ts';
import { cliFor, expectUsageError, type CliRunner } from '../helpers/cli.ts';

// times are printed in the local zone: pin it (each test file runs in its own process)
process.env.TZ = 'UTC';

// The expected listings below were checked against the stock koji 1.35.3 CLI on the same data.
const HEADER = 'Hostname Enb Rdy Load/Cap  Arches           Last Update                         ';
const B3 = 'b3       N   N    0.3/2.0  s390x            Tue, 14 Nov 2023 22:13:20 UTC      ';
const B1 = 'builder1 Y   Y    1.2/4.5  x86_64,i686,noarch Wed, 03 Jul 2024 09:46:40 UTC      ';
const B2 = 'builder2 Y   N    0.0/2.0  aarch64          -                                  ';

describe.each(engines())('host CLI commands on %s', (engine) => {
  let hub: TestHub;
  let cli: CliRunner;
  beforeAll(async () => {
    hub = await startTestHub(engine);
    cli = cliFor(hub);
    const admin = await hub.login();
    await admin.call('createUser', ['bob']);
    await admin.call('kojits.setPassword', ['bob', 'bob-password']);
  });
  afterAll(async () => hub?.stop());

  const getHost = (name: string) => hub.anon().call<Record<string, unknown> | null>('getHost', [name]);
  const channelsOf = async (name: string) => (await hub.anon().call<Array<{ name: string }>>('listChannels', [], { hostID: name })).map((c) => c.name);

  it('add-host adds hosts with their arches and principal', async () => {
    const r = await cli.run('add-host', 'builder1', 'x86_64', 'i686');
    const b1 = await getHost('builder1');
    expect(r).toMatchObject({ exitCode: 0, output: `builder1 added: id ${String(b1?.id)}\n` });
    expect(b1).toMatchObject({ arches: 'x86_64 i686', enabled: true, ready: false });
    const r2 = await cli.run('add-host', '--krb-principal', 'host/b2@EXAMPLE.COM', 'builder2', 'aarch64');
    expect(r2.output).toMatch(/^builder2 added: id \d+\n$/);
    expect((await hub.anon().call<Record<string, unknown>>('getUser', ['builder2']))).toMatchObject({ usertype: 1, krb_principals: ['host/b2@EXAMPLE.COM'] });
    await cli.run('add-host', 'b3', 's390x');
    expect(await channelsOf('b3')).toEqual(['default']);
  });

  it('add-host errors, and --force turns a user into a host', async () => {
    expect(await cli.run('add-host', 'builder1', 'x86_64')).toMatchObject({ exitCode: 1, output: '', error: 'builder1 is already in the database\n' });
    expect(await cli.run('add-host', 'bob', 'x86_64')).toMatchObject({ exitCode: 1, error: '[ERROR] koji: GenericError: user bob already exists and it is not a host\n' });
    expectUsageError(await cli.run('add-host', 'builder9'), 'add-host [options] <hostname> <arch> [<arch> ...]', 'Please specify a hostname and at least one arch');
    await hub.login().then((s) => s.call('createUser', ['convert-me']));
    expect((await cli.run('add-host', '--force', 'convert-me', 'noarch')).output).toMatch(/^convert-me added: id \d+\n$/);
    expect((await hub.anon().call<Record<string, unknown>>('getUser', ['convert-me'])).usertype).toBe(1);
  });

  it('edit-host edits several fields of several hosts', async () => {
    const r = await cli.run('edit-host', 'builder1', '--arches', 'x86_64,i686 noarch', '--capacity', '4.5', '--description', 'Line one\nline two', '--comment', 'In rack 7');
    expect(r, r.error).toMatchObject({ exitCode: 0, output: 'Edited builder1\n' });
    expect(await getHost('builder1')).toMatchObject({ arches: 'x86_64 i686 noarch', capacity: new Float(4.5), description: 'Line one\nline two', comment: 'In rack 7' });
    const again = await cli.run('edit-host', 'builder1', 'builder2', '--capacity', '4.5');
    expect(again.output).toBe('No changes made to builder1\nEdited builder2\n');
    expect(Number((await getHost('builder2'))?.capacity)).toBe(4.5);
    expect((await cli.run('edit-host', 'builder2', '--capacity', '2')).output).toBe('Edited builder2\n');
  });

  it('edit-host errors', async () => {
    const r = await cli.run('edit-host', 'builder1', 'nosuch1', 'nosuch2', '--comment', 'x');
    expect(r).toMatchObject({ exitCode: 1, output: '', error: 'No such host: nosuch1\nNo such host: nosuch2\nNo changes made, please correct the command line\n' });
    expect((await getHost('builder1'))?.comment).toBe('In rack 7');
    expect(await cli.run('edit-host', 'builder1', '--arches', 'bad!arch')).toMatchObject({ exitCode: 1, error: '[ERROR] koji: GenericError: Architecture can be only [a-zA-Z0-9_-]\n' });
    const usage = 'edit-host <hostname> [<hostname> ...] [options]';
    expectUsageError(await cli.run('edit-host', '--comment', 'x'), usage, 'Please specify a hostname');
    expectUsageError(await cli.run('edit-host', 'builder1', '--capacity', 'lots'), usage, "option --capacity: invalid floating-point value: 'lots'");
  });

  it('disable-host and enable-host, with comments', async () => {
    expect(await cli.run('disable-host', 'b3', '--comment', 'a very long comment that goes past the forty-seven characters')).toMatchObject({ exitCode: 0, output: '' });
    expect(await getHost('b3')).toMatchObject({ enabled: false, comment: 'a very long comment that goes past the forty-seven characters' });
    expect(await cli.run('disable-host', 'builder2')).toMatchObject({ exitCode: 0, output: '' });
    expect(await cli.run('enable-host', 'builder2', '--comment', 'fixed')).toMatchObject({ exitCode: 0, output: '' });
    expect(await getHost('builder2')).toMatchObject({ enabled: true, comment: 'fixed' });
    await hub.db.rawQuery("UPDATE host_config SET comment = NULL WHERE active AND host_id = (SELECT id FROM host WHERE name = 'builder2')");
  });

  it('disable-host and enable-host list unknown hosts on stdout and change nothing', async () => {
    const r = await cli.run('disable-host', 'builder1', 'nosuch');
    expect(r).toMatchObject({ exitCode: 1, output: 'No such host: nosuch\n', error: 'No changes made. Please correct the command line.\n' });
    expect((await getHost('builder1'))?.enabled).toBe(true);
    expect((await cli.run('enable-host', 'x', 'y')).output).toBe('No such host: x\nNo such host: y\n');
    expectUsageError(await cli.run('enable-host'), 'enable-host [options] <hostname> [<hostname> ...]', 'At least one host must be specified');
    expectUsageError(await cli.run('disable-host'), 'disable-host [options] <hostname> [<hostname> ...]', 'At least one host must be specified');
  });

  it('add-host-to-channel and remove-host-from-channel', async () => {
    await hub.login().then((s) => s.call('addChannel', ['build-ch']));
    expect(await cli.run('add-host-to-channel', 'builder1', 'build-ch')).toMatchObject({ exitCode: 0, output: '' });
    expect(await cli.run('add-host-to-channel', 'b3', 'new-ch', '--new')).toMatchObject({ exitCode: 0, output: '' });
    expect(await channelsOf('builder1')).toEqual(['default', 'build-ch']);
    expect(await channelsOf('b3')).toEqual(['default', 'new-ch']);
    const list = await cli.run('add-host-to-channel', '--list');
    expect(list.output.split('\n')).toEqual(expect.arrayContaining(['default', 'build-ch', 'new-ch']));

    expect(await cli.run('add-host-to-channel', 'builder1', 'build-ch')).toMatchObject({ exitCode: 1, error: '[ERROR] koji: GenericError: host builder1 is already subscribed to the build-ch channel\n' });
    expect(await cli.run('add-host-to-channel', 'builder1', 'nosuch')).toMatchObject({ exitCode: 1, error: 'No such channel: nosuch\n' });
    expect(await cli.run('add-host-to-channel', 'nosuch', 'build-ch')).toMatchObject({ exitCode: 1, error: 'No such host: nosuch\n' });
    expectUsageError(await cli.run('add-host-to-channel', 'builder1'), 'add-host-to-channel [options] <hostname> <channel>', 'Please specify a hostname and a channel');

    await hub.login().then((s) => s.call('disableChannel', ['new-ch']));
    expect(await cli.run('add-host-to-channel', 'builder2', 'new-ch')).toMatchObject({ exitCode: 1, error: '[ERROR] koji: GenericError: channel new-ch is disabled\n' });
    expect((await cli.run('add-host-to-channel', 'builder2', 'new-ch', '--force')).exitCode).toBe(0);

    expect(await cli.run('remove-host-from-channel', 'b3', 'new-ch')).toMatchObject({ exitCode: 0, output: '' });
    expect(await channelsOf('b3')).toEqual(['default']);
    expect(await cli.run('remove-host-from-channel', 'b3', 'new-ch')).toMatchObject({ exitCode: 1, error: 'Host b3 is not a member of channel new-ch\n' });
    expect(await cli.run('remove-host-from-channel', 'nosuch', 'new-ch')).toMatchObject({ exitCode: 1, error: 'No such host: nosuch\n' });
    expectUsageError(await cli.run('remove-host-from-channel', 'b3'), 'remove-host-from-channel [options] <hostname> <channel>', 'Please specify a hostname and a channel');
    await cli.run('add-host-to-channel', 'b3', 'build-ch');
    await cli.run('remove-host-from-channel', 'builder2', 'new-ch');
  });

  it('list-hosts prints the table, with filters and extra columns', async () => {
    await hub.db.rawQuery("UPDATE host SET ready = true, task_load = 1.25, update_time = to_timestamp(1720000000) WHERE name = 'builder1'");
    await hub.db.rawQuery("UPDATE host SET task_load = 0.35, update_time = to_timestamp(1700000000.5) WHERE name = 'b3'");
    await hub.login().then((s) => s.call('disableChannel', ['build-ch']));
    const all = await cli.runAs(null, null, 'list-hosts');
    const bar = '-'.repeat(HEADER.length);
    const convert = `convert-me Y   N    0.0/2.0  ${'noarch'.padEnd(16)} ${'-'.padEnd(35)}`;
    expect(all).toMatchObject({ exitCode: 0, error: '' });
    expect(all.output).toBe([HEADER.replace('Hostname ', 'Hostname   '), bar + '--', B3.replace('b3 ', 'b3   '), B1.replace('builder1 ', 'builder1   '), B2.replace('builder2 ', 'builder2   '), convert, ''].join('\n'));
    await hub.login().then((s) => s.call('disableHost', ['convert-me']));

    expect((await cli.run('list-hosts', '--channel', 'build-ch')).output).toBe([HEADER, bar, B3, B1, ''].join('\n'));
    expect((await cli.run('list-hosts', '--quiet', '--arch', 'aarch64')).output).toBe(B2 + '\n');
    expect((await cli.run('-q', 'list-hosts', '--arch', 'aarch64', '--arch', 's390x')).output).toBe(`${B3}\n${B2}\n`);
    expect((await cli.run('list-hosts', '--ready', '--quiet')).output).toBe(B1 + '\n');
    expect((await cli.run('list-hosts', '--not-ready', '--enabled', '--quiet')).output).toBe(B2 + '\n');
    // the name column is as wide as the longest name listed
    expect((await cli.run('list-hosts', '--disabled', '--quiet', '--channel', 'build-ch')).output).toBe(B3.replace('b3       ', 'b3 ') + '\n');
    const wide = await cli.run('list-hosts', '--show-channels', '--comment', '--description', '--channel', 'build-ch');
    expect(wide.output).toBe(
      [
        `${HEADER}${'Description'.padEnd(51)}${'Comment'.padEnd(51)}Channels`,
        '-'.repeat(HEADER.length + 102 + 8),
        `${B3} ${''.padEnd(50)} ${'a very long comment that goes past the forty-se...'.padEnd(50)} *build-ch,default`,
        `${B1} ${'Line one line two'.padEnd(50)} ${'In rack 7'.padEnd(50)} *build-ch,default`,
        '',
      ].join('\n'),
    );
  });

  it('list-hosts errors', async () => {
    expect(await cli.run('list-hosts', '--arch', 'sparc')).toMatchObject({ exitCode: 0, output: '', error: 'No hosts found.\n' });
    expectUsageError(await cli.run('list-hosts', '--channel', 'nosuch'), 'list-hosts [options]', 'No such channel: nosuch');
  });

  it('hostinfo prints host details and active buildroots', async () => {
    const b1 = await getHost('builder1');
    const r = await cli.runAs(null, null, 'hostinfo', 'builder1', 'nosuch', String(b1?.id), '0099', 'b3');
    expect(r.exitCode).toBe(1);
    expect(r.error).toBe('No such host: nosuch\n\nNo such host: 99\n\n');
    const builder1 = [
      'Name: builder1',
      `ID: ${String(b1?.id)}`,
      'Arches: x86_64 i686 noarch',
      'Capacity: 4.5',
      'Task Load: 1.25',
      'Description: Line one',
      '             line two',
      'Comment: In rack 7',
      'Enabled: yes',
      'Ready: yes',
      'Last Update: Wed, 03 Jul 2024 09:46:40 UTC',
      'Channels: default build-ch',
      'Active Buildroots:',
      'None',
    ];
    expect(r.output).toBe(
      [
        ...builder1,
        ...builder1,
        'Name: b3',
        `ID: ${String((await getHost('b3'))?.id)}`,
        'Arches: s390x',
        'Capacity: 2.0',
        'Task Load: 0.35',
        'Description:',
        'Comment: a very long comment that goes past the forty-seven characters',
        'Enabled: no',
        'Ready: no',
        'Last Update: Tue, 14 Nov 2023 22:13:20 UTC',
        'Channels: default build-ch',
        'Active Buildroots:',
        'None',
        '',
      ].join('\n'),
    );
    const never = await cli.run('hostinfo', 'builder2');
    expect(never.output).toContain('\nDescription:\nComment:\nEnabled: yes\nReady: no\nLast Update: never\nChannels: default\n');
    expectUsageError(await cli.run('hostinfo'), 'hostinfo [options] <hostname> [<hostname> ...]', 'Please specify a host');
  });

  it('host administration needs the host permission', async () => {
    const denied = '[ERROR] koji: ActionNotAllowed: host permission required (logged in as bob)\n';
    expect(await cli.runAs('bob', 'bob-password', 'add-host', 'evil', 'x86_64')).toMatchObject({ exitCode: 1, error: denied });
    expect(await cli.runAs('bob', 'bob-password', 'edit-host', 'builder1', '--comment', 'x')).toMatchObject({ exitCode: 1, error: denied });
    expect(await cli.runAs('bob', 'bob-password', 'disable-host', 'builder1')).toMatchObject({ exitCode: 1, error: denied });
    expect(await cli.runAs('bob', 'bob-password', 'add-host-to-channel', 'builder2', 'build-ch', '--force')).toMatchObject({ exitCode: 1, error: denied });
    expect(await cli.runAs('bob', 'bob-password', 'remove-host-from-channel', 'builder1', 'build-ch')).toMatchObject({ exitCode: 1, error: denied });
    expect(await getHost('evil')).toBeNull();
    expect(await getHost('builder1')).toMatchObject({ enabled: true, comment: 'In rack 7' });
    await hub.login().then((s) => s.call('grantPermission', ['bob', 'host']));
    expect(await cli.runAs('bob', 'bob-password', 'edit-host', 'builder1', '--comment', 'by bob')).toMatchObject({ exitCode: 0, output: 'Edited builder1\n' });
  });

  it('--help describes the options', async () => {
    const r = await cli.run('list-hosts', '--help');
    expect(r.output).toMatch(/^usage: koji list-hosts \[options\]\n/i);
    for (const line of [/--arch=ARCH +Specify an architecture\n/, /--not-ready +Limit to not ready hosts\n/, /--disabled +Alias for --not-enabled\n/, /--show-channels +Show host's channels\n/]) {
      expect(r.output).toMatch(line);
    }
    expect((await cli.run('edit-host', '--help')).output).toMatch(/--description=DESC +Description of this host\n/);
    expect((await cli.run('add-host-to-channel', '--help')).output).not.toContain('--list');
  });
});
