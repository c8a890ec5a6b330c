/**
 * Tag commands of our CLI against a real hub: add-tag, edit-tag, remove-tag, list-tags, taginfo
 * and the inheritance commands. The expected outputs were checked against the stock koji 1.35.3
 * CLI run on the same data (scratch comparison, not part of the tests).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClientSession } from '../../src/protocol/client.ts';
import { Float, type XmlRpcStruct } from '../../src/protocol/values.ts';
import { engines } from '../helpers/db.ts';
import { startTestHub, type TestHub } from '../helpers/hub.ts';
import { cliFor, type CliRunner } from '../helpers/cli.ts';
import { addBuild, addExternalRepo, addRepo, linkExternalRepo } from '../helpers/content.ts';

process.env.TZ = 'UTC';

function expectUsageError(r: { exitCode: number; error?: string; output: string }, usage: string, message: string): void {
  expect(r.exitCode).toBe(2);
  expect(r.error).toMatch(new RegExp(`^Usage: koji ${usage.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\n`));
  expect(r.error).toContain(`\n\nkoji: error: ${message}\n`);
}

describe.each(engines())('tag CLI commands on %s', (engine) => {
  let hub: TestHub;
  let cli: CliRunner;
  let admin: ClientSession;
  const id = async (tag: string) => (await admin.call<XmlRpcStruct>('getTag', [tag])).id as number;
  const ok = (output = '') => ({ exitCode: 0, output, error: '' });

  beforeAll(async () => {
    hub = await startTestHub(engine);
    cli = cliFor(hub);
    admin = await hub.login();
    await admin.call('createUser', ['bob']);
    await admin.call('kojits.setPassword', ['bob', 'bob-pass-1']);
  });
  afterAll(async () => hub?.stop());

  it('add-tag creates tags with arches, parent, extra', async () => {
    expect(await cli.run('add-tag', 'base', '--arches', 'x86_64,i686', '-x', 'a=1', '-x', 'b=foo', '-x', 'f=2.5', '--extra', 'n=None')).toMatchObject(ok());
    expect(await cli.run('add-tag', 'child', '--parent', 'base')).toMatchObject(ok());
    expect(await admin.call('getTag', ['base'])).toMatchObject({ arches: 'x86_64 i686', extra: { a: 1, b: 'foo', f: new Float(2.5), n: null } });
    expect((await admin.call<XmlRpcStruct[]>('getInheritanceData', ['child'])).map((l) => [l.name, l.priority])).toEqual([['base', 0]]);
  });

  it('add-tag errors', async () => {
    expect(await cli.run('add-tag', 'base')).toMatchObject({ exitCode: 1, output: '', error: "[ERROR] koji: GenericError: A tag with the name 'base' already exists\n" });
    expect(await cli.run('add-tag', 'bad', '-x', 'noequals')).toMatchObject({ exitCode: 1, error: '[ERROR] koji: ValueError: not enough values to unpack (expected 2, got 1)\n' });
    expect(await cli.run('add-tag', 'bad', '--arches', 'x86_64;rm')).toMatchObject({ exitCode: 1, error: '[ERROR] koji: GenericError: Architecture can be only [a-zA-Z0-9_-]\n' });
    expectUsageError(await cli.run('add-tag'), 'add-tag [options] <name>', 'Please specify a name for the tag');
    expectUsageError(await cli.runAs('bob', 'bob-pass-1', 'add-tag', 'x'), 'add-tag [options] <name>', 'This action requires tag or admin privileges');
  });

  it('edit-tag changes arches, perm, lock, name and extra', async () => {
    expect(await cli.run('edit-tag', 'child', '-x', 'j={"k": [1, 2]}', '--perm', 'admin', '--lock', '-x', 't=True', '--arches', 'aarch64 ppc64le')).toMatchObject(ok());
    expect(await admin.call('getTag', ['child'])).toMatchObject({ perm: 'admin', locked: true, arches: 'aarch64 ppc64le', extra: { j: { k: [1, 2] }, t: true } });
    expect(await cli.run('edit-tag', 'child', '--unlock', '--no-perm', '-b', 'b', '-r', 't', '--arches', '')).toMatchObject(ok());
    expect(await admin.call('getTag', ['child'], { blocked: true })).toMatchObject({ perm: null, locked: false, arches: 'aarch64 ppc64le', extra: { j: [false, { k: [1, 2] }], b: [true, null] } });
    expect(await cli.run('edit-tag', 'child', '--rename', 'kid')).toMatchObject(ok());
    expect(await cli.run('edit-tag', 'kid', '--rename', 'child')).toMatchObject(ok());
    expectUsageError(await cli.run('edit-tag', 'child', '-x', 'a=1', '-x', 'a=2'), 'edit-tag [options] <name>', 'Duplicate extra key: a');
    expectUsageError(await cli.run('edit-tag'), 'edit-tag [options] <name>', 'Please specify a name for the tag');
    expect(await cli.run('edit-tag', 'child', '-r', 'nosuch')).toMatchObject({ exitCode: 1, error: "[ERROR] koji: GenericError: Tag: child doesn't have extra: nosuch\n" });
    expect(await cli.run('edit-tag', 'nosuch', '--lock')).toMatchObject({ exitCode: 1, error: "[ERROR] koji: GenericError: No such tagInfo: 'nosuch'\n" });
    expect(await cli.run('edit-tag', 'child', '--perm', 'nosuchperm')).toMatchObject({ exitCode: 1, error: '[ERROR] koji: GenericError: No such entry in table permissions: nosuchperm\n' });
    expect(await cli.runAs('bob', 'bob-pass-1', 'edit-tag', 'child', '--lock')).toMatchObject({ exitCode: 1, error: '[ERROR] koji: ActionNotAllowed: tag permission required (logged in as bob)\n' });
  });

  it('add-tag-inheritance adds links, with its checks', async () => {
    await cli.run('add-tag', 'other', '--arches', 'x86_64');
    expect(await cli.run('add-tag-inheritance', 'child', 'other', '--priority', '10', '--maxdepth', '1', '--pkg-filter', 'bash|gcc')).toMatchObject(ok());
    expect(await cli.run('add-tag-inheritance', 'child', 'other')).toMatchObject({
      exitCode: 1,
      output: '',
      error: "Error: You are attempting to add other as child's parent even though it already is child's parent.\nPlease use --force if this is what you really want to do.\n",
    });
    expect(await cli.run('add-tag-inheritance', 'child', 'other', '--force')).toMatchObject({
      exitCode: 1,
      error: 'Error: There is already an active inheritance with that priority on child, please specify a different priority with --priority.\n',
    });
    expect(await cli.run('add-tag-inheritance', 'child', 'other', '--priority', 'x')).toMatchObject({ exitCode: 1, error: "[ERROR] koji: ValueError: invalid literal for int() with base 10: 'x'\n" });
    const usage = 'add-tag-inheritance [options] <tag> <parent-tag>';
    expectUsageError(await cli.run('add-tag-inheritance', 'child', 'nosuch'), usage, 'No such tag: nosuch');
    expectUsageError(await cli.run('add-tag-inheritance', 'child'), usage, "This command takes exactly two arguments: a tag name or ID and that tag's new parent name or ID");
    await cli.run('add-tag', 'grand');
    await cli.run('add-tag-inheritance', 'grand', 'child');
    expect(await cli.run('add-tag-inheritance', 'grand', 'other', '--priority', '5', '--intransitive', '--noconfig')).toMatchObject(ok());
    await cli.run('add-tag', 'leaf');
    await cli.run('add-tag-inheritance', 'leaf', 'grand');
    expect(await cli.run('add-tag-inheritance', 'base', 'leaf', '--priority', '3')).toMatchObject({ exitCode: 1, error: expect.stringMatching(/^\[ERROR\] koji: GenericError: inheritance loop: tag leaf already inherits from tag \d+/) });
  });

  it('list-tag-inheritance draws the tree', async () => {
    const r = await cli.runAs(null, null, 'list-tag-inheritance', 'leaf');
    expect(r).toMatchObject({ exitCode: 0, error: '' });
    expect(r.output).toBe(
      [
        `     leaf (${await id('leaf')})`,
        `....  └─grand (${await id('grand')})`,
        `....     └─child (${await id('child')})`,
        `....        ├─base (${await id('base')})`,
        `MF..        └─other (${await id('other')})`,
        '',
      ].join('\n'),
    );
    expect((await cli.run('list-tag-inheritance', 'grand')).output).toBe(
      [`     grand (${await id('grand')})`, `....  ├─child (${await id('child')})`, `....  │  ├─base (${await id('base')})`, `MF..  │  └─other (${await id('other')})`, `..IN  └─other (${await id('other')})`, ''].join('\n'),
    );
    expect((await cli.run('list-tag-inheritance', 'other', '--reverse')).output).toBe(
      [`     other (${await id('other')})`, `..IN  ├─grand (${await id('grand')})`, `MF..  └─child (${await id('child')})`, ''].join('\n'),
    );
    expect((await cli.run('list-tag-inheritance', 'base', '--reverse')).output).toBe(
      [`     base (${await id('base')})`, `....  └─child (${await id('child')})`, `....     └─grand (${await id('grand')})`, `....        └─leaf (${await id('leaf')})`, ''].join('\n'),
    );
    expect((await cli.run('list-tag-inheritance', 'base')).output).toBe(`     base (${await id('base')})\n`);
    const usage = 'list-tag-inheritance [options] <tag>\n\nPrints tag inheritance with basic information about links.';
    expectUsageError(await cli.run('list-tag-inheritance', 'nosuch'), usage, 'No such tag: nosuch');
    expectUsageError(await cli.run('list-tag-inheritance'), usage, 'This command takes exactly one argument: a tag name or ID');
    expectUsageError(await cli.run('list-tag-inheritance', 'leaf', '--stop', 'x'), usage, '--stop option has been removed in 1.26');
    expect((await cli.run('list-tag-inheritance', '--help')).output).not.toMatch(/--stop|--jump/);
  });

  it('list-tag-inheritance and taginfo at an event', async () => {
    const ev = await admin.call<number>('tagLastChangeEvent', ['leaf']);
    await hub.db.rawQuery("UPDATE events SET time = to_timestamp(1700000000) WHERE id = $1", [ev]);
    await cli.run('add-tag', 'later');
    await cli.run('add-tag-inheritance', 'leaf', 'later', '--priority', '9');
    const r = await cli.run('list-tag-inheritance', 'leaf', '--event', String(ev));
    expect(r.output).toMatch(new RegExp(`^Querying at event ${ev} \\(Tue Nov 14 22:13:20 2023\\)\n     leaf \\(\\d+\\)\n\\.\\.\\.\\.  └─grand`));
    expect(r.output).not.toContain('later');
    expect((await cli.run('list-tag-inheritance', 'leaf')).output).toContain(`....  └─later (${await id('later')})\n`);
    const info = await cli.run('taginfo', 'leaf', '--event', String(ev));
    expect(info.output).toBe(
      [`Querying at event ${ev} (Tue Nov 14 22:13:20 2023)`, `Tag: leaf [${await id('leaf')}]`, 'Arches: aarch64 ppc64le', 'Groups: ', 'Tag options:', '  a : 1                        [base]', '  f : 2.5                      [base]', '  j : {\'k\': [1, 2]}            [child]', '  n : None                     [base]', 'Inheritance:', `  0    .... grand [${await id('grand')}]`, ''].join('\n'),
    );
    expect(await cli.run('taginfo', 'leaf', '--repo', '999')).toMatchObject({ exitCode: 1, error: '[ERROR] koji: GenericError: query returned no rows\n' });
    expect(await cli.run('taginfo', 'leaf', '--ts', '100')).toMatchObject({ exitCode: 1, error: '[ERROR] koji: GenericError: No event before 100\n' });
  });

  it('edit-tag-inheritance and remove-tag-inheritance', async () => {
    expect(await cli.run('edit-tag-inheritance', 'child', 'other', '--priority', '20')).toMatchObject(ok());
    expect(await cli.run('edit-tag-inheritance', 'child')).toMatchObject({ exitCode: 1, output: 'Multiple matches for tag.\n', error: 'Please specify a parent on the command line.\n' });
    expect(await cli.run('edit-tag-inheritance', 'child', 'base', '0', '--maxdepth', '3')).toMatchObject(ok());
    expect(await cli.run('edit-tag-inheritance', 'child', 'base', '--maxdepth', 'none', '--intransitive')).toMatchObject(ok());
    expect(await cli.run('edit-tag-inheritance', 'child', 'other', '--maxdepth', 'bad')).toMatchObject({ exitCode: 1, error: 'Invalid maxdepth: bad\n' });
    expect(await cli.run('edit-tag-inheritance', 'child', 'other', '--priority', '0')).toMatchObject({
      exitCode: 1,
      error: 'Error: There is already an active inheritance with that priority on child, please specify a different priority with --priority.\n',
    });
    expect(await cli.run('edit-tag-inheritance', 'leaf', 'base')).toMatchObject({ exitCode: 1, error: 'No inheritance link found to remove.  Please check your arguments\n' });
    expect((await admin.call<XmlRpcStruct[]>('getInheritanceData', ['child'])).map((l) => [l.name, l.priority, l.maxdepth, l.intransitive, l.pkg_filter])).toEqual([
      ['base', 0, null, true, ''],
      ['other', 20, 1, false, 'bash|gcc'],
    ]);
    expect(await cli.run('remove-tag-inheritance', 'leaf', 'later', '9')).toMatchObject(ok());
    expect(await cli.run('remove-tag-inheritance', 'leaf', 'later')).toMatchObject({ exitCode: 1, error: 'No inheritance link found to remove.  Please check your arguments\n' });
    expectUsageError(await cli.run('remove-tag-inheritance', 'a', 'b', '1', 'x'), 'remove-tag-inheritance <tag> <parent> [<priority>]', 'This command takes at most three argument: a tag name or ID, a parent tag name or ID, and a priority');
    expect((await admin.call<XmlRpcStruct[]>('getInheritanceData', ['leaf'])).map((l) => l.name)).toEqual(['grand']);
  });

  it('taginfo prints every section', async () => {
    await admin.call('editTag2', ['child'], { locked: true, perm: 'admin' });
    await admin.call('createBuildTarget', ['child-candidate', 'child', 'grand']);
    await admin.call('groupListAdd', ['child', 'build']);
    await addRepo(hub, 'child', { creation: 1706933106 });
    await addExternalRepo(hub, 'fedora', 'https://example.com/fedora/');
    await addExternalRepo(hub, 'epel', 'https://example.com/epel/');
    await linkExternalRepo(hub, 'child', 'fedora', 5, { mergeMode: 'simple', arches: 'x86_64 aarch64' });
    await linkExternalRepo(hub, 'child', 'epel', 10);
    const r = await cli.runAs(null, null, 'taginfo', 'child', 'grand');
    expect(r).toMatchObject({ exitCode: 0, error: '' });
    const repo = 'repo#1: 2024-02-03 04:05:06+00:00';
    expect(r.output).toBe(
      [
        `Tag: child [${await id('child')}]`,
        'Arches: aarch64 ppc64le',
        'Groups: build',
        'LOCKED',
        "Required permission: 'admin'",
        'Tag options:',
        '  a : 1                        [base]',
        '  f : 2.5                      [base]',
        "  j : {'k': [1, 2]}",
        '  n : None                     [base]',
        'This tag is a buildroot for one or more targets',
        `Current repo: ${repo}`,
        'Targets that build from this tag:',
        '  child-candidate',
        'External repos:',
        '    5 fedora (https://example.com/fedora/, merge mode: simple), arches: x86_64 aarch64',
        '   10 epel (https://example.com/epel/, merge mode: koji), arches: inherited from tag',
        'Inheritance:',
        `  0    ..I. base [${await id('base')}]`,
        `  20   MF.. other [${await id('other')}]`,
        '    maxdepth: 1',
        '    package filter: bash|gcc',
        '',
        `Tag: grand [${await id('grand')}]`,
        'Arches: aarch64 ppc64le',
        'Groups: build',
        'Tag options:',
        "  j : {'k': [1, 2]}            [child]",
        'Targets that build into this tag:',
        `  child-candidate (child, ${repo})`,
        'Current repo: no active repo',
        'Inheritance:',
        `  0    .... child [${await id('child')}]`,
        `  5    ..IN other [${await id('other')}]`,
        '',
      ].join('\n'),
    );
    expect(await cli.run('taginfo', 'nosuch')).toMatchObject({ exitCode: 1, output: '', error: "[ERROR] koji: GenericError: No such tagInfo: 'nosuch'\n" });
    const repo1 = await admin.call<XmlRpcStruct>('repoInfo', [1]);
    const atRepo = await cli.run('taginfo', 'grand', '--repo', '1');
    expect(atRepo.output).toMatch(new RegExp(`^Querying at event ${String(repo1.create_event)} \\(\\w{3} \\w{3} [ \\d]\\d \\d\\d:\\d\\d:\\d\\d \\d{4}\\)\nTag: grand \\[`));
    expect(atRepo.output).toContain('Targets that build into this tag:\n  child-candidate (child)\nInheritance:\n');
    expectUsageError(await cli.run('taginfo'), 'taginfo [options] <tag> [<tag> ...]', 'Please specify a tag');
  });

  it('list-tags lists, filters and shows lock/perm', async () => {
    const all = ['base', 'child', 'grand', 'later', 'leaf', 'other'];
    expect((await cli.runAs(null, null, 'list-tags')).output).toBe(all.map((t) => `${t}\n`).join(''));
    expect((await cli.run('list-tags', '--show-id', 'b*', '?rand')).output).toBe(`base [${await id('base')}]\ngrand [${await id('grand')}]\n`);
    expect((await cli.run('list-tags', '--verbose', 'c*')).output).toBe('child [LOCKED] [admin perm required]\n');
    expect((await cli.run('list-tags', '--unlocked')).output).toBe(all.filter((t) => t !== 'child').map((t) => `${t}\n`).join(''));
    expect(await cli.run('list-tags', 'nomatch*')).toMatchObject(ok(''));
    await admin.call('packageListAdd', ['base', 'bash'], { owner: 'bob' });
    expect((await cli.run('list-tags', '--package', 'bash')).output).toBe('base\n');
    expectUsageError(await cli.run('list-tags', '--package', 'nosuch'), 'list-tags [options] [pattern]', 'No such package: nosuch');
    await addBuild(hub, 'bash-1-1');
    await admin.call('tagBuildBypass', ['base', 'bash-1-1']);
    await admin.call('tagBuildBypass', ['child', 'bash-1-1'], { force: true });
    expect((await cli.run('list-tags', '--build', 'bash-1-1', '--verbose')).output).toBe('base\nchild [LOCKED] [admin perm required]\n');
    expectUsageError(await cli.run('list-tags', '--build', 'nosuch-1-1'), 'list-tags [options] [pattern]', 'No such build: nosuch-1-1');
  });

  it('remove-tag', async () => {
    expect(await cli.run('remove-tag', 'later')).toMatchObject(ok());
    expect(await admin.call('getTag', ['later'])).toBeNull();
    expect(await cli.run('remove-tag', 'later')).toMatchObject({ exitCode: 1, error: 'No such tag: later\n' });
    expectUsageError(await cli.run('remove-tag'), 'remove-tag [options] <name>', 'Please specify a tag to remove');
    expectUsageError(await cli.runAs('bob', 'bob-pass-1', 'remove-tag', 'leaf'), 'remove-tag [options] <name>', 'This action requires tag or admin privileges');
  });

  it('--help texts', async () => {
    const r = await cli.run('edit-tag', '--help');
    expect(r.output).toContain('  -x key=value, --extra=key=value\n                        Set tag extra option. JSON-encoded or simple value\n');
    expect(r.output).toContain('  --include-all         Include all packages in this tag when generating Maven\n                        repos\n');
    expect((await cli.run('taginfo', '--help')).output).toBe(
      'Usage: koji taginfo [options] <tag> [<tag> ...]\n(Specify the --help global option for a list of other help options)\n\nOptions:\n  -h, --help      show this help message and exit\n  --event=EVENT#  query at event\n  --ts=TIMESTAMP  query at last event before timestamp\n  --repo=REPO#    query at event for a repo\n',
    );
  });
});
