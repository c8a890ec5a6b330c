/**
 * RPMs: listRPMs, getRPM, listBuildRPMs, and the calls that read the rpm file under KojiDir
 * (getRPMHeaders, getRPMDeps, listRPMFiles, getRPMFile, getChangelogEntries) plus
 * getRPMChecksums (checksums of signed copies, computed and cached on first request).
 */
import { existsSync } from 'node:fs';
import { BUILD_STATES, CHECKSUM_TYPES, DEP_TYPES as DEP_ENUM } from '../../protocol/enums.ts';
import { GenericError } from '../../protocol/faults.ts';
import { DateTime, type XmlRpcStruct, type XmlRpcValue } from '../../protocol/values.ts';
import { PathInfo } from '../../util/pathinfo.ts';
import { changelog, dependencies, DEP_TYPES, fileList, readRpmHeaders, RpmFormatError, type RpmPackage } from '../../rpm/index.ts';
import { applyQueryOpts, Select, type QueryOpts } from '../query.ts';
import { method, queryOptsSchema, t, truthy, type MethodDef } from '../registry.ts';
import type { CallContext } from '../types.ts';
import { findBuildId, getBuild, type BuildInfo } from '../content/build.ts';
import { draftClause } from '../content/tagged.ts';
import { fixJsonExtra, getRpm, orderByKeys, RPM_FIELDS, runSelect, type Field, type Row, type RpmRow } from '../content/builds-query.ts';
import { headerFields, printable, rpmPath, signedChecksums } from '../content/rpm-files.ts';
import { pyStrOf } from '../../protocol/pyrepr.ts';

type ListRpmsArgs = Record<string, unknown> & { queryOpts: QueryOpts | null };

export async function listRPMs(ctx: CallContext, a: ListRpmsArgs): Promise<XmlRpcValue> {
  const fields: Field[] = RPM_FIELDS.slice();
  const q = new Select('rpminfo').join('LEFT JOIN external_repo ON rpminfo.external_repo_id = external_repo.id');
  if (a.buildID != null) q.where(`rpminfo.build_id = ${q.p(a.buildID)}`);
  if (a.buildrootID != null) q.where(`rpminfo.buildroot_id = ${q.p(a.buildrootID)}`);
  if (a.componentBuildrootID != null) {
    fields.push(['buildroot_listing.buildroot_id', 'component_buildroot_id'], ['buildroot_listing.is_update', 'is_update']);
    q.join('buildroot_listing ON rpminfo.id = buildroot_listing.rpm_id').where(`buildroot_listing.buildroot_id = ${q.p(a.componentBuildrootID)}`);
  }
  if (a.imageID != null) q.join('archive_rpm_components ON rpminfo.id = archive_rpm_components.rpm_id').where(`archive_rpm_components.archive_id = ${q.p(a.imageID)}`);
  if (a.hostID != null) q.join('standard_buildroot ON rpminfo.buildroot_id = standard_buildroot.buildroot_id').where(`standard_buildroot.host_id = ${q.p(a.hostID)}`);
  if (a.arches != null) {
    if (Array.isArray(a.arches)) q.where(`rpminfo.arch = ANY(${q.p(a.arches.map(String))}::text[])`);
    else if (typeof a.arches === 'string') q.where(`rpminfo.arch = ${q.p(a.arches)}`);
    else throw new GenericError(`Invalid type for "arches" parameter: <class '${typeof a.arches === 'number' ? 'int' : typeof a.arches}'>`);
  }
  const dc = draftClause(a.draft == null ? null : truthy(a.draft), 'rpminfo');
  if (dc) q.where(dc);
  q.columns(...fields);
  return runSelect(ctx.sql, q, orderByKeys(a.queryOpts, fields), 'id', (r) => fixJsonExtra(r));
}

function readError(e: unknown): never {
  if (e instanceof RpmFormatError) throw new GenericError(`Error reading rpm: ${e.message}`);
  throw e;
}

async function readPackage(path: string): Promise<RpmPackage> {
  return readRpmHeaders(path).catch(readError);
}

/** The file of an internal rpm: {build, path}, or null (with `strict`, a fault) when it cannot be read. */
async function internalRpmFile(ctx: CallContext, rpmID: unknown, strict: boolean, what: string): Promise<{ rpm: RpmRow; build: BuildInfo; path: string } | null> {
  const rpm = (await getRpm(ctx.sql, rpmID, strict)) as RpmRow | null;
  if (!rpm) return null;
  if (!rpm.build_id) {
    if (strict) throw new GenericError(`Can not get ${what}, because RPM: ${pyStrOf(rpmID)} is not internal`);
    return null;
  }
  const build = (await getBuild(ctx.sql, rpm.build_id))!;
  const path = rpmPath(ctx.hub.kojiDir, build, rpm);
  if (!existsSync(path)) {
    if (strict) throw new GenericError(what === 'dependencies' ? `RPM file of ${pyStrOf(rpmID)} doesn't exist` : `RPM package file of ${pyStrOf(rpmID)} doesn't exist`);
    return null;
  }
  return { rpm, build, path };
}

/** Apply queryOpts to rows built in memory; asList gives each row's values in `listOrder`. */
function finish(rows: Row[], opts: QueryOpts | null, listOrder: string[]): XmlRpcValue {
  const { asList, ...rest } = opts ?? {};
  const out = applyQueryOpts(rows, rest);
  if (typeof out === 'number' || !truthy(asList)) return out as XmlRpcValue;
  return (out as Row[]).map((r) => listOrder.map((k) => r[k]));
}

async function getRPMHeaders(ctx: CallContext, a: Record<string, unknown>): Promise<XmlRpcStruct> {
  const strict = truthy(a.strict);
  let path: string;
  if (truthy(a.rpmID)) {
    const rpm = (await getRpm(ctx.sql, a.rpmID, strict)) as RpmRow | null;
    if (!rpm) return {};
    if (rpm.external_repo_id !== 0) {
      if (strict) throw new GenericError(`External rpm: ${rpm.id}`);
      return {};
    }
    const build = (await getBuild(ctx.sql, rpm.build_id, true))!;
    if (build.state === BUILD_STATES.byName.DELETED) {
      if (strict) throw new GenericError(`Build ${build.nvr} is deleted`);
      return {};
    }
    path = rpmPath(ctx.hub.kojiDir, build, rpm);
    if (!existsSync(path)) {
      if (strict) throw new GenericError(`Missing rpm file: ${path}`);
      ctx.hub.log.error(`Missing rpm file: ${path}`);
      return {};
    }
  } else if (truthy(a.taskID)) {
    path = taskFilePath(ctx, a.taskID, a.filepath);
    if (!existsSync(path)) {
      if (strict) throw new GenericError(`Missing rpm file: ${path}`);
      return {};
    }
  } else throw new GenericError('either rpmID or taskID and filepath must be specified');
  let headers: string[] | null = null;
  if (a.headers != null) headers = (Array.isArray(a.headers) ? a.headers : [a.headers]).map(String);
  return headerFields(await readPackage(path), headers);
}

/** A file under a task's work directory (no absolute paths, no '../'). */
function taskFilePath(ctx: CallContext, taskID: unknown, filepath: unknown): string {
  if (!filepath) throw new GenericError('filepath must be specified with taskID');
  const fp = String(filepath);
  if (fp.startsWith('/') || fp.includes('../')) throw new GenericError(`Invalid filepath: ${fp}`);
  const id = Number(taskID);
  if (!Number.isInteger(id)) throw new GenericError(`Invalid task id: ${pyStrOf(taskID)}`);
  const pi = new PathInfo(ctx.hub.kojiDir);
  return `${pi.work()}/${pi.taskrelpath(id)}/${fp}`;
}

async function getRPMDeps(ctx: CallContext, rpmID: unknown, depType: unknown, queryOpts: QueryOpts | null, strict: boolean): Promise<XmlRpcValue> {
  const f = await internalRpmFile(ctx, rpmID, strict, 'dependencies');
  if (!f) return finish([], queryOpts, []);
  const pkg = await readPackage(f.path);
  const rows: Row[] = [];
  for (const name of ['REQUIRE', 'PROVIDE', 'CONFLICT', 'OBSOLETE', 'SUGGEST', 'ENHANCE', 'SUPPLEMENT', 'RECOMMEND']) {
    const id = DEP_ENUM.get(name)!;
    if (depType != null && depType !== id) continue;
    const kind = DEP_TYPES.find((d) => d.prefix === name)!.key;
    for (const d of dependencies(pkg.header, kind)) rows.push({ name: d.name, version: d.version, flags: d.flags, type: id });
  }
  return finish(rows, queryOpts, ['name', 'version', 'flags', 'type']);
}

function fileRows(pkg: RpmPackage): Row[] {
  return fileList(pkg.header).map((e) => ({
    name: e.name, digest: e.digest, digest_algo: e.digestAlgo, md5: e.digest, size: e.size,
    flags: e.flags, user: e.user, group: e.group, mtime: e.mtime, mode: e.mode,
  }));
}

/** Koji's koji.util.parseTime: "YYYY-MM-DD[ HH:MM:SS]" as UTC seconds, or null. */
function parseTime(s: string): number | null {
  const d = /(\d+)-(\d+)-(\d+)/.exec(s);
  if (!d) return null;
  const tm = /(\d+):(\d+):(\d+)/.exec(s.slice(d.index + d[0].length).trim()) ?? [null, 0, 0, 0];
  return Date.UTC(+d[1], +d[2] - 1, +d[3], +tm[1]!, +tm[2]!, +tm[3]!) / 1000;
}

function changelogBound(v: unknown, what: string): number | null {
  if (!truthy(v)) return null;
  if (v instanceof DateTime) {
    const m = /^(\d{4})-?(\d\d)-?(\d\d)T(\d\d):?(\d\d):?(\d\d)/.exec(v.iso);
    if (!m) throw new GenericError(`Invalid time: ${v.iso}`);
    return Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]) / 1000;
  }
  if (typeof v === 'string') return parseTime(v);
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  throw new GenericError(`Invalid type for ${what}: <class '${typeof v === 'number' || typeof v === 'object' ? 'float' : typeof v}'>`);
}

const pad = (n: number) => String(n).padStart(2, '0');
/** datetime.fromtimestamp(ts).isoformat(' ') in the hub's local time. */
function localIso(ts: number): string {
  const d = new Date(ts * 1000);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

async function getChangelogEntries(ctx: CallContext, a: Record<string, unknown>): Promise<XmlRpcValue> {
  const opts: QueryOpts = { ...((a.queryOpts as QueryOpts | null) ?? {}) };
  if (opts.order === 'date' || opts.order === '-date') opts.order = opts.order.replace('date', 'date_ts');
  const strict = truthy(a.strict);
  let path: string;
  if (truthy(a.buildID)) {
    const build = await getBuild(ctx.sql, a.buildID);
    if (!build) {
      if (strict) throw new GenericError(`No such build: ${pyStrOf(a.buildID)}`);
      return finish([], opts, []);
    }
    const srpm = (await ctx.sql.query<RpmRow>("SELECT * FROM rpminfo WHERE build_id = $1 AND arch = 'src' ORDER BY id LIMIT 1", [build.id]))[0];
    if (!srpm) {
      if (strict) throw new GenericError(`Build ${pyStrOf(a.buildID)} doesn't have srpms`);
      return finish([], opts, []);
    }
    path = rpmPath(ctx.hub.kojiDir, build, srpm);
  } else if (truthy(a.taskID)) path = taskFilePath(ctx, a.taskID, a.filepath);
  else throw new GenericError('either buildID or taskID and filepath must be specified');
  if (!existsSync(path)) {
    if (strict) throw new GenericError(`SRPM ${path} doesn't exist`);
    return finish([], opts, []);
  }
  const before = changelogBound(a.before, 'before');
  const after = changelogBound(a.after, 'after');
  const rows: Row[] = [];
  for (const e of changelog((await readPackage(path)).header)) {
    if (a.author && a.author !== e.author) continue;
    if (before && !(e.time < before)) continue;
    if (after && !(e.time > after)) continue;
    rows.push({ date: localIso(e.time), date_ts: e.time, author: e.author, text: e.text });
  }
  return printable(finish(rows, opts, ['date', 'author', 'text']));
}

async function getRPMChecksums(ctx: CallContext, rpmId: unknown, types: unknown, cacheonly: boolean): Promise<XmlRpcValue> {
  if (typeof rpmId !== 'number' || !Number.isInteger(rpmId)) throw new GenericError('rpm_id must be an integer');
  const rpm = (await getRpm(ctx.sql, rpmId, true)) as RpmRow;
  const wanted = truthy(types) ? types : ctx.hub.options.RPMDefaultChecksums.split(/\s+/).filter(Boolean);
  if (!Array.isArray(wanted)) throw new GenericError('checksum_type must be a list');
  for (const ch of wanted) if (typeof ch !== 'string' || CHECKSUM_TYPES.get(ch) === undefined) throw new GenericError(`Checksum_type ${pyStrOf(ch)} isn't supported`);
  const names = [...new Set(wanted.map(String))];
  const sigkeys = (await ctx.sql.query<{ sigkey: string }>('SELECT sigkey FROM rpmsigs WHERE rpm_id = $1 ORDER BY sigkey', [rpmId])).map((r) => r.sigkey);
  if (!sigkeys.length) return {};
  const typeIds = names.map((n) => CHECKSUM_TYPES.get(n)!);
  const load = () =>
    ctx.sql.query<{ sigkey: string; checksum_type: number; checksum: string }>(
      'SELECT sigkey, checksum_type, checksum FROM rpm_checksum WHERE rpm_id = $1 AND checksum_type = ANY($2::int[])',
      [rpmId, typeIds],
    );
  let rows = await load();
  if (rows.length !== typeIds.length * sigkeys.length && !cacheonly) {
    const build = (await getBuild(ctx.sql, rpm.build_id, true))!;
    for (const sigkey of sigkeys) {
      const have = new Set(rows.filter((r) => r.sigkey === sigkey).map((r) => CHECKSUM_TYPES.name(r.checksum_type)));
      const missing = names.filter((n) => !have.has(n as never));
      if (!missing.length) continue;
      const sums = await signedChecksums(ctx.hub.kojiDir, build, rpm, sigkey, missing);
      for (const [type, sum] of Object.entries(sums)) {
        await ctx.sql.execute('INSERT INTO rpm_checksum (rpm_id, sigkey, checksum, checksum_type) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING', [rpmId, sigkey, sum, CHECKSUM_TYPES.get(type)]);
      }
    }
    rows = await load();
  }
  const out: Record<string, Record<string, XmlRpcValue>> = {};
  for (const s of sigkeys) out[s] = Object.fromEntries(names.map((n) => [n, null]));
  for (const r of rows) out[r.sigkey][CHECKSUM_TYPES.name(r.checksum_type)!] = r.checksum;
  return out;
}

const listRpmsSig = '(buildID=None, buildrootID=None, imageID=None, componentBuildrootID=None, hostID=None, arches=None, queryOpts=None, draft=None)';
const optId = t.intish.nullish();

export const rpmMethods: MethodDef[] = [
  method({
    name: 'listRPMs',
    sig: listRpmsSig,
    doc: 'List rpms of a build, buildroot, image or host, or those a buildroot used; optionally by arch(es) and draft.',
    args: { queryOpts: queryOptsSchema, buildID: optId, buildrootID: optId, imageID: optId, componentBuildrootID: optId, hostID: optId },
    handler: (ctx, a) => listRPMs(ctx, a as ListRpmsArgs),
  }),
  method({
    name: 'getRPM',
    sig: '(rpminfo, strict=False, multi=False)',
    doc: 'An rpm by id, "N-V-R.A", "N-V-R.A@external-repo" or {name, version, release, arch[, location]}.',
    args: { strict: t.flag, multi: t.flag },
    handler: async (ctx, a) => (await getRpm(ctx.sql, a.rpminfo, a.strict, a.multi)) as XmlRpcValue,
  }),
  method({
    name: 'listBuildRPMs',
    sig: '(build)',
    doc: 'The rpms of a build.',
    async handler(ctx, a) {
      const id = typeof a.build === 'number' ? a.build : await findBuildId(ctx.sql, a.build, true);
      return listRPMs(ctx, { buildID: id, queryOpts: null });
    },
  }),
  method({
    name: 'getRPMHeaders',
    sig: '(rpmID=None, taskID=None, filepath=None, headers=None, strict=False)',
    doc: 'Header fields of an rpm (or of an rpm in a task\'s output), read from the file.',
    handler: (ctx, a) => getRPMHeaders(ctx, a),
  }),
  method({
    name: 'getRPMDeps',
    sig: '(rpmID, depType=None, queryOpts=None, strict=False)',
    doc: 'Dependencies of an rpm: [{name, version, flags, type}].',
    args: { queryOpts: queryOptsSchema, strict: t.flag, depType: t.intish.nullish() },
    handler: (ctx, a) => getRPMDeps(ctx, a.rpmID, a.depType, a.queryOpts, a.strict),
  }),
  method({
    name: 'listRPMFiles',
    sig: '(rpmID, queryOpts=None)',
    doc: 'Files of an rpm: [{name, digest, md5, digest_algo, size, flags, user, group, mtime, mode}].',
    args: { queryOpts: queryOptsSchema },
    async handler(ctx, a) {
      const f = await internalRpmFile(ctx, a.rpmID, false, 'RPM file');
      const rows = f ? fileRows(await readPackage(f.path)) : [];
      return finish(rows, a.queryOpts, ['name', 'digest', 'size', 'flags', 'digest_algo', 'user', 'group', 'mtime', 'mode']);
    },
  }),
  method({
    name: 'getRPMFile',
    sig: '(rpmID, filename, strict=False)',
    doc: 'One file of an rpm, or {}.',
    args: { strict: t.flag },
    async handler(ctx, a) {
      const f = await internalRpmFile(ctx, a.rpmID, a.strict, 'RPM file');
      if (!f) return {};
      const row = fileRows(await readPackage(f.path)).find((r) => r.name === a.filename);
      if (row) return { rpm_id: f.rpm.id, ...row };
      if (a.strict) throw new GenericError(`No file: ${pyStrOf(a.filename)} found in RPM: ${pyStrOf(a.rpmID)}`);
      return {};
    },
  }),
  method({
    name: 'getChangelogEntries',
    sig: '(buildID=None, taskID=None, filepath=None, author=None, before=None, after=None, queryOpts=None, strict=False)',
    doc: 'Changelog entries of a build\'s source rpm (or an srpm in a task\'s output): [{date, date_ts, author, text}].',
    args: { queryOpts: queryOptsSchema, before: t.any, after: t.any },
    handler: (ctx, a) => getChangelogEntries(ctx, a),
  }),
  method({
    name: 'getRPMChecksums',
    sig: '(rpm_id, checksum_types=None, cacheonly=False)',
    // anyone may call it (as in Koji): the computed checksums are a cache, stored by idempotent inserts
    doc: 'Checksums of the signed copies of an rpm by sigkey and type; missing ones are computed and stored unless cacheonly.',
    args: { cacheonly: t.flag },
    handler: (ctx, a) => getRPMChecksums(ctx, a.rpm_id, a.checksum_types, a.cacheonly),
  }),
];
