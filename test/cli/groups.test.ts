/**
 * Comps group commands: add/block/remove-group, add/block/unblock-group-pkg and -req,
 * list-groups, show-groups (pprint, --comps, --expand, --spec) and import-comps, with the exact
 * text the stock CLI prints.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines } from '../helpers/db.ts';
import { startTestHub, type TestHub } from '../helpers/hub.ts';
import { cliFor, type CliRunner } from '../helpers/cli.ts';

process.env.TZ = 'UTC';

function expectUsageError(r: { exitCode: number; error?: string; output: string }, usage: string, message: string): void {
  expect(r.exitCode).toBe(2);
  expect(r.output).toBe('');
  expect(r.error).toBe(`Usage: koji ${usage}\n(Specify the --help global option for a list of other help options)\n\nkoji: error: ${message}\n`);
}

const COMPS = `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE comps PUBLIC "-//Red Hat, Inc.//DTD Comps info//EN" "comps.dtd">
<comps>
  <group>
    <id>core</id>
    <name>Core</name>
    <name xml:lang="de">Kern</name>
    <description>Smallest possible installation</description>
    <description xml:lang="de">Kleinste Installation</description>
    <default>false</default>
    <uservisible>false</uservisible>
    <packagelist>
      <packagereq type="mandatory">bash</packagereq>
      <packagereq>coreutils</packagereq>
      <packagereq type="default" basearchonly="true">dnf</packagereq>
      <packagereq type="conditional" requires="glibc">glibc-langpack-en</packagereq>
    </packagelist>
  </group>
  <group>
    <id>web</id>
    <name>Web &amp; friends</name>
    <description/>
    <default>true</default>
    <biarchonly>true</biarchonly>
    <langonly>en</langonly>
    <packagelist>
      <packagereq type="weird">httpd</packagereq>
    </packagelist>
  </group>
  <category><id>base</id><name>Base</name><description>Base</description><grouplist><groupid>core</groupid></grouplist></category>
</comps>
`;

describe.each(engines())('group CLI commands on %s', (engine) => {
  let hub: TestHub;
  let cli: CliRunner;
  let dir: string;
  beforeAll(async () => {
    hub = await startTestHub(engine);
    cli = cliFor(hub);
    dir = mkdtempSync(join(tmpdir(), 'kojits-comps-'));
    const admin = await hub.login();
    await admin.call('createTag', ['base'], { arches: 'x86_64' });
    await admin.call('createTag', ['child'], { parent: 'base' });
    await admin.call('createTag', ['imported']);
    await admin.call('createUser', ['bob']);
    await admin.call('kojits.setPassword', ['bob', 'bob-password']);
  });
  afterAll(async () => {
    await hub?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const ok = { exitCode: 0, output: '', error: '' };

  it('adds groups, packages and requirements', async () => {
    expect(await cli.run('add-group', 'base', 'build')).toMatchObject(ok);
    expect(await cli.run('add-group', 'base', 'core')).toMatchObject(ok);
    expect(await cli.run('add-group-pkg', 'base', 'build', 'bash', 'gcc', 'make')).toMatchObject(ok);
    expect(await cli.run('add-group-pkg', 'base', 'core', 'coreutils')).toMatchObject(ok);
    expect(await cli.run('add-group-req', 'base', 'build', 'core')).toMatchObject(ok);
    expect(await cli.run('add-group-pkg', 'child', 'build', 'zsh')).toMatchObject(ok);
    expect(await cli.run('block-group-pkg', 'child', 'build', 'gcc')).toMatchObject(ok);
  });

  it('add-group/block-group/remove-group errors', async () => {
    expect(await cli.run('add-group', 'base', 'build')).toMatchObject({ exitCode: 1, output: '', error: 'Group build already exists for tag base\n' });
    expect(await cli.run('add-group', 'nosuch', 'build')).toMatchObject({ exitCode: 1, error: 'No such tag: nosuch\n' });
    expect(await cli.run('block-group', 'child', 'nosuch')).toMatchObject({ exitCode: 1, error: "Group nosuch doesn't exist within tag child\n" });
    expectUsageError(await cli.run('add-group', 'base'), 'add-group <tag> <group>', 'Please specify a tag name and a group name');
    expectUsageError(await cli.run('add-group-pkg', 'base', 'build'), 'add-group-pkg [options] <tag> <group> <pkg> [<pkg> ...]', 'You must specify a tag name, group name, and one or more package names');
    expectUsageError(
      await cli.run('block-group-pkg', 'base'),
      'block-group-pkg [options] <tag> <group> <pkg> [<pkg> ...]\nNote that blocking is propagated through the inheritance chain, so it is not exactly the same as package removal.',
      'You must specify a tag name, group name, and one or more package names',
    );
    expectUsageError(await cli.run('add-group-req', 'base', 'build'), 'add-group-req [options] <tag> <target group> <required group>', 'You must specify a tag name and two group names');
    expect(await cli.run('add-group-pkg', 'base', 'nosuch', 'x')).toMatchObject({ exitCode: 1, error: '[ERROR] koji: GenericError: No such entry in table groups: nosuch\n' });
    expectUsageError(await cli.runAs('bob', 'bob-password', 'add-group', 'base', 'x'), 'add-group <tag> <group>', 'This action requires tag or admin privileges');
    expect(await cli.runAs('bob', 'bob-password', 'add-group-pkg', 'base', 'build', 'x')).toMatchObject({ exitCode: 1, error: '[ERROR] koji: ActionNotAllowed: tag permission required (logged in as bob)\n' });
  });

  it('list-groups', async () => {
    expect(await cli.run('list-groups', 'child')).toMatchObject({
      exitCode: 0,
      output: 'build  [base]\n  @core  [base]\n  bash: None, mandatory  [base]\n  make: None, mandatory  [base]\n  zsh: None, mandatory  [child]\ncore  [base]\n  coreutils: None, mandatory  [base]\n',
    });
    expect((await cli.run('list-groups', 'child', '--show-blocked')).output).toBe(
      'build  [base]\n  @core  [base]\n  bash: None, mandatory  [base]\n  gcc: None, mandatory  [child] [BLOCKED]\n  make: None, mandatory  [base]\n  zsh: None, mandatory  [child]\ncore  [base]\n  coreutils: None, mandatory  [base]\n',
    );
    expect((await cli.runAs(null, null, 'list-groups', 'child', 'core')).output).toBe('core  [base]\n  coreutils: None, mandatory  [base]\n');
    expect(await cli.run('list-groups', 'nosuch')).toMatchObject({ exitCode: 1, error: '[ERROR] koji: GenericError: No such entry in table tag: nosuch\n' });
    expectUsageError(await cli.run('list-groups'), 'list-groups [options] <tag> [<group>]', 'Incorrect number of arguments');
    const r = await cli.run('list-groups', '--event', '1', 'base');
    expect(r.output).toMatch(/^Querying at event 1 \(\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}\)\n$/);
  });

  it('show-groups prints pprint, comps and spec output', async () => {
    const r = await cli.run('show-groups', 'base');
    expect(r.exitCode).toBe(0);
    expect(r.output).toContain(`[{'biarchonly': False,\n  'blocked': False,\n  'description': None,\n  'display_name': 'build',\n  'exported': True,\n`);
    expect(r.output).toContain(`  'packagelist': [{'basearchonly': None,\n                   'blocked': False,\n`);
    expect(r.output.endsWith("  'uservisible': True}]\n")).toBe(true);
    const comps = await cli.run('show-groups', 'child', '--comps');
    expect(comps.output).toBe(`<?xml version="1.0"?>
<!DOCTYPE comps PUBLIC "-//Red Hat, Inc.//DTD Comps info//EN" "comps.dtd">

<!-- Auto-generated by the build system -->
<comps>
  <group>
    <id>build</id>
    <name>build</name>
    <description>None</description>
    <default>false</default>
    <uservisible>true</uservisible>
    <grouplist>
      <groupreq type="mandatory">core</groupreq>
    </grouplist>
    <packagelist>
      <packagereq type="mandatory">bash</packagereq>
      <packagereq type="mandatory">make</packagereq>
      <packagereq type="mandatory">zsh</packagereq>
    </packagelist>
  </group>
  <group>
    <id>core</id>
    <name>core</name>
    <description>None</description>
    <default>false</default>
    <uservisible>true</uservisible>
    <packagelist>
      <packagereq type="mandatory">coreutils</packagereq>
    </packagelist>
  </group>
</comps>

`);
    const expanded = await cli.run('show-groups', 'child', '--comps', '--expand');
    expect(expanded.output).toContain('    <packagelist>\n      <packagereq type="mandatory">bash</packagereq>\n      <packagereq type="mandatory">make</packagereq>\n      <packagereq type="mandatory">zsh</packagereq>\n      <!-- Expanding Group: core -->\n      <packagereq type="mandatory">coreutils</packagereq>\n    </packagelist>\n');
    expect(expanded.output).not.toContain('<grouplist>');
    const spec = await cli.run('show-groups', 'base', '--spec');
    expect(spec.output).toBe(`#
# This specfile represents buildgroups for mock
# Autogenerated by the build system
#
Summary: The base set of packages for a mock chroot
Name: buildgroups
Version: 1
Release: 1
License: GPL
Group: Development/Build Tools
BuildRoot: %{_tmppath}/%{name}-%{version}-%{release}-root
BuildArch: noarch

#package requirements
#Group: build
Requires: bash
Requires: gcc
Requires: make
#Group: core
Requires: coreutils

%description
This is a meta-package that requires a defined group of packages

%prep
%build
%install
%clean

%files
%defattr(-,root,root,-)
%doc

`);
    expectUsageError(await cli.run('show-groups', 'base', '--comps', '--show-blocked'), 'show-groups [options] <tag>', "--show-blocked doesn't make sense for comps/spec output");
    expect((await cli.run('show-groups', 'child', '--show-blocked')).output).toContain(`'blocked': True,`);
  });

  it('unblocks, blocks and removes', async () => {
    expect(await cli.run('unblock-group-pkg', 'child', 'build', 'gcc')).toMatchObject(ok);
    const again = await cli.run('unblock-group-pkg', 'child', 'build', 'gcc');
    expect(again.exitCode).toBe(1);
    expect(again.error).toMatch(/^\[ERROR\] koji: GenericError: package gcc is NOT blocked in group \d+, tag \d+\n$/);
    expect(await cli.run('block-group-req', 'child', 'build', 'core')).toMatchObject(ok);
    expect((await cli.run('list-groups', 'child', 'build')).output).not.toContain('@core');
    expect(await cli.run('unblock-group-req', 'child', 'build', 'core')).toMatchObject(ok);
    expect((await cli.run('unblock-group-req', 'child', 'build', 'core')).error).toMatch(/^\[ERROR\] koji: GenericError: group req \d+ is NOT blocked in group \d+, tag \d+\n$/);
    // block-group only blocks groups the tag itself has
    expect(await cli.run('block-group', 'child', 'core')).toMatchObject({ exitCode: 1, error: "Group core doesn't exist within tag child\n" });
    // adding the same data as the inherited definition writes nothing (as Koji), so give the child its own
    expect(await cli.run('add-group', 'child', 'core')).toMatchObject(ok);
    await hub.login().then((s) => s.call('groupListAdd', ['child', 'core'], { description: 'child core' }));
    expect(await cli.run('block-group', 'child', 'core')).toMatchObject(ok);
    expect((await cli.run('list-groups', 'child')).output).toBe('build  [base]\n  bash: None, mandatory  [base]\n  gcc: None, mandatory  [base]\n  make: None, mandatory  [base]\n  zsh: None, mandatory  [child]\n');
    expect((await cli.run('list-groups', 'child', '--show-blocked')).output).toContain('core  [child]\n');
    // a blocked group is not listed, so remove-group does not find it
    expect(await cli.run('remove-group', 'child', 'core')).toMatchObject({ exitCode: 1, error: "Group core doesn't exist within tag child\n" });
    expect(await cli.run('remove-group', 'base', 'core')).toMatchObject(ok);
    expect((await cli.run('list-groups', 'base')).output).not.toContain('core');
  });

  it('import-comps adds the groups and packages of a comps file', async () => {
    const file = join(dir, 'comps.xml');
    writeFileSync(file, COMPS);
    const r = await cli.run('import-comps', file, 'imported');
    expect(r).toMatchObject({
      exitCode: 0,
      error: '',
      output: `Group: core (Core)
  Package: bash: {'basearchonly': False, 'type': 'mandatory'}
  Package: coreutils: {'basearchonly': False, 'type': 'mandatory'}
  Package: dnf: {'basearchonly': True, 'type': 'default'}
  Package: glibc-langpack-en: {'basearchonly': False, 'requires': 'glibc', 'type': 'conditional'}
Group: web (Web & friends)
  Package: httpd: {'basearchonly': False, 'type': 'unknown'}
`,
    });
    const groups = await hub.anon().call<Array<Record<string, unknown>>>('getTagGroups', ['imported']);
    expect(groups.map((g) => [g.name, g.display_name, g.description, g.is_default, g.uservisible, g.langonly, g.biarchonly])).toEqual([
      ['core', 'Core', 'Smallest possible installation', false, false, null, false],
      ['web', 'Web & friends', null, true, true, 'en', true],
    ]);
    expect((await cli.run('list-groups', 'imported', 'core')).output).toBe(
      'core  [imported]\n  bash: False, mandatory  [imported]\n  coreutils: False, mandatory  [imported]\n  dnf: True, default  [imported]\n  glibc-langpack-en: False, conditional  [imported]\n',
    );
    // importing again changes nothing
    expect((await cli.run('import-comps', file, 'imported')).exitCode).toBe(0);
  });

  it('import-comps errors', async () => {
    expect(await cli.run('import-comps', join(dir, 'comps.xml'), 'nosuch')).toMatchObject({ exitCode: 1, error: 'No such tag: nosuch\n' });
    expect(await cli.run('import-comps', join(dir, 'missing.xml'), 'imported')).toMatchObject({ exitCode: 1, error: `[ERROR] koji: OSError: Cannot open ${join(dir, 'missing.xml')} for reading\n` });
    const bad = join(dir, 'bad.xml');
    writeFileSync(bad, '<comps><group><id>x</id></comps>');
    expect(await cli.run('import-comps', bad, 'imported')).toMatchObject({ exitCode: 1, error: '[ERROR] koji: ParserError: Fatal parser error\n' });
    expectUsageError(await cli.run('import-comps', bad), 'import-comps [options] <file> <tag>', 'Incorrect number of arguments');
    // a hub fault stops the import after what was already printed
    await hub.login().then((s) => s.call('groupListBlock', ['imported', 'web']));
    const r = await cli.run('import-comps', join(dir, 'comps.xml'), 'imported');
    expect(r.exitCode).toBe(1);
    expect(r.output).toMatch(/\nGroup: web \(Web & friends\)\n$/);
    expect(r.error).toBe('[ERROR] koji: GenericError: group web is blocked in tag imported\n');
  });
});
