/**
 * Builds: getBuild, findBuildID, listBuilds (every filter of Koji's signature), createEmptyBuild,
 * getNextRelease, deleteBuild, resetBuild, setBuildOwner, setBuildTimestamp, untaggedBuilds,
 * buildReferences, getBuildType, getBuildLogs and the legacy typed-build lookups
 * (getMavenBuild, getWinBuild, getImageBuild).
 */
import { existsSync, lstatSync, readdirSync } from 'node:fs';
import { relative, join } from 'node:path';
import { BUILD_STATES } from '../../protocol/enums.ts';
import { GenericError } from '../../protocol/faults.ts';
import { DateTime, Float, isStruct, type XmlRpcStruct, type XmlRpcValue } from '../../protocol/values.ts';
import { PathInfo } from '../../util/pathinfo.ts';
import { checkString, lookupName } from '../lookup.ts';
import { pyRepr, pyStrOf } from '../../protocol/pyrepr.ts';
import { Select, type QueryOpts } from '../query.ts';
import { method, queryOptsSchema, t, truthy, type MethodDef } from '../registry.ts';
import { revokeRows } from '../versioned.ts';
import type { CallContext } from '../types.ts';
import { findBuildId, getBuild, type BuildInfo } from '../content/build.ts';
import { draftClause } from '../content/tagged.ts';
import { createEmptyBuild, getNextRelease } from '../content/build-create.ts';
import { buildReferences, fixExtraField, globToLike, orderByKeys, removeBuildFiles, runSelect, timeValue, type Field } from '../content/builds-query.ts';
import { getUser } from './users.ts';

const ST = BUILD_STATES.byName;

const BUILD_FIELDS: Field[] = [
  ['build.id', 'build_id'], ['build.version', 'version'], ['build.release', 'release'], ['build.epoch', 'epoch'],
  ['build.draft', 'draft'], ['build.state', 'state'], ['build.completion_time', 'completion_time'],
  ['build.promotion_time', 'promotion_time'], ['build.start_time', 'start_time'], ['build.source', 'source'],
  ['build.extra', 'extra'], ['events.id', 'creation_event_id'], ['events.time', 'creation_time'], ['build.task_id', 'task_id'],
  ["date_part('epoch', events.time)", 'creation_ts'], ["date_part('epoch', build.start_time)", 'start_ts'],
  ["date_part('epoch', build.completion_time)", 'completion_ts'], ["date_part('epoch', build.promotion_time)", 'promotion_ts'],
  ['package.id', 'package_id'], ['package.name', 'package_name'], ['package.name', 'name'],
  ['volume.id', 'volume_id'], ['volume.name', 'volume_name'],
  ["package.name || '-' || build.version || '-' || build.release", 'nvr'],
  ['users.id', 'owner_id'], ['users.name', 'owner_name'], ['promoter.id', 'promoter_id'], ['promoter.name', 'promoter_name'],
];

type ListBuildsArgs = Record<string, unknown> & { queryOpts: QueryOpts | null };

async function listBuilds(ctx: CallContext, a: ListBuildsArgs): Promise<XmlRpcValue> {
  const fields = BUILD_FIELDS.slice();
  const q = new Select('build')
    .join('LEFT JOIN events ON build.create_event = events.id')
    .join('LEFT JOIN package ON build.pkg_id = package.id')
    .join('LEFT JOIN volume ON build.volume_id = volume.id')
    .join('LEFT JOIN users ON build.owner = users.id')
    .join('LEFT JOIN users AS promoter ON build.promoter = promoter.id');
  const none: XmlRpcValue = a.queryOpts && truthy(a.queryOpts.countOnly) ? 0 : [];
  if (a.packageID != null) {
    const pkg = await lookupName(ctx.sql, 'package', a.packageID);
    if (!pkg) return none;
    q.where(`package.id = ${q.p(pkg.id)}`);
  }
  if (a.userID != null) {
    const user = await getUser(ctx, a.userID);
    if (!user) return none;
    q.where(`users.id = ${q.p(user.id)}`);
  }
  if (a.volumeID != null) q.where(`volume.id = ${q.p(a.volumeID)}`);
  if (a.taskID != null) q.where(a.taskID === -1 ? 'build.task_id IS NOT NULL' : `build.task_id = ${q.p(a.taskID)}`);
  for (const k of ['source', 'prefix', 'pattern'] as const) checkString(a[k], k);
  if (a.source != null) q.where(`build.source ILIKE ${q.p(globToLike(String(a.source)))}`);
  if (a.prefix) q.where(`package.name ILIKE ${q.p(String(a.prefix))} || '%'`);
  if (a.pattern) q.where(`package.name || '-' || build.version || '-' || build.release ILIKE ${q.p(globToLike(String(a.pattern)))}`);
  if (a.state != null) q.where(`build.state = ${q.p(a.state)}`);
  const times: Array<[string, string, string]> = [
    ['createdBefore', 'events.time', '<'], ['createdAfter', 'events.time', '>'],
    ['completeBefore', 'build.completion_time', '<'], ['completeAfter', 'build.completion_time', '>'],
    ['promotedBefore', 'build.promotion_time', '<'], ['promotedAfter', 'build.promotion_time', '>'],
  ];
  for (const [key, col, op] of times) if (truthy(a[key])) q.where(`${col} ${op} ${q.p(timeValue(a[key]))}::timestamptz`);
  if (a.promoter != null) {
    const user = await getUser(ctx, a.promoter);
    if (!user) return none;
    q.where(`promoter.id = ${q.p(user.id)}`);
  }
  if (truthy(a.cgID)) {
    const cg = await lookupName(ctx.sql, 'content_generator', a.cgID);
    if (!cg) return none;
    q.where(`build.cg_id = ${q.p(cg.id)}`);
  }
  const typeInfo = isStruct(a.typeInfo) ? a.typeInfo : null;
  if (a.type === 'maven') {
    q.join('maven_builds ON build.id = maven_builds.build_id');
    fields.push(['maven_builds.group_id', 'maven_group_id'], ['maven_builds.artifact_id', 'maven_artifact_id'], ['maven_builds.version', 'maven_version']);
    for (const k of ['group_id', 'artifact_id', 'version']) if (typeInfo && k in typeInfo) q.where(`maven_builds.${k} = ${q.p(typeInfo[k])}`);
  } else if (a.type === 'win') {
    q.join('win_builds ON build.id = win_builds.build_id');
    fields.push(['win_builds.platform', 'platform']);
    if (typeInfo && Object.keys(typeInfo).length) q.where(`win_builds.platform = ${q.p(typeInfo.platform ?? null)}`);
  } else if (a.type === 'image') {
    q.join('image_builds ON build.id = image_builds.build_id');
  } else if (a.type != null) {
    const btype = await lookupName(ctx.sql, 'btype', a.type);
    if (!btype) throw new GenericError(`unsupported build type: ${pyStrOf(a.type)}`);
    q.join(`build_types ON build.id = build_types.build_id AND btype_id = ${q.p(btype.id)}`);
  }
  const dc = draftClause(a.draft == null ? null : truthy(a.draft), 'build');
  if (dc) q.where(dc);
  q.columns(...fields);
  return runSelect(ctx.sql, q, orderByKeys(a.queryOpts, fields), 'build_id', fixExtraField);
}

/** Koji's delete_build (reference checks, then state DELETED and files removed). */
async function deleteBuild(ctx: CallContext, build: unknown, strict: boolean, minRefAge: number): Promise<boolean | null> {
  const b = (await getBuild(ctx.sql, build, true))!;
  if (b.state === ST.DELETED) return null;
  const refs = await buildReferences(ctx.sql, b.id, 10, true);
  const refuse = (msg: string) => {
    if (strict) throw new GenericError(msg);
    return false;
  };
  if (refs.tags?.length) return refuse(`Cannot delete build, tagged: ${pyRepr(refs.tags)}`);
  if (refs.rpms?.length) return refuse(`Cannot delete build, used in buildroots: ${pyRepr(refs.rpms)}`);
  if (refs.archives?.length) return refuse(`Cannot delete build, used in archive buildroots: ${pyRepr(refs.archives)}`);
  if (refs.component_of?.length) return refuse(`Cannot delete build, used as component of: ${pyRepr(refs.component_of)}`);
  if (truthy(refs.last_used)) {
    const age = Date.now() / 1000 - Number(refs.last_used instanceof Float ? refs.last_used.value : refs.last_used);
    if (age < minRefAge) return refuse('Cannot delete build, used in recent buildroot');
  }
  await ctx.sql.execute('DELETE FROM rpmsigs WHERE rpm_id IN (SELECT id FROM rpminfo WHERE build_id = $1)', [b.id]);
  await ctx.sql.execute('DELETE FROM rpm_checksum WHERE rpm_id IN (SELECT id FROM rpminfo WHERE build_id = $1)', [b.id]);
  await revokeRows(ctx, 'tag_listing', { build_id: b.id });
  await ctx.sql.execute('UPDATE build SET state = $2 WHERE id = $1', [b.id, ST.DELETED]);
  await removeBuildFiles(ctx.sql, ctx.hub.kojiDir, b);
  ctx.hub.log.warn({ build: b.nvr, user: ctx.session.userId }, `Build ${b.nvr} is deleted`);
  return true;
}

/** Koji's reset_build: everything but the build row goes; state CANCELED, no task, DEFAULT volume. */
async function resetBuild(ctx: CallContext, build: unknown): Promise<null> {
  const b = await getBuild(ctx.sql, build);
  if (!b) return null;
  const rpms = 'SELECT id FROM rpminfo WHERE build_id = $1';
  const archives = 'SELECT id FROM archiveinfo WHERE build_id = $1';
  const steps = [
    `DELETE FROM rpmsigs WHERE rpm_id IN (${rpms})`,
    `DELETE FROM buildroot_listing WHERE rpm_id IN (${rpms})`,
    `DELETE FROM archive_rpm_components WHERE rpm_id IN (${rpms})`,
    `DELETE FROM rpm_checksum WHERE rpm_id IN (${rpms})`,
    'DELETE FROM rpminfo WHERE build_id = $1',
    ...['maven_archives', 'win_archives', 'image_archives', 'buildroot_archives', 'archive_rpm_components', 'archive_components'].map(
      (table) => `DELETE FROM ${table} WHERE archive_id IN (${archives})`,
    ),
    `DELETE FROM archive_components WHERE component_id IN (${archives})`,
    'DELETE FROM archiveinfo WHERE build_id = $1',
    ...['maven_builds', 'win_builds', 'image_builds', 'build_types', 'tag_listing'].map((table) => `DELETE FROM ${table} WHERE build_id = $1`),
    // a build reset while BUILDING gets a completion time (the schema wants one for any other state)
    'UPDATE build SET state = $2, task_id = NULL, volume_id = 0, completion_time = COALESCE(completion_time, NOW()) WHERE id = $1',
  ];
  for (const s of steps) await ctx.sql.execute(s, s.includes('$2') ? [b.id, ST.CANCELED] : [b.id]);
  await removeBuildFiles(ctx.sql, ctx.hub.kojiDir, { ...b, state: ST.CANCELED });
  return null;
}

async function untaggedBuilds(ctx: CallContext, name: unknown, queryOpts: QueryOpts | null, draft: unknown): Promise<XmlRpcValue> {
  const fields: Field[] = [['build.id', 'id'], ['package.name', 'name'], ['build.version', 'version'], ['build.release', 'release']];
  const q = new Select('build').join('package ON package.id = build.pkg_id').columns(...fields);
  q.where('NOT EXISTS (SELECT 1 FROM tag_listing WHERE tag_listing.build_id = build.id AND tag_listing.active IS TRUE)');
  q.where(`build.state = ${q.p(ST.COMPLETE)}`);
  if (name != null) q.where(`package.name = ${q.p(name)}`);
  const dc = draftClause(draft == null ? null : truthy(draft), 'build');
  if (dc) q.where(dc);
  return runSelect(ctx.sql, q, orderByKeys(queryOpts, fields), 'id');
}

/** getMavenBuild / getWinBuild / getImageBuild. */
async function typedBuild(ctx: CallContext, table: string, cols: string, what: string, info: unknown, strict: boolean): Promise<XmlRpcStruct | null> {
  const id = await findBuildId(ctx.sql, info, strict);
  if (id === null) return null;
  const row = await ctx.sql.maybeOne<XmlRpcStruct>(`SELECT ${cols} FROM ${table} WHERE build_id = $1`, [id]);
  if (!row && strict) throw new GenericError(`no such ${what} build: ${typeof info === 'string' ? info : pyRepr(info)}`);
  return row;
}

async function getBuildType(ctx: CallContext, info: unknown, strict: boolean): Promise<XmlRpcValue> {
  let b: Record<string, XmlRpcValue> | null;
  if (isStruct(info) && 'extra' in info && 'id' in info) b = info;
  else b = await getBuild(ctx.sql, info, strict);
  if (!b) return null;
  const ret: XmlRpcStruct = {};
  const extra = isStruct(b.extra) ? b.extra : {};
  const typeinfo = isStruct(extra.typeinfo) ? extra.typeinfo : {};
  const names = await ctx.sql.query<{ name: string }>('SELECT btype.name FROM btype JOIN build_types ON btype_id = btype.id WHERE build_id = $1 ORDER BY btype.id', [b.id]);
  for (const { name } of names) ret[name] = typeinfo[name] ?? null;
  const legacy: Array<[string, XmlRpcStruct | null]> = [
    ['maven', await typedBuild(ctx, 'maven_builds', 'build_id, group_id, artifact_id, version', 'maven', b.id, false)],
    ['win', await typedBuild(ctx, 'win_builds', 'build_id, platform', 'Windows', b.id, false)],
    ['image', await typedBuild(ctx, 'image_builds', 'build_id', 'image', b.id, false)],
  ];
  for (const [k, v] of legacy) if (v) ret[k] = v;
  return ret;
}

function getBuildLogs(kojiDir: string, b: BuildInfo): XmlRpcStruct[] {
  const logdir = new PathInfo(kojiDir).buildLogs(b);
  const reldir = relative(kojiDir, logdir);
  if (!existsSync(logdir)) return [];
  if (!lstatSync(logdir).isDirectory()) throw new GenericError(`Not a directory: ${logdir}`);
  const logs: XmlRpcStruct[] = [];
  const walk = (dir: string, sub: string) => {
    const entries = readdirSync(dir, { withFileTypes: true }).sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
    for (const e of entries) if (e.isFile()) logs.push({ name: e.name, dir: sub, path: `${reldir}/${sub}/${e.name}` });
    for (const e of entries) if (e.isDirectory()) walk(join(dir, e.name), sub === '.' ? e.name : `${sub}/${e.name}`);
  };
  walk(logdir, '.');
  return logs;
}

const admin = { perm: 'admin' } as const;
const listBuildsSig =
  '(packageID=None, userID=None, taskID=None, prefix=None, state=None, volumeID=None, source=None, createdBefore=None, createdAfter=None, completeBefore=None, completeAfter=None, type=None, typeInfo=None, queryOpts=None, pattern=None, cgID=None, draft=None, promotedBefore=None, promotedAfter=None, promoter=None)';

export const buildMethods: MethodDef[] = [
  method({
    name: 'getBuild',
    sig: '(buildInfo, strict=False)',
    doc: 'Information about a build, by id, N-V-R or {name, version, release}.',
    args: { strict: t.flag },
    handler: async (ctx, a) => (await getBuild(ctx.sql, a.buildInfo, a.strict)) as XmlRpcValue,
  }),
  method({ name: 'findBuildID', sig: '(X, strict=False)', doc: 'The id of a build.', args: { strict: t.flag }, handler: (ctx, a) => findBuildId(ctx.sql, a.X, a.strict) }),
  method({
    name: 'listBuilds',
    sig: listBuildsSig,
    doc: 'List builds matching the filters (package, owner, task, prefix, GLOB pattern, state, volume, source, times, type, content generator, draft, promoter).',
    args: {
      queryOpts: queryOptsSchema, state: t.intish.nullish(), volumeID: t.intish.nullish(), taskID: t.intish.nullish(),
      // timestamps: numbers of any size or date strings, checked by the handler
      createdBefore: t.any, createdAfter: t.any, completeBefore: t.any, completeAfter: t.any, promotedBefore: t.any, promotedAfter: t.any,
    },
    handler: (ctx, a) => listBuilds(ctx, a as ListBuildsArgs),
  }),
  method({
    name: 'createEmptyBuild',
    sig: '(name, version, release, epoch, owner=None, draft=False)',
    requires: admin,
    writes: true,
    doc: 'Create a build entry (state COMPLETE) with no content; the package is created if needed. Returns the build id.',
    handler: (ctx, a) => createEmptyBuild(ctx, a),
  }),
  method({ name: 'getNextRelease', sig: '(build_info, incr=1)', doc: 'The next release for a package version ("12.el9" → "13.el9").', handler: (ctx, a) => getNextRelease(ctx, a.build_info, a.incr) }),
  method({
    name: 'deleteBuild',
    sig: '(build, strict=True, min_ref_age=604800)',
    requires: admin,
    writes: true,
    doc: 'Mark an unreferenced build deleted and remove its files.',
    args: { strict: t.flag, min_ref_age: t.number },
    handler: (ctx, a) => deleteBuild(ctx, a.build, a.strict, a.min_ref_age),
  }),
  method({ name: 'resetBuild', sig: '(build)', requires: admin, writes: true, doc: 'Reset a build so it can be reimported (destructive).', handler: (ctx, a) => resetBuild(ctx, a.build) }),
  method({
    name: 'setBuildOwner',
    sig: '(build, user)',
    requires: admin,
    writes: true,
    doc: 'Set the owner of a build.',
    async handler(ctx, a) {
      const b = (await getBuild(ctx.sql, a.build, true))!;
      const user = (await getUser(ctx, a.user, { strict: true }))!;
      await ctx.sql.execute('UPDATE build SET owner = $2 WHERE id = $1', [b.id, user.id]);
      return null;
    },
  }),
  method({
    name: 'setBuildTimestamp',
    sig: '(build, ts)',
    requires: admin,
    writes: true,
    doc: 'Set the completion time of a build (seconds since the epoch).',
    args: { ts: t.any },
    async handler(ctx, a) {
      const b = (await getBuild(ctx.sql, a.build, true))!;
      let ts: number;
      if (a.ts instanceof DateTime) {
        const m = /^(\d{4})(\d\d)(\d\d)T(\d\d):(\d\d):(\d\d)$/.exec(a.ts.iso);
        if (!m) throw new GenericError(`Invalid time: ${a.ts.iso}`);
        ts = new Date(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]).getTime() / 1000;
      } else if (a.ts instanceof Float) ts = a.ts.value;
      else if (typeof a.ts === 'number' || typeof a.ts === 'boolean') ts = Number(a.ts);
      else throw new GenericError('Invalid type for timestamp');
      await ctx.sql.execute('UPDATE build SET completion_time = to_timestamp($2) WHERE id = $1', [b.id, ts]);
      return null;
    },
  }),
  method({
    name: 'untaggedBuilds',
    sig: '(name=None, queryOpts=None, draft=None)',
    doc: 'Complete builds not tagged anywhere.',
    args: { queryOpts: queryOptsSchema },
    handler: (ctx, a) => untaggedBuilds(ctx, a.name, a.queryOpts, a.draft),
  }),
  method({
    name: 'buildReferences',
    sig: '(build, limit=None, lazy=False)',
    doc: 'What refers to a build: tags, buildroots, containing archives, last use.',
    args: { limit: t.int64.nullish(), lazy: t.flag },
    async handler(ctx, a) {
      const b = (await getBuild(ctx.sql, a.build, true))!;
      return (await buildReferences(ctx.sql, b.id, a.limit ?? null, a.lazy)) as XmlRpcStruct;
    },
  }),
  method({ name: 'getBuildType', sig: '(buildInfo, strict=False)', doc: 'Type info of a build by btype name.', args: { strict: t.flag }, handler: (ctx, a) => getBuildType(ctx, a.buildInfo, a.strict) }),
  method({
    name: 'getBuildLogs',
    sig: '(build)',
    doc: 'Log files of a build: [{name, dir, path}].',
    async handler(ctx, a) {
      return getBuildLogs(ctx.hub.kojiDir, (await getBuild(ctx.sql, a.build, true))!);
    },
  }),
  method({
    name: 'getMavenBuild',
    sig: '(buildInfo, strict=False)',
    doc: 'Maven information of a build.',
    args: { strict: t.flag },
    handler: (ctx, a) => typedBuild(ctx, 'maven_builds', 'build_id, group_id, artifact_id, version', 'maven', a.buildInfo, a.strict),
  }),
  method({ name: 'getWinBuild', sig: '(buildInfo, strict=False)', doc: 'Windows information of a build.', args: { strict: t.flag }, handler: (ctx, a) => typedBuild(ctx, 'win_builds', 'build_id, platform', 'Windows', a.buildInfo, a.strict) }),
  method({ name: 'getImageBuild', sig: '(buildInfo, strict=False)', doc: 'Image information of a build.', args: { strict: t.flag }, handler: (ctx, a) => typedBuild(ctx, 'image_builds', 'build_id', 'image', a.buildInfo, a.strict) }),
];

