/**
 * Archives, build types and volumes: listArchives, getArchive (with the maven/win/image
 * details), getMavenArchive, getWinArchive, getImageArchive, listBTypes, addBType,
 * getArchiveTypes, getArchiveType, addArchiveType, addVolume, listVolumes, getVolume,
 * removeVolume and changeBuildVolume (which moves the build's files between volumes).
 */

import { existsSync, statSync } from 'node:fs';
import { GenericError } from '../../protocol/faults.ts';
import { isStruct, type XmlRpcStruct, type XmlRpcValue } from '../../protocol/values.ts';
import { PathInfo } from '../../util/pathinfo.ts';
import { checkString, lookupName } from '../lookup.ts';
import { Select, type QueryOpts } from '../query.ts';
import { method, queryOptsSchema, t, type MethodDef } from '../registry.ts';
import type { CallContext } from '../types.ts';
import { getBuild } from '../content/build.ts';
import { setBuildVolume } from '../builds/volume.ts';
import { fixJsonExtra, orderByKeys, runSelect, type Field } from '../content/builds-query.ts';
import { verifyNameInternal, verifyDirName } from '../names.ts';
import { pyStrOf } from '../../protocol/pyrepr.ts';

const ARCHIVE_FIELDS: Field[] = [
  ['archiveinfo.id', 'id'], ['archiveinfo.type_id', 'type_id'], ['archiveinfo.btype_id', 'btype_id'], ['btype.name', 'btype'],
  ['archiveinfo.build_id', 'build_id'], ['archiveinfo.buildroot_id', 'buildroot_id'], ['archiveinfo.filename', 'filename'],
  ['archiveinfo.size', 'size'], ['archiveinfo.checksum', 'checksum'], ['archiveinfo.checksum_type', 'checksum_type'],
  ['archiveinfo.metadata_only', 'metadata_only'], ['archiveinfo.extra', 'extra'], ['archivetypes.name', 'type_name'],
  ['archivetypes.description', 'type_description'], ['archivetypes.extensions', 'type_extensions'],
  ['archivetypes.compression_type', 'compression_type'],
];

type ListArchivesArgs = Record<string, unknown> & { queryOpts: QueryOpts | null; strict: boolean };

async function listArchives(ctx: CallContext, a: ListArchivesArgs): Promise<XmlRpcValue> {
  const fields = ARCHIVE_FIELDS.slice();
  const q = new Select('archiveinfo').join('archivetypes ON archiveinfo.type_id = archivetypes.id').join('btype ON archiveinfo.btype_id = btype.id');
  if (a.buildID != null) q.where(`archiveinfo.build_id = ${q.p(a.buildID)}`);
  if (a.buildrootID != null) q.where(`archiveinfo.buildroot_id = ${q.p(a.buildrootID)}`);
  if (a.componentBuildrootID != null) {
    q.join('buildroot_archives ON archiveinfo.id = buildroot_archives.archive_id').where(`buildroot_archives.buildroot_id = ${q.p(a.componentBuildrootID)}`);
    fields.push(['buildroot_archives.buildroot_id', 'component_buildroot_id'], ['buildroot_archives.project_dep', 'project']);
  }
  if (a.imageID != null) q.join('archive_components ON archiveinfo.id = archive_components.component_id').where(`archive_components.archive_id = ${q.p(a.imageID)}`);
  if (a.hostID != null) {
    q.join('standard_buildroot ON archiveinfo.buildroot_id = standard_buildroot.buildroot_id').where(`standard_buildroot.host_id = ${q.p(a.hostID)}`);
    fields.push(['standard_buildroot.host_id', 'host_id']);
  }
  for (const [arg, col] of [['filename', 'filename'], ['size', 'size'], ['checksum', 'checksum'], ['checksum_type', 'checksum_type'], ['archiveID', 'id']]) {
    if (a[arg] != null) q.where(`archiveinfo.${col} = ${q.p(a[arg])}`);
  }
  const typeInfo = isStruct(a.typeInfo) && Object.keys(a.typeInfo).length ? a.typeInfo : null;
  if (a.type === 'maven') {
    q.join('maven_archives ON archiveinfo.id = maven_archives.archive_id');
    fields.push(['maven_archives.group_id', 'group_id'], ['maven_archives.artifact_id', 'artifact_id'], ['maven_archives.version', 'version']);
    for (const k of ['group_id', 'artifact_id', 'version']) if (typeInfo && k in typeInfo) q.where(`maven_archives.${k} = ${q.p(typeInfo[k])}`);
  } else if (a.type === 'win') {
    q.join('win_archives ON archiveinfo.id = win_archives.archive_id');
    fields.push(['win_archives.relpath', 'relpath'], ['win_archives.platforms', 'platforms'], ['win_archives.flags', 'flags']);
    if (typeInfo && 'relpath' in typeInfo) q.where(`win_archives.relpath = ${q.p(typeInfo.relpath)}`);
    for (const k of ['platforms', 'flags']) {
      if (!typeInfo || !(k in typeInfo)) continue;
      const vals = Array.isArray(typeInfo[k]) ? (typeInfo[k] as XmlRpcValue[]) : [typeInfo[k]];
      for (const v of vals) q.where(`win_archives.${k} ~ ${q.p(`\\m${pyStrOf(v)}\\M`)}`);
    }
  } else if (a.type === 'image') {
    q.join('image_archives ON archiveinfo.id = image_archives.archive_id');
    fields.push(['image_archives.arch', 'arch']);
    if (typeInfo?.arch) q.where(`image_archives.arch = ${q.p(typeInfo.arch)}`);
  } else if (a.type != null) {
    const btype = await lookupName(ctx.sql, 'btype', a.type);
    if (!btype) throw new GenericError(`unsupported archive type: ${pyStrOf(a.type)}`);
    if (typeInfo) throw new GenericError(`typeInfo queries not supported for type ${btype.name}`);
    q.where(`archiveinfo.btype_id = ${q.p(btype.id)}`);
  }
  q.columns(...fields);
  const ret = await runSelect(ctx.sql, q, orderByKeys(a.queryOpts, fields), 'id', (r) => fixJsonExtra(r));
  if (a.strict && Array.isArray(ret) && ret.length === 0) throw new GenericError('No archives found.');
  return ret;
}

function typedArchive(ctx: CallContext, table: string, cols: string, id: unknown, strict: boolean): Promise<XmlRpcStruct | null> {
  return ctx.sql.query<XmlRpcStruct>(`SELECT ${cols} FROM ${table} WHERE archive_id = $1`, [id]).then((rows) => {
    if (!rows.length && strict) throw new GenericError('query returned no rows');
    return rows[0] ?? null;
  });
}

const getMavenArchive = (ctx: CallContext, id: unknown, strict = false) => typedArchive(ctx, 'maven_archives', 'archive_id, group_id, artifact_id, version', id, strict);
const getWinArchive = (ctx: CallContext, id: unknown, strict = false) => typedArchive(ctx, 'win_archives', 'archive_id, relpath, platforms, flags', id, strict);

async function getImageArchive(ctx: CallContext, id: unknown, strict = false): Promise<XmlRpcStruct | null> {
  const r = await typedArchive(ctx, 'image_archives', 'archive_id, arch', id, strict);
  if (!r) return null;
  r.rootid = (await ctx.sql.maybeOne('SELECT 1 AS x FROM archive_rpm_components WHERE archive_id = $1 LIMIT 1', [id])) !== null;
  return r;
}

async function getArchive(ctx: CallContext, id: unknown, strict: boolean): Promise<XmlRpcValue> {
  const rows = (await listArchives(ctx, { archiveID: id, queryOpts: null, strict: false })) as XmlRpcStruct[];
  if (!rows.length) {
    if (strict) throw new GenericError(`No such archive: ${pyStrOf(id)}`);
    return null;
  }
  const archive = rows[0];
  for (const info of [await getMavenArchive(ctx, id), await getWinArchive(ctx, id), await getImageArchive(ctx, id)]) {
    if (!info) continue;
    delete info.archive_id;
    Object.assign(archive, info);
  }
  return archive;
}

const TYPE_COLS = 'id, name, description, extensions, compression_type';

async function getArchiveType(ctx: CallContext, a: Record<string, unknown>): Promise<XmlRpcValue> {
  const strict = Boolean(a.strict);
  const one = async (where: string, value: unknown) => {
    const row = await ctx.sql.maybeOne<XmlRpcStruct>(`SELECT ${TYPE_COLS} FROM archivetypes WHERE ${where}`, [value]);
    if (!row && strict) throw new GenericError('query returned no rows');
    return row;
  };
  if (a.type_id) return one('id = $1', a.type_id);
  if (a.type_name) return one('name = $1', a.type_name);
  if (!a.filename) throw new GenericError('one of filename, type_name, or type_id must be specified');
  checkString(a.filename, 'filename', false);
  const parts = String(a.filename).split('.');
  let ext = '';
  for (let start = parts.length - 1; start >= 0; start--) {
    ext = parts.slice(start).join('.');
    const re = `(\\s|^)${ext.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&')}(\\s|$)`;
    const rows = await ctx.sql.query<XmlRpcStruct>(`SELECT ${TYPE_COLS} FROM archivetypes WHERE extensions ~* $1`, [re]);
    if (rows.length === 1) return rows[0];
    if (rows.length > 1) throw new GenericError(`multiple matches for file extension: ${ext}`);
  }
  if (strict) throw new GenericError(`unsupported file extension: ${ext}`);
  return null;
}

async function addArchiveType(ctx: CallContext, a: Record<string, unknown>): Promise<null> {
  verifyNameInternal(ctx, a.name);
  checkString(a.description, 'description', false);
  checkString(a.extensions, 'extensions', false);
  checkString(a.compression_type, 'compression_type');
  const ct = a.compression_type ?? null;
  if (ct !== 'zip' && ct !== 'tar' && ct !== null) throw new GenericError(`Unsupported compression type ${pyStrOf(ct)}`);
  if (await ctx.sql.maybeOne('SELECT id FROM archivetypes WHERE name = $1', [a.name])) throw new GenericError(`archivetype ${a.name} already exists`);
  const extensions = a.extensions as string;
  for (const ext of extensions.split(' ')) {
    if (!/^[\p{L}\p{N}]+$/u.test(ext.replace(/\./g, ''))) throw new GenericError(`No such ${ext} file extension`);
    const re = `(\\s|^)${ext.replace(/\./g, '\\.')}(\\s|$)`;
    if (await ctx.sql.maybeOne('SELECT id FROM archivetypes WHERE extensions ~* $1 LIMIT 1', [re])) throw new GenericError(`file extension ${ext} already exists`);
  }
  await ctx.sql.execute('INSERT INTO archivetypes (name, description, extensions, compression_type) VALUES ($1, $2, $3, $4)', [a.name, a.description, extensions, ct]);
  return null;
}

const admin = { perm: 'admin' } as const;
const optId = t.intish.nullish();
const listArchivesSig =
  '(buildID=None, buildrootID=None, componentBuildrootID=None, hostID=None, type=None, filename=None, size=None, checksum=None, checksum_type=None, typeInfo=None, queryOpts=None, imageID=None, archiveID=None, strict=False)';

export const archiveMethods: MethodDef[] = [
  method({
    name: 'listArchives',
    sig: listArchivesSig,
    doc: 'List archives by build, buildroot, host, image, file name, size, checksum or type (maven, win, image or a btype).',
    args: { queryOpts: queryOptsSchema, strict: t.flag, buildID: optId, buildrootID: optId, componentBuildrootID: optId, hostID: optId, imageID: optId, archiveID: optId, size: t.int64.nullish(), checksum_type: optId },
    handler: (ctx, a) => listArchives(ctx, a as ListArchivesArgs),
  }),
  method({ name: 'getArchive', sig: '(archive_id, strict=False)', doc: 'An archive, with its maven/win/image details.', args: { strict: t.flag, archive_id: t.intish }, handler: (ctx, a) => getArchive(ctx, a.archive_id, a.strict) }),
  method({ name: 'getMavenArchive', sig: '(archive_id, strict=False)', doc: 'Maven details of an archive.', args: { strict: t.flag, archive_id: t.intish }, handler: (ctx, a) => getMavenArchive(ctx, a.archive_id, a.strict) }),
  method({ name: 'getWinArchive', sig: '(archive_id, strict=False)', doc: 'Windows details of an archive.', args: { strict: t.flag, archive_id: t.intish }, handler: (ctx, a) => getWinArchive(ctx, a.archive_id, a.strict) }),
  method({ name: 'getImageArchive', sig: '(archive_id, strict=False)', doc: 'Image details of an archive.', args: { strict: t.flag, archive_id: t.intish }, handler: (ctx, a) => getImageArchive(ctx, a.archive_id, a.strict) }),
  method({
    name: 'listBTypes',
    sig: '(query=None, queryOpts=None)',
    doc: 'Build types, optionally one by {"name": …} or {"id": …}.',
    args: { queryOpts: queryOptsSchema },
    async handler(ctx, a) {
      const q = new Select('btype').columns(['btype.id', 'id'], ['btype.name', 'name']);
      const query = isStruct(a.query) ? a.query : {};
      if ('name' in query) q.where(`btype.name = ${q.p(query.name)}`);
      if ('id' in query) q.where(`btype.id = ${q.p(query.id)}`);
      return runSelect(ctx.sql, q, a.queryOpts, 'id');
    },
  }),
  method({
    name: 'addBType',
    sig: '(name)',
    requires: admin,
    writes: true,
    doc: 'Add a build type.',
    async handler(ctx, a) {
      verifyNameInternal(ctx, a.name);
      if (await ctx.sql.maybeOne('SELECT id FROM btype WHERE name = $1', [a.name])) throw new GenericError('btype already exists');
      await ctx.sql.execute('INSERT INTO btype (name) VALUES ($1)', [a.name]);
      return null;
    },
  }),
  method({ name: 'getArchiveTypes', sig: '()', doc: 'All archive types.', handler: (ctx) => ctx.sql.query<XmlRpcStruct>(`SELECT ${TYPE_COLS} FROM archivetypes ORDER BY id`) }),
  method({
    name: 'getArchiveType',
    sig: '(filename=None, type_name=None, type_id=None, strict=False)',
    doc: 'An archive type by id, name or file name extension.',
    handler: (ctx, a) => getArchiveType(ctx, a),
  }),
  method({ name: 'addArchiveType', sig: '(name, description, extensions, compression_type=None)', requires: admin, writes: true, doc: 'Add an archive type.', handler: (ctx, a) => addArchiveType(ctx, a) }),
  method({
    name: 'addVolume',
    sig: '(name, strict=True)',
    requires: admin,
    writes: true,
    doc: 'Add a storage volume (its directory KojiDir/vol/NAME must exist).',
    args: { strict: t.flag },
    async handler(ctx, a) {
      verifyDirName(ctx, 'volume', a.name);
      const voldir = new PathInfo(ctx.hub.kojiDir).volumedir(a.name);
      if (!existsSync(voldir) || !statSync(voldir).isDirectory()) throw new GenericError('please create the volume directory first');
      if (a.strict && (await lookupName(ctx.sql, 'volume', a.name))) throw new GenericError(`volume ${a.name} already exists`);
      return (await lookupName(ctx.sql, 'volume', a.name, { create: true })) as XmlRpcStruct;
    },
  }),
  method({ name: 'listVolumes', sig: '()', doc: 'Storage volumes.', handler: (ctx) => ctx.sql.query<XmlRpcStruct>('SELECT id, name FROM volume ORDER BY id') }),
  method({
    name: 'getVolume',
    sig: '(volume, strict=False)',
    doc: 'A volume by id or name.',
    args: { strict: t.flag },
    async handler(ctx, a) {
      const v = await lookupName(ctx.sql, 'volume', a.volume);
      if (!v && a.strict) throw new GenericError(`No such volume: ${pyStrOf(a.volume)}`);
      return v as XmlRpcStruct | null;
    },
  }),
  method({
    name: 'removeVolume',
    sig: '(volume)',
    requires: admin,
    writes: true,
    doc: 'Remove a volume no build uses.',
    async handler(ctx, a) {
      const v = (await lookupName(ctx.sql, 'volume', a.volume, { strict: true }))!;
      if (await ctx.sql.maybeOne('SELECT id FROM build WHERE volume_id = $1 LIMIT 1', [v.id])) throw new GenericError(`volume ${v.name} has build references`);
      await ctx.sql.execute('DELETE FROM volume WHERE id = $1', [v.id]);
      return null;
    },
  }),
  method({
    name: 'changeBuildVolume',
    sig: '(build, volume, strict=True)',
    requires: admin,
    writes: true,
    doc: 'Move a build to another volume (files included).',
    args: { strict: t.flag },
    async handler(ctx, a) {
      const vol = (await lookupName(ctx.sql, 'volume', a.volume, { strict: true }))!;
      const b = (await getBuild(ctx.sql, a.build, true))!;
      return setBuildVolume(ctx, b, vol, a.strict);
    },
  }),
];
