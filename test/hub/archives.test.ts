/**
 * Archive, build-type and volume calls on both engines: listBTypes/addBType, archive types (by
 * id, name, file extension; adding), listArchives filters and getArchive details, volumes
 * (add, list, get, remove) and changeBuildVolume moving a build's files.
 */
import { existsSync, lstatSync, mkdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { XmlRpcValue } from '../../src/protocol/values.ts';
import { PathInfo } from '../../src/util/pathinfo.ts';
import { engines } from '../helpers/db.ts';
import { startTestHub, type TestHub } from '../helpers/hub.ts';
import { addArchive, sqlOne } from '../helpers/build-content.ts';
import type { ClientSession } from '../../src/protocol/client.ts';

type Row = Record<string, XmlRpcValue>;

describe.each(engines())('archive and volume calls on %s', (engine) => {
  let hub: TestHub;
  let admin: ClientSession;
  let build = 0;
  beforeAll(async () => {
    hub = await startTestHub(engine);
    admin = await hub.login();
    build = await admin.call<number>('createEmptyBuild', ['lib', '1.0', '1', null]);
  });
  afterAll(async () => hub?.stop());
  const anon = () => hub.anon();

  it('lists and adds build types', async () => {
    expect(await anon().call('listBTypes')).toEqual([{ id: 1, name: 'rpm' }, { id: 2, name: 'maven' }, { id: 3, name: 'win' }, { id: 4, name: 'image' }]);
    expect(await anon().call('listBTypes', [{ name: 'win' }])).toEqual([{ id: 3, name: 'win' }]);
    expect(await anon().call('listBTypes', [{ name: 'nope' }])).toEqual([]);
    expect(await admin.call('addBType', ['remote-sources'])).toBeNull();
    await expect(admin.call('addBType', ['remote-sources'])).rejects.toThrow('btype already exists');
    await expect(anon().call('addBType', ['x'])).rejects.toThrow();
    expect(await anon().call('listBTypes', [{ id: 5 }])).toEqual([{ id: 5, name: 'remote-sources' }]);
  });

  it('archive types by id, name and extension; adding one', async () => {
    const types = await anon().call<Row[]>('getArchiveTypes');
    expect(types[0]).toEqual({ id: 1, name: 'jar', description: 'Java archive', extensions: 'jar war rar ear sar jdocbook jdocbook-style', compression_type: 'zip' });
    expect((await anon().call<Row>('getArchiveType', [], { filename: 'foo-1.0.tar.gz' })).name).toBe('tar');
    expect((await anon().call<Row>('getArchiveType', [], { filename: 'disk.qcow2.xz' })).name).toBe('qcow2-compressed');
    expect((await anon().call<Row>('getArchiveType', [], { type_name: 'pom' })).id).toBe(3);
    expect((await anon().call<Row>('getArchiveType', [], { type_id: 2 })).name).toBe('zip');
    expect(await anon().call('getArchiveType', [], { filename: 'x.unknownext' })).toBeNull();
    await expect(anon().call('getArchiveType', [], { filename: 'x.unknownext', strict: true })).rejects.toThrow('unsupported file extension: x.unknownext');
    await expect(anon().call('getArchiveType', [])).rejects.toThrow('one of filename, type_name, or type_id must be specified');
    expect(await admin.call('addArchiveType', ['toml', 'TOML file', 'toml tml'])).toBeNull();
    expect((await anon().call<Row>('getArchiveType', [], { filename: 'a.tml' })).name).toBe('toml');
    await expect(admin.call('addArchiveType', ['toml', 'again', 'tom'])).rejects.toThrow('archivetype toml already exists');
    await expect(admin.call('addArchiveType', ['yaml2', 'x', 'yml'])).rejects.toThrow('file extension yml already exists');
    await expect(admin.call('addArchiveType', ['bad', 'x', 'a/b'])).rejects.toThrow('No such a/b file extension');
    await expect(admin.call('addArchiveType', ['bad', 'x', 'bd', 'rar'])).rejects.toThrow('Unsupported compression type rar');
  });

  it('listArchives filters and getArchive details', async () => {
    const jar = await addArchive(hub, build, 'lib-1.0.jar', { type: 'jar', btype: 'maven', maven: { group_id: 'org.example', artifact_id: 'lib', version: '1.0' } });
    const src = await addArchive(hub, build, 'lib-1.0-src.tar.gz', { type: 'tar', btype: 'remote-sources' });
    const all = await anon().call<Row[]>('listArchives', [], { buildID: build });
    expect(all.map((a) => a.id)).toEqual([jar, src]);
    expect(all[0]).toEqual({
      id: jar, type_id: 1, btype_id: 2, btype: 'maven', build_id: build, buildroot_id: null, filename: 'lib-1.0.jar', size: 123, checksum: 'abc',
      checksum_type: 2, metadata_only: false, extra: null, type_name: 'jar', type_description: 'Java archive',
      type_extensions: 'jar war rar ear sar jdocbook jdocbook-style', compression_type: 'zip',
    });
    expect((await anon().call<Row[]>('listArchives', [], { type: 'maven', typeInfo: { artifact_id: 'lib' } }))[0]).toMatchObject({ id: jar, group_id: 'org.example', version: '1.0' });
    expect(await anon().call('listArchives', [], { type: 'maven', typeInfo: { artifact_id: 'other' } })).toEqual([]);
    expect((await anon().call<Row[]>('listArchives', [], { type: 'remote-sources' })).map((a) => a.id)).toEqual([src]);
    await expect(anon().call('listArchives', [], { type: 'remote-sources', typeInfo: { a: 1 } })).rejects.toThrow('typeInfo queries not supported for type remote-sources');
    await expect(anon().call('listArchives', [], { type: 'nope' })).rejects.toThrow('unsupported archive type: nope');
    expect((await anon().call<Row[]>('listArchives', [], { filename: 'lib-1.0.jar', size: 123 })).length).toBe(1);
    await expect(anon().call('listArchives', [], { filename: 'none', strict: true })).rejects.toThrow('No archives found.');
    expect(await anon().call('listArchives', [], { buildID: build, queryOpts: { countOnly: true } })).toBe(2);
    expect(await anon().call<Row>('getArchive', [jar])).toMatchObject({ id: jar, group_id: 'org.example', artifact_id: 'lib', version: '1.0' });
    expect(await anon().call('getMavenArchive', [jar])).toEqual({ archive_id: jar, group_id: 'org.example', artifact_id: 'lib', version: '1.0' });
    expect(await anon().call('getWinArchive', [jar])).toBeNull();
    expect(await anon().call('getArchive', [99999])).toBeNull();
    await expect(anon().call('getArchive', [99999], { strict: true })).rejects.toThrow('No such archive: 99999');
    expect(await anon().call('getBuildType', [build])).toEqual({ maven: null, 'remote-sources': null });
  });

  it('adds, lists, gets and removes volumes', async () => {
    await expect(admin.call('addVolume', ['fast'])).rejects.toThrow('please create the volume directory first');
    mkdirSync(`${hub.kojiDir}/vol/fast`, { recursive: true });
    expect(await admin.call('addVolume', ['fast'])).toEqual({ id: 1, name: 'fast' });
    await expect(admin.call('addVolume', ['fast'])).rejects.toThrow('volume fast already exists');
    expect(await admin.call('addVolume', ['fast'], { strict: false })).toEqual({ id: 1, name: 'fast' });
    await expect(admin.call('addVolume', ['../x'])).rejects.toThrow();
    expect(await anon().call('listVolumes')).toEqual([{ id: 0, name: 'DEFAULT' }, { id: 1, name: 'fast' }]);
    expect(await anon().call('getVolume', ['fast'])).toEqual({ id: 1, name: 'fast' });
    expect(await anon().call('getVolume', [7])).toBeNull();
    await expect(anon().call('getVolume', ['x'], { strict: true })).rejects.toThrow('No such volume: x');
    mkdirSync(`${hub.kojiDir}/vol/tmp`, { recursive: true });
    await admin.call('addVolume', ['tmp']);
    expect(await admin.call('removeVolume', ['tmp'])).toBeNull();
    await expect(admin.call('removeVolume', ['DEFAULT'])).rejects.toThrow('volume DEFAULT has build references');
  });

  it('changeBuildVolume moves the files, links them from DEFAULT and marks the tags changed', async () => {
    const pi = new PathInfo(hub.kojiDir);
    const b = { name: 'lib', version: '1.0', release: '1' };
    const olddir = pi.build(b);
    // fault texts name files relative to KojiDir (no server paths)
    await expect(admin.call('changeBuildVolume', [build, 'fast'])).rejects.toThrow('Build directory missing: packages/lib/1.0/1');
    mkdirSync(`${olddir}/noarch`, { recursive: true });
    writeFileSync(`${olddir}/noarch/lib-1.0-1.noarch.rpm`, 'rpm');
    await admin.call('createTag', ['dest']);
    await admin.call('tagBuildBypass', ['dest', build, true]);
    const tagId = (await anon().call<Row>('getTag', ['dest'])).id;
    await admin.call('changeBuildVolume', ['lib-1.0-1', 'fast']);
    const newdir = pi.build({ ...b, volume_name: 'fast' });
    expect(readFileSync(`${newdir}/noarch/lib-1.0-1.noarch.rpm`, 'utf8')).toBe('rpm');
    expect(lstatSync(olddir).isSymbolicLink()).toBe(true);
    expect(readlinkSync(olddir)).toBe('../../../vol/fast/packages/lib/1.0/1');
    expect(readFileSync(`${olddir}/noarch/lib-1.0-1.noarch.rpm`, 'utf8')).toBe('rpm');
    expect(await anon().call<Row>('getBuild', [build])).toMatchObject({ volume_id: 1, volume_name: 'fast' });
    expect(await sqlOne(hub, 'SELECT tag_id, update_type FROM tag_updates WHERE tag_id = $1', [tagId])).toEqual({ tag_id: tagId, update_type: 0 });
    await expect(admin.call('changeBuildVolume', [build, 'fast'])).rejects.toThrow('Build lib-1.0-1 already on volume fast');
    expect(await admin.call('changeBuildVolume', [build, 'fast'], { strict: false })).toBeNull();
    // and back: the link is replaced by the directory
    await admin.call('changeBuildVolume', [build, 'DEFAULT']);
    expect(lstatSync(olddir).isDirectory()).toBe(true);
    expect(existsSync(newdir)).toBe(false);
    expect(readFileSync(`${olddir}/noarch/lib-1.0-1.noarch.rpm`, 'utf8')).toBe('rpm');
  });
});
