/**
 * Build target commands (add-target, edit-target, remove-target, list-targets) and clone-tag,
 * with the exact text the stock CLI prints.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClientSession } from '../../src/protocol/client.ts';
import { engines } from '../helpers/db.ts';
import { startTestHub, type TestHub } from '../helpers/hub.ts';
import { cliFor, type CliRunner } from '../helpers/cli.ts';
import { addBuild } from '../helpers/content.ts';

process.env.TZ = 'UTC';

function expectUsageError(r: { exitCode: number; error?: string; output: string }, usage: string, message: string, output = ''): void {
  expect(r.exitCode).toBe(2);
  expect(r.output).toBe(output);
  expect(r.error).toBe(`Usage: koji ${usage}\n(Specify the --help global option for a list of other help options)\n\nkoji: error: ${message}\n`);
}

const HEADER = 'Name                           Buildroot                      Destination                   \n' + '-'.repeat(93) + '\n';
const row = (a: string, b: string, c: string) => `${a.padEnd(30)} ${b.padEnd(30)} ${c.padEnd(30)}\n`;
const CLONE_USAGE = 'clone-tag [options] <src-tag> <dst-tag>\nclone-tag will create the destination tag if it does not already exist';

describe.each(engines())('target CLI commands and clone-tag on %s', (engine) => {
  let hub: TestHub;
  let cli: CliRunner;
  let admin: ClientSession;
  beforeAll(async () => {
    hub = await startTestHub(engine);
    cli = cliFor(hub);
    admin = await hub.login();
    await admin.call('createTag', ['base'], { arches: 'x86_64' });
    await admin.call('createTag', ['child'], { parent: 'base', arches: 'x86_64 i686' });
    await admin.call('createTag', ['noarch-tag']);
    await admin.call('createTag', ['locked'], { locked: true });
    for (const p of ['bash', 'gcc']) await admin.call('packageListAdd', ['base', p], { owner: 'kojiadmin' });
    for (const n of ['bash-1-1', 'bash-2-1', 'gcc-1-1']) {
      await addBuild(hub, n);
      await admin.call('tagBuildBypass', ['base', n]);
    }
    await admin.call('groupListAdd', ['base', 'build'], { display_name: 'Build' });
    await admin.call('groupPackageListAdd', ['base', 'build', 'bash']);
    await admin.call('createUser', ['bob']);
    await admin.call('kojits.setPassword', ['bob', 'bob-password']);
  });
  afterAll(async () => hub?.stop());

  const ok = { exitCode: 0, output: '', error: '' };
  const tagged = async (tag: string) => (await hub.anon().call<Array<{ nvr: string }>>('listTagged', [tag])).map((b) => b.nvr);

  it('add-target and list-targets', async () => {
    expect(await cli.run('add-target', 'f1', 'base', 'child')).toMatchObject(ok);
    expect(await cli.run('add-target', 'child', 'base')).toMatchObject(ok);
    expect(await cli.run('list-targets')).toMatchObject({ exitCode: 0, output: HEADER + row('child', 'base', 'child') + row('f1', 'base', 'child') });
    expect((await cli.runAs(null, null, 'list-targets', '--quiet')).output).toBe(row('child', 'base', 'child') + row('f1', 'base', 'child'));
    expect((await cli.run('-q', 'list-targets')).output).toBe(row('child', 'base', 'child') + row('f1', 'base', 'child'));
    expect((await cli.run('list-targets', '--name', 'f1')).output).toBe(HEADER + row('f1', 'base', 'child'));
    expectUsageError(await cli.run('list-targets', '--name', 'nosuch'), 'list-targets [options]', 'No such build target: nosuch');
    expectUsageError(await cli.run('list-targets', 'extra'), 'list-targets [options]', 'This command takes no arguments');
  });

  it('add-target errors', async () => {
    expect(await cli.run('add-target', 'f1', 'base', 'child')).toMatchObject({ exitCode: 1, error: "[ERROR] koji: GenericError: A build target with the name 'f1' already exists\n" });
    expect(await cli.run('add-target', 'x', 'nosuch', 'child')).toMatchObject({ exitCode: 1, output: '', error: 'No such tag: nosuch\n' });
    expect(await cli.run('add-target', 'x', 'noarch-tag', 'child')).toMatchObject({ exitCode: 1, error: 'Build tag has no arches: noarch-tag\n' });
    expect(await cli.run('add-target', 'x', 'base', 'nosuch')).toMatchObject({ exitCode: 1, error: 'No such destination tag: nosuch\n' });
    expectUsageError(await cli.run('add-target', 'x'), 'add-target <name> <build tag> <dest tag>', 'Please specify a target name, a build tag, and destination tag');
    expectUsageError(await cli.run('add-target', 'a', 'b', 'c', 'd'), 'add-target <name> <build tag> <dest tag>', 'Incorrect number of arguments');
    expectUsageError(await cli.runAs('bob', 'bob-password', 'add-target', 'q', 'base'), 'add-target <name> <build tag> <dest tag>', 'This action requires target or admin privileges');
  });

  it('edit-target and remove-target', async () => {
    expect(await cli.run('edit-target', 'f1', '--rename', 'f2')).toMatchObject(ok);
    expect(await cli.run('edit-target', 'f2', '--build-tag', 'noarch-tag')).toMatchObject({ exitCode: 1, error: 'Build tag has no arches: noarch-tag\n' });
    expect(await cli.run('edit-target', 'f2', '--build-tag', 'nosuch')).toMatchObject({ exitCode: 1, error: 'No such tag: nosuch\n' });
    expect(await cli.run('edit-target', 'f2', '--dest-tag', 'nosuch')).toMatchObject({ exitCode: 1, error: 'No such destination tag: nosuch\n' });
    expect(await cli.run('edit-target', 'f2', '--dest-tag', 'base', '--build-tag', 'child')).toMatchObject(ok);
    expect((await cli.run('list-targets', '--quiet')).output).toBe(row('child', 'base', 'child') + row('f2', 'child', 'base'));
    expect(await cli.run('edit-target', 'nosuch', '--rename', 'zz')).toMatchObject({ exitCode: 1, error: '[ERROR] koji: GenericError: No such build target: nosuch\n' });
    expectUsageError(await cli.run('edit-target'), 'edit-target [options] <name>', 'Please specify a build target');
    expectUsageError(await cli.runAs('bob', 'bob-password', 'edit-target', 'f2'), 'edit-target [options] <name>', 'This action requires target or admin privileges');
    expect(await cli.run('remove-target', 'nosuch')).toMatchObject({ exitCode: 1, error: 'No such build target: nosuch\n' });
    expectUsageError(await cli.run('remove-target'), 'remove-target [options] <name>', 'Please specify a build target to remove');
    expect(await cli.run('remove-target', 'f2')).toMatchObject(ok);
    expect((await cli.run('list-targets')).output).toBe(HEADER + row('child', 'base', 'child'));
  });

  it('clone-tag copies into a new tag, then syncs an existing one', async () => {
    expect(await cli.run('clone-tag', 'base', 'copy1')).toMatchObject(ok);
    expect(await hub.anon().call('getTag', ['copy1'])).toMatchObject({ arches: null });
    expect(await tagged('copy1')).toEqual([]);
    expect(await cli.run('clone-tag', 'base', 'copy2', '--all')).toMatchObject(ok);
    expect(await hub.anon().call('getTag', ['copy2'])).toMatchObject({ arches: 'x86_64' });
    expect(await tagged('copy2')).toEqual(['gcc-1-1', 'bash-2-1', 'bash-1-1']);
    expect((await cli.run('list-groups', 'copy2')).output).toBe('build  [copy2]\n  bash: None, mandatory  [copy2]\n');
    expect(await cli.run('clone-tag', 'base', 'copy2', '--all', '--latest-only')).toMatchObject(ok);
    expect(await tagged('copy2')).toEqual(['gcc-1-1', 'bash-2-1']);
    expect(await cli.run('clone-tag', 'child', 'copy3', '--pkgs', '--builds', '--inherit-builds', '--latest-only')).toMatchObject(ok);
    expect((await tagged('copy3')).sort()).toEqual(['bash-2-1', 'gcc-1-1']);
    expect(await cli.run('clone-tag', 'child', 'copy3', '--pkgs', '--builds', '--no-delete')).toMatchObject(ok);
    expect((await tagged('copy3')).sort()).toEqual(['bash-2-1', 'gcc-1-1']);
  });

  it('clone-tag at an event prints it', async () => {
    const ev = (await hub.anon().call<{ id: number }>('getLastEvent')).id;
    await addBuild(hub, 'bash-3-1');
    await admin.call('tagBuildBypass', ['base', 'bash-3-1']);
    const r = await cli.run('clone-tag', '--event', String(ev), 'base', 'copy4', '--all');
    expect(r).toMatchObject({ exitCode: 0, error: '' });
    expect(r.output).toMatch(new RegExp(`^Cloning at event ${ev} \\(\\w{3} \\w{3} [ \\d]\\d \\d\\d:\\d\\d:\\d\\d \\d{4}\\)\\n$`));
    expect(await tagged('copy4')).not.toContain('bash-3-1');
    const bad = await cli.run('clone-tag', '--event', String(ev), 'base', 'copy5', '--builds');
    expectUsageError(bad, CLONE_USAGE, "--builds can't be used without also specifying --pkgs", bad.output);
    expect(bad.output).toMatch(/^Cloning at event \d+ /);
  });

  it('clone-tag errors', async () => {
    expectUsageError(await cli.run('clone-tag', 'base', 'copy3x', '--builds'), CLONE_USAGE, "--builds can't be used without also specifying --pkgs");
    expectUsageError(await cli.run('clone-tag', 'base', 'base'), CLONE_USAGE, 'Source and destination tags must be different.');
    expectUsageError(await cli.run('clone-tag', 'nosuch', 'x', '--all'), CLONE_USAGE, 'No such src-tag: nosuch');
    expectUsageError(await cli.run('clone-tag', 'base'), CLONE_USAGE, 'This command takes two arguments: <src-tag> <dst-tag>');
    const locked = 'Error: You are attempting to clone from or to a tag which is locked.\nPlease use --force if this is what you really want to do.';
    expectUsageError(await cli.run('clone-tag', 'locked', 'x'), CLONE_USAGE, locked);
    expectUsageError(await cli.run('clone-tag', 'base', 'locked', '--pkgs'), CLONE_USAGE, locked);
    expect(await cli.run('clone-tag', 'locked', 'x', '-f', '--config')).toMatchObject(ok);
    expect(await hub.anon().call('getTag', ['x'])).toMatchObject({ locked: true });
    expectUsageError(await cli.run('clone-tag', 'base', 'copy6', '--test'), CLONE_USAGE, 'server-side operation, test output is no longer available');
    expectUsageError(await cli.run('clone-tag', 'base', 'copy6', '--batch=-1'), CLONE_USAGE, 'batch size must be bigger than zero');
    expectUsageError(await cli.runAs('bob', 'bob-password', 'clone-tag', 'base', 'copy7'), CLONE_USAGE, 'This action requires tag or admin privileges');
    expect(await hub.anon().call('getTag', ['copy6'])).toBeNull();
  });
});
