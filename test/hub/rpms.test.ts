/**
 * RPM calls on both engines with real packages built by rpmbuild (test/rpm/build-fixtures.ts),
 * placed under the hub's KojiDir: listRPMs, getRPM lookups, listBuildRPMs, getRPMHeaders,
 * getRPMDeps, listRPMFiles, getRPMFile, getChangelogEntries and getRPMChecksums (signed copies
 * and cached signature headers).
 */
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Binary, type XmlRpcValue } from '../../src/protocol/values.ts';
import { readRpmHeaders, rpmInfo } from '../../src/rpm/index.ts';
import { PathInfo } from '../../src/util/pathinfo.ts';
import { engines } from '../helpers/db.ts';
import { startTestHub, type TestHub } from '../helpers/hub.ts';
import { placeRpm, sqlOne } from '../helpers/build-content.ts';
import { buildFixture, createSigningKey, SKIP_RPMBUILD_TESTS, removeSigningKey, rpmQuery, signCopy, type BuiltFixture } from '../rpm/build-fixtures.ts';
import type { ClientSession } from '../../src/protocol/client.ts';

process.env.TZ = 'UTC';
type Row = Record<string, XmlRpcValue>;
const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

describe.skipIf(SKIP_RPMBUILD_TESTS).each(engines())('rpm calls on %s', (engine) => {
  let hub: TestHub;
  let admin: ClientSession;
  let hello: BuiltFixture;
  let arched: BuiltFixture;
  const ids: Record<string, number> = {};
  beforeAll(async () => {
    hello = buildFixture('hello');
    arched = buildFixture('arched');
    hub = await startTestHub(engine);
    admin = await hub.login();
    ids.hello = await admin.call<number>('createEmptyBuild', ['hello', '1.2', '3', 2]);
    ids.arched = await admin.call<number>('createEmptyBuild', ['arched', '0.9.1', '1.fc99', null]);
    ids.helloNoarch = await placeRpm(hub, ids.hello, hello.rpms[0]);
    ids.helloSrc = await placeRpm(hub, ids.hello, hello.srpm);
    ids.archedBin = await placeRpm(hub, ids.arched, arched.rpms[0]);
    ids.archedSrc = await placeRpm(hub, ids.arched, arched.srpm);
  });
  afterAll(async () => hub?.stop());
  const anon = () => hub.anon();

  it('listRPMs and listBuildRPMs', async () => {
    const rpms = await anon().call<Row[]>('listRPMs', [], { buildID: ids.hello });
    expect(rpms.map((r) => r.arch)).toEqual(['noarch', 'src']);
    const info = await rpmInfo(hello.rpms[0]);
    expect(rpms[0]).toEqual({
      id: ids.helloNoarch, name: 'hello', version: '1.2', release: '3', nvr: 'hello-1.2-3', arch: 'noarch', epoch: 2, draft: false,
      payloadhash: info.payloadhash, size: info.size, buildtime: info.buildtime, build_id: ids.hello, buildroot_id: null,
      external_repo_id: 0, external_repo_name: 'INTERNAL', metadata_only: false, extra: null,
    });
    expect((await anon().call<Row[]>('listRPMs', [], { arches: 'src' })).map((r) => r.name)).toEqual(['hello', 'arched']);
    expect((await anon().call<Row[]>('listRPMs', [], { arches: ['src', 'noarch'], queryOpts: { order: '-id' } })).map((r) => r.id)).toEqual([ids.archedSrc, ids.helloSrc, ids.helloNoarch]);
    expect(await anon().call('listRPMs', [], { draft: true })).toEqual([]);
    expect(await anon().call('listRPMs', [], { queryOpts: { countOnly: true } })).toBe(4);
    await expect(anon().call('listRPMs', [], { arches: 5 })).rejects.toThrow('Invalid type for "arches" parameter');
    expect((await anon().call<Row[]>('listBuildRPMs', ['arched-0.9.1-1.fc99'])).map((r) => r.id)).toEqual([ids.archedBin, ids.archedSrc]);
  });

  it('getRPM by id, N-V-R.A, struct and external repo location', async () => {
    const byId = await anon().call<Row>('getRPM', [ids.helloSrc]);
    expect(Object.keys(byId)).toEqual(['id', 'build_id', 'buildroot_id', 'name', 'version', 'release', 'epoch', 'arch', 'draft', 'external_repo_id', 'external_repo_name', 'payloadhash', 'size', 'buildtime', 'metadata_only', 'extra']);
    expect(await anon().call('getRPM', [String(ids.helloSrc)])).toEqual(byId);
    expect(await anon().call('getRPM', ['hello-1.2-3.src'])).toEqual(byId);
    expect(await anon().call('getRPM', ['hello-1.2-3.src.rpm'])).toEqual(byId);
    expect(await anon().call('getRPM', [{ name: 'hello', version: '1.2', release: '3', arch: 'src' }])).toEqual(byId);
    expect(await anon().call('getRPM', ['hello-1.2-3.x86_64'])).toBeNull();
    await expect(anon().call('getRPM', ['hello-1.2-3.x86_64'], { strict: true })).rejects.toThrow(
      "No such rpm: {'release': '3', 'version': '1.2', 'name': 'hello', 'epoch': '', 'arch': 'x86_64', 'src': False}",
    );
    await expect(anon().call('getRPM', [999999], { strict: true })).rejects.toThrow("No such rpm: {'id': 999999}");
    // the same NVRA from an external repo
    const repo = await sqlOne<{ id: number }>(hub, "INSERT INTO external_repo (name) VALUES ('fedora') RETURNING id");
    const ext = await sqlOne<{ id: number }>(hub, "INSERT INTO rpminfo (name, version, release, epoch, arch, external_repo_id, payloadhash, size, buildtime) VALUES ('hello', '1.2', '3', 2, 'src', $1, 'x', 1, 1) RETURNING id", [repo.id]);
    expect((await anon().call<Row>('getRPM', ['hello-1.2-3.src'])).id).toBe(ids.helloSrc);
    expect(await anon().call<Row>('getRPM', ['hello-1.2-3.src@fedora'])).toMatchObject({ id: ext.id, external_repo_name: 'fedora', build_id: null, draft: null });
    expect((await anon().call<Row[]>('getRPM', ['hello-1.2-3.src'], { multi: true })).map((r) => r.id)).toEqual([ids.helloSrc, ext.id]);
    await expect(anon().call('getRPM', ['hello-1.2-3.src@nowhere'])).rejects.toThrow('No such entry in table external_repo: nowhere');
    expect(await anon().call('getRPMHeaders', [], { rpmID: ext.id })).toEqual({});
    await expect(anon().call('getRPMHeaders', [], { rpmID: ext.id, strict: true })).rejects.toThrow(`External rpm: ${ext.id}`);
  });

  it('getRPMHeaders reads the file (by rpm id or task output)', async () => {
    const h = await anon().call<Row>('getRPMHeaders', [], { rpmID: ids.helloNoarch, headers: ['license', 'NAME', 'epoch', 'requirename', 'nosource', 'filenames', 'summary', 'sourcerpm', 'size', 'buildtime'] });
    const q = (fmt: string) => rpmQuery(hello.rpms[0], '--queryformat', fmt);
    expect(h).toEqual({
      license: 'MIT', NAME: 'hello', epoch: 2, requirename: q('[%{REQUIRENAME}\n]').trimEnd().split('\n'), nosource: [],
      filenames: ['/etc/hello/hello.conf', '/usr/share/hello/README'], summary: 'A tiny test package',
      sourcerpm: 'hello-1.2-3.src.rpm', size: Number(q('%{SIZE}')), buildtime: Number(q('%{BUILDTIME}')),
    });
    const arch = await anon().call<Row>('getRPMHeaders', [], { rpmID: ids.archedBin, headers: ['epoch', 'sigmd5', 'filemodes', 'changelogtime'] });
    expect(arch.epoch).toBeNull();
    expect(arch.sigmd5).toBeInstanceOf(Binary);
    expect((arch.sigmd5 as Binary).data.toString('hex')).toBe((await rpmInfo(arched.rpms[0])).payloadhash);
    expect(arch.filemodes).toEqual(rpmQuery(arched.rpms[0], '--queryformat', '[%{FILEMODES}\n]').trimEnd().split('\n').map(Number));
    expect(arch.changelogtime).toEqual([]);
    await expect(anon().call('getRPMHeaders', [], { rpmID: ids.helloNoarch, headers: ['bogus'] })).rejects.toThrow('No such rpm header field: BOGUS');
    const all = await anon().call<Row>('getRPMHeaders', [], { rpmID: ids.helloSrc });
    expect(all).toMatchObject({ NAME: 'hello', VERSION: '1.2', RELEASE: '3', EPOCH: 2, LICENSE: 'MIT' });
    expect(await anon().call('getRPMHeaders', [], { rpmID: 999999 })).toEqual({});
    await expect(anon().call('getRPMHeaders', [])).rejects.toThrow('either rpmID or taskID and filepath must be specified');
    // a file in a task's output
    const pi = new PathInfo(hub.kojiDir);
    const dest = `${pi.task(123)}/out/hello.src.rpm`;
    mkdirSync(dirname(dest), { recursive: true });
    copyFileSync(hello.srpm, dest);
    expect(await anon().call('getRPMHeaders', [], { taskID: 123, filepath: 'out/hello.src.rpm', headers: ['name'] })).toEqual({ name: 'hello' });
    expect(await anon().call('getRPMHeaders', [], { taskID: 123, filepath: 'out/none.rpm' })).toEqual({});
    await expect(anon().call('getRPMHeaders', [], { taskID: 123, filepath: '../x' })).rejects.toThrow('Invalid filepath: ../x');
    await expect(anon().call('getRPMHeaders', [], { taskID: 123 })).rejects.toThrow('filepath must be specified with taskID');
  });

  it('getRPMDeps, listRPMFiles and getRPMFile', async () => {
    const deps = await anon().call<Row[]>('getRPMDeps', [ids.helloNoarch]);
    const info = await rpmInfo(hello.rpms[0]);
    expect(deps.filter((d) => d.type === 0)).toEqual(info.requires.map((d) => ({ ...d, type: 0 })));
    expect(deps.filter((d) => d.type === 1).map((d) => d.name)).toContain('greeting');
    expect(new Set(deps.map((d) => d.type))).toEqual(new Set([0, 1, 2, 3, 4, 5, 6, 7]));
    expect((await anon().call<Row[]>('getRPMDeps', [ids.helloNoarch], { depType: 2 })).map((d) => [d.name, d.version, d.flags])).toEqual([['oldhello', '1.0', 2]]);
    expect(await anon().call('getRPMDeps', [ids.helloNoarch], { depType: 2, queryOpts: { asList: true } })).toEqual([['oldhello', '1.0', 2, 2]]);
    expect(await anon().call('getRPMDeps', [999999])).toEqual([]);
    await expect(anon().call('getRPMDeps', [999999], { strict: true })).rejects.toThrow('No such rpm');

    const files = await anon().call<Row[]>('listRPMFiles', [ids.archedBin], { queryOpts: { order: 'name' } });
    expect(files.map((f) => f.name)).toEqual(rpmQuery(arched.rpms[0], '-l').trimEnd().split('\n').sort());
    const bin = files.find((f) => f.name === '/usr/bin/arched')!;
    expect(bin).toMatchObject({ digest_algo: 'sha512', user: 'root', group: 'root' });
    expect(bin.md5).toBe(bin.digest);
    expect(await anon().call('getRPMFile', [ids.archedBin, '/usr/bin/arched'])).toEqual({ rpm_id: ids.archedBin, ...bin });
    expect(await anon().call('getRPMFile', [ids.archedBin, '/nope'])).toEqual({});
    await expect(anon().call('getRPMFile', [ids.archedBin, '/nope'], { strict: true })).rejects.toThrow(`No file: /nope found in RPM: ${ids.archedBin}`);
    expect(await anon().call('listRPMFiles', [ids.archedBin], { queryOpts: { countOnly: true } })).toBe(files.length);
    expect(await anon().call('listRPMFiles', [999999])).toEqual([]);
  });

  it('getChangelogEntries reads the build\'s source rpm', async () => {
    const entries = await anon().call<Row[]>('getChangelogEntries', [ids.hello]);
    expect(entries).toEqual([
      { date: '2024-01-02 12:00:00', date_ts: 1704196800, author: 'Alice Example <alice@example.com> - 2:1.2-3', text: '- second entry\n- with two lines' },
      { date: '2024-01-01 12:00:00', date_ts: 1704110400, author: 'Bob Example <bob@example.com> - 2:1.2-2', text: '- first entry' },
    ]);
    expect((await anon().call<Row[]>('getChangelogEntries', [ids.hello], { queryOpts: { order: 'date' } })).map((e) => e.date_ts)).toEqual([1704110400, 1704196800]);
    expect((await anon().call<Row[]>('getChangelogEntries', [ids.hello], { author: 'Bob Example <bob@example.com> - 2:1.2-2' })).length).toBe(1);
    expect((await anon().call<Row[]>('getChangelogEntries', [ids.hello], { before: '2024-01-02' })).length).toBe(1);
    expect((await anon().call<Row[]>('getChangelogEntries', [ids.hello], { after: 1704110400 })).length).toBe(1);
    expect(await anon().call('getChangelogEntries', [ids.hello], { queryOpts: { asList: true, limit: 1 } })).toEqual([['2024-01-02 12:00:00', 'Alice Example <alice@example.com> - 2:1.2-3', '- second entry\n- with two lines']]);
    expect(await anon().call('getChangelogEntries', ['nope-1-1'])).toEqual([]);
    await expect(anon().call('getChangelogEntries', ['nope-1-1'], { strict: true })).rejects.toThrow('No such build: nope-1-1');
    await expect(anon().call('getChangelogEntries', [])).rejects.toThrow('either buildID or taskID and filepath must be specified');
  });

  it('getRPMChecksums: signed copies and cached signature headers', async (ctx) => {
    expect(await anon().call('getRPMChecksums', [ids.helloNoarch])).toEqual({});
    await expect(anon().call('getRPMChecksums', ['x'])).rejects.toThrow('rpm_id must be an integer');
    await expect(anon().call('getRPMChecksums', [ids.helloNoarch, ['crc']])).rejects.toThrow("Checksum_type crc isn't supported");
    const pi = new PathInfo(hub.kojiDir);
    const builddir = pi.build({ name: 'hello', version: '1.2', release: '3' });
    const r = { name: 'hello', version: '1.2', release: '3', arch: 'noarch' };
    // a "signed" copy written for key 11111111
    await hub.db.rawQuery("INSERT INTO rpmsigs (rpm_id, sigkey, sighash) VALUES ($1, '11111111', 'x')", [ids.helloNoarch]);
    const signed = `${builddir}/${pi.signed(r, '11111111')}`;
    mkdirSync(dirname(signed), { recursive: true });
    writeFileSync(signed, 'pretend signed rpm');
    expect(await anon().call('getRPMChecksums', [ids.helloNoarch], { cacheonly: true })).toEqual({ '11111111': { md5: null, sha256: null } });
    expect(await anon().call('getRPMChecksums', [ids.helloNoarch])).toEqual({
      '11111111': { md5: createHash('md5').update('pretend signed rpm').digest('hex'), sha256: sha256(signed) },
    });
    rmSync(signed);
    // cached now
    expect((await anon().call<Record<string, Row>>('getRPMChecksums', [ids.helloNoarch], { checksum_types: ['sha256'] }))['11111111'].sha256).toBe(createHash('sha256').update('pretend signed rpm').digest('hex'));

    // a real signature header in the sigcache: the spliced copy equals what rpmsign wrote
    const key = createSigningKey('rsa2048');
    if (!key.ok) return ctx.skip(key.reason);
    const work = mkdtempSync(join(tmpdir(), 'kts-rpms-'));
    try {
      const out = signCopy(hello.srpm, join(work, 'signed.rpm'), key.value);
      if (!out.ok) return ctx.skip(out.reason);
      const info = await rpmInfo(out.value);
      const src = { ...r, arch: 'src' };
      const sighdr = `${builddir}/${pi.sighdr(src, info.sigkey)}`;
      mkdirSync(dirname(sighdr), { recursive: true });
      writeFileSync(sighdr, (await readRpmHeaders(out.value)).sigHeaderBytes);
      await hub.db.rawQuery("INSERT INTO rpmsigs (rpm_id, sigkey, sighash) VALUES ($1, $2, 'x')", [ids.helloSrc, info.sigkey]);
      expect(await anon().call('getRPMChecksums', [ids.helloSrc], { checksum_types: ['sha256', 'sha1'] })).toEqual({
        [info.sigkey]: { sha256: sha256(out.value), sha1: createHash('sha1').update(readFileSync(out.value)).digest('hex') },
      });
    } finally {
      removeSigningKey(key.value.home);
      rmSync(work, { recursive: true, force: true });
    }
  });
});
