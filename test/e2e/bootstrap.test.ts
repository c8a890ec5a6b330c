/**
 * Koji's "Server Bootstrap", command by command, with our CLI against a real hub: import RPMs
 * built by rpmbuild, make tags, package lists, a target and a build group, tag the builds, and
 * read everything back.
 */
import { basename } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines } from '../helpers/db.ts';
import { startTestHub, type TestHub } from '../helpers/hub.ts';
import { cliFor, type CliRunner } from '../helpers/cli.ts';
import { buildFixture, type BuiltFixture } from '../rpm/build-fixtures.ts';

describe.each(engines())('server bootstrap with the koji CLI on %s', (engine) => {
  let hub: TestHub;
  let cli: CliRunner;
  let hello: BuiltFixture;
  let arched: BuiltFixture;
  const koji = async (...args: string[]) => {
    const r = await cli.run(...args);
    expect(r.exitCode, `koji ${args.join(' ')}\n${r.error}`).toBe(0);
    return r.output;
  };

  beforeAll(async () => {
    hello = buildFixture('hello');
    arched = buildFixture('arched');
    hub = await startTestHub(engine);
    cli = cliFor(hub);
  });
  afterAll(async () => hub?.stop());

  it('imports source and binary RPMs', async () => {
    const files = [hello.srpm, ...hello.rpms, arched.srpm, ...arched.rpms];
    const out = await koji('import', ...files);
    for (const f of files) expect(out).toContain(`importing ${f}... done`);
    // importing again is harmless and says so
    expect(await koji('import', hello.srpm)).toContain(`RPM already imported: ${hello.srpm}`);
  });

  it('builds the tags, package lists and target', async () => {
    await koji('add-tag', 'dist-foo');
    const pkgs = (await koji('list-pkgs', '--quiet')).split(/\s+/).filter(Boolean);
    expect(pkgs.sort()).toEqual(['arched', 'hello']);
    await koji('add-pkg', '--owner', 'kojiadmin', 'dist-foo', ...pkgs);
    const untagged = (await koji('list-untagged')).split('\n').filter(Boolean);
    expect(untagged).toHaveLength(2);
    for (const nvr of untagged) await koji('call', 'tagBuildBypass', 'dist-foo', nvr);
    expect(await koji('list-untagged')).toBe('');
    await koji('add-tag', '--parent', 'dist-foo', '--arches', 'x86_64 noarch', 'dist-foo-build');
    await koji('add-target', 'dist-foo', 'dist-foo-build');
    await koji('add-group', 'dist-foo-build', 'build');
    await koji('add-group-pkg', 'dist-foo-build', 'build', 'bash', 'gcc', 'make', 'rpm-build');
  });

  it('reads everything back', async () => {
    const info = await koji('taginfo', 'dist-foo-build');
    expect(info).toMatch(/^Tag: dist-foo-build \[\d+\]$/m);
    expect(info).toContain('Arches: x86_64 noarch');
    expect(info).toContain('Groups: build\n');
    expect(info).toContain('Current repo: no active repo\n');
    expect(info).toContain('Targets that build from this tag:\n  dist-foo\n');
    expect(info).toContain("Inheritance:\n  0    .... dist-foo [");

    const tagged = await koji('list-tagged', '--inherit', '--latest', 'dist-foo-build');
    expect(tagged.startsWith(`Build${" ".repeat(37)}Tag${" ".repeat(19)}Built by\n${"-".repeat(40)}  ${"-".repeat(20)}  ${"-".repeat(16)}\n`)).toBe(true);
    expect(tagged).toMatch(/hello-\S+\s+dist-foo\s+kojiadmin/);
    expect(tagged).toMatch(/arched-\S+\s+dist-foo\s+kojiadmin/);

    const latest = await koji('latest-build', 'dist-foo-build', 'hello');
    const nvr = /^(hello-\S+)/m.exec(latest.split('\n').slice(2).join('\n'))![1];
    expect(latest).toContain('dist-foo');

    const build = await koji('buildinfo', nvr);
    expect(build).toContain(`BUILD: ${nvr} [`);
    expect(build).toContain('State: COMPLETE');
    expect(build).toContain('Tags: dist-foo');
    for (const rpm of hello.rpms) expect(build).toContain(basename(rpm));

    const noarch = basename(hello.rpms[0]).replace(/\.rpm$/, '');
    const rpm = await koji('rpminfo', noarch);
    expect(rpm).toContain(`RPM: 2:${noarch} [`); // hello has epoch 2
    expect(rpm).toMatch(new RegExp(`^Build: (2:)?${nvr.replace(/[.+]/g, '\\$&')} \\[`, 'm'));

    const groups = await koji('show-groups', '--comps', 'dist-foo-build');
    expect(groups).toContain('<id>build</id>');
    expect(groups).toContain('<packagereq type="mandatory">rpm-build</packagereq>');

    const history = await koji('list-history', '--tag', 'dist-foo');
    expect(history).toMatch(/ new tag: dist-foo by kojiadmin \[still active\]\n/);
    expect(history).toContain('package list entry created: arched in dist-foo by kojiadmin [still active]\n');
    expect(history).toContain(`${nvr} tagged into dist-foo by kojiadmin [still active]\n`);
    expect(history).toContain('inheritance line dist-foo-build->dist-foo added by kojiadmin [still active]\n');
  });

  it('finds things with search', async () => {
    expect(await koji('search', 'package', 'hel*')).toBe('hello\n');
    expect(await koji('search', 'tag', '--regex', '^dist-foo-b')).toBe('dist-foo-build\n');
  });
});
