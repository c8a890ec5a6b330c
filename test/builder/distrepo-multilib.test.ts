/**
 * Multilib dist repos end to end: a hub and a builder (processes, createrepo channel) run
 * `koji dist-repo --multilib CONF` over a tag with arches "x86_64 i686" holding libfoo (a
 * library), libfoo-devel (needs libfoo of its arch) and foo-tool (a program), each built for
 * x86_64 and i686 and signed with throwaway keys. The i386 arch is made and moved first; x86_64
 * then holds the i686 builds the rules select and their dependencies (found by dnf), flagged
 * `_multilib` and hard-linked like the rest, and dnf installs libfoo-devel.i686 from it. A
 * config's black lists leave packages out (or to the dependency closure); a selected package
 * whose i686 build is missing from the i386 arch fails the task with missing_multilib.log; a
 * dependency missing there fails the depsolve.
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClientSession } from '../../src/protocol/client.ts';
import type { XmlRpcStruct, XmlRpcValue } from '../../src/protocol/values.ts';
import { readRpmHeaders } from '../../src/rpm/index.ts';
import { stopAll } from '../cmd/proc.ts';
import { buildHost, startBuilder, ST } from '../helpers/builder.ts';
import { cliFor, type CliRunner } from '../helpers/cli.ts';
import { engines } from '../helpers/db.ts';
import { startTestHub, type TestHub } from '../helpers/hub.ts';
import { dnfInstall } from '../helpers/repos.ts';
import { buildFixture, createSigningKey, removeSigningKey, signCopy, SKIP_RPMBUILD_TESTS, type SigningKey } from '../rpm/build-fixtures.ts';

const CONF = '[runtime]\nwhite = valgrind\nblack = httpd\n\n[devel]\nwhite =\nblack = httpd-devel\n';

/** "name.arch" of each package in an arch's primary.xml.gz. */
function repoNevras(archDir: string): string[] {
  const repomd = readFileSync(join(archDir, 'repodata', 'repomd.xml'), 'utf8');
  const href = /<data type="primary">[\s\S]*?<location href="([^"]+)"/.exec(repomd)![1];
  const xml = gunzipSync(readFileSync(join(archDir, href))).toString('utf8');
  return [...xml.matchAll(/<name>([^<]+)<\/name>\s*<arch>([^<]+)<\/arch>/g)].map((m) => `${m[1]}.${m[2]}`).sort();
}

describe.skipIf(SKIP_RPMBUILD_TESTS).each(engines())('multilib dist repos on %s', (engine) => {
  let hub: TestHub;
  let admin: ClientSession;
  let cli: CliRunner;
  const keys: SigningKey[] = [];
  /** all signed; all but libfoo-devel.i686; all but libfoo.i686 */
  let [full, noDevel32, noLib32] = ['', '', ''];
  const dir = mkdtempSync(join(tmpdir(), 'kojits-distrepo-ml-'));
  const built = buildFixture('libfoo', 'x86_64,i686');

  const repoDir = (id: number) => join(hub.kojiDir, 'repos-dist', 'ml-tag', String(id));
  const output = async (task: number, name: string) => Buffer.from(await admin.call<string>('downloadTaskOutput', [task, name]), 'base64').toString('utf8');
  const confFile = (name: string, text: string) => {
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  };
  /** The newest distRepo task, its repo and its children by label. */
  const lastDistRepo = async () => {
    const [t] = await admin.call<XmlRpcStruct[]>('listTasks', [], { opts: { method: 'distRepo' }, queryOpts: { order: '-id', limit: 1 } });
    const info = await admin.call<XmlRpcStruct>('getTaskInfo', [t.id], { request: true });
    const children = await admin.call<XmlRpcStruct[]>('getTaskChildren', [t.id]);
    return { task: t.id as number, repo: (info.request as XmlRpcValue[])[1] as number, child: Object.fromEntries(children.map((c) => [String(c.label), c])) };
  };
  const distRepo = async (key: string, ...opts: string[]) => {
    const r = await cli.run('dist-repo', '--wait', '--write-signed-rpms', ...opts, 'ml-tag', key);
    return { ...r, ...(await lastDistRepo()) };
  };

  beforeAll(async () => {
    hub = await startTestHub(engine, { conf: '[hub]\nRunInterval = 1\n', scheduler: { manual: false } });
    admin = await hub.login();
    cli = cliFor(hub, { conf: 'poll_interval = 1' });
    const h = await buildHost(admin, dir, hub.httpUrl as string, 'mlhost', { channel: 'createrepo', conf: `topdir = ${hub.kojiDir}` });
    await startBuilder(h);
    for (const f of [built.srpm, ...built.rpms]) {
      await admin.uploadWrapper(f, 'test-import');
      await admin.call('importRPM', ['test-import', basename(f)]);
    }
    await admin.call('createTag', ['ml-tag'], { arches: 'x86_64 i686' });
    await admin.call('packageListAdd', ['ml-tag', 'libfoo'], { owner: 'kojiadmin' });
    await admin.call('tagBuildBypass', ['ml-tag', 'libfoo-1.0-1']);
    const unsigned = [null, 'libfoo-devel-1.0-1.i686.rpm', 'libfoo-1.0-1.i686.rpm'];
    for (const [i, skip] of unsigned.entries()) {
      const k = createSigningKey('rsa2048');
      if (!k.ok) throw new Error(k.reason);
      keys.push(k.value);
      for (const f of built.rpms.filter((r) => basename(r) !== skip)) {
        const signed = join(dir, `${i}-${basename(f)}`);
        const s = signCopy(f, signed, k.value);
        if (!s.ok) throw new Error(s.reason);
        const rpm = await admin.call<XmlRpcStruct>('getRPM', [basename(f, '.rpm')]);
        await admin.call('addRPMSig', [rpm.id, (await readRpmHeaders(signed)).sigHeaderBytes.toString('base64')]);
      }
    }
    [full, noDevel32, noLib32] = keys.map((k) => k.keyId.slice(-8).toLowerCase());
  }, 240_000);

  afterAll(async () => {
    await stopAll();
    await hub?.stop();
    for (const k of keys) removeSigningKey(k.home);
    rmSync(dir, { recursive: true, force: true });
  });

  it('x86_64 holds the selected i686 packages and their dependencies, linked from their signed copies; i386 was made and moved first', async () => {
    const r = await distRepo(full, '--multilib', confFile('multilib.conf', CONF), '--arch', 'x86_64', '--arch', 'i686');
    expect(r.output).toMatch(/distRepo \(ml-tag\) completed successfully/);
    expect(r.exitCode).toBe(0);
    const x86 = join(repoDir(r.repo), 'x86_64');
    const i386 = join(repoDir(r.repo), 'i386');
    expect(repoNevras(i386)).toEqual(['foo-tool.i686', 'libfoo-devel.i686', 'libfoo.i686']);
    expect(repoNevras(x86)).toEqual(['foo-tool.x86_64', 'libfoo-devel.i686', 'libfoo-devel.x86_64', 'libfoo.i686', 'libfoo.x86_64']);
    expect(readFileSync(join(x86, 'pkglist'), 'utf8').split('\n').filter(Boolean).sort()).toEqual([
      'Packages/f/foo-tool-1.0-1.x86_64.rpm',
      'Packages/l/libfoo-1.0-1.i686.rpm',
      'Packages/l/libfoo-1.0-1.x86_64.rpm',
      'Packages/l/libfoo-devel-1.0-1.i686.rpm',
      'Packages/l/libfoo-devel-1.0-1.x86_64.rpm',
    ]);
    const kojipkgs = JSON.parse(readFileSync(join(x86, 'kojipkgs'), 'utf8')) as Record<string, XmlRpcStruct>;
    expect(kojipkgs['libfoo-devel-1.0-1.i686.rpm']).toMatchObject({ name: 'libfoo-devel', arch: 'i686', sigkey: full, _multilib: true });
    expect(kojipkgs['libfoo-1.0-1.i686.rpm']).toMatchObject({ _multilib: true, _pkgpath: join(i386, 'Packages/l/libfoo-1.0-1.i686.rpm') });
    expect(kojipkgs['libfoo-1.0-1.x86_64.rpm']).not.toHaveProperty('_multilib');
    const signedCopy = join(hub.kojiDir, 'packages/libfoo/1.0/1/data/signed', full, 'i686', 'libfoo-devel-1.0-1.i686.rpm');
    expect(statSync(join(x86, 'Packages/l/libfoo-devel-1.0-1.i686.rpm')).ino).toBe(statSync(signedCopy).ino);
    // the 64-bit subtask started after the 32-bit one was done
    expect(r.child.i386).toMatchObject({ state: ST.CLOSED });
    expect(Number(r.child.x86_64.create_ts)).toBeGreaterThanOrEqual(Number(r.child.i386.completion_ts));
    expect(await output(r.child.x86_64.id as number, 'dnf.conf-koji-x86_64')).toContain(`baseurl=file://${i386}\n`);
    // (dnf also takes libfoo.x86_64, by its own choice)
    expect(new Set(await dnfInstall(`file://${x86}/`, 'libfoo-devel.i686'))).toEqual(new Set(['libfoo', 'libfoo-devel']));
  });

  it('black lists: [devel] black leaves libfoo-devel out; with libfoo in [runtime] black, libfoo.i686 still comes as a dependency', async () => {
    const noDevel = await distRepo(full, '--multilib', confFile('nodevel.conf', CONF.replace('black = httpd-devel', 'black = httpd-devel libfoo-devel')));
    expect(noDevel.exitCode).toBe(0);
    expect(repoNevras(join(repoDir(noDevel.repo), 'x86_64'))).toEqual(['foo-tool.x86_64', 'libfoo-devel.x86_64', 'libfoo.i686', 'libfoo.x86_64']);

    const noLib = await distRepo(full, '--multilib', confFile('nolib.conf', CONF.replace('black = httpd\n', 'black = httpd\n  libfoo\n')));
    expect(noLib.exitCode).toBe(0);
    expect(repoNevras(join(repoDir(noLib.repo), 'x86_64'))).toEqual(['foo-tool.x86_64', 'libfoo-devel.i686', 'libfoo-devel.x86_64', 'libfoo.i686', 'libfoo.x86_64']);

    const none = await distRepo(full, '--multilib', confFile('none.conf', '[runtime]\nwhite=\nblack = libfoo\n[devel]\nwhite=\nblack = libfoo-devel\n'));
    expect(none.exitCode).toBe(0);
    expect(repoNevras(join(repoDir(none.repo), 'x86_64'))).toEqual(['foo-tool.x86_64', 'libfoo-devel.x86_64', 'libfoo.x86_64']);
  });

  it('a selected package missing from the i386 arch fails the task with missing_multilib.log; a missing dependency fails the depsolve', async () => {
    const r = await distRepo(noDevel32, '--skip-missing-signatures', '--multilib', confFile('multilib.conf', CONF));
    expect(r.exitCode).toBe(1);
    await expect(admin.call('getTaskResult', [r.task])).rejects.toThrow('multilib packages missing. See missing_multilib.log');
    expect(r.child.i386).toMatchObject({ state: ST.CLOSED });
    expect(r.child.x86_64).toMatchObject({ state: ST.FAILED });
    const i386 = join(repoDir(r.repo), 'i386');
    expect(await output(r.child.x86_64.id as number, 'missing_multilib.log')).toBe(`The following multilib files were missing:\n${i386}/Packages/l/libfoo-devel-1.0-1.i686.rpm\n`);
    expect((await admin.call<XmlRpcStruct>('repoInfo', [r.repo])).state).toBe(0);

    const d = await distRepo(noLib32, '--skip-missing-signatures', '--multilib', confFile('nolib.conf', CONF.replace('black = httpd\n', 'black = httpd\n  libfoo\n')));
    expect(d.exitCode).toBe(1);
    await expect(admin.call('getTaskResult', [d.child.x86_64.id])).rejects.toThrow(/^Multilib depsolve for x86_64 failed: .*nothing provides libfoo\(x86-32\) = 1\.0-1 needed by libfoo-devel-1\.0-1\.i686/s);
  });
});
