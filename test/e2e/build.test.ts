/**
 * Builds end to end, as real processes on loopback: a hub, kojira and two builders (bwrap+dnf
 * buildroots from the base repo of `kojits base-repo`), driven with our CLI. A noarch package
 * and a C library + a program that build-requires it (a chain build, the program resolving the
 * library from the regenerated repo), a git build, a scratch build, a failing spec, a file that
 * is not an SRPM and an upload cut short, a build cancelled mid-way (its process tree stops)
 * and a builder killed with -9 mid-build (the other builder completes it; nothing is left
 * half-imported).
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClientSession } from '../../src/protocol/client.ts';
import type { XmlRpcStruct } from '../../src/protocol/values.ts';
import { readGroups } from '../../src/setup/demo.ts';
import { PathInfo } from '../../src/util/pathinfo.ts';
import { startKojits, stopAll, type Proc } from '../cmd/proc.ts';
import { SKIP_BUILDROOT_TESTS, testBaseRepo } from '../helpers/base-repo.ts';
import { buildHost, startBuilder, ST, taskIn, until, type BuildHost } from '../helpers/builder.ts';
import { cliFor, type CliRunner } from '../helpers/cli.ts';
import { engines } from '../helpers/db.ts';
import { startTestHub, type TestHub } from '../helpers/hub.ts';

type Row = XmlRpcStruct;
const BUILD = { BUILDING: 0, COMPLETE: 1, FAILED: 3, CANCELED: 4 } as const;
const EXAMPLES = resolve(import.meta.dirname, '../../examples');
const FIXTURES = resolve(import.meta.dirname, '../fixtures/build');
const BUILD_MS = 240_000;

/** rpmbuild -bs of a spec (sources beside it) into `out`; the SRPM's path. */
function srpm(spec: string, sourcedir: string, out: string): string {
  const log = execFileSync('rpmbuild', ['-bs', '--define', `_sourcedir ${sourcedir}`, '--define', `_srcrpmdir ${out}`, '--define', 'dist %{nil}', spec], { encoding: 'utf8' });
  return /Wrote: (\S+)/.exec(log)![1];
}

/** pids of processes whose command line contains `text`. */
function pgrep(text: string): number[] {
  try {
    return execFileSync('pgrep', ['-f', text], { encoding: 'utf8' }).split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

describe.skipIf(SKIP_BUILDROOT_TESTS).each(engines())('builds end to end on %s', (engine) => {
  let hub: TestHub;
  let admin: ClientSession;
  let cli: CliRunner;
  let dir: string;
  let srpms: string;
  const hosts: BuildHost[] = [];
  const builders = new Map<number, Proc>();
  let pi: PathInfo;

  const created = (out: string) => Number(/Created task:? (\d+)/.exec(out)?.[1]);
  /** `koji build --nowait ARGS…`; the task id. */
  const submit = async (...args: string[]) => {
    const r = await cli.run(args[0], '--nowait', ...args.slice(1));
    expect(r, r.error).toMatchObject({ exitCode: 0 });
    return created(r.output);
  };
  const children = (id: number) => admin.call<Row[]>('getTaskChildren', [id], { request: true });
  const rpmPath = (b: Row, r: Row) => join(pi.build(b as never), pi.rpm(r as never));
  const buildOf = (nvr: string) => admin.call<Row | null>('getBuild', [nvr]);
  /** Wait for the task to reach one of `states`; on failure say what each task of the tree ended with. */
  const ended = async (id: number, states: number[], ms = BUILD_MS) => {
    try {
      const t = await taskIn(admin, id, [...states, ST.FAILED, ST.CANCELED, ST.CLOSED], ms);
      if (states.includes(t.state as number)) return t;
    } catch {
      // timed out: explained below
    }
    const tree = [await admin.call<Row>('getTaskInfo', [id]), ...(await children(id))];
    const why = await Promise.all(tree.map(async (t) => `${String(t.id)} ${String(t.method)} state ${String(t.state)}: ${await admin.call('getTaskResult', [t.id]).then((r) => JSON.stringify(r), (e: Error) => e.message)}`));
    const logs = tree.flatMap((t) => ['build.log', 'root.log'].map((f) => join(pi.task(t.id as number), f)).filter((f) => existsSync(f)).map((f) => `--- ${f}\n${readFileSync(f, 'utf8').slice(-1500)}`));
    throw new Error(`task ${id} did not end in ${states.join('/')}:\n${why.join('\n')}\n${logs.join('\n')}`);
  };

  beforeAll(async () => {
    const base = await testBaseRepo();
    hub = await startTestHub(engine, { conf: '[hub]\nRunInterval = 1\nHostTimeout = 10\n', scheduler: { manual: false } });
    admin = await hub.login();
    cli = cliFor(hub, { background: true });
    pi = new PathInfo(hub.kojiDir);
    dir = mkdtempSync(join(tmpdir(), 'kojits-builds-'));
    // builds run as nobody, which must reach the buildroots under the builders' work folders
    chmodSync(dir, 0o755);
    srpms = join(dir, 'srpms');
    mkdirSync(join(hub.kojiDir, 'repos'), { recursive: true });
    for (const name of ['bld1', 'bld2']) {
      const h = await buildHost(admin, dir, hub.httpUrl as string, name, { capacity: 4, conf: `topdir = ${hub.kojiDir}\nallowed_scms = :${dir}/git/*:no:\nrpmbuild_timeout = 15\n` });
      await admin.call('addHostToChannel', [name, 'createrepo'], { create: true });
      hosts.push(h);
      builders.set(h.id, await startBuilder(h));
    }
    await admin.call('createUser', ['kojira']);
    await admin.call('grantPermission', ['kojira', 'repo']);
    await admin.call('kojits.setPassword', ['kojira', 'kojira-pass-1']);
    const kojiraConf = join(dir, 'kojira.conf');
    writeFileSync(kojiraConf, `[kojira]\nserver = ${hub.httpUrl}\nuser = kojira\npassword = kojira-pass-1\ntopdir = ${hub.kojiDir}\nsleeptime = 2\nmax_retries = 2\nretry_interval = 1\ncheck_external_repos = false\n`);
    // Koji's "External Repo Server Bootstrap"
    await admin.call('createTag', ['dist-foo']);
    await admin.call('createTag', ['dist-foo-build'], { parent: 'dist-foo', arches: 'x86_64' });
    await admin.call('createExternalRepo', ['base', `${base.url}/`]);
    await admin.call('addExternalRepoToTag', ['dist-foo-build', 'base', 10]);
    await admin.call('createBuildTarget', ['dist-foo', 'dist-foo-build', 'dist-foo']);
    for (const [group, pkgs] of readGroups(join(base.dir, 'groups.txt'))) {
      await admin.call('groupListAdd', ['dist-foo-build', group]);
      for (const p of pkgs) await admin.call('groupPackageListAdd', ['dist-foo-build', group, p]);
    }
    for (const p of ['hello', 'libgreet', 'greet', 'fails', 'sleeper']) await admin.call('packageListAdd', ['dist-foo', p], { owner: 'kojiadmin' });
    const kojira = startKojits(['kojira', '-c', kojiraConf]);
    await kojira.waitFor(/kojira ready/, 60_000);
    await until('the first repo of dist-foo-build', () => admin.call<Row | null>('getRepo', ['dist-foo-build']), 120_000, 200);
  }, 600_000);

  afterAll(async () => {
    await stopAll();
    await hub?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('builds a noarch package from an SRPM: imported, tagged, its buildroot recorded, logs downloadable', async () => {
    const id = await submit('build', 'dist-foo', srpm(join(EXAMPLES, 'hello/hello.spec'), join(EXAMPLES, 'hello'), srpms));
    await ended(id, [ST.CLOSED]);
    const b = (await buildOf('hello-1.0-1'))!;
    expect([b.state, b.task_id]).toEqual([BUILD.COMPLETE, id]);
    expect((await admin.call<Row[]>('listTagged', ['dist-foo'])).map((x) => x.nvr)).toEqual(['hello-1.0-1']);
    const rpms = await admin.call<Row[]>('listRPMs', [], { buildID: b.id });
    expect(rpms.map((r) => `${String(r.name)}.${String(r.arch)}`).sort()).toEqual(['hello.noarch', 'hello.src']);
    for (const r of rpms) expect(existsSync(rpmPath(b, r))).toBe(true);
    const noarch = rpms.find((r) => r.arch === 'noarch')!;
    const br = await admin.call<Row>('getBuildroot', [noarch.buildroot_id]);
    expect([br.tag_name, br.arch, br.task_id !== id]).toEqual(['dist-foo-build', 'x86_64', true]);
    // what the root had installed: the base repo's RPMs, from the external repo
    const listing = await admin.call<Row[]>('getBuildrootListing', [br.id]);
    expect(listing.some((r) => r.name === 'bash' && r.external_repo_name === 'base')).toBe(true);
    const logs = await admin.call<Row[]>('getBuildLogs', [b.id]);
    expect(logs.map((l) => l.name)).toEqual(expect.arrayContaining(['build.log', 'root.log']));
    const buildLog = logs.find((l) => l.name === 'build.log')!;
    const text = await (await fetch(`${hub.httpUrl!.replace(/\/kojihub$/, '/kojifiles')}/${String(buildLog.path)}`)).text();
    expect(text).toMatch(/Wrote: \S*\/hello-1\.0-1\.noarch\.rpm/);
  }, BUILD_MS * 2);

  it('chain-builds a C library and a program that build-requires it, resolved from the regenerated repo', async () => {
    const lib = srpm(join(EXAMPLES, 'libgreet/libgreet.spec'), join(EXAMPLES, 'libgreet'), srpms);
    const app = srpm(join(EXAMPLES, 'greet/greet.spec'), join(EXAMPLES, 'greet'), srpms);
    const id = await submit('chain-build', 'dist-foo', lib, ':', app);
    await ended(id, [ST.CLOSED], BUILD_MS * 2);
    const libBuild = (await buildOf('libgreet-1.0-1'))!;
    const app1 = (await buildOf('greet-1.0-1'))!;
    expect([libBuild.state, app1.state]).toEqual([BUILD.COMPLETE, BUILD.COMPLETE]);
    const appRpm = (await admin.call<Row[]>('listRPMs', [], { buildID: app1.id, arches: ['x86_64'] }))[0];
    const listing = await admin.call<Row[]>('getBuildrootListing', [appRpm.buildroot_id]);
    const devel = listing.find((r) => r.name === 'libgreet-devel');
    // an RPM of the library's build, known to the hub by its id
    expect(devel?.build_id).toBe(libBuild.id);
    // the program runs against the library
    const out = join(dir, 'run');
    for (const r of [appRpm, ...(await admin.call<Row[]>('listRPMs', [], { buildID: libBuild.id, arches: ['x86_64'] }))]) {
      execFileSync('sh', ['-c', `mkdir -p ${out} && cd ${out} && rpm2cpio "$1" | cpio -idm --quiet`, 'x', rpmPath(r.build_id === libBuild.id ? libBuild : app1, r)]);
    }
    expect(execFileSync(join(out, 'usr/bin/greet'), { env: { LD_LIBRARY_PATH: join(out, 'usr/lib64') }, encoding: 'utf8' })).toBe('Hello from libgreet\n');
  }, BUILD_MS * 2);

  it('builds from git at a commit in an srpm-build root, with the commit as source', async () => {
    const repo = join(dir, 'git', 'hello.git');
    mkdirSync(repo, { recursive: true });
    const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@e', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@e' } }).trim();
    git('init', '-q', '-b', 'main');
    cpSync(join(EXAMPLES, 'hello'), repo, { recursive: true });
    writeFileSync(join(repo, 'hello.spec'), readFileSync(join(repo, 'hello.spec'), 'utf8').replace(/^Release:.*$/m, 'Release:        2%{?dist}'));
    git('add', '.');
    git('commit', '-qm', 'hello 1.0-2');
    const commit = git('rev-parse', 'HEAD');
    const id = await submit('build', 'dist-foo', `git+file://${repo}#${commit.slice(0, 12)}`);
    await ended(id, [ST.CLOSED]);
    const b = (await buildOf('hello-1.0-2'))!;
    expect([b.state, b.source]).toEqual([BUILD.COMPLETE, `git+file://${repo}#${commit}`]);
    expect((await children(id)).map((c) => c.method)).toEqual(expect.arrayContaining(['buildSRPMFromSCM', 'buildArch', 'tagBuild']));
    // an SCM the builder does not allow fails the task, naming it
    const denied = await submit('build', 'dist-foo', `git+file:///elsewhere/hello.git#${commit}`);
    await ended(denied, [ST.FAILED]);
    await expect(admin.call('getTaskResult', [denied])).rejects.toThrow(':/elsewhere/hello.git is not in the list of allowed SCMs');
  }, BUILD_MS * 2);

  it('a scratch build lands under scratch/ and in no tag', async () => {
    const id = await submit('build', '--scratch', 'dist-foo', join(srpms, 'hello-1.0-1.src.rpm'));
    await ended(id, [ST.CLOSED]);
    const dest = join(hub.kojiDir, 'scratch', 'kojiadmin', `task_${id}`);
    expect(readdirSync(dest).filter((f) => f.endsWith('.rpm')).sort()).toEqual(['hello-1.0-1.noarch.rpm', 'hello-1.0-1.src.rpm']);
    expect(await admin.call<Row[]>('listBuilds', [], { taskID: id })).toEqual([]);
  }, BUILD_MS * 2);

  it('a failing spec fails the task and the build, with its build.log kept', async () => {
    const id = await submit('build', 'dist-foo', srpm(join(FIXTURES, 'fails.spec'), FIXTURES, srpms));
    await ended(id, [ST.FAILED]);
    expect((await buildOf('fails-1.0-1'))?.state).toBe(BUILD.FAILED);
    const arch = (await children(id)).find((c) => c.method === 'buildArch')!;
    expect(arch.state).toBe(ST.FAILED);
    const log = readFileSync(join(pi.task(arch.id as number), 'build.log'), 'utf8');
    expect(log).toContain('koji-ts test: this build fails on purpose');
    await expect(admin.call('getTaskResult', [arch.id])).rejects.toThrow(/error building package \(arch noarch\), .*see build\.log/);
  }, BUILD_MS * 2);

  it('bad input: a file that is not an SRPM and an SRPM whose upload was cut short fail cleanly; the whole SRPM then builds', async () => {
    const bogus = join(dir, 'bogus-1.0-1.src.rpm');
    writeFileSync(bogus, 'this is not an RPM\n'.repeat(200));
    const id = await submit('build', 'dist-foo', bogus);
    await ended(id, [ST.FAILED]);
    const srpmTask = (await children(id)).find((c) => c.method === 'rebuildSRPM')!;
    await expect(admin.call('getTaskResult', [srpmTask.id])).rejects.toThrow(/bogus-1\.0-1\.src\.rpm/);
    expect(await admin.call<Row[]>('listBuilds', [], { taskID: id })).toEqual([]);
    // a client that died half-way through its upload, and a build submitted for what arrived
    const spec = join(dir, 'hello.spec');
    writeFileSync(spec, readFileSync(join(EXAMPLES, 'hello/hello.spec'), 'utf8').replace(/^Release:.*$/m, 'Release:        3%{?dist}'));
    const whole = srpm(spec, join(EXAMPLES, 'hello'), srpms);
    const bytes = readFileSync(whole);
    await admin.rawUpload(bytes.subarray(0, bytes.length >> 1), 0, 'cli-build/cut-short', 'hello-1.0-3.src.rpm');
    const cut = await admin.call<number>('build', ['cli-build/cut-short/hello-1.0-3.src.rpm', 'dist-foo', {}]);
    await ended(cut, [ST.FAILED]);
    const cutSrpm = (await children(cut)).find((c) => c.method === 'rebuildSRPM')!;
    await expect(admin.call('getTaskResult', [cutSrpm.id])).rejects.toThrow(/hello-1\.0-3\.src\.rpm/);
    expect(await buildOf('hello-1.0-3')).toBeNull();
    // nothing was lost or left half-done: the whole SRPM builds
    const ok = await submit('build', 'dist-foo', whole);
    await ended(ok, [ST.CLOSED]);
    expect((await buildOf('hello-1.0-3'))?.state).toBe(BUILD.COMPLETE);
  }, BUILD_MS * 3);

  /** A sleeper SRPM that sleeps `secs` in %build. */
  const sleeper = (secs: number) => {
    const spec = join(dir, `sleeper-${secs}.spec`);
    writeFileSync(spec, readFileSync(join(FIXTURES, 'sleeper.spec'), 'utf8').replaceAll('@SLEEP@', String(secs)));
    return srpm(spec, dir, srpms);
  };
  /** The build's buildArch child once it is open and its rpmbuild is sleeping. */
  const sleepingArch = (id: number, secs: number) =>
    until(`buildArch of task ${id} sleeping`, async () => {
      const arch = (await children(id)).find((c) => c.method === 'buildArch' && c.state === ST.OPEN);
      return arch && pgrep(`sleep ${secs}.25`).length ? arch : null;
    }, BUILD_MS, 250);

  it('cancel stops a build mid-way: the task and build are canceled and the build process tree stops', async () => {
    const id = await submit('build', 'dist-foo', sleeper(97));
    await sleepingArch(id, 97);
    expect(await cli.run('cancel', String(id))).toMatchObject({ exitCode: 0 });
    await taskIn(admin, id, [ST.CANCELED], 30_000);
    expect((await buildOf('sleeper-97-1'))?.state).toBe(BUILD.CANCELED);
    await until('the sleeping rpmbuild gone', async () => pgrep('sleep 97.25').length === 0, 20_000, 200);
  }, BUILD_MS * 2);

  it('rpmbuild_timeout stops a build that runs too long: the build fails, naming the limit', async () => {
    const id = await submit('build', 'dist-foo', sleeper(41));
    await ended(id, [ST.FAILED], 90_000);
    const arch = (await children(id)).find((c) => c.method === 'buildArch')!;
    await expect(admin.call('getTaskResult', [arch.id])).rejects.toThrow('the build took longer than rpmbuild_timeout (15 s) and was stopped; see build.log');
    expect((await buildOf('sleeper-41-1'))?.state).toBe(BUILD.FAILED);
    expect(pgrep('sleep 41.25')).toEqual([]);
  }, BUILD_MS);

  it('a builder killed with -9 mid-build: the other builder completes the build, nothing half-imported', async () => {
    const id = await submit('build', 'dist-foo', sleeper(8));
    const arch = await sleepingArch(id, 8);
    const victim = arch.host_id as number;
    builders.get(victim)!.child.kill('SIGKILL');
    const t0 = Date.now();
    const b = await until('the build completed or failed', async () => {
      const x = await buildOf('sleeper-8-1');
      return x && x.state !== BUILD.BUILDING ? x : null;
    }, BUILD_MS * 2, 500);
    // how the tasks went, for the record
    const tree = [await admin.call<Row>('getTaskInfo', [id]), ...(await children(id))];
    console.log(`build after kill -9 of host ${victim}: ${(Date.now() - t0) / 1000} s\n${tree.map((t) => `${String(t.id)} ${String(t.method)} state ${String(t.state)} host ${String(t.host_id)} start ${String(t.start_ts)} end ${String(t.completion_ts)}`).join('\n')}`);
    expect(b.state).toBe(BUILD.COMPLETE);
    const rpms = await admin.call<Row[]>('listRPMs', [], { buildID: b.id });
    for (const r of rpms) expect(existsSync(rpmPath(b, r))).toBe(true);
    const br = await admin.call<Row>('getBuildroot', [rpms.find((r) => r.arch === 'noarch')!.buildroot_id]);
    expect(br.host_id).not.toBe(victim);
  }, BUILD_MS * 2);
});
