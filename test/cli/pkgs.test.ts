/**
 * Package-list and tagged-build commands of our CLI against a real hub: add-pkg, block-pkg,
 * unblock-pkg, remove-pkg, set-pkg-owner, set-pkg-arches, list-pkgs, list-tagged, latest-build.
 * The expected outputs were checked against the stock koji 1.35.3 CLI on the same data.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClientSession } from '../../src/protocol/client.ts';
import { engines } from '../helpers/db.ts';
import { startTestHub, type TestHub } from '../helpers/hub.ts';
import { cliFor, type CliRunner } from '../helpers/cli.ts';
import { addBuild, addRpms, addSig } from '../helpers/content.ts';

process.env.TZ = 'UTC';

function expectUsageError(r: { exitCode: number; error?: string; output: string }, usage: string, message: string): void {
  expect(r.exitCode).toBe(2);
  expect(r.error).toMatch(new RegExp(`^Usage: koji ${usage.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\n`));
  expect(r.error).toContain(`\n\nkoji: error: ${message}\n`);
}

const PKG_HEADER = 'Package                 Tag                     Extra Arches     Owner          \n----------------------- ----------------------- ---------------- ---------------\n';
const row = (pkg: string, tag: string, arches: string, owner: string, blocked = false) => `${pkg.padEnd(23)} ${tag.padEnd(23)} ${arches.padEnd(16)} ${owner.padEnd(15)}${blocked ? ' [BLOCKED]' : ''}\n`;
const BUILD_HEADER = 'Build                                     Tag                   Built by\n----------------------------------------  --------------------  ----------------\n';
const brow = (nvr: string, tag: string, owner = 'kojiadmin') => `${nvr.padEnd(40)}  ${tag.padEnd(20)}  ${owner}\n`;

describe.each(engines())('package CLI commands on %s', (engine) => {
  let hub: TestHub;
  let cli: CliRunner;
  let admin: ClientSession;
  const ok = { exitCode: 0, error: '' };

  beforeAll(async () => {
    hub = await startTestHub(engine);
    cli = cliFor(hub);
    admin = await hub.login();
    await admin.call('createUser', ['bob']);
    await admin.call('kojits.setPassword', ['bob', 'bob-pass-1']);
    await admin.call('createTag', ['base']);
    await admin.call('createTag', ['child'], { parent: 'base' });
    await admin.call('createTag', ['leaf'], { parent: 'child' });
  });
  afterAll(async () => hub?.stop());

  it('add-pkg adds packages in one multicall and reports those already there', async () => {
    expect(await cli.run('add-pkg', 'base', 'bash', 'gcc', '--owner', 'kojiadmin')).toMatchObject({ ...ok, output: 'Adding 2 packages to tag base\n' });
    expect(await cli.run('add-pkg', 'base', 'bash', 'zsh', '--owner', 'bob', '--extra-arches', 's390x,ppc64le')).toMatchObject({
      ...ok,
      output: 'Package bash already exists in tag base\nAdding 1 packages to tag base\n',
    });
    expect(await cli.run('add-pkg', 'child', 'glibc', '--owner', 'kojiadmin', '--extra-arches', 's390x ppc64')).toMatchObject({ ...ok, output: 'Adding 1 packages to tag child\n' });
    expect(await admin.call('getPackageConfig', ['base', 'zsh'])).toMatchObject({ owner_name: 'bob', extra_arches: 's390x ppc64le' });
  });

  it('add-pkg errors', async () => {
    const usage = 'add-pkg [options] --owner <owner> <tag> <package> [<package> ...]';
    expect(await cli.run('add-pkg', 'base', 'x', '--owner', 'nosuch')).toMatchObject({ exitCode: 1, output: '', error: 'No such user: nosuch\n' });
    expect(await cli.run('add-pkg', 'nosuch', 'x', '--owner', 'kojiadmin')).toMatchObject({ exitCode: 1, error: 'No such tag: nosuch\n' });
    expectUsageError(await cli.run('add-pkg', 'base', 'x'), usage, 'Please specify an owner for the package(s)');
    expectUsageError(await cli.run('add-pkg', 'base'), usage, 'Please specify a tag and at least one package');
    // what was printed stays printed when the hub then refuses
    expect(await cli.runAs('bob', 'bob-pass-1', 'add-pkg', 'base', 'evil', '--owner', 'bob')).toMatchObject({
      exitCode: 1,
      output: 'Adding 1 packages to tag base\n',
      error: '[ERROR] koji: ActionNotAllowed: policy violation (package_list): Only admin/tag can do this via default policy\n',
    });
  });

  it('block-pkg, unblock-pkg, remove-pkg', async () => {
    expect(await cli.run('block-pkg', 'child', 'gcc')).toMatchObject({ ...ok, output: '' });
    expect(await admin.call('checkTagPackage', ['child', 'gcc'])).toBe(false);
    expect(await cli.run('block-pkg', 'child', 'nosuchpkg', 'glibc', 'other')).toMatchObject({
      exitCode: 1,
      output: '',
      error: "Package nosuchpkg doesn't exist in tag child\nPackage other doesn't exist in tag child\n",
    });
    expect(await admin.call('checkTagPackage', ['child', 'glibc'])).toBe(true);
    expect(await cli.run('unblock-pkg', 'child', 'gcc')).toMatchObject({ ...ok, output: '' });
    expect(await cli.run('unblock-pkg', 'child', 'gcc')).toMatchObject({ exitCode: 1, error: '[ERROR] koji: GenericError: package gcc NOT blocked in tag child\n' });
    expect(await cli.run('remove-pkg', 'child', 'bash')).toMatchObject({ exitCode: 1, error: 'Package bash is not in tag child\n' });
    expect(await cli.run('remove-pkg', 'base', 'zsh')).toMatchObject({ ...ok, output: '' });
    expect(await admin.call('checkTagPackage', ['base', 'zsh'])).toBe(false);
    expectUsageError(await cli.run('unblock-pkg', 'child'), 'unblock-pkg [options] <tag> <package> [<package> ...]', 'Please specify a tag and at least one package');
    expect(await cli.run('block-pkg', 'nosuch', 'x')).toMatchObject({ exitCode: 1, error: 'No such tag: nosuch\n' });
  });

  it('set-pkg-owner and set-pkg-arches', async () => {
    expect(await cli.run('set-pkg-owner', 'bob', 'base', 'bash', 'gcc')).toMatchObject({ ...ok, output: '' });
    expect(await cli.run('set-pkg-arches', 'x86_64,aarch64', 'base', 'bash')).toMatchObject({ ...ok, output: '' });
    expect(await admin.call('getPackageConfig', ['base', 'bash'])).toMatchObject({ owner_name: 'bob', extra_arches: 'x86_64 aarch64' });
    expect(await cli.run('set-pkg-owner', 'nosuch', 'base', 'bash')).toMatchObject({ exitCode: 1, error: "[ERROR] koji: GenericError: No such user: 'nosuch'\n" });
    expect(await cli.run('set-pkg-arches', 'x86_64', 'child', 'nosuchpkg')).toMatchObject({ exitCode: 1, error: '[ERROR] koji: GenericError: cannot update: tag child has no data for package nosuchpkg\n' });
    expect(await cli.run('set-pkg-owner', 'kojiadmin', 'leaf', 'glibc', '--force')).toMatchObject({ ...ok });
    expectUsageError(await cli.run('set-pkg-owner', 'bob', 'base'), 'set-pkg-owner [options] <owner> <tag> <package> [<package> ...]', 'Please specify an owner, a tag, and at least one package');
    expectUsageError(await cli.run('set-pkg-arches', 'x', 'base'), 'set-pkg-arches [options] <arches> <tag> <package> [<package> ...]', 'Please specify an archlist, a tag, and at least one package');
  });

  it('list-pkgs: by tag (inherited or not, blocked, dups), owner, package, or everything', async () => {
    await admin.call('packageListBlock', ['child', 'gcc']);
    expect(await cli.runAs(null, null, 'list-pkgs', '--tag', 'child')).toMatchObject({ ...ok, output: PKG_HEADER + row('glibc', 'child', 's390x ppc64', 'kojiadmin') + row('bash', 'base', 'x86_64 aarch64', 'bob') });
    expect((await cli.run('list-pkgs', '--tag', 'child', '--show-blocked')).output).toBe(
      PKG_HEADER + row('gcc', 'child', '', 'bob', true) + row('glibc', 'child', 's390x ppc64', 'kojiadmin') + row('bash', 'base', 'x86_64 aarch64', 'bob'),
    );
    // packages in the order they are first met along the inheritance, each with all its entries
    expect((await cli.run('list-pkgs', '--tag', 'leaf', '--show-blocked', '--show-dups', '--quiet')).output).toBe(
      row('gcc', 'child', '', 'bob', true) + row('gcc', 'base', '', 'bob') + row('glibc', 'child', 's390x ppc64', 'kojiadmin') + row('bash', 'base', 'x86_64 aarch64', 'bob'),
    );
    expect((await cli.run('list-pkgs', '--tag', 'child', '--noinherit')).output).toBe(PKG_HEADER + row('glibc', 'child', 's390x ppc64', 'kojiadmin'));
    expect((await cli.run('-q', 'list-pkgs', '--owner', 'bob')).output).toBe(row('bash', 'base', 'x86_64 aarch64', 'bob') + row('gcc', 'base', '', 'bob'));
    expect((await cli.run('list-pkgs', '--package', 'gcc', '--show-blocked')).output).toBe(PKG_HEADER + row('gcc', 'base', '', 'bob') + row('gcc', 'child', '', 'bob', true));
    expect((await cli.run('list-pkgs')).output).toBe('Package\n-----------------------\nbash\ngcc\nzsh\nglibc\n');
  });

  it('list-pkgs errors and --event', async () => {
    const usage = 'list-pkgs [options]';
    expect(await cli.run('list-pkgs', '--tag', 'leaf', '--noinherit', '--owner', 'bob')).toMatchObject({ exitCode: 1, output: '', error: '(no matching packages)\n' });
    expectUsageError(await cli.run('list-pkgs', '--tag', 'nosuch'), usage, 'No such tag: nosuch');
    expectUsageError(await cli.run('list-pkgs', '--owner', 'nosuch'), usage, 'No such user: nosuch');
    expectUsageError(await cli.run('list-pkgs', '--show-blocked'), usage, '--show-blocked makes sense only with --tag, --owner or --package');
    expectUsageError(await cli.run('list-pkgs', 'extra'), usage, 'This command takes no arguments');
    const ev = await admin.call<number>('tagLastChangeEvent', ['base'], { inherit: false });
    await hub.db.rawQuery('UPDATE events SET time = to_timestamp(1700000000) WHERE id = $1', [ev]);
    const querying = `Querying at event ${ev} (Tue Nov 14 22:13:20 2023)\n`;
    const r = await cli.run('list-pkgs', '--event', String(ev));
    expect(r).toMatchObject({ exitCode: 2, output: querying });
    expect(r.error).toContain('koji: error: --event and --ts makes sense only with --tag, --owner or --package\n');
    // just before zsh was removed from base (and before bash got its new owner and arches)
    const removed = (await hub.db.rawQuery<{ e: number }>("SELECT revoke_event AS e FROM tag_packages tp JOIN package p ON p.id = tp.package_id WHERE p.name = 'zsh' AND revoke_event IS NOT NULL")).rows[0].e;
    await hub.db.rawQuery('UPDATE events SET time = to_timestamp(1720000000) WHERE id = $1', [removed - 1]);
    expect((await cli.run('list-pkgs', '--tag', 'base', '--event', String(removed - 1), '--quiet')).output).toBe(
      `Querying at event ${removed - 1} (Wed Jul  3 09:46:40 2024)\n` + row('bash', 'base', '', 'kojiadmin') + row('gcc', 'base', '', 'kojiadmin') + row('zsh', 'base', 's390x ppc64le', 'bob'),
    );
  });

  describe('tagged builds', () => {
    beforeAll(async () => {
      for (const nvr of ['bash-5.2-1.fc40', 'bash-5.3-1.fc40', 'gcc-13.2-3.fc40', 'glibc-2.39-1']) {
        const b = await addBuild(hub, nvr);
        await addRpms(hub, b, ['x86_64', 'src']);
        await addRpms(hub, b, ['x86_64'], `${nvr.split('-')[0]}-devel`);
      }
      await addBuild(hub, 'gcc-14-1', { owner: 'bob' });
      await admin.call('packageListUnblock', ['child', 'gcc']);
      await admin.call('tagBuildBypass', ['base', 'bash-5.2-1.fc40']);
      await admin.call('tagBuildBypass', ['base', 'bash-5.3-1.fc40']);
      await admin.call('tagBuildBypass', ['child', 'gcc-13.2-3.fc40']);
      await admin.call('tagBuildBypass', ['base', 'gcc-14-1']);
      await admin.call('tagBuildBypass', ['child', 'glibc-2.39-1']);
      const [x86] = (await admin.call<[Array<{ id: number; name: string; version: string; arch: string }>, unknown]>('listTaggedRPMS', ['base'], { package: 'bash', arch: 'x86_64' }))[0].filter((r) => r.version === '5.3' && r.name === 'bash');
      await addSig(hub, x86.id, 'abcd1234');
    });

    it('list-tagged lists builds, sorted, with a header', async () => {
      expect(await cli.runAs(null, null, 'list-tagged', 'base')).toMatchObject({ ...ok, output: BUILD_HEADER + brow('bash-5.2-1.fc40', 'base') + brow('bash-5.3-1.fc40', 'base') + brow('gcc-14-1', 'base', 'bob') });
      expect((await cli.run('list-tagged', 'child', '--inherit')).output).toBe(
        BUILD_HEADER + brow('bash-5.2-1.fc40', 'base') + brow('bash-5.3-1.fc40', 'base') + brow('gcc-13.2-3.fc40', 'child') + brow('gcc-14-1', 'base', 'bob') + brow('glibc-2.39-1', 'child'),
      );
      expect((await cli.run('list-tagged', 'leaf', '--inherit', '--latest', '--quiet')).output).toBe(brow('bash-5.3-1.fc40', 'base') + brow('gcc-13.2-3.fc40', 'child') + brow('glibc-2.39-1', 'child'));
      expect((await cli.run('-q', 'list-tagged', 'child', 'gcc', '--inherit', '--latest-n', '2')).output).toBe(brow('gcc-13.2-3.fc40', 'child') + brow('gcc-14-1', 'base', 'bob'));
      expect((await cli.run('list-tagged', 'base', '--paths')).output).toBe(BUILD_HEADER + brow(`${hub.kojiDir}/packages/bash/5.2/1.fc40`, 'base') + brow(`${hub.kojiDir}/packages/bash/5.3/1.fc40`, 'base') + brow(`${hub.kojiDir}/packages/gcc/14/1`, 'base', 'bob'));
      expect((await cli.run('list-tagged', 'base', '--type', 'maven')).output).toBe(
        'Build                                     Tag                   Group Id              Artifact Id           Built by\n----------------------------------------  --------------------  --------------------  --------------------  ----------------\n',
      );
    });

    it('list-tagged lists rpms, by arch, with signatures and paths', async () => {
      expect((await cli.run('list-tagged', 'child', 'bash', '--inherit', '--rpms')).output).toBe(
        ['bash-5.2-1.fc40.src', 'bash-5.2-1.fc40.x86_64', 'bash-5.3-1.fc40.src', 'bash-5.3-1.fc40.x86_64', 'bash-devel-5.2-1.fc40.x86_64', 'bash-devel-5.3-1.fc40.x86_64', ''].join('\n'),
      );
      expect((await cli.run('list-tagged', 'child', '--arch', 'src', '--latest')).output).toBe('gcc-13.2-3.fc40.src\nglibc-2.39-1.src\n');
      expect((await cli.run('list-tagged', 'base', 'bash', '--sigs')).output).toBe(
        ['None bash-5.2-1.fc40.src', 'None bash-5.2-1.fc40.x86_64', 'None bash-5.3-1.fc40.src', 'None bash-devel-5.2-1.fc40.x86_64', 'None bash-devel-5.3-1.fc40.x86_64', 'abcd1234 bash-5.3-1.fc40.x86_64', ''].join('\n'),
      );
      const dir = `${hub.kojiDir}/packages/bash/5.3/1.fc40`;
      expect(await cli.run('list-tagged', 'base', 'bash', '--paths', '--sigs')).toMatchObject({ exitCode: 1, output: '', error: `'list-tagged --sigs --paths' requires accessible ${hub.kojiDir}/packages\n` });
      mkdirSync(`${hub.kojiDir}/packages`, { recursive: true });
      expect((await cli.run('list-tagged', 'base', 'bash', '--paths', '--arch', 'x86_64', '--latest')).output).toBe(`${dir}/x86_64/bash-5.3-1.fc40.x86_64.rpm\n${dir}/x86_64/bash-devel-5.3-1.fc40.x86_64.rpm\n`);
      expect(await cli.run('list-tagged', 'base', 'bash', '--paths', '--sigs')).toMatchObject({
        exitCode: 0,
        output: '',
        error: `Build directory not found: ${dir}\nBuild directory not found: ${hub.kojiDir}/packages/bash/5.2/1.fc40\n`,
      });
      const signed = `${dir}/data/signed/abcd1234/x86_64/bash-5.3-1.fc40.x86_64.rpm`;
      mkdirSync(dirname(signed), { recursive: true });
      writeFileSync(signed, 'rpm');
      expect(await cli.run('list-tagged', 'base', 'bash', '--paths', '--sigs', '--latest')).toMatchObject({ exitCode: 0, output: `${signed}\n`, error: '' });
    });

    it('list-tagged errors and --event', async () => {
      const usage = 'list-tagged [options] <tag> [<package>]';
      expectUsageError(await cli.run('list-tagged', 'nosuch'), usage, 'No such tag: nosuch');
      expectUsageError(await cli.run('list-tagged'), usage, 'A tag name must be specified');
      expectUsageError(await cli.run('list-tagged', 'a', 'b', 'c'), usage, 'Only one package name may be specified');
      expectUsageError(await cli.run('list-tagged', 'base', '--draft-only', '--no-draft'), usage, '--draft-only conflicts with --no-draft');
      expect(await cli.run('list-tagged', 'base', '--type', 'nosuchtype')).toMatchObject({ exitCode: 1, error: '[ERROR] koji: GenericError: unsupported build type: nosuchtype\n' });
      const ev = (await admin.call<Array<{ create_event: number }>>('listTagged', ['base'], { package: 'bash' }))[0].create_event;
      await hub.db.rawQuery('UPDATE events SET time = to_timestamp(1700000000) WHERE id = $1', [ev - 1]);
      expect((await cli.run('list-tagged', 'base', 'bash', '--event', String(ev - 1))).output).toBe(`Querying at event ${ev - 1} (Tue Nov 14 22:13:20 2023)\n` + BUILD_HEADER + brow('bash-5.2-1.fc40', 'base'));
      expect((await cli.run('list-tagged', 'base', 'bash', '--event', String(ev - 1), '--quiet')).output).toBe(brow('bash-5.2-1.fc40', 'base'));
    });

    it('latest-build prints the latest builds per package', async () => {
      expect(await cli.runAs(null, null, 'latest-build', 'child', 'bash')).toMatchObject({ ...ok, output: BUILD_HEADER + brow('bash-5.3-1.fc40', 'base') });
      expect((await cli.run('latest-build', 'leaf', 'gcc', 'bash', 'glibc')).output).toBe(BUILD_HEADER + brow('gcc-13.2-3.fc40', 'child') + brow('bash-5.3-1.fc40', 'base') + brow('glibc-2.39-1', 'child'));
      expect((await cli.run('latest-build', 'child', '--all', '--quiet')).output).toBe(brow('bash-5.3-1.fc40', 'base') + brow('gcc-13.2-3.fc40', 'child') + brow('glibc-2.39-1', 'child'));
      expect((await cli.run('latest-build', 'base', '--all', '--paths')).output).toBe(BUILD_HEADER + brow(`${hub.kojiDir}/packages/bash/5.3/1.fc40`, 'base') + brow(`${hub.kojiDir}/packages/gcc/14/1`, 'base', 'bob'));
      expect((await cli.run('latest-build', 'child', 'bash', '--arch', 'x86_64')).output).toBe('bash-5.3-1.fc40.x86_64\nbash-devel-5.3-1.fc40.x86_64\n');
      expect((await cli.run('latest-build', 'child', 'bash', '--arch', 'src', '--paths')).output).toBe(`${hub.kojiDir}/packages/bash/5.3/1.fc40/src/bash-5.3-1.fc40.src.rpm\n`);
      expect((await cli.run('latest-build', 'child', 'nosuchpkg')).output).toBe(BUILD_HEADER);
      expect(await cli.run('latest-build', 'nosuch', 'bash')).toMatchObject({ exitCode: 1, output: '', error: '[ERROR] koji: GenericError: No such entry in table tag: nosuch\n' });
      const usage = 'latest-build [options] <tag> <package> [<package> ...]\n\nThe first option should be the name of a tag, not the name of a build target.';
      expectUsageError(await cli.run('latest-build', 'child'), usage, 'A tag name and package name must be specified');
      expectUsageError(await cli.run('latest-build', 'child', 'bash', '--all'), usage, 'A package name may not be combined with --all');
      expectUsageError(await cli.run('latest-build'), usage, 'A tag name must be specified');
      expect((await cli.run('latest-pkg', 'child', 'bash', '--quiet')).output).toBe(brow('bash-5.3-1.fc40', 'base'));
    });
  });
});
