/**
 * The notification commands: add-notification, edit-notification, remove-notification,
 * list-notifications, block-notification, unblock-notification — for oneself, for another user
 * as admin, and their usage errors. With KOJI_SRC set, runs that change nothing are also compared
 * with the stock CLI's (logged in as the same user).
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CommandResult } from '../../src/cli/command.ts';
import type { ClientSession } from '../../src/protocol/client.ts';
import type { XmlRpcStruct } from '../../src/protocol/values.ts';
import { engines } from '../helpers/db.ts';
import { ADMIN, ADMIN_PASSWORD, startTestHub, type TestHub } from '../helpers/hub.ts';
import { cliFor, expectUsageError, type CliRunner } from '../helpers/cli.ts';

type Row = XmlRpcStruct & { id: number; user_id: number; package_id: number | null; tag_id: number | null; success_only?: boolean };

const USERS: Record<string, string> = { [ADMIN]: ADMIN_PASSWORD, bob: 'bob-pass-1', carol: 'carol-pass-1' };

describe.each(engines())('notification CLI commands on %s', (engine) => {
  let hub: TestHub;
  let cli: CliRunner;
  let admin: ClientSession;
  const ids: Record<string, number> = {};

  /** The stock CLI with the same arguments and login (when KOJI_SRC is set). */
  const stock = (user: string | null, args: string[]) =>
    new Promise<CommandResult>((resolve) => {
      const src = process.env.KOJI_SRC as string;
      const login = user ? ['--user', user, '--password', USERS[user]] : ['--noauth'];
      execFile('/usr/bin/python3', [join(src, 'cli/koji'), '-c', cli.configFile, '-p', 'test', ...login, ...args], { env: { ...process.env, PYTHONPATH: `${src}:${src}/cli` } }, (e, stdout, stderr) =>
        resolve({ output: stdout, error: stderr.replace(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} /gm, ''), exitCode: e ? Number(e.code) : 0 }),
      );
    });
  /** Run as `user` (null: --noauth); a run that changes nothing is compared with the stock CLI's. */
  const run = async (user: string | null, ...args: string[]): Promise<CommandResult> => {
    const r = await cli.runAs(user, user ? USERS[user] : null, ...args);
    return { ...r, error: r.error ?? '' };
  };
  const check = async (user: string | null, ...args: string[]): Promise<CommandResult> => {
    const r = await run(user, ...args);
    if (process.env.KOJI_SRC) expect(r).toEqual(await stock(user, args));
    return r;
  };
  const notifs = (user: string) => admin.call<Row[]>('getBuildNotifications', [user]);
  const blocks = (user: string) => admin.call<Row[]>('getBuildNotificationBlocks', [user]);

  beforeAll(async () => {
    hub = await startTestHub(engine, { conf: '[hub]\nEmailDomain = example.com\n' });
    cli = cliFor(hub);
    admin = await hub.login();
    for (const u of ['bob', 'carol']) {
      ids[u] = await admin.call<number>('createUser', [u]);
      await admin.call('kojits.setPassword', [u, USERS[u]]);
    }
    for (const tag of ['f40', 'f41-updates-candidate-long']) ids[tag] = await admin.call<number>('createTag', [tag]);
    for (const pkg of ['bash', 'zsh']) {
      await admin.call('packageListAdd', ['f40', pkg], { owner: 'bob' });
      ids[pkg] = (await admin.call<Row>('getPackage', [pkg])).id;
    }
  });
  afterAll(async () => hub?.stop());

  it('add-notification adds the logged-in user\'s, or (admin) another user\'s', async () => {
    expect(await run('bob', 'add-notification', '--package', 'bash', '--tag', 'f40', '--success-only')).toEqual({ output: '', error: '', exitCode: 0 });
    await run('bob', 'add-notification', '--tag', 'f41-updates-candidate-long');
    expect(await run(ADMIN, 'add-notification', '--user', 'carol', '--package', 'zsh')).toMatchObject({ exitCode: 0 });
    expect(await notifs('bob')).toEqual([
      { id: expect.any(Number), user_id: ids.bob, package_id: ids.bash, tag_id: ids.f40, success_only: true, email: 'bob@example.com' },
      { id: expect.any(Number), user_id: ids.bob, package_id: null, tag_id: ids['f41-updates-candidate-long'], success_only: false, email: 'bob@example.com' },
    ]);
    expect(await notifs('carol')).toMatchObject([{ package_id: ids.zsh, tag_id: null, success_only: false, email: 'carol@example.com' }]);
  });

  it('add-notification errors', async () => {
    const usage = 'add-notification [options]';
    expectUsageError(await check('bob', 'add-notification', 'x'), usage, 'This command takes no arguments');
    expectUsageError(await check('bob', 'add-notification', '--success-only'), usage, 'Command need at least one from --tag or --package options.');
    expectUsageError(await check('bob', 'add-notification', '--user', 'carol', '--tag', 'f40'), usage, '--user requires admin permission');
    expectUsageError(await check('bob', 'add-notification', '--package', 'nosuch'), usage, 'No such package: nosuch');
    expectUsageError(await check('bob', 'add-notification', '--tag', 'nosuch'), usage, 'No such tag: nosuch');
    expect(await check('bob', 'add-notification', '--package', 'bash', '--tag', 'f40', '--success-only')).toEqual({ output: '', error: '[ERROR] koji: GenericError: notification already exists\n', exitCode: 1 });
    expect(await check(ADMIN, 'add-notification', '--user', 'nosuch', '--tag', 'f40')).toEqual({ output: '', error: "[ERROR] koji: TypeError: 'NoneType' object is not subscriptable\n", exitCode: 1 });
    expect(await notifs('bob')).toHaveLength(2);
  });

  it('list-notifications shows a user\'s notifications and blocks with tag and package names', async () => {
    await admin.call('createNotificationBlock', ['bob', 'zsh', 'f40']);
    await admin.call('createNotificationBlock', ['bob']);
    const [n1, n2] = await notifs('bob');
    const [b1, b2] = await blocks('bob');
    const head = '    ID Tag                       Package                   E-mail               Success-only';
    const bhead = '    ID Tag                       Package                  ';
    const expected = [
      'Notifications',
      head,
      '-'.repeat(head.length),
      `${String(n1.id).padStart(6)} f40                       bash                      bob@example.com      yes         `,
      `${String(n2.id).padStart(6)} f41-updates-candidate-long *                         bob@example.com      no          `,
      '',
      'Notification blocks',
      bhead,
      '-'.repeat(bhead.length),
      `${String(b1.id).padStart(6)} f40                       zsh                      `,
      `${String(b2.id).padStart(6)} *                         *                        `,
      '',
    ].join('\n');
    expect(await check(null, 'list-notifications', '--user', 'bob')).toEqual({ output: expected, error: '', exitCode: 0 });
    expect(await check('bob', 'list-notifications', '--mine')).toEqual({ output: expected, error: '', exitCode: 0 });
    expect(await check('carol', 'list-notifications', '--mine')).toMatchObject({ output: expect.stringMatching(/^Notifications\n.*\n-+\n +\d+ \* +zsh +carol@example.com +no +\n\nNo notification blocks\n$/), exitCode: 0 });
    expect(await check(null, 'list-notifications', '--user', ADMIN)).toEqual({ output: 'No notifications\n\nNo notification blocks\n', error: '', exitCode: 0 });
  });

  it('list-notifications errors', async () => {
    expectUsageError(await check(null, 'list-notifications'), 'list-notifications [options]', 'Use --user or --mine.');
    expectUsageError(await check(null, 'list-notifications', '--mine', 'x'), 'list-notifications [options]', 'This command takes no arguments');
    expect(await check(null, 'list-notifications', '--user', 'nosuch')).toEqual({ output: '', error: 'No such user: nosuch\n', exitCode: 1 });
  });

  it('edit-notification changes only what is given; * means any', async () => {
    const [n1] = await notifs('bob');
    expect(await run('bob', 'edit-notification', String(n1.id), '--no-success-only')).toEqual({ output: '', error: '', exitCode: 0 });
    expect(await admin.call('getBuildNotification', [n1.id])).toEqual({ ...n1, success_only: false });
    await run('bob', 'edit-notification', String(n1.id), '--package', '*', '--tag', 'f41-updates-candidate-long', '--success-only');
    // bob's other notification has the same package and tag, but not success_only: allowed
    expect(await admin.call('getBuildNotification', [n1.id])).toEqual({ ...n1, package_id: null, tag_id: ids['f41-updates-candidate-long'], success_only: true });
    await run(ADMIN, 'edit-notification', String(n1.id), '--package', 'zsh', '--tag', '*');
    expect(await admin.call('getBuildNotification', [n1.id])).toEqual({ ...n1, package_id: ids.zsh, tag_id: null, success_only: true });
  });

  it('edit-notification errors', async () => {
    const [n1, n2] = await notifs('bob');
    const usage = 'edit-notification [options] <notification_id>';
    expectUsageError(await check('bob', 'edit-notification'), usage, 'Only argument is notification ID');
    expectUsageError(await check('bob', 'edit-notification', 'x', '--tag', 'f40'), usage, 'Notification ID has to be numeric');
    expectUsageError(await check('bob', 'edit-notification', String(n1.id)), usage, 'Command need at least one option');
    expectUsageError(await check('bob', 'edit-notification', String(n1.id), '--package', 'nosuch'), usage, 'No such package: nosuch');
    expectUsageError(await check('bob', 'edit-notification', String(n1.id), '--tag', 'nosuch'), usage, 'No such tag: nosuch');
    expect(await check('carol', 'edit-notification', String(n1.id), '--tag', 'f40')).toEqual({ output: '', error: `[ERROR] koji: GenericError: user ${ids.carol} cannot update notifications for user ${ids.bob}\n`, exitCode: 1 });
    // unchanged: Koji's hub counts the notification itself as a duplicate
    expect(await check('bob', 'edit-notification', String(n2.id), '--no-success-only')).toEqual({ output: '', error: '[ERROR] koji: GenericError: notification already exists\n', exitCode: 1 });
    expect(await check('bob', 'edit-notification', '99999', '--tag', 'f40')).toEqual({ output: '', error: "[ERROR] koji: TypeError: 'NoneType' object is not subscriptable\n", exitCode: 1 });
    expect(await check('bob', 'edit-notification', '99999', '--tag', '*', '--package', '*', '--success-only')).toEqual({ output: '', error: '[ERROR] koji: GenericError: No notification with ID 99999 found\n', exitCode: 1 });
  });

  it('block-notification blocks for the logged-in user, or (admin) another user', async () => {
    await admin.call('deleteNotificationBlock', [(await blocks('bob'))[1].id]);
    expect(await run('bob', 'block-notification', '--all')).toEqual({ output: '', error: '', exitCode: 0 });
    await run('bob', 'block-notification', '--tag', 'f40');
    await run(ADMIN, 'block-notification', '--user', 'carol', '--package', 'bash', '--tag', 'f41-updates-candidate-long');
    expect((await blocks('bob')).map((b) => [b.package_id, b.tag_id])).toEqual([
      [ids.zsh, ids.f40],
      [null, null],
      [null, ids.f40],
    ]);
    expect(await blocks('carol')).toEqual([{ id: expect.any(Number), user_id: ids.carol, package_id: ids.bash, tag_id: ids['f41-updates-candidate-long'] }]);
  });

  it('block-notification errors', async () => {
    const usage = 'block-notification [options]';
    expectUsageError(await check('bob', 'block-notification', 'x'), usage, 'This command takes no arguments');
    expectUsageError(await check('bob', 'block-notification'), usage, 'One of --tag, --package or --all must be specified.');
    expectUsageError(await check('bob', 'block-notification', '--all', '--user', 'carol'), usage, '--user requires admin permission');
    expectUsageError(await check('bob', 'block-notification', '--package', 'nosuch'), usage, 'No such package: nosuch');
    expectUsageError(await check('bob', 'block-notification', '--tag', 'nosuch'), usage, 'No such tag: nosuch');
    expectUsageError(await check('bob', 'block-notification', '--all'), usage, 'Notification already exists.');
    expectUsageError(await check(null, 'block-notification', '--all'), usage, 'Please login with authentication or specify --user');
    expect(await check(ADMIN, 'block-notification', '--all', '--user', 'nosuch')).toEqual({ output: '', error: "[ERROR] koji: GenericError: No such user: 'nosuch'\n", exitCode: 1 });
    expect(await blocks('bob')).toHaveLength(3);
  });

  it('remove-notification and unblock-notification delete by id, one line each', async () => {
    const [n1, n2] = await notifs('bob');
    expect(await run('bob', 'remove-notification', String(n1.id), String(n2.id))).toEqual({
      output: `Notification ${n1.id} successfully removed.\nNotification ${n2.id} successfully removed.\n`,
      error: '',
      exitCode: 0,
    });
    expect(await notifs('bob')).toEqual([]);
    const [cn] = await notifs('carol');
    expect(await run(ADMIN, '--quiet', 'remove-notification', String(cn.id))).toEqual({ output: '', error: '', exitCode: 0 });
    expect(await notifs('carol')).toEqual([]);

    const [b1, b2, b3] = await blocks('bob');
    // a failure stops the run; what was removed before stays reported
    expect(await run('bob', 'unblock-notification', String(b1.id), '99999', String(b2.id))).toEqual({
      output: `Notification block ${b1.id} successfully removed.\n`,
      error: '[ERROR] koji: GenericError: No notification block with ID 99999 found\n',
      exitCode: 1,
    });
    expect((await blocks('bob')).map((b) => b.id)).toEqual([b2.id, b3.id]);
    const [cb] = await blocks('carol');
    expect(await check('bob', 'unblock-notification', String(cb.id))).toEqual({ output: '', error: `[ERROR] koji: GenericError: user ${ids.bob} cannot delete notification blocks for user ${ids.carol}\n`, exitCode: 1 });
    expect(await run(ADMIN, 'unblock-notification', String(cb.id))).toMatchObject({ output: `Notification block ${cb.id} successfully removed.\n`, exitCode: 0 });
    expect(await blocks('carol')).toEqual([]);
  });

  it('remove-notification and unblock-notification errors', async () => {
    expectUsageError(await check('bob', 'remove-notification'), 'remove-notification [options] <notification_id> [<notification_id> ...]', 'At least one notification id has to be specified');
    expectUsageError(await check('bob', 'remove-notification', '1', 'x'), 'remove-notification [options] <notification_id> [<notification_id> ...]', 'All notification ids has to be integers');
    expectUsageError(await check('bob', 'unblock-notification'), 'unblock-notification [options] <notification_id> [<notification_id> ...]', 'At least one notification block id has to be specified');
    expectUsageError(await check('bob', 'unblock-notification', 'x'), 'unblock-notification [options] <notification_id> [<notification_id> ...]', 'All notification block ids has to be integers');
    expect(await check('bob', 'remove-notification', '99999')).toEqual({ output: '', error: '[ERROR] koji: GenericError: No notification with ID 99999 found\n', exitCode: 1 });
  });
});
