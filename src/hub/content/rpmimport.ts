/**
 * Importing an RPM file that was uploaded to work/: read its headers, find or create its build,
 * record the rpm row and its signature, and put the file at its pathinfo place under packages/.
 * Files are placed with links inside the transaction and removed again if it rolls back, so a
 * failed import leaves neither rows nor files behind; one that died with its process leaves
 * files no row owns, which the next import of the same rpm replaces (see placeFile).
 */
import { promises as fsp } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { createHash } from 'node:crypto';
import { BUILD_STATES } from '../../protocol/enums.ts';
import { GenericError, ImportError } from '../../protocol/faults.ts';
import { readRpmHeaders, packageInfo, sigkey as packageSigkey, RpmFormatError, type RpmInfo, type RpmPackage } from '../../rpm/index.ts';
import { parseNVRA } from '../../util/nvr.ts';
import { PathInfo } from '../../util/pathinfo.ts';
import { lookupName } from '../lookup.ts';
import type { CallContext } from '../types.ts';
import { getBuild, type BuildInfo } from './build.ts';
import { crashPoint } from '../../util/crash-point.ts';
import { verifyDirName, checkPathComponent } from '../names.ts';

export async function readPackage(fn: string): Promise<{ pkg: RpmPackage; info: RpmInfo }> {
  try {
    const pkg = await readRpmHeaders(fn);
    return { pkg, info: packageInfo(pkg) };
  } catch (e) {
    if (e instanceof RpmFormatError) throw new ImportError(`not a valid RPM: ${basename(fn)}: ${e.message}`);
    throw e;
  }
}

/** Koji's new_build for an import: the package (created if needed) and a COMPLETE build owned by the caller. */
export async function newBuild(ctx: CallContext, d: { name: string; version: string; release: string; epoch: number | null; owner?: number | null; state?: number; draft?: boolean }): Promise<number> {
  const pkg = await lookupName(ctx.sql, 'package', d.name, {
    create: true,
    validate: (n) => verifyDirName(ctx, 'package', n),
  });
  for (const [k, v] of [['version', d.version], ['release', d.release]] as const) checkPathComponent(k, v);
  const existing = await getBuild(ctx.sql, { name: d.name, version: d.version, release: d.release });
  if (existing) throw new GenericError(`Existing build found: ${existing.nvr} (id=${existing.id})`);
  const state = d.state ?? BUILD_STATES.byName.COMPLETE;
  const event = await ctx.event();
  return (await ctx.sql.value<number>(
    `INSERT INTO build (pkg_id, version, release, epoch, draft, state, volume_id, owner, create_event, start_time, completion_time)
     VALUES ($1, $2, $3, $4, $5, $6, 0, $7, $8, NOW(), ${state === BUILD_STATES.byName.BUILDING ? 'NULL' : 'NOW()'}) RETURNING id`,
    [pkg!.id, d.version, d.release, d.epoch, Boolean(d.draft), state, d.owner ?? ctx.session.userId, event],
  )) as number;
}

/**
 * Link (or copy across devices) src to dst within the transaction; undone on rollback.
 *
 * Call it only after checking that no row owns dst. Writers run one at a time (writeTransaction),
 * so a file found there belongs to no committed row and to no running transaction: it is debris
 * of a transaction that died with its process (kill -9, power cut) before it could roll back,
 * and it is replaced rather than left in the way of the next import.
 */
export async function placeFile(ctx: CallContext, src: string, dst: string): Promise<void> {
  if (await fsp.lstat(dst).catch(() => null)) {
    ctx.hub.log.warn({ file: dst }, 'replacing a file no row owns (left by an interrupted import)');
    await fsp.rm(dst, { force: true });
  }
  await fsp.mkdir(dirname(dst), { recursive: true });
  try {
    await fsp.link(src, dst);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EXDEV') throw e;
    // a copy is not atomic: write beside it and rename, so dst is whole or absent
    const tmp = `${dst}.${process.pid}.part`;
    await fsp.copyFile(src, tmp);
    await fsp.rename(tmp, dst);
  }
  ctx.onRollback(() => fsp.rm(dst, { force: true }));
  crashPoint('import:placed');
}

/** Write a whole file within the transaction (atomically: beside it, then renamed); removed on rollback. */
export async function writeFileTx(ctx: CallContext, path: string, data: Buffer): Promise<void> {
  await fsp.mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.part`;
  await fsp.writeFile(tmp, data);
  await fsp.rename(tmp, path);
  ctx.onRollback(() => fsp.rm(path, { force: true }));
}

/** Koji's add_rpm_sig for an rpm row and the raw signature header bytes. */
export async function addRpmSig(ctx: CallContext, rpm: { id: number; name: string; version: string; release: string; arch: string; payloadhash: string; build_id: number | null; external_repo_id: number }, sighdr: Buffer, sigmd5: string | null, key: string): Promise<void> {
  if (rpm.external_repo_id) throw new GenericError(`Not an internal rpm: ${rpm.name}-${rpm.version}-${rpm.release}.${rpm.arch}`);
  const build = (await getBuild(ctx.sql, rpm.build_id, true)) as BuildInfo;
  const nvra = `${rpm.name}-${rpm.version}-${rpm.release}.${rpm.arch}`;
  if (sigmd5 !== null && sigmd5 !== rpm.payloadhash) throw new GenericError(`wrong md5 for ${nvra}: ${sigmd5}`);
  const sighash = createHash('md5').update(sighdr).digest('hex');
  const dup = await ctx.sql.value('SELECT rpm_id FROM rpmsigs WHERE rpm_id = $1 AND sigkey = $2', [rpm.id, key]);
  if (dup !== null) throw new GenericError(`Signature already exists for package ${nvra}, key ${key}`);
  await ctx.sql.execute('INSERT INTO rpmsigs (rpm_id, sigkey, sighash) VALUES ($1, $2, $3)', [rpm.id, key, sighash]);
  const pi = new PathInfo(ctx.hub.kojiDir);
  await writeFileTx(ctx, join(pi.build(build), pi.sighdr(rpm, key)), sighdr);
}

/**
 * Koji's import_rpm + import_rpm_file + add_rpm_sig for an rpm of a known build: the build must
 * not be FAILED, CANCELED or DELETED; the rpm row (with the buildroot it was built in), the file
 * at its pathinfo place (linked: `fn` stays where it is) and its signature header. Returns the
 * rpm id.
 */
export async function insertBuildRpm(ctx: CallContext, fn: string, pkg: RpmPackage, info: RpmInfo, b: BuildInfo, brootid: number | null): Promise<number> {
  const state = BUILD_STATES.name(b.state);
  if (state === 'FAILED' || state === 'CANCELED' || state === 'DELETED') throw new GenericError(`Build is ${state}: ${b.nvr}`);
  const rpm = { name: info.name, version: info.version, release: info.release, epoch: info.epoch, arch: info.arch };
  const nvra = `${rpm.name}-${rpm.version}-${rpm.release}.${rpm.arch}.rpm`;
  if (!info.payloadhash) throw new ImportError(`${basename(fn)} has no MD5 digest in its signature header (SIGMD5); cannot import`);
  const rpmType = await ctx.sql.value<number>(`SELECT id FROM btype WHERE name = 'rpm'`);
  await ctx.sql.execute('INSERT INTO build_types (build_id, btype_id) VALUES ($1, $2) ON CONFLICT DO NOTHING', [b.id, rpmType]);
  const prev = await ctx.sql.maybeOne<{ id: number; payloadhash: string }>(
    'SELECT id, payloadhash FROM rpminfo WHERE name = $1 AND version = $2 AND release = $3 AND arch = $4 AND external_repo_id = 0 AND draft IS NOT TRUE',
    [rpm.name, rpm.version, rpm.release, rpm.arch],
  );
  if (prev) throw new GenericError(`RPM already imported: ${nvra} (rpm id ${prev.id}${prev.payloadhash === info.payloadhash ? '' : ', different sigmd5'})`);
  const id = (await ctx.sql.value<number>(
    `INSERT INTO rpminfo (build_id, buildroot_id, name, version, release, epoch, arch, draft, external_repo_id, payloadhash, size, buildtime)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0, $9, $10, $11) RETURNING id`,
    [b.id, brootid, rpm.name, rpm.version, rpm.release, rpm.epoch, rpm.arch, Boolean(b.draft), info.payloadhash, info.size, info.buildtime],
  )) as number;
  const pi = new PathInfo(ctx.hub.kojiDir);
  await placeFile(ctx, fn, join(pi.build(b), pi.rpm(rpm)));
  await addRpmSig(ctx, { ...rpm, id, payloadhash: info.payloadhash, build_id: b.id, external_repo_id: 0 }, pkg.sigHeaderBytes, null, packageSigkey(pkg));
  return id;
}

export async function importRpmFile(ctx: CallContext, fn: string): Promise<Record<string, unknown>> {
  const { pkg, info } = await readPackage(fn);
  const rpm = { name: info.name, version: info.version, release: info.release, epoch: info.epoch, arch: info.arch, buildtime: info.buildtime };
  const expected = `${rpm.name}-${rpm.version}-${rpm.release}.${rpm.arch}.rpm`;
  if (basename(fn) !== expected) throw new GenericError(`bad filename: ${basename(fn)} (expected ${expected})`);
  if (!info.payloadhash) throw new ImportError(`${basename(fn)} has no MD5 digest in its signature header (SIGMD5); cannot import`);
  let build: BuildInfo | null;
  if (info.sourcepackage) {
    build = await getBuild(ctx.sql, { name: rpm.name, version: rpm.version, release: rpm.release });
    if (!build) build = await getBuild(ctx.sql, await newBuild(ctx, { name: rpm.name, version: rpm.version, release: rpm.release, epoch: rpm.epoch }), true);
  } else {
    if (!info.sourcerpm) throw new ImportError(`${basename(fn)} names no source rpm`);
    build = await getBuild(ctx.sql, parseNVRA(info.sourcerpm));
    if (!build) throw new GenericError('No such build');
  }
  const b = build as BuildInfo;
  const id = await insertBuildRpm(ctx, fn, pkg, info, b, null);
  ctx.onCommit(() => fsp.rm(fn, { force: true }));
  const tags = await ctx.sql.query<{ tag_id: number }>('SELECT tag_id FROM tag_listing WHERE active IS TRUE AND build_id = $1', [b.id]);
  const event = await ctx.event();
  for (const tg of tags) await ctx.sql.execute('INSERT INTO tag_updates (tag_id, update_event, updater_id, update_type) VALUES ($1, $2, $3, 1)', [tg.tag_id, event, ctx.session.userId]);
  return {
    ...rpm,
    id,
    build_id: b.id,
    draft: false,
    sourcepackage: info.sourcepackage ? 1 : null,
    sourcerpm: info.sourcerpm,
    size: info.size,
    payloadhash: info.payloadhash,
    buildroot_id: null,
    external_repo_id: 0,
    build: (await getBuild(ctx.sql, b.id, true)) as unknown as Record<string, unknown>,
    brootid: null,
  };
}
