/**
 * Build targets: createBuildTarget, editBuildTarget, deleteBuildTarget, getBuildTarget,
 * getBuildTargets. A target's name lives in build_target; its build and destination tags in the
 * versioned build_target_config, so a delete only revokes the config (the name row stays and is
 * reused when the target is created again) and reads can go back to an event.
 */
import { GenericError } from '../../protocol/faults.ts';
import { isStruct, type XmlRpcValue } from '../../protocol/values.ts';
import { lookupName, nameOrId } from '../lookup.ts';
import { pyRepr } from '../../protocol/pyrepr.ts';
import { Select, eventClause, type QueryOpts } from '../query.ts';
import { method, queryOptsSchema, t, truthy, type MethodDef } from '../registry.ts';
import { insertVersioned, revokeRows } from '../versioned.ts';
import type { CallContext } from '../types.ts';
import type { Sql } from '../../db/types.ts';
import { getTag } from '../content/tag.ts';
import { verifyDirName } from '../names.ts';

export interface BuildTarget {
  id: number;
  name: string;
  build_tag: number;
  build_tag_name: string;
  dest_tag: number;
  dest_tag_name: string;
  [k: string]: XmlRpcValue;
}

/** Python's str() of an info argument, for messages. */
function infoStr(info: unknown): string {
  return typeof info === 'string' ? info : pyRepr(info);
}

export interface TargetQuery {
  info?: unknown;
  event?: number | null;
  buildTagID?: unknown;
  destTagID?: unknown;
}

/** A tag given by id, name or struct, as an id; null when a named tag does not exist. */
async function tagFilter(sql: Sql, v: unknown): Promise<number | null> {
  if (typeof v === 'string' || isStruct(v)) return (await lookupName(sql, 'tag', v))?.id ?? null;
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  throw new GenericError(`Invalid tag id: ${pyRepr(v)}`);
}

/** Koji's get_build_targets. */
export async function getBuildTargets(sql: Sql, q: TargetQuery, queryOpts: QueryOpts | null = null): Promise<BuildTarget[] | number | XmlRpcValue[][]> {
  const s = new Select('build_target_config')
    .columns(
      ['build_target.id', 'id'],
      ['build_target_config.build_tag', 'build_tag'],
      ['build_target_config.dest_tag', 'dest_tag'],
      ['build_target.name', 'name'],
      ['tag1.name', 'build_tag_name'],
      ['tag2.name', 'dest_tag_name'],
    )
    .join('build_target ON build_target_config.build_target_id = build_target.id')
    .join('tag AS tag1 ON build_target_config.build_tag = tag1.id')
    .join('tag AS tag2 ON build_target_config.dest_tag = tag2.id');
  s.where(eventClause(s, 'build_target_config', q.event));
  if (truthy(q.info)) {
    const { column, value } = nameOrId(q.info);
    s.where(`build_target.${column} = ${s.p(value)}`);
  }
  if (q.buildTagID !== null && q.buildTagID !== undefined) s.where(`build_target_config.build_tag = ${s.p(await tagFilter(sql, q.buildTagID))}`);
  if (q.destTagID !== null && q.destTagID !== undefined) s.where(`build_target_config.dest_tag = ${s.p(await tagFilter(sql, q.destTagID))}`);
  return (await s.run(sql, queryOpts, 'id')) as BuildTarget[] | number | XmlRpcValue[][];
}

/** Koji's get_build_target: the one matching target, or None (fault with strict). */
export async function getBuildTarget(sql: Sql, info: unknown, event: number | null = null, strict = false): Promise<BuildTarget | null> {
  const targets = (await getBuildTargets(sql, { info, event })) as BuildTarget[];
  if (targets.length === 1) return targets[0];
  if (strict) throw new GenericError(`No such build target: ${infoStr(info)}`);
  return null;
}

async function tagIdOf(ctx: CallContext, tag: unknown, what: string): Promise<number> {
  const info = await getTag(ctx, tag);
  if (!info) throw new GenericError(`${what} '${infoStr(tag)}' does not exist`);
  return info.id;
}

async function createBuildTarget(ctx: CallContext, name: unknown, buildTag: unknown, destTag: unknown): Promise<void> {
  verifyDirName(ctx, 'build target', name);
  if (((await getBuildTargets(ctx.sql, { info: name })) as BuildTarget[]).length) throw new GenericError(`A build target with the name '${name}' already exists`);
  const buildTagId = await tagIdOf(ctx, buildTag, 'build tag');
  const destTagId = await tagIdOf(ctx, destTag, 'destination tag');
  // a deleted target's name row is reused
  const id = (await lookupName(ctx.sql, 'build_target', name, { create: true }))!.id;
  await insertVersioned(ctx, 'build_target_config', { build_target_id: id, build_tag: buildTagId, dest_tag: destTagId });
}

async function editBuildTarget(ctx: CallContext, info: unknown, name: unknown, buildTag: unknown, destTag: unknown): Promise<void> {
  verifyDirName(ctx, 'build target', name);
  const target = await lookupName(ctx.sql, 'build_target', info);
  if (!target) throw new GenericError(`No such build target: ${infoStr(info)}`);
  const buildTagId = await tagIdOf(ctx, buildTag, 'build tag');
  const destTagId = await tagIdOf(ctx, destTag, 'destination tag');
  if (target.name !== name) {
    const taken = await ctx.sql.value<number>('SELECT id FROM build_target WHERE name = $1', [name]);
    if (taken !== null) throw new GenericError(`name "${name}" is already taken by build target ${taken}`);
    await ctx.sql.execute('UPDATE build_target SET name = $1 WHERE id = $2', [name, target.id]);
  }
  await revokeRows(ctx, 'build_target_config', { build_target_id: target.id });
  await insertVersioned(ctx, 'build_target_config', { build_target_id: target.id, build_tag: buildTagId, dest_tag: destTagId });
}

async function deleteBuildTarget(ctx: CallContext, info: unknown): Promise<void> {
  const target = await lookupName(ctx.sql, 'build_target', info);
  if (!target) throw new GenericError(`No such build target: ${infoStr(info)}`);
  await revokeRows(ctx, 'build_target_config', { build_target_id: target.id });
}

const TARGET = { perm: 'target' } as const;

export const targetMethods: MethodDef[] = [
  method({
    name: 'createBuildTarget',
    sig: '(name, build_tag, dest_tag)',
    requires: TARGET,
    writes: true,
    doc: 'Create a build target: builds in build_tag\'s buildroot, tagged into dest_tag.',
    handler: async (ctx, a) => (await createBuildTarget(ctx, a.name, a.build_tag, a.dest_tag), null),
  }),
  method({
    name: 'editBuildTarget',
    sig: '(buildTargetInfo, name, build_tag, dest_tag)',
    requires: TARGET,
    writes: true,
    doc: 'Rename a build target and/or set its build and destination tags.',
    handler: async (ctx, a) => (await editBuildTarget(ctx, a.buildTargetInfo, a.name, a.build_tag, a.dest_tag), null),
  }),
  method({
    name: 'deleteBuildTarget',
    sig: '(buildTargetInfo)',
    requires: TARGET,
    writes: true,
    doc: 'Delete a build target (its history is kept).',
    handler: async (ctx, a) => (await deleteBuildTarget(ctx, a.buildTargetInfo), null),
  }),
  method({
    name: 'getBuildTargets',
    sig: '(info=None, event=None, buildTagID=None, destTagID=None, queryOpts=None)',
    doc: 'Build targets (id, name, build_tag, build_tag_name, dest_tag, dest_tag_name), optionally by name/id, build tag or destination tag, at an event.',
    args: { event: t.int.nullable(), queryOpts: queryOptsSchema },
    handler: async (ctx, a) => (await getBuildTargets(ctx.sql, { info: a.info, event: a.event, buildTagID: a.buildTagID, destTagID: a.destTagID }, a.queryOpts)) as XmlRpcValue,
  }),
  method({
    name: 'getBuildTarget',
    sig: '(info, event=None, strict=False)',
    doc: 'One build target by name or id, or None.',
    args: { event: t.int.nullable(), strict: t.flag },
    handler: (ctx, a) => getBuildTarget(ctx.sql, a.info, a.event, a.strict),
  }),
];
