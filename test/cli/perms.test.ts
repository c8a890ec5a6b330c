import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines } from '../helpers/db.ts';
import { startTestHub, type TestHub } from '../helpers/hub.ts';
import { cliFor, expectUsageError, type CliRunner } from '../helpers/cli.ts';

describe.each(engines())('permission CLI commands on %s', (engine) => {
  let hub: TestHub;
  let cli: CliRunner;
  beforeAll(async () => {
    hub = await startTestHub(engine);
    cli = cliFor(hub);
    const admin = await hub.login();
    for (const u of ['bob', 'carol']) await admin.call('createUser', [u]);
    await admin.call('kojits.setPassword', ['bob', 'bob-password']);
  });
  afterAll(async () => hub?.stop());

  const permsOf = (name: string) => hub.anon().call<string[]>('getUserPerms', [name]);

  it('grant-permission grants to several users, and creates permissions with --new', async () => {
    const r = await cli.run('grant-permission', 'repo', 'bob', 'carol');
    expect(r).toMatchObject({ exitCode: 0, output: '' });
    expect(await permsOf('bob')).toEqual(['repo']);
    expect(await permsOf('carol')).toEqual(['repo']);
    const n = await cli.run('grant-permission', '--new', '--description', 'Deploy things.', 'deploy', 'bob');
    expect(n.exitCode).toBe(0);
    expect(await permsOf('bob')).toEqual(['repo', 'deploy']);
    const all = await hub.anon().call<Array<{ name: string; description: string | null }>>('getAllPerms');
    expect(all.find((p) => p.name === 'deploy')?.description).toBe('Deploy things.');
  });

  it('grant-permission errors', async () => {
    expect(await cli.run('grant-permission', 'repo', 'bob')).toMatchObject({ exitCode: 1, error: '[ERROR] koji: GenericError: user bob already has permission: repo\n' });
    expect(await cli.run('grant-permission', 'nosuch', 'bob')).toMatchObject({ exitCode: 1, error: '[ERROR] koji: GenericError: No such entry in table permissions: nosuch\n' });
    const usage = 'grant-permission [options] <permission> <user> [<user> ...]';
    expectUsageError(await cli.run('grant-permission', 'repo', 'bob', 'nobody'), usage, 'No such user: nobody');
    expectUsageError(await cli.run('grant-permission', 'repo'), usage, 'Please specify a permission and at least one user');
    expectUsageError(await cli.run('grant-permission', '--description', 'x', 'other', 'carol'), usage, 'Option new must be specified with option description.');
    expect(await permsOf('carol')).toEqual(['repo']);
  });

  it('revoke-permission revokes, and reports what it cannot', async () => {
    expect(await cli.run('revoke-permission', 'repo', 'carol')).toMatchObject({ exitCode: 0, output: '' });
    expect(await permsOf('carol')).toEqual([]);
    expect(await cli.run('revoke-permission', 'repo', 'carol')).toMatchObject({ exitCode: 1, error: '[ERROR] koji: GenericError: user carol does not have permission: repo\n' });
    expectUsageError(await cli.run('revoke-permission', 'repo', 'nobody'), 'revoke-permission <permission> <user> [<user> ...]', 'No such user: nobody');
    expectUsageError(await cli.run('revoke-permission'), 'revoke-permission <permission> <user> [<user> ...]', 'Please specify a permission and at least one user');
  });

  it('edit-permission changes the description', async () => {
    expect(await cli.run('edit-permission', 'deploy', 'Deploy all the things.')).toMatchObject({ exitCode: 0, output: '' });
    const all = await hub.anon().call<Array<{ name: string; description: string | null }>>('getAllPerms');
    expect(all.find((p) => p.name === 'deploy')?.description).toBe('Deploy all the things.');
    expect((await cli.run('edit-permission', 'nosuch', 'x')).error).toBe('[ERROR] koji: GenericError: No such entry in table permissions: nosuch\n');
    expectUsageError(await cli.run('edit-permission', 'deploy'), 'edit-permission <permission> <description>', 'Please specify a permission and a description');
  });

  it('list-permissions lists every permission with its description, sorted', async () => {
    const all = await hub.anon().call<Array<{ name: string; description: string | null }>>('getAllPerms');
    const r = await cli.run('list-permissions');
    expect(r.exitCode).toBe(0);
    const lines = r.output.split('\n');
    expect(lines[0]).toBe('Permission name      Description                                       ');
    expect(lines[1]).toBe('-'.repeat(71));
    const expected = all
      .map((p) => p.name)
      .sort()
      .map((name) => {
        const d = all.find((p) => p.name === name)?.description;
        return name.padEnd(18) + (d ? `   ${d}` : '');
      });
    expect(lines.slice(2)).toEqual([...expected, '']);
    expect(r.output).toContain('\ndeploy               Deploy all the things.\n');
    const q = await cli.run('list-permissions', '--quiet');
    expect(q.output).toBe(expected.join('\n') + '\n');
    expect((await cli.run('-q', 'list-permissions')).output).toBe(q.output);
  });

  it('list-permissions --user and --mine show direct and inherited permissions', async () => {
    const admin = await hub.login();
    await admin.call('newGroup', ['ops']);
    await admin.call('addGroupMember', ['ops', 'carol']);
    await admin.call('grantPermission', ['ops', 'target']);
    await admin.call('grantPermission', ['ops', 'a-really-long-permission-name', true]);
    await admin.call('grantPermission', ['carol', 'sign']);
    const r = await cli.run('list-permissions', '--user', 'carol');
    expect(r.output).toBe(
      [
        `${'Permission name'.padEnd(29)}${'   Description'.padEnd(53)}`,
        '-'.repeat(29 + 53),
        'a-really-long-permission-name   inherited from: ops',
        'sign                         ',
        'target                          inherited from: ops',
        '',
      ].join('\n'),
    );
    const bob = await cli.runAs('bob', 'bob-password', 'list-permissions', '--mine');
    expect(bob.output).toBe('Permission name   \n------------------\ndeploy            \nrepo              \n');
    expect((await cli.run('list-permissions', '--user', 'ops', '--quiet')).output).toBe('a-really-long-permission-name\ntarget                       \n');
  });

  it('list-permissions errors', async () => {
    expect(await cli.run('list-permissions', '--user', 'nobody')).toMatchObject({ exitCode: 1, output: '', error: 'No such user: nobody\n' });
    expectUsageError(await cli.run('list-permissions', 'extra'), 'list-permissions [options]', 'This command takes no arguments');
    // as the stock CLI: --mine without a login dies on the missing user
    expect(await cli.runAs(null, null, 'list-permissions', '--mine')).toMatchObject({ exitCode: 1, error: "[ERROR] koji: TypeError: 'NoneType' object is not subscriptable\n" });
    // …and so does a permission held both directly and through a group
    const admin = await hub.login();
    await admin.call('grantPermission', ['carol', 'target']);
    expect(await cli.run('list-permissions', '--user', 'carol')).toMatchObject({ exitCode: 1, error: '[ERROR] koji: TypeError: sequence item 0: expected str instance, NoneType found\n' });
  });

  it('changing permissions needs the admin permission', async () => {
    const denied = '[ERROR] koji: ActionNotAllowed: admin permission required (logged in as bob)\n';
    expect(await cli.runAs('bob', 'bob-password', 'grant-permission', 'admin', 'bob')).toMatchObject({ exitCode: 1, error: denied });
    expect(await cli.runAs('bob', 'bob-password', 'revoke-permission', 'repo', 'bob')).toMatchObject({ exitCode: 1, error: denied });
    expect(await cli.runAs('bob', 'bob-password', 'edit-permission', 'repo', 'x')).toMatchObject({ exitCode: 1, error: denied });
    expect(await permsOf('bob')).toEqual(['repo', 'deploy']);
  });

  it('--help describes the options', async () => {
    const r = await cli.run('grant-permission', '--help');
    expect(r.exitCode).toBe(0);
    expect(r.output).toMatch(/^usage: koji grant-permission \[options\] <permission> <user> \[<user> \.\.\.\]\n/i);
    // (the stock CLI wraps help text at 54 columns: "does not\n<indent>exist")
    expect(r.output).toMatch(/ {2}--new +Create this permission if the permission does not\s+exist\n/);
    expect(r.output).toMatch(/ {2}--description=DESCRIPTION\n +Add description about new permission\n/);
    expect((await cli.run('list-permissions', '--help')).output).toMatch(/ {2}--mine +List your permissions\n/);
  });
});
