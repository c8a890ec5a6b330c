/**
 * Where a build's files live: Koji's volume policy (check_volume_policy, apply_volume_policy),
 * moving a build between volumes (_set_build_volume) and the link a build on another volume
 * keeps under the DEFAULT volume's packages/ (ensure_volume_symlink).
 */
import { cpSync, existsSync, lstatSync, mkdirSync, readlinkSync, rmSync, statSync, symlinkSync, unlinkSync } from 'node:fs';
import { dirname, relative } from 'node:path';
import { BUILD_STATES, TAG_UPDATE_TYPES } from '../../protocol/enums.ts';
import { GenericError } from '../../protocol/faults.ts';
import type { XmlRpcValue } from '../../protocol/values.ts';
import { PathInfo } from '../../util/pathinfo.ts';
import { lookupName, type IdName } from '../lookup.ts';
import type { CallContext } from '../types.ts';
import type { BuildInfo } from '../content/build.ts';
import { policyEnv } from '../policy/hub.ts';
import type { PolicyData } from '../policy/index.ts';
import { policyDataFromTask } from '../tasks/policy-data.ts';

const isLink = (p: string) => {
  try {
    return lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
};
const lexists = (p: string) => isLink(p) || existsSync(p);

/** Koji's _set_build_volume: copy the files, switch the row, mark the build's tags changed, remove the old copy, link from DEFAULT. */
export async function setBuildVolume(ctx: CallContext, b: BuildInfo, vol: IdName, strict: boolean): Promise<null> {
  if (b.volume_id === vol.id) {
    if (strict) throw new GenericError(`Build ${b.nvr} already on volume ${b.volume_name}`);
    return null;
  }
  const state = BUILD_STATES.name(b.state);
  if (state !== 'COMPLETE' && state !== 'DELETED') throw new GenericError(`Build ${b.nvr} is ${state}`);
  const pi = new PathInfo(ctx.hub.kojiDir);
  const voldir = pi.volumedir(vol.name);
  if (!existsSync(voldir) || !statSync(voldir).isDirectory()) throw new GenericError(`Directory entry missing for volume ${vol.name}`);
  const volumes = await ctx.sql.query<IdName>('SELECT id, name FROM volume ORDER BY id');
  for (const v of volumes) {
    const dir = pi.build({ ...b, volume_name: v.name });
    if (v.id === b.volume_id) continue;
    if (v.name === 'DEFAULT' && isLink(dir)) continue;
    if (v.id === vol.id) {
      if (lexists(dir)) throw new GenericError(`Destination directory exists: ${dir}`);
    } else if (lexists(dir)) throw new GenericError(`Unexpected cross-volume content: ${dir}`);
  }
  const olddir = pi.build(b);
  const newdir = pi.build({ ...b, volume_name: vol.name });
  if (!lexists(olddir)) throw new GenericError(`Build directory missing: ${olddir}`);
  if (!statSync(olddir).isDirectory()) throw new GenericError(`Not a directory: ${olddir}`);
  if (vol.name === 'DEFAULT' && isLink(newdir)) unlinkSync(newdir);
  mkdirSync(dirname(newdir), { recursive: true });
  cpSync(olddir, newdir, { recursive: true, verbatimSymlinks: true });
  await ctx.sql.execute('UPDATE build SET volume_id = $2 WHERE id = $1', [b.id, vol.id]);
  const event = await ctx.event();
  const tags = await ctx.sql.query<{ tag_id: number }>('SELECT DISTINCT tag_id FROM tag_listing WHERE build_id = $1 AND active IS TRUE ORDER BY tag_id', [b.id]);
  for (const { tag_id } of tags) {
    await ctx.sql.execute('INSERT INTO tag_updates (tag_id, update_event, updater_id, update_type) VALUES ($1, $2, $3, $4)', [tag_id, event, ctx.session.userId, TAG_UPDATE_TYPES.byName.VOLUME_CHANGE]);
  }
  rmSync(olddir, { recursive: true, force: true });
  if (vol.name !== 'DEFAULT') {
    const basedir = pi.build({ ...b, volume_name: 'DEFAULT' });
    if (isLink(basedir)) unlinkSync(basedir);
    mkdirSync(dirname(basedir), { recursive: true });
    symlinkSync(relative(dirname(basedir), newdir), basedir);
  }
  return null;
}

/**
 * Koji's check_volume_policy: the volume the `volume` policy names for `data`, else `dflt`; with
 * strict a policy error or an unknown volume is a fault, otherwise logged (null when nothing fits).
 */
export async function checkVolumePolicy(ctx: CallContext, data: Record<string, XmlRpcValue>, o: { strict?: boolean; dflt?: string | null } = {}): Promise<IdName | null> {
  let result: string | null = null;
  try {
    result = (await ctx.hub.policies.evaluate('volume', data as PolicyData, policyEnv(ctx)))?.raw ?? null;
  } catch (e) {
    ctx.hub.log.error({ err: (e as Error).message }, 'volume policy error');
    if (o.strict) throw e;
  }
  if (result !== null) {
    const vol = await lookupName(ctx.sql, 'volume', result);
    if (vol) return vol;
    if (o.strict) throw new GenericError(`Policy returned no such volume: ${result}`);
    ctx.hub.log.error(`volume policy returned no such volume ${result}`);
  }
  if (o.dflt !== undefined && o.dflt !== null) {
    const vol = await lookupName(ctx.sql, 'volume', o.dflt);
    if (vol) return vol;
    if (o.strict) throw new GenericError(`Invalid default volume: ${o.dflt}`);
    ctx.hub.log.error(`invalid default volume: ${o.dflt}`);
  }
  if (o.strict) throw new GenericError('No volume policy match');
  ctx.hub.log.warn('no volume policy match');
  return null;
}

/** Koji's apply_volume_policy: move the build to the volume the policy picks (if any and different). */
export async function applyVolumePolicy(ctx: CallContext, build: BuildInfo, strict: boolean): Promise<null> {
  const data: Record<string, XmlRpcValue> = { build: build.id };
  const taskId = build.task_id ?? ((build.extra?.container_koji_task_id as number | undefined) ?? null);
  if (taskId) Object.assign(data, await policyDataFromTask(ctx, taskId));
  const vol = await checkVolumePolicy(ctx, data, { strict });
  if (vol === null || vol.id === build.volume_id) return null;
  return setBuildVolume(ctx, build, vol, true);
}

/** Koji's ensure_volume_symlink: a build on another volume is linked from DEFAULT's packages/. */
export function ensureVolumeSymlink(kojiDir: string, b: BuildInfo): void {
  if (!b.volume_name || b.volume_name === 'DEFAULT') return;
  const pi = new PathInfo(kojiDir);
  const dir = pi.build(b);
  const basedir = pi.build({ ...b, volume_name: 'DEFAULT' });
  const rel = relative(dirname(basedir), dir);
  if (isLink(basedir)) {
    if (readlinkSync(basedir) === rel) return;
    unlinkSync(basedir);
  } else if (existsSync(basedir)) throw new GenericError(`Unexpected build content: ${basedir}`);
  else mkdirSync(dirname(basedir), { recursive: true });
  symlinkSync(rel, basedir);
}
