/**
 * build, chain-build, tag-build, move-build and untag-build against a hub (no builder: the
 * tasks they make are checked by their requests, as the stock CLI makes them).
 */
import { basename } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { XmlRpcStruct } from '../../src/protocol/values.ts';
import { engines } from '../helpers/db.ts';
import { startTestHub, type TestHub } from '../helpers/hub.ts';
import { cliFor, type CliRunner } from '../helpers/cli.ts';
import { buildWorld, type BuildWorld } from '../helpers/build-flow.ts';
import { buildFixture, SKIP_RPMBUILD_TESTS } from '../rpm/build-fixtures.ts';

type Row = XmlRpcStruct;

describe.skipIf(SKIP_RPMBUILD_TESTS).each(engines())('build submission commands on %s', (engine) => {
  let hub: TestHub;
  let cli: CliRunner;
  let W: BuildWorld;
  const hello = buildFixture('hello');
  const request = async (id: number) => (await W.admin.call<Row>('getTaskInfo', [id], { request: true })).request as unknown[];
  const createdId = (out: string) => Number(/Created task:? (\d+)/.exec(out)?.[1]);

  beforeAll(async () => {
    hub = await startTestHub(engine);
    cli = cliFor(hub, { background: true });
    W = await buildWorld(hub);
  }, 60_000);
  afterAll(async () => hub?.stop());

  it('build uploads the SRPM to cli-build/ and makes a build task with the stock options', async () => {
    const r = await cli.run('build', 'dist-foo', hello.srpm);
    expect(r).toMatchObject({ exitCode: 0, error: '' });
    const id = createdId(r.output);
    expect(r.output).toBe(`Uploading srpm: ${hello.srpm}\n\nCreated task: ${id}\nTask info: ${hub.httpUrl!.replace(/\/kojihub$/, '')}/koji/taskinfo?taskID=${id}\n`);
    const [src, target, opts] = await request(id);
    expect(src).toMatch(new RegExp(`^cli-build/\\d+\\.\\d+\\.\\w+/${basename(hello.srpm).replace(/\./g, '\\.')}$`));
    expect([target, opts]).toEqual(['dist-foo', { wait_builds: [], custom_user_metadata: {} }]);
    const info = await W.admin.call<Row>('getTaskInfo', [id]);
    expect([info.method, info.priority, info.state]).toEqual(['build', 20, 0]);
  });

  it('build passes SCM URLs through and takes the scratch options', async () => {
    const r = await cli.run('build', '--scratch', '--arch-override', 'x86_64,aarch64', '--no-rebuild-srpm', '--background', '--quiet', '--custom-user-metadata', '{"a": 1}', 'dist-foo', 'git+https://example.org/hello.git#abc');
    expect(r).toEqual({ exitCode: 0, error: '', output: '' });
    const tasks = await W.admin.call<Row[]>('listTasks', [], { opts: { method: 'build' }, queryOpts: { order: '-id', limit: 1 } });
    expect(await request(tasks[0].id as number)).toEqual(['git+https://example.org/hello.git#abc', 'dist-foo', { arch_override: 'x86_64 aarch64', scratch: true, wait_builds: [], rebuild_srpm: false, custom_user_metadata: { a: 1 } }]);
    expect(tasks[0].priority).toBe(25);
  });

  it('build refuses what the stock CLI refuses, before uploading', async () => {
    const usage = (msg: string) => expect.stringContaining(`\nkoji: error: ${msg}\n`);
    expect(await cli.run('build', 'dist-foo')).toMatchObject({ exitCode: 2, error: usage('Exactly two arguments (a build target and a SCM URL or srpm file) are required') });
    expect(await cli.run('build', 'nope', hello.srpm)).toMatchObject({ exitCode: 2, error: usage('No such build target: nope') });
    expect(await cli.run('build', '--arch-override', 'x86_64', 'dist-foo', hello.srpm)).toMatchObject({ exitCode: 2, error: usage('--arch_override is only allowed for --scratch builds') });
    expect(await cli.run('build', '--custom-user-metadata', '[1]', 'dist-foo', hello.srpm)).toMatchObject({ exitCode: 2, error: usage('--custom-user-metadata must be a JSON object') });
    await W.admin.call('editTag2', ['dist-foo'], { locked: true });
    try {
      expect(await cli.run('build', 'dist-foo', hello.srpm)).toMatchObject({ exitCode: 2, error: usage('Destination tag dist-foo is locked') });
    } finally {
      await W.admin.call('editTag2', ['dist-foo'], { locked: false });
    }
  });

  it('chain-build makes one chainbuild task of build levels, and checks the target', async () => {
    const r = await cli.run('chain-build', 'dist-foo', 'git://h/a.git#1', 'zlib-1.0-1', ':', 'git://h/b.git#2');
    expect(r.exitCode).toBe(0);
    const id = createdId(r.output);
    expect(await request(id)).toEqual([[['git://h/a.git#1', 'zlib-1.0-1'], ['git://h/b.git#2']], 'dist-foo', {}]);
    expect(await cli.run('chain-build', 'dist-foo', 'git://h/a.git#1')).toMatchObject({ exitCode: 2, error: expect.stringContaining('You must specify at least one dependency between builds with : (colon)') });
    expect(await cli.run('chain-build', 'dist-foo', 'x.tar', ':', 'git://h/a#1')).toMatchObject({ exitCode: 1, error: '"x.tar" is not a SCM URL or package N-V-R\n' });
    await W.admin.call('createTag', ['other']);
    await W.admin.call('createBuildTarget', ['other-target', 'dist-foo-build', 'other']);
    expect(await cli.run('chain-build', 'other-target', 'git://h/a#1', ':', 'git://h/b#1')).toMatchObject({
      exitCode: 1, error: 'Packages in destination tag other are not inherited by build tag dist-foo-build\nTarget other-target is not usable for a chain-build\n',
    });
  });

  it('tag-build and move-build make tagBuild tasks; untag-build untags at once', async () => {
    await W.admin.uploadWrapper(hello.srpm, 'cli-test-import');
    await W.admin.call('importRPM', ['cli-test-import', basename(hello.srpm)]);
    const nvr = 'hello-1.2-3';
    const t = await cli.run('tag-build', 'dist-foo', nvr);
    const tagTask = Number(/Created task (\d+)/.exec(t.output)?.[1]);
    expect(t).toEqual({ exitCode: 0, error: '', output: `Created task ${tagTask}\n` });
    const build = await W.admin.call<Row>('getBuild', [nvr]);
    expect(await request(tagTask)).toEqual([W.destTag, build.id, false, null]);
    // tag it directly to have something to move and untag
    await W.admin.call('tagBuildBypass', ['dist-foo', nvr]);
    await W.admin.call('createTag', ['dist-foo-updates']);
    await W.admin.call('packageListAdd', ['dist-foo-updates', 'hello', 'kojiadmin']);
    const m = await cli.run('move-build', 'dist-foo', 'dist-foo-updates', nvr, 'nope-1-1');
    expect(m.exitCode).toBe(0);
    expect(m.output).toMatch(new RegExp(`^No such build: nope-1-1, skipping.\nCreated task \\d+, moving ${nvr}\n$`));
    expect(await cli.run('untag-build', '--test', 'dist-foo', nvr)).toEqual({ exitCode: 0, error: '', output: `would have untagged ${nvr}\n` });
    expect(await cli.run('untag-build', '-v', 'dist-foo', nvr)).toEqual({ exitCode: 0, error: '', output: `untagging ${nvr}\n` });
    expect(await W.admin.call<Row[]>('listTagged', ['dist-foo'])).toEqual([]);
    expect(await cli.run('untag-build', 'dist-foo', nvr)).toMatchObject({ exitCode: 1, error: `Build ${nvr} not in tag dist-foo\n` });
  });
});
