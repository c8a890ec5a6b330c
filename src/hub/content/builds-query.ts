/**
 * SQL and helpers shared by the build, RPM and archive calls: Koji's glob-to-LIKE conversion and
 * timestamp parameters, order terms given as column expressions, the RPM lookup behind getRPM
 * (id, N-V-R.A, N-V-R.A@extrepo, struct; preference for internal non-draft rows), Koji's
 * build_references (what still uses a build), and the build directory clean-up done by
 * deleteBuild / resetBuild.
 */
import { existsSync, lstatSync, rmSync, unlinkSync } from 'node:fs';
import { GenericError } from '../../protocol/faults.ts';
import { Float, isStruct, type XmlRpcValue } from '../../protocol/values.ts';
import { BUILD_STATES } from '../../protocol/enums.ts';
import { PathInfo } from '../../util/pathinfo.ts';
import { parseNVR } from '../../util/nvr.ts';
import type { Sql } from '../../db/types.ts';
import { lookupName } from '../lookup.ts';
import { pyRepr } from '../../protocol/pyrepr.ts';
import type { QueryOpts, Select } from '../query.ts';
import { truthy } from '../registry.ts';
import type { BuildInfo } from './build.ts';
import { parseExtraColumn } from './stored-json.ts';

export type Row = Record<string, XmlRpcValue>;
/** [sql expression, result key] */
export type Field = [string, string];

/** Koji's _prepareSearchTerms(terms, 'glob'): a glob as an ILIKE pattern. */
export function globToLike(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/_/g, '\\_').replace(/\?/g, '_').replace(/\*/g, '%');
}

/** Koji's convert_timestamp for numbers (seconds since the epoch); strings go to PostgreSQL as given. */
export function timeValue(v: unknown): string {
  if (typeof v === 'string') return v;
  const n = v instanceof Float ? v.value : typeof v === 'number' ? v : NaN;
  if (!Number.isFinite(n)) throw new GenericError(`Invalid timestamp: ${pyRepr(v)}`);
  return new Date(n * 1000).toISOString();
}

/** Koji accepts order terms naming a result key or a column expression: map the latter to keys. */
export function orderByKeys(opts: QueryOpts | null | undefined, fields: Field[]): QueryOpts | null {
  if (!opts?.order) return opts ?? null;
  const byExpr = new Map(fields.map(([expr, key]) => [expr, key]));
  const keys = new Set(fields.map((f) => f[1]));
  const order = opts.order
    .split(',')
    .map((raw) => {
      const desc = raw.startsWith('-');
      const name = desc ? raw.slice(1) : raw;
      const key = keys.has(name) ? name : (byExpr.get(name) ?? name);
      return (desc ? '-' : '') + key;
    })
    .join(',');
  return { ...opts, order };
}

/** Koji's parse_json for rpm/archive `extra` (note Koji's message for this case). */
export function fixJsonExtra<T extends object>(row: T): T {
  return parseExtraColumn(row, (text) => `Invalid json data: ${pyRepr(text)}`);
}

/** Koji's _fix_extra_field for build and buildroot listings. */
export function fixExtraField<T extends object>(row: T): T {
  return parseExtraColumn(row, (text) => `Invalid extra data: ${pyRepr(text)}`);
}

/** listRPMs' result keys. */
export const RPM_FIELDS: Field[] = [
  ['rpminfo.id', 'id'],
  ['rpminfo.name', 'name'],
  ['rpminfo.version', 'version'],
  ['rpminfo.release', 'release'],
  ["rpminfo.name || '-' || rpminfo.version || '-' || rpminfo.release", 'nvr'],
  ['rpminfo.arch', 'arch'],
  ['rpminfo.epoch', 'epoch'],
  ['rpminfo.draft', 'draft'],
  ['rpminfo.payloadhash', 'payloadhash'],
  ['rpminfo.size', 'size'],
  ['rpminfo.buildtime', 'buildtime'],
  ['rpminfo.build_id', 'build_id'],
  ['rpminfo.buildroot_id', 'buildroot_id'],
  ['rpminfo.external_repo_id', 'external_repo_id'],
  ['external_repo.name', 'external_repo_name'],
  ['rpminfo.metadata_only', 'metadata_only'],
  ['rpminfo.extra', 'extra'],
];

/** getRPM's keys, in Koji's order. */
const GET_RPM_COLUMNS = `r.id, r.build_id, r.buildroot_id, r.name, r.version, r.release, r.epoch, r.arch, r.draft,
  r.external_repo_id, er.name AS external_repo_name, r.payloadhash, r.size, r.buildtime, r.metadata_only, r.extra`;

export interface RpmRow extends Row {
  id: number;
  build_id: number | null;
  buildroot_id: number | null;
  name: string;
  version: string;
  release: string;
  epoch: number | null;
  arch: string;
  draft: boolean | null;
  external_repo_id: number;
  external_repo_name: string;
  payloadhash: string;
  size: number;
  buildtime: number;
}

/** The lookup data Koji builds from an rpminfo argument (its repr appears in messages). */
function rpmLookupData(info: unknown): Record<string, XmlRpcValue> {
  if (typeof info === 'number' && Number.isInteger(info)) return { id: info };
  if (typeof info === 'string') {
    if (/^\s*[+-]?\d+\s*$/.test(info)) return { id: Number(info) };
    const at = info.indexOf('@');
    let nvra = at === -1 ? info : info.slice(0, at);
    const location = at === -1 ? null : info.slice(at + 1);
    if (nvra.endsWith('.rpm')) nvra = nvra.slice(0, -4);
    const dot = nvra.lastIndexOf('.');
    if (dot === -1 || dot === nvra.length - 1) throw new GenericError(`invalid format: ${nvra}`);
    const arch = nvra.slice(dot + 1);
    const nvr = parseNVR(nvra.slice(0, dot));
    const data: Record<string, XmlRpcValue> = { release: nvr.release, version: nvr.version, name: nvr.name, epoch: nvr.epoch ?? '', arch, src: arch === 'src' };
    if (location) data.location = location;
    return data;
  }
  if (isStruct(info)) return { ...info };
  throw new GenericError(`Invalid type for rpminfo: <class '${Array.isArray(info) ? 'list' : typeof info === 'boolean' ? 'bool' : typeof info}'>`);
}

/** Koji's get_rpm: one row (preferring internal non-draft, then newest draft, then newest external) or all (multi). */
export async function getRpm(sql: Sql, info: unknown, strict = false, multi = false): Promise<RpmRow | RpmRow[] | null> {
  const data = rpmLookupData(info);
  const params: unknown[] = [];
  const where: string[] = [];
  if ('id' in data) {
    params.push(data.id);
    where.push(`r.id = $${params.length}`);
  } else {
    for (const k of ['name', 'version', 'release', 'arch']) {
      if (!(k in data)) throw new GenericError(`No ${k} given for rpm: ${pyRepr(data)}`);
      params.push(String(data[k]));
      where.push(`r.${k} = $${params.length}`);
    }
  }
  if ('location' in data) {
    const repo = await lookupName(sql, 'external_repo', data.location, { strict: true });
    params.push(repo!.id);
    where.push(`r.external_repo_id = $${params.length}`);
  }
  const rows = await sql.query<RpmRow>(`SELECT ${GET_RPM_COLUMNS} FROM rpminfo r JOIN external_repo er ON er.id = r.external_repo_id WHERE ${where.join(' AND ')} ORDER BY r.id`, params);
  for (const r of rows) fixJsonExtra(r);
  if (multi) return rows;
  if (rows.length === 0) {
    if (strict) throw new GenericError(`No such rpm: ${pyRepr(data)}`);
    return null;
  }
  if (rows.length === 1) return rows[0];
  let nondraft: RpmRow | null = null;
  let draft: RpmRow | null = null;
  let external: RpmRow | null = null;
  for (const r of rows) {
    if (r.external_repo_id) {
      if (!external || r.id > external.id) external = r;
    } else if (r.draft) {
      if (!draft || r.id > draft.id) draft = r;
    } else if (nondraft) throw new GenericError(`Multiple nondraft rpm matches for: ${pyRepr(data)}`);
    else nondraft = r;
  }
  return nondraft ?? draft ?? external;
}

export interface BuildRefs {
  tags?: Row[];
  rpms?: Row[];
  component_of?: number[];
  archives?: Row[];
  last_used?: XmlRpcValue;
  images?: number[];
  [k: string]: XmlRpcValue | undefined;
}

const COMPLETE = BUILD_STATES.byName.COMPLETE;

/** Koji's build_references: tags, buildroots that used the build's rpms/archives, containing archives, last use. */
export async function buildReferences(sql: Sql, buildId: number, limit: number | null = null, lazy = false): Promise<BuildRefs> {
  const ret: BuildRefs = {};
  ret.tags = await sql.query<Row>(
    'SELECT tl.tag_id, t.name FROM tag_listing tl JOIN tag t ON t.id = tl.tag_id WHERE tl.build_id = $1 AND tl.active IS TRUE ORDER BY tl.tag_id',
    [buildId],
  );
  if (lazy && ret.tags.length) return ret;
  const rpmIds = (await sql.query<{ id: number }>('SELECT id FROM rpminfo WHERE build_id = $1 ORDER BY id', [buildId])).map((r) => r.id);
  const archiveIds = (await sql.query<{ id: number }>('SELECT id FROM archiveinfo WHERE build_id = $1 ORDER BY id', [buildId])).map((r) => r.id);
  const lim = limit === null ? '' : ` LIMIT ${Number(limit) | 0}`;

  const rpmIdx = new Map<number, Row>();
  for (const rpmId of rpmIds) {
    const rows = await sql.query<Row & { id: number }>(
      `SELECT r.id, r.name, r.version, r.release, r.arch, r.build_id FROM rpminfo r JOIN build b ON r.build_id = b.id
        WHERE r.buildroot_id IN (SELECT DISTINCT buildroot_id FROM buildroot_listing WHERE rpm_id = $1) AND b.state = $2 ORDER BY r.id${lim}`,
      [rpmId, COMPLETE],
    );
    for (const r of rows) if (!rpmIdx.has(r.id)) rpmIdx.set(r.id, r);
    if (limit !== null && rpmIdx.size > limit) break;
  }
  ret.rpms = [...rpmIdx.values()];
  if (lazy && ret.rpms.length) return ret;

  ret.component_of = [];
  for (const rpmId of rpmIds) {
    const rows = await sql.query<{ archive_id: number }>(
      `SELECT c.archive_id FROM archive_rpm_components c JOIN archiveinfo a ON a.id = c.archive_id JOIN build b ON a.build_id = b.id
        WHERE c.rpm_id = $1 AND b.state = $2 ORDER BY c.archive_id${limit ? lim : ''}`,
      [rpmId, COMPLETE],
    );
    ret.component_of.push(...rows.map((r) => r.archive_id));
  }
  if (lazy && ret.component_of.length) return ret;

  const archIdx = new Map<number, Row>();
  for (const archiveId of archiveIds) {
    const rows = await sql.query<Row & { id: number }>(
      `SELECT a.id, a.type_id, at.name AS type_name, a.build_id, a.filename FROM buildroot_archives ba
         JOIN archiveinfo a ON a.buildroot_id = ba.buildroot_id JOIN build b ON a.build_id = b.id JOIN archivetypes at ON at.id = a.type_id
        WHERE ba.archive_id = $1 AND b.state = $2 ORDER BY a.id${lim}`,
      [archiveId, COMPLETE],
    );
    for (const r of rows) if (!archIdx.has(r.id)) archIdx.set(r.id, r);
    if (limit !== null && archIdx.size > limit) break;
  }
  ret.archives = [...archIdx.values()];
  if (lazy && ret.archives.length) return ret;

  for (const archiveId of archiveIds) {
    const rows = await sql.query<{ archive_id: number }>(
      `SELECT c.archive_id FROM archive_components c JOIN archiveinfo a ON a.id = c.archive_id JOIN build b ON a.build_id = b.id
        WHERE c.component_id = $1 AND b.state = $2 ORDER BY c.archive_id${limit ? lim : ''}`,
      [archiveId, COMPLETE],
    );
    ret.component_of.push(...rows.map((r) => r.archive_id));
  }
  if (lazy && ret.component_of.length) return ret;

  let eventId = 0;
  if (rpmIds.length) {
    eventId = (await sql.value<number>(
      `SELECT MAX(create_event) FROM standard_buildroot WHERE buildroot_id IN (SELECT DISTINCT buildroot_id FROM buildroot_listing WHERE rpm_id = ANY($1::int[]))`,
      [rpmIds],
    )) ?? 0;
  }
  if (archiveIds.length) {
    const e2 = (await sql.value<number>(
      `SELECT MAX(create_event) FROM standard_buildroot WHERE buildroot_id IN (SELECT DISTINCT buildroot_id FROM buildroot_archives WHERE archive_id = ANY($1::int[]))`,
      [archiveIds],
    )) ?? 0;
    eventId = Math.max(eventId, e2);
  }
  ret.last_used = eventId ? await sql.value<XmlRpcValue>("SELECT date_part('epoch', get_event_time($1)) AS ts", [eventId]) : null;
  ret.images = ret.component_of;
  return ret;
}

/** A copy of the build info placed on another volume (for paths). */
function onVolume(b: BuildInfo, vol: { id: number; name: string }, release?: string): BuildInfo {
  return { ...b, volume_id: vol.id, volume_name: vol.name, ...(release === undefined ? {} : { release }) };
}

function isLink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

/**
 * Koji's _delete_build_symlinks plus removal of the build directory: the DEFAULT-volume link of
 * a build stored elsewhere, links left by a draft promotion, then the directory itself.
 */
export async function removeBuildFiles(sql: Sql, kojiDir: string, b: BuildInfo): Promise<void> {
  const pi = new PathInfo(kojiDir);
  const volumes = await sql.query<{ id: number; name: string }>('SELECT id, name FROM volume ORDER BY id');
  const base = volumes.find((v) => v.name === 'DEFAULT');
  if (base && b.volume_id !== base.id) {
    const basedir = pi.build(onVolume(b, base));
    if (isLink(basedir)) unlinkSync(basedir);
  }
  if (!b.draft) {
    const draftRelease = `${b.release},draft_${b.id}`;
    for (const v of volumes) {
      const dir = pi.build(onVolume(b, v, draftRelease));
      if (isLink(dir)) unlinkSync(dir);
    }
  }
  const dir = pi.build(b);
  if (isLink(dir)) unlinkSync(dir);
  else if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
}

/**
 * Run a Select with queryOpts like Koji's QueryProcessor with a transform: countOnly counts,
 * rows are transformed (e.g. `extra` parsed) before asList turns them into lists of values in
 * sorted-key order.
 */
export async function runSelect(
  sql: Sql,
  q: Select,
  opts: QueryOpts | null | undefined,
  defaultOrder: string | undefined,
  transform?: (row: Row) => Row,
): Promise<XmlRpcValue> {
  if (opts && truthy(opts.countOnly)) return (await q.run(sql, opts, defaultOrder)) as number;
  let rows = await q.rows<Row>(sql, opts, defaultOrder);
  if (transform) rows = rows.map(transform);
  if (opts && truthy(opts.asList)) {
    const keys = q.keys().filter((k, i, all) => all.indexOf(k) === i).sort();
    return rows.map((r) => keys.map((k) => r[k]));
  }
  return rows;
}
