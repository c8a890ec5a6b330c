/**
 * Repos end to end, as real processes on loopback: a hub, a builder in the createrepo channel
 * running newRepo/createrepo with createrepo_c and mergerepo_c, and `kojits kojira`. Tagging a
 * build makes kojira request a new repo of the target's build tag, which dnf then installs from
 * (a single arch made by the newRepo task itself, more by createrepo subtasks);
 * untagging and blocking take the package out again; an external repo (a folder) is merged; a
 * failing createrepo leaves the previous repo current and the new one a PROBLEM; a second kojira
 * refuses to start; a kojira killed with -9 and started again leaves no duplicate or stuck repo.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClientSession } from '../../src/protocol/client.ts';
import type { XmlRpcStruct } from '../../src/protocol/values.ts';
import { startKojits, stopAll, type Proc } from '../cmd/proc.ts';
import { buildHost, startBuilder, until } from '../helpers/builder.ts';
import { engines } from '../helpers/db.ts';
import { startTestHub, type TestHub } from '../helpers/hub.ts';
import { dnfInstall, repoPackages } from '../helpers/repos.ts';
import { buildFixture } from '../rpm/build-fixtures.ts';

const READY = 1;
const PROBLEM = 4;

describe.each(engines())('repos and kojira on %s', (engine) => {
  let hub: TestHub;
  let admin: ClientSession;
  let dir: string;
  let builder: Proc;
  let kojira: Proc;
  let kojiraConf: string;
  const empty = buildFixture('empty');
  const extra = buildFixture('extra');

  const startKojira = async (args: string[] = []) => {
    const p = startKojits(['kojira', '-c', kojiraConf, ...args]);
    await p.waitFor(/kojira ready/, 60_000);
    return p;
  };
  /** The newest READY repo of the build tag made at or after `event`. */
  const repoAfter = (event: number) =>
    until(`a READY repo of dist-foo-build at event ${event} or later`, async () => {
      const r = await admin.call<XmlRpcStruct | null>('getRepo', ['dist-foo-build'], { state: READY });
      if (!r || (r.create_event as number) < event) return null;
      // host.repoDone moves the latest link right after its commit
      let latest: string | null = null;
      try {
        latest = readlinkSync(join(hub.kojiDir, 'repos', 'dist-foo-build', 'latest'));
      } catch {
        // not there yet
      }
      return latest === String(r.id) ? r : null;
    }, 60_000, 200);
  const closedTask = (id: number) =>
    until(`task ${id} closed`, async () => {
      const t = await admin.call<XmlRpcStruct>('getTaskInfo', [id]);
      return t.state === 2 ? t : null;
    });
  const lastEvent = async () => (await admin.call<XmlRpcStruct>('getLastEvent')).id as number;
  const repoDir = (id: number) => join(hub.kojiDir, 'repos', 'dist-foo-build', String(id));

  beforeAll(async () => {
    hub = await startTestHub(engine, { conf: '[hub]\nRunInterval = 1\n', scheduler: { manual: false } });
    admin = await hub.login();
    dir = mkdtempSync(join(tmpdir(), 'kojits-repos-'));
    mkdirSync(join(hub.kojiDir, 'repos'), { recursive: true });
    const h = await buildHost(admin, dir, hub.httpUrl as string, 'repohost', { channel: 'createrepo', conf: `topdir = ${hub.kojiDir}` });
    builder = await startBuilder(h);
    await admin.call('createUser', ['kojira']);
    await admin.call('grantPermission', ['kojira', 'repo']);
    await admin.call('kojits.setPassword', ['kojira', 'kojira-pass-1']);
    kojiraConf = join(dir, 'kojira.conf');
    writeFileSync(kojiraConf, `[kojira]\nserver = ${hub.httpUrl}\nuser = kojira\npassword = kojira-pass-1\ntopdir = ${hub.kojiDir}\nsleeptime = 2\nmax_retries = 2\nretry_interval = 1\ncheck_external_repos = false\n`);
    for (const f of [empty.srpm, ...empty.rpms]) {
      await admin.uploadWrapper(f, 'test-import');
      await admin.call('importRPM', ['test-import', basename(f)]);
    }
    await admin.call('createTag', ['dist-foo']);
    await admin.call('createTag', ['dist-foo-build'], { parent: 'dist-foo', arches: 'x86_64' });
    await admin.call('createBuildTarget', ['dist-foo', 'dist-foo-build', 'dist-foo']);
    await admin.call('packageListAdd', ['dist-foo', 'empty'], { owner: 'kojiadmin' });
    kojira = await startKojira();
    // kojira's first round makes the (empty) build tag's first repo
    await repoAfter(0);
  }, 180_000);

  afterAll(async () => {
    await stopAll();
    await hub?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('a tagged build is in a new repo of the build tag within seconds, and dnf installs it', async () => {
    await admin.call('tagBuildBypass', ['dist-foo', 'empty-1-0']);
    const event = await lastEvent();
    const repo = await repoAfter(event);
    const path = repoDir(repo.id as number);
    expect(repoPackages(path, 'x86_64')).toEqual(['empty']);
    // the link is made once repoDone's transaction commits, right after READY shows
    const latest = join(hub.kojiDir, 'repos', 'dist-foo-build', 'latest');
    await until('the latest link to the new repo', async () => existsSync(latest) && readlinkSync(latest) === String(repo.id), 10_000, 50);
    expect(JSON.parse(readFileSync(join(path, 'repo.json'), 'utf8'))).toMatchObject({ id: repo.id, tag: 'dist-foo-build' });
    expect(await dnfInstall(`file://${hub.kojiDir}/repos/dist-foo-build/latest/x86_64/`, 'empty')).toEqual(['empty']);
    // the task tree: newRepo (closed right after host.repoDone), which made the single arch's
    // repodata itself (createrepo_inline): no createrepo child, createrepo_c's log in its output
    const task = await closedTask(repo.task_id as number);
    expect(task.method).toBe('newRepo');
    expect(await admin.call<XmlRpcStruct[]>('getTaskChildren', [repo.task_id])).toEqual([]);
    expect(await admin.call<string[]>('listTaskOutput', [repo.task_id])).toContain('createrepo.log');
  });

  it('a tag given a second arch: the unchanged arch is copied, the new one made by a createrepo subtask', async () => {
    await admin.call('editTag2', ['dist-foo-build'], { arches: 'x86_64 aarch64' });
    try {
      const repo = await repoAfter(await lastEvent());
      await closedTask(repo.task_id as number);
      const children = await admin.call<XmlRpcStruct[]>('getTaskChildren', [repo.task_id]);
      expect(children.map((c) => [c.method, c.label, c.state])).toEqual([['createrepo', 'aarch64', 2]]);
      expect(JSON.parse(readFileSync(join(repoDir(repo.id as number), 'repo.json'), 'utf8'))).toMatchObject({ cloned_archs: ['x86_64'] });
      expect(repoPackages(repoDir(repo.id as number), 'x86_64')).toEqual(['empty']);
      expect(repoPackages(repoDir(repo.id as number), 'aarch64')).toEqual(['empty']);
    } finally {
      await admin.call('editTag2', ['dist-foo-build'], { arches: 'x86_64' });
    }
    await repoAfter(await lastEvent());
  });

  it('an unchanged tag gives no new repo; an untagged or blocked package leaves the next one', async () => {
    const before = await admin.call<XmlRpcStruct>('getRepo', ['dist-foo-build']);
    await admin.call('repo.checkQueue');
    expect((await admin.call<XmlRpcStruct>('getRepo', ['dist-foo-build'])).id).toBe(before.id);
    await admin.call('packageListBlock', ['dist-foo-build', 'empty']);
    const blocked = await repoAfter(await lastEvent());
    expect(blocked.id).not.toBe(before.id);
    expect(readFileSync(join(repoDir(blocked.id as number), 'x86_64', 'blocklist'), 'utf8')).toContain('empty');
    expect(existsSync(join(repoDir(blocked.id as number), 'x86_64', 'repodata', 'EMPTY_REPO'))).toBe(true);
    await admin.call('packageListUnblock', ['dist-foo-build', 'empty']);
    const unblocked = repoDir((await repoAfter(await lastEvent())).id as number);
    expect(repoPackages(unblocked, 'x86_64')).toEqual(['empty']);
    // made after the empty repo (no --update from it: nothing to reuse): no EMPTY_REPO marker
    expect(existsSync(join(unblocked, 'x86_64', 'repodata', 'EMPTY_REPO'))).toBe(false);
    await admin.call('untagBuildBypass', ['dist-foo', 'empty-1-0']);
    const untagged = await repoAfter(await lastEvent());
    expect(existsSync(join(repoDir(untagged.id as number), 'x86_64', 'repodata', 'EMPTY_REPO'))).toBe(true);
    // the repo at the event before the untagging still has it
    expect(repoPackages(repoDir(before.id as number), 'x86_64')).toEqual(['empty']);
    await admin.call('tagBuildBypass', ['dist-foo', 'empty-1-0']);
    await repoAfter(await lastEvent());
  });

  it('merges an external repo (a folder) into the tag repo', async () => {
    const ext = join(dir, 'ext', 'x86_64');
    mkdirSync(ext, { recursive: true });
    copyFileSync(extra.rpms[0], join(ext, basename(extra.rpms[0])));
    execFileSync('createrepo_c', ['-q', ext]);
    await admin.call('createExternalRepo', ['local-ext', `file://${join(dir, 'ext')}/$arch/`]);
    await admin.call('addExternalRepoToTag', ['dist-foo-build', 'local-ext', 10], { merge_mode: 'koji' });
    const repo = await repoAfter(await lastEvent());
    expect(repoPackages(repoDir(repo.id as number), 'x86_64')).toEqual(['empty', 'extra']);
    expect(await dnfInstall(`file://${repoDir(repo.id as number)}/x86_64/`, 'extra')).toEqual(['extra']);
    await admin.call('removeExternalRepoFromTag', ['dist-foo-build', 'local-ext']);
    expect(repoPackages(repoDir((await repoAfter(await lastEvent())).id as number), 'x86_64')).toEqual(['empty']);
  });

  it('merges an external repo served over HTTP (bare mode); an unreachable one fails the repo and leaves the previous one current', async () => {
    // the hub's own file server on loopback serves a repo folder put under KojiDir
    const ext = join(hub.kojiDir, 'ext-http', 'x86_64');
    mkdirSync(ext, { recursive: true });
    copyFileSync(extra.rpms[0], join(ext, basename(extra.rpms[0])));
    execFileSync('createrepo_c', ['-q', ext]);
    const base = (hub.httpUrl as string).replace(/\/kojihub$/, '/kojifiles');
    await admin.call('createExternalRepo', ['http-ext', `${base}/ext-http/$arch/`]);
    await admin.call('addExternalRepoToTag', ['dist-foo-build', 'http-ext', 10], { merge_mode: 'bare' });
    const merged = await repoAfter(await lastEvent());
    expect(repoPackages(repoDir(merged.id as number), 'x86_64')).toEqual(['empty', 'extra']);
    expect(await dnfInstall(`${base}/repos/dist-foo-build/latest/x86_64/`, 'extra')).toEqual(['extra']);
    // the same repo moved away: mergerepo_c cannot read it
    await admin.call('editExternalRepo', ['http-ext'], { url: `${base}/no-such-folder/$arch/` });
    const bad = await until('a problem repo', async () => {
      const rs = await admin.call<XmlRpcStruct[]>('repo.query', [[['tag_id', '=', merged.tag_id], ['state', '=', PROBLEM], ['id', '>', merged.id]]]);
      return rs.length ? rs[0] : null;
    }, 60_000, 200);
    expect((await admin.call<XmlRpcStruct>('getTaskInfo', [bad.task_id])).state).toBe(5);
    expect((await admin.call<XmlRpcStruct>('getRepo', ['dist-foo-build'])).id).toBe(merged.id);
    await admin.call('removeExternalRepoFromTag', ['dist-foo-build', 'http-ext']);
    expect(repoPackages(repoDir((await repoAfter(await lastEvent())).id as number), 'x86_64')).toEqual(['empty']);
  }, 120_000);

  it('a failing createrepo leaves the previous repo current and marks the new one a problem', async () => {
    const good = await admin.call<XmlRpcStruct>('getRepo', ['dist-foo-build']);
    for (const f of [extra.srpm, ...extra.rpms]) {
      await admin.uploadWrapper(f, 'test-import-extra');
      await admin.call('importRPM', ['test-import-extra', basename(f)]);
    }
    await admin.call('packageListAdd', ['dist-foo', 'extra'], { owner: 'kojiadmin' });
    // createrepo_c cannot read a new package that is gone from the file tree
    const rpm = join(hub.kojiDir, 'packages', 'extra', '2.0', '1', 'noarch', 'extra-2.0-1.noarch.rpm');
    renameSync(rpm, `${rpm}.away`);
    try {
      await admin.call('tagBuildBypass', ['dist-foo', 'extra-2.0-1']);
      const bad = await until('a problem repo', async () => {
        const rs = await admin.call<XmlRpcStruct[]>('repo.query', [[['tag_id', '=', good.tag_id], ['state', '=', PROBLEM], ['id', '>', good.id]]]);
        return rs.length ? rs[0] : null;
      }, 60_000, 200);
      expect(bad.id).toBeGreaterThan(good.id as number);
      const task = await admin.call<XmlRpcStruct>('getTaskInfo', [bad.task_id]);
      expect(task.state).toBe(5);
      // the current repo is an older good one (a retry of an earlier request may have made one
      // after `good`), without the package createrepo could not read
      const current = await admin.call<XmlRpcStruct>('getRepo', ['dist-foo-build']);
      expect(current.id).toBeGreaterThanOrEqual(good.id as number);
      expect(current.id).toBeLessThan(bad.id as number);
      expect(repoPackages(repoDir(current.id as number), 'x86_64')).toEqual(['empty']);
      expect(readlinkSync(join(hub.kojiDir, 'repos', 'dist-foo-build', 'latest'))).toBe(String(current.id));
    } finally {
      renameSync(`${rpm}.away`, rpm);
    }
    await admin.call('untagBuildBypass', ['dist-foo', 'extra-2.0-1']);
    expect(repoPackages(repoDir((await repoAfter(await lastEvent())).id as number), 'x86_64')).toEqual(['empty']);
  }, 120_000);

  it('a repo folder removed by hand: the next repo is made in full (createrepo_c without --update)', async () => {
    // the queue quiet first, and no newRepo task left running: a request of an earlier test still
    // retried, or the task of a request that a newer repo fulfilled meanwhile, would make a repo
    // after the folders are removed, which the next one copies
    await until('no active repo request', async () => (await admin.call<XmlRpcStruct[]>('repo.queryQueue', [[['active', 'IS', true]]])).length === 0, 60_000, 200);
    await until('no unfinished newRepo task', async () => (await admin.call<XmlRpcStruct[]>('listTasks', [{ method: 'newRepo', state: [0, 1, 4] }])).length === 0, 60_000, 200);
    const current = await admin.call<XmlRpcStruct>('getRepo', ['dist-foo-build']);
    // every repo folder of the tag (a retried request of an earlier test may have made a newer
    // one meanwhile, which the next repo would copy)
    for (const r of await admin.call<XmlRpcStruct[]>('repo.query', [[['tag_id', '=', current.tag_id]]])) rmSync(repoDir(r.id as number), { recursive: true, force: true });
    await admin.call('editTag2', ['dist-foo-build'], { extra: { note: 'removed by hand' } });
    const next = await repoAfter(await lastEvent());
    expect(next.id).toBeGreaterThan(current.id as number);
    expect(repoPackages(repoDir(next.id as number), 'x86_64')).toEqual(['empty']);
    // the task's log is complete once the task is closed (READY comes before)
    await closedTask(next.task_id as number);
    const log = Buffer.from(await admin.call<string>('downloadTaskOutput', [next.task_id, 'task.log']), 'base64').toString('utf8');
    expect(log).toContain('old repodata is missing');
  }, 120_000);

  it('a second kojira refuses to start; one killed with -9 and started again leaves no duplicate or stuck repo', async () => {
    const second = startKojits(['kojira', '-c', kojiraConf]);
    expect(await second.exited).toBe(1);
    expect(second.output()).toContain('Unable to get lock');
    await admin.call('editTag2', ['dist-foo-build'], { extra: { note: 'kill test' } });
    kojira.child.kill('SIGKILL');
    await kojira.exited;
    kojira = await startKojira(['--force-lock']);
    const repo = await repoAfter(await lastEvent());
    await until('no repo left in INIT', async () => (await admin.call<XmlRpcStruct[]>('repo.query', [[['tag_id', '=', repo.tag_id], ['state', '=', 0]]])).length === 0, 60_000, 200);
    const ready = await admin.call<XmlRpcStruct[]>('repo.query', [[['tag_id', '=', repo.tag_id], ['state', '=', READY], ['create_event', '>=', repo.create_event]]]);
    expect(ready.map((r) => r.id)).toEqual([repo.id]);
  });

  it('builder and kojira are still running', () => {
    expect(builder.child.exitCode).toBeNull();
    expect(kojira.child.exitCode).toBeNull();
  });
});
