/**
 * Dist repos end to end: a hub and a builder (processes, createrepo channel) run `koji dist-repo`
 * with real createrepo_c over a tag whose rpm is signed with a throwaway key. An empty tag's repo
 * says it is empty; the next one (createrepo_c --update from it) is READY under
 * repos-dist/<tag>/<id>/ with the package hard-linked from its signed copy and dnf installs it; an unsigned rpm in the tag fails the task with Koji's message (the log names the
 * rpm) and leaves the repo's arch folder empty; --allow-missing-signatures takes the unsigned
 * copy, --skip-missing-signatures leaves it out. --multilib: distrepo-multilib.test.ts.
 */
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClientSession } from '../../src/protocol/client.ts';
import type { XmlRpcStruct, XmlRpcValue } from '../../src/protocol/values.ts';
import { readRpmHeaders } from '../../src/rpm/index.ts';
import { stopAll } from '../cmd/proc.ts';
import { buildHost, startBuilder, ST, taskIn } from '../helpers/builder.ts';
import { cliFor, type CliRunner } from '../helpers/cli.ts';
import { engines } from '../helpers/db.ts';
import { startTestHub, type TestHub } from '../helpers/hub.ts';
import { dnfInstall, repoPackages } from '../helpers/repos.ts';
import { buildFixture, createSigningKey, removeSigningKey, signCopy, SKIP_RPMBUILD_TESTS, type SigningKey } from '../rpm/build-fixtures.ts';

const READY = 1;
const INIT = 0;

describe.skipIf(SKIP_RPMBUILD_TESTS).each(engines())('dist repos on %s', (engine) => {
  let hub: TestHub;
  let admin: ClientSession;
  let cli: CliRunner;
  let key: SigningKey;
  let sigkey: string;
  const dir = mkdtempSync(join(tmpdir(), 'kojits-distrepo-'));
  const extra = buildFixture('extra');
  const empty = buildFixture('empty');
  const extraRpm = extra.rpms.find((f) => f.endsWith('.noarch.rpm'))!;

  const repoDir = (id: number) => join(hub.kojiDir, 'repos-dist', 'dr-tag', String(id));
  /** The newest distRepo task's repo id (from its request). */
  const lastDistRepo = async (): Promise<[number, number]> => {
    const [t] = await admin.call<XmlRpcStruct[]>('listTasks', [], { opts: { method: 'distRepo' }, queryOpts: { order: '-id', limit: 1 } });
    const info = await admin.call<XmlRpcStruct>('getTaskInfo', [t.id], { request: true });
    return [t.id as number, (info.request as XmlRpcValue[])[1] as number];
  };

  const output = async (task: number, name: string) => Buffer.from(await admin.call<string>('downloadTaskOutput', [task, name]), 'base64').toString('utf8');

  beforeAll(async () => {
    hub = await startTestHub(engine, { conf: '[hub]\nRunInterval = 1\n', scheduler: { manual: false } });
    admin = await hub.login();
    cli = cliFor(hub, { conf: 'poll_interval = 1' });
    const h = await buildHost(admin, dir, hub.httpUrl as string, 'disthost', { channel: 'createrepo', conf: `topdir = ${hub.kojiDir}` });
    await startBuilder(h);
    for (const f of [extra.srpm, ...extra.rpms, empty.srpm, ...empty.rpms]) {
      await admin.uploadWrapper(f, 'test-import');
      await admin.call('importRPM', ['test-import', basename(f)]);
    }
    await admin.call('createTag', ['dr-tag'], { arches: 'x86_64' });
    for (const p of ['extra', 'empty']) await admin.call('packageListAdd', ['dr-tag', p], { owner: 'kojiadmin' });
    const k = createSigningKey('rsa2048');
    if (!k.ok) throw new Error(k.reason);
    key = k.value;
    const signed = join(dir, basename(extraRpm));
    const s = signCopy(extraRpm, signed, key);
    if (!s.ok) throw new Error(s.reason);
    sigkey = key.keyId.slice(-8).toLowerCase();
    const rpm = await admin.call<XmlRpcStruct>('getRPM', [basename(extraRpm, '.rpm')]);
    await admin.call('addRPMSig', [rpm.id, (await readRpmHeaders(signed)).sigHeaderBytes.toString('base64')]);
  }, 180_000);

  afterAll(async () => {
    await stopAll();
    await hub?.stop();
    if (key) removeSigningKey(key.home);
    rmSync(dir, { recursive: true, force: true });
  });

  it('a dist repo of an empty tag says so (EMPTY_REPO); the next one, with content, does not', async () => {
    expect((await cli.run('dist-repo', '--wait', 'dr-tag', sigkey)).exitCode).toBe(0);
    const [, repoId] = await lastDistRepo();
    expect(readFileSync(join(repoDir(repoId), 'x86_64', 'repodata', 'EMPTY_REPO'), 'utf8')).toBe('This repo is empty because its tag has no content for this arch\n');
    expect(readFileSync(join(repoDir(repoId), 'x86_64', 'pkglist'), 'utf8')).toBe('');
  });

  it('a dist repo of a signed tag: READY, packages linked from the signed copies, dnf installs from it (--update from the empty one)', async () => {
    await admin.call('tagBuildBypass', ['dr-tag', 'extra-2.0-1']);
    const r = await cli.run('dist-repo', '--wait', '--write-signed-rpms', 'dr-tag', sigkey.toUpperCase());
    expect(r.output).toMatch(/^Creating dist repo for tag dr-tag\nWatching tasks \(this may be safely interrupted\)\.\.\./);
    expect(r.output).toMatch(/distRepo \(dr-tag\) completed successfully/);
    expect(r.exitCode).toBe(0);
    const [taskId, repoId] = await lastDistRepo();
    expect(await admin.call('getTaskResult', [taskId])).toBe(`Dist repository #${repoId} successfully generated`);
    const repo = await admin.call<XmlRpcStruct>('getRepo', ['dr-tag'], { dist: true });
    expect(repo).toMatchObject({ id: repoId, state: READY, dist: true });
    const arch = join(repoDir(repoId), 'x86_64');
    const signedCopy = join(hub.kojiDir, 'packages/extra/2.0/1/data/signed', sigkey, 'noarch', basename(extraRpm));
    const linked = join(arch, 'Packages/e', basename(extraRpm));
    expect(statSync(linked).ino).toBe(statSync(signedCopy).ino);
    expect(readFileSync(join(arch, 'pkglist'), 'utf8')).toBe(`Packages/e/${basename(extraRpm)}\n`);
    const kojipkgs = JSON.parse(readFileSync(join(arch, 'kojipkgs'), 'utf8')) as Record<string, XmlRpcStruct>;
    expect(kojipkgs[basename(extraRpm)]).toMatchObject({ name: 'extra', sigkey, best_key: sigkey });
    expect(repoPackages(repoDir(repoId), 'x86_64')).toEqual(['extra']);
    expect(readdirSync(join(arch, 'repodata'))).not.toContain('EMPTY_REPO');
    const [child] = await admin.call<XmlRpcStruct[]>('getTaskChildren', [taskId]);
    const log = await output(child.id as number, 'createrepo.log');
    expect(await output(child.id as number, 'written_signed_rpms.log')).toBe(`Signed RPM ${kojipkgs[basename(extraRpm)].id as number} is written with ${sigkey} key.\n`);
    expect(log.split('\n')[0]).toMatch(/^\$ createrepo_c --error-exit-val -vd -i \S+\/repo\/pkglist --update \S+\/repo$/);
    expect(await dnfInstall(`file://${arch}/`, 'extra')).toEqual(['extra']);
    expect(readlinkSync(join(hub.kojiDir, 'repos-dist', 'dr-tag', 'latest'))).toBe(String(repoId));
  });

  it('an unsigned rpm fails the task with Koji\'s message and leaves the repo unmade; --allow-missing-signatures takes the unsigned copy, --skip-missing-signatures leaves it out', async () => {
    await admin.call('tagBuildBypass', ['dr-tag', 'empty-1-0']);
    const r = await cli.run('dist-repo', '--nowait', 'dr-tag', sigkey);
    expect(r).toMatchObject({ output: 'Creating dist repo for tag dr-tag\n', exitCode: 0 });
    const [taskId, repoId] = await lastDistRepo();
    await taskIn(admin, taskId, [ST.FAILED], 60_000);
    await expect(admin.call('getTaskResult', [taskId])).rejects.toThrow('Unsigned packages found. See missing_signatures.log');
    const [child] = await admin.call<XmlRpcStruct[]>('getTaskChildren', [taskId]);
    expect(child).toMatchObject({ method: 'createdistrepo', label: 'x86_64', state: ST.FAILED });
    const log = await output(child.id as number, 'missing_signatures.log');
    expect(log).toBe(`Some rpms were missing requested signatures.\nRequested keys: ['${sigkey}']\n\n# RPM name: available keys\nempty-1-0.noarch: ['']\n`);
    expect((await admin.call<XmlRpcStruct>('repoInfo', [repoId])).state).toBe(INIT);
    expect(readdirSync(join(repoDir(repoId), 'x86_64'))).toEqual([]);

    const ok = await cli.run('dist-repo', '--wait', '--allow-missing-signatures', 'dr-tag', sigkey);
    expect(ok.exitCode).toBe(0);
    const [, okRepo] = await lastDistRepo();
    expect((await admin.call<XmlRpcStruct>('repoInfo', [okRepo])).state).toBe(READY);
    const arch = join(repoDir(okRepo), 'x86_64');
    const emptyRpm = basename(empty.rpms.find((f) => f.endsWith('.noarch.rpm'))!);
    expect(statSync(join(arch, 'Packages/e', emptyRpm)).ino).toBe(statSync(join(hub.kojiDir, 'packages/empty/1/0/noarch', emptyRpm)).ino);
    expect(statSync(join(arch, 'Packages/e', basename(extraRpm))).ino).toBe(statSync(join(hub.kojiDir, 'packages/extra/2.0/1/data/signed', sigkey, 'noarch', basename(extraRpm))).ino);
    expect(repoPackages(repoDir(okRepo), 'x86_64')).toEqual(['empty', 'extra']);

    expect((await cli.run('dist-repo', '--wait', '--skip-missing-signatures', 'dr-tag', sigkey)).exitCode).toBe(0);
    const [skipTask, skipRepo] = await lastDistRepo();
    expect(repoPackages(repoDir(skipRepo), 'x86_64')).toEqual(['extra']);
    const [skipChild] = await admin.call<XmlRpcStruct[]>('getTaskChildren', [skipTask]);
    expect(await output(skipChild.id as number, 'missing_signatures.log')).toContain('The skip_missing_signatures option was specified, so these files were excluded.\n');
  });
});
