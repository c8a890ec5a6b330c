/**
 * Standard buildroots as Koji's BuildRoot class keeps them: created by a host for one of its
 * tasks (a `buildroot` row of type STANDARD plus its `standard_buildroot` row, state INIT),
 * owned by that host and task, moved through WAITING → BUILDING → EXPIRED (never back to INIT;
 * expiring an expired root is a no-op, any other change of one is refused), and listing the
 * rpms installed in it: the initial list while INIT, additions (is_update) while BUILDING.
 * RPMs from external repos (those with a `location`) are recorded in rpminfo on the way, as
 * Koji's add_external_rpm does.
 */
import { BR_STATES, BR_TYPES } from '../../protocol/enums.ts';
import { ActionNotAllowed, GenericError } from '../../protocol/faults.ts';
import { isStruct, type XmlRpcStruct, type XmlRpcValue } from '../../protocol/values.ts';
import { pyRepr } from '../../protocol/pyrepr.ts';
import { parseArches } from '../../util/arch.ts';
import { getRpm, type RpmRow } from '../content/builds-query.ts';
import { lookupName } from '../lookup.ts';
import type { CallContext } from '../types.ts';

const BR = BR_STATES.byName;

export interface StandardBuildroot {
  id: number;
  host_id: number;
  task_id: number;
  repo_id: number;
  state: number;
}

/** A buildroot (fault when there is none, or when it is not a standard one), its row locked. */
export async function loadBuildroot(ctx: CallContext, id: unknown): Promise<StandardBuildroot> {
  if (typeof id !== 'number' || !Number.isInteger(id)) throw new GenericError(`Invalid buildroot id: ${pyRepr(id)}`);
  const br = await ctx.sql.maybeOne<{ br_type: number }>('SELECT br_type FROM buildroot WHERE id = $1', [id]);
  if (!br) throw new GenericError(`no buildroot with ID: ${id}`);
  const std = await ctx.sql.maybeOne<StandardBuildroot & Record<string, unknown>>(
    'SELECT buildroot_id AS id, host_id, task_id, repo_id, state FROM standard_buildroot WHERE buildroot_id = $1 FOR UPDATE',
    [id],
  );
  if (!std || br.br_type !== BR_TYPES.byName.STANDARD) throw new GenericError(`Not a standard buildroot: ${id}`);
  return std;
}

/** BuildRoot.assertHost and, with a task, assertTask. */
export function assertBuildrootOwner(br: StandardBuildroot, hostId: number, taskId: number | null): void {
  if (br.host_id !== hostId) throw new ActionNotAllowed(`Host ${hostId} not owner of buildroot ${br.id}`);
  if (taskId !== null && br.task_id !== taskId) throw new ActionNotAllowed(`Task ${taskId} does not have lock on buildroot ${br.id}`);
}

/** BuildRoot.new: a STANDARD chroot buildroot of `hostId` for a task, on a repo, state INIT. */
export async function newBuildroot(ctx: CallContext, hostId: number, repo: unknown, arch: unknown, taskId: number | null): Promise<number> {
  if (arch !== null && typeof arch !== 'string' && !Array.isArray(arch)) throw new GenericError(`Invalid arch: ${pyRepr(arch)}`);
  const archText = arch === null ? null : parseArches(arch as string | string[], true).join(' ') || null;
  if (archText === null) throw new GenericError('a standard buildroot needs an arch');
  if (taskId === null) throw new GenericError('a standard buildroot needs the task it is made for (task_id)');
  if (typeof repo !== 'number' || !(await ctx.sql.maybeOne('SELECT id FROM repo WHERE id = $1', [repo]))) throw new GenericError(`No such repo: ${pyRepr(repo)}`);
  const id = (await ctx.sql.value<number>(
    "INSERT INTO buildroot (br_type, container_arch, container_type) VALUES ($1, $2, 'chroot') RETURNING id",
    [BR_TYPES.byName.STANDARD, archText],
  )) as number;
  await ctx.sql.execute('INSERT INTO standard_buildroot (buildroot_id, host_id, repo_id, task_id, create_event, state) VALUES ($1, $2, $3, $4, $5, $6)', [
    id, hostId, repo, taskId, await ctx.event(), BR.INIT,
  ]);
  return id;
}

function stateValue(state: unknown): number {
  const n = BR_STATES.resolve(state);
  if (n === undefined) throw new GenericError(`Invalid buildroot state: ${pyRepr(state)} (one of ${Object.keys(BR).join(', ')} or 0-3)`);
  return n;
}

/** BuildRoot.setState. */
export async function setBuildrootState(ctx: CallContext, br: StandardBuildroot, state: unknown): Promise<void> {
  const st = stateValue(state);
  if (st === BR.INIT) throw new GenericError('Cannot change buildroot state to INIT');
  if (br.state === BR.EXPIRED) {
    if (st === BR.EXPIRED) return;
    throw new GenericError(`buildroot ${br.id} is EXPIRED`);
  }
  if (st === BR.EXPIRED) {
    await ctx.sql.execute('UPDATE standard_buildroot SET state = $2, retire_event = $3 WHERE buildroot_id = $1', [br.id, st, await ctx.event()]);
  } else await ctx.sql.execute('UPDATE standard_buildroot SET state = $2 WHERE buildroot_id = $1', [br.id, st]);
  br.state = st;
}

const EXTERNAL_FIELDS: Array<[string, (v: unknown) => boolean]> = [
  ['name', (v) => typeof v === 'string'], ['version', (v) => typeof v === 'string'], ['release', (v) => typeof v === 'string'],
  ['epoch', (v) => v === null || Number.isInteger(v)], ['arch', (v) => typeof v === 'string'], ['payloadhash', (v) => typeof v === 'string'],
  ['size', (v) => Number.isInteger(v)], ['buildtime', (v) => Number.isInteger(v)],
];

/**
 * Koji's add_external_rpm: record an rpm of an external repo (rpminfo with that repo, no build).
 * One already recorded is returned (strict: a fault); one recorded with another payload hash is
 * a fault either way.
 */
export async function addExternalRpm(ctx: CallContext, rpminfo: XmlRpcStruct, externalRepo: unknown, strict: boolean): Promise<RpmRow> {
  for (const [f, ok] of EXTERNAL_FIELDS) {
    if (!(f in rpminfo)) throw new GenericError(`${f} field missing: ${pyRepr(rpminfo)}`);
    if (!ok(rpminfo[f])) throw new GenericError(`Invalid value for ${f}: ${pyRepr(rpminfo[f])}`);
  }
  const r = rpminfo as Record<string, XmlRpcValue>;
  const checkDup = async (): Promise<RpmRow | null> => {
    const prev = (await getRpm(ctx.sql, { name: r.name, version: r.version, release: r.release, arch: r.arch, epoch: r.epoch, location: externalRepo as XmlRpcValue })) as RpmRow | null;
    if (!prev) return null;
    const disp = `${prev.name}-${prev.version}-${prev.release}.${prev.arch}@${String(prev.external_repo_name)}`;
    if (strict) throw new GenericError(`external rpm already exists: ${disp}`);
    if (prev.payloadhash !== r.payloadhash) throw new GenericError(`hash changed for external rpm: ${disp} (${String(prev.payloadhash)} -> ${String(r.payloadhash)})`);
    return prev;
  };
  const prev = await checkDup();
  if (prev) return prev;
  const repo = (await lookupName(ctx.sql, 'external_repo', externalRepo, { strict: true }))!;
  const id = await ctx.sql.value<number>(
    `INSERT INTO rpminfo (build_id, buildroot_id, name, version, release, epoch, arch, draft, external_repo_id, payloadhash, size, buildtime)
     VALUES (NULL, NULL, $1, $2, $3, $4, $5, NULL, $6, $7, $8, $9) RETURNING id`,
    [r.name, r.version, r.release, r.epoch, r.arch, repo.id, r.payloadhash, r.size, r.buildtime],
  );
  return (await getRpm(ctx.sql, id, true)) as RpmRow;
}

/**
 * BuildRoot.setList (update=false: the root must be INIT) and updateList (the root must be
 * BUILDING; rpms already listed are passed over). Each entry is an rpm as getRPM takes it, or
 * an external repo's rpm with its `location` (the external repo's name).
 */
export async function setBuildrootList(ctx: CallContext, br: StandardBuildroot, rpmlist: unknown, update: boolean): Promise<void> {
  const need = update ? BR.BUILDING : BR.INIT;
  if (br.state !== need) throw new GenericError(`buildroot ${br.id} in wrong state ${br.state}`);
  if (!Array.isArray(rpmlist)) throw new GenericError(`rpmlist must be a list of rpms, got ${pyRepr(rpmlist)}`);
  const current = new Set(
    update ? (await ctx.sql.query<{ rpm_id: number }>('SELECT rpm_id FROM buildroot_listing WHERE buildroot_id = $1', [br.id])).map((x) => x.rpm_id) : [],
  );
  const ids = new Set<number>();
  for (const an of rpmlist as XmlRpcValue[]) {
    const location = isStruct(an) ? an.location : null;
    const row = location ? await addExternalRpm(ctx, an as XmlRpcStruct, location, false) : ((await getRpm(ctx.sql, an, true)) as RpmRow);
    if (update && current.has(row.id)) continue;
    ids.add(row.id);
  }
  // sorted, as Koji inserts them (fewer lock-order surprises between concurrent roots)
  for (const id of [...ids].sort((a, b) => a - b)) {
    await ctx.sql.execute('INSERT INTO buildroot_listing (buildroot_id, rpm_id, is_update) VALUES ($1, $2, $3)', [br.id, id, update]);
  }
}
