/** Tags and inheritance: createTag, editTag2, deleteTag, getTag, listTags, getBuildConfig … */
import { GenericError, ParameterError } from '../../protocol/faults.ts';
import { isStruct, type XmlRpcValue } from '../../protocol/values.ts';
import { parseArches } from '../../util/arch.ts';
import { lookupName, nameOrId, checkString } from '../lookup.ts';
import { pyStrOf } from '../../protocol/pyrepr.ts';
import { Select, type QueryOpts } from '../query.ts';
import { method, queryOptsSchema, t, truthy, type MethodDef } from '../registry.ts';
import { insertVersioned, revokeRows } from '../versioned.ts';
import type { CallContext } from '../types.ts';
import { createTagRow, deleteTagRows, getBuildConfig, getTag, setTagExtra, tagId, type TagInfo } from '../content/tag.ts';
import { readFullInheritance, readInheritanceData, writeInheritanceData } from '../content/inheritance.ts';
import { getBuild } from '../content/build.ts';
import { verifyDirName } from '../names.ts';

async function editTag(ctx: CallContext, tagInfo: unknown, kw: Record<string, XmlRpcValue>): Promise<null> {
  if (!ctx.hub.options.EnableMaven && ('maven_support' in kw || 'maven_include_all' in kw)) throw new GenericError('Maven support not enabled');
  for (const k of ['remove_extra', 'block_extra'] as const) {
    if (kw[k] !== undefined && kw[k] !== null && !Array.isArray(kw[k])) throw new ParameterError(`Invalid type for value '${pyStrOf(kw[k])}': expected a list for ${k}`);
  }
  const tag = (await getTag(ctx, tagInfo, { strict: true })) as TagInfo;
  if ('perm' in kw && !('perm_id' in kw)) kw.perm_id = kw.perm;
  if ('perm_id' in kw && kw.perm_id !== null) kw.perm_id = (await lookupName(ctx.sql, 'permissions', kw.perm_id, { strict: true }))!.id;
  const name = kw.name;
  if (name && typeof name === 'string' && name !== tag.name) {
    verifyDirName(ctx, 'tag', name);
    const taken = await ctx.sql.value<number>('SELECT id FROM tag WHERE name = $1', [name]);
    if (taken !== null) throw new GenericError(`Name ${name} already taken by tag ${taken}`);
    await ctx.sql.execute('UPDATE tag SET name = $1 WHERE id = $2', [name, tag.id]);
  }
  if ('arches' in kw) checkString(kw.arches, 'arches');
  if (kw.arches && kw.arches !== tag.arches) kw.arches = parseArches(String(kw.arches), true).join(' ');
  const data: Record<string, unknown> = { ...tag };
  let changed = false;
  for (const key of ['perm_id', 'arches', 'locked', 'maven_support', 'maven_include_all'] as const) {
    if (key in kw && data[key] !== kw[key]) {
      changed = true;
      data[key] = ['locked', 'maven_support', 'maven_include_all'].includes(key) ? truthy(kw[key]) : kw[key];
    }
  }
  if (changed) {
    await revokeRows(ctx, 'tag_config', { tag_id: tag.id });
    await insertVersioned(ctx, 'tag_config', { tag_id: tag.id, arches: data.arches ?? null, perm_id: data.perm_id ?? null, locked: Boolean(data.locked), maven_support: Boolean(data.maven_support), maven_include_all: Boolean(data.maven_include_all) });
  }
  const removed = new Set([...((kw.block_extra as string[] | undefined) ?? []), ...((kw.remove_extra as string[] | undefined) ?? [])]);
  if (isStruct(kw.extra)) {
    const conflict = Object.keys(kw.extra).find((k) => removed.has(k));
    if (conflict) throw new GenericError(`Can not both add/update and remove tag-extra: '${conflict}'`);
    for (const [key, value] of Object.entries(kw.extra)) await setTagExtra(ctx, tag, key, value);
  }
  for (const key of (kw.block_extra as string[] | undefined) ?? []) {
    await revokeRows(ctx, 'tag_extra', { tag_id: tag.id, key });
    await insertVersioned(ctx, 'tag_extra', { tag_id: tag.id, key, value: null });
  }
  const toRemove = (kw.remove_extra as string[] | undefined) ?? [];
  const missing = toRemove.filter((k) => !Object.hasOwn(tag.extra, k));
  if (missing.length) throw new GenericError(`Tag: ${tag.name} doesn't have extra: ${missing.join(', ')}`);
  for (const key of toRemove) await revokeRows(ctx, 'tag_extra', { tag_id: tag.id, key });
  return null;
}

async function listTags(ctx: CallContext, a: { build: unknown; package: unknown; perms: boolean; queryOpts: QueryOpts | null; pattern: unknown }) {
  if (a.build != null && a.package != null) throw new GenericError('only one of build and package may be specified');
  const q = new Select('tag_config')
    .join('tag ON tag.id = tag_config.tag_id')
    .columns(['tag.id', 'id'], ['tag.name', 'name'], ['tag_config.arches', 'arches'], ['tag_config.locked', 'locked'], ['tag_config.maven_support', 'maven_support'], ['tag_config.maven_include_all', 'maven_include_all'])
    .where('tag_config.active IS TRUE');
  if (a.perms) q.join('LEFT JOIN permissions ON tag_config.perm_id = permissions.id').columns(['tag_config.perm_id', 'perm_id'], ['permissions.name', 'perm']);
  if (a.build != null) {
    const b = await getBuild(ctx.sql, a.build);
    if (!b) throw new GenericError(`No such build: ${pyStrOf(a.build)}`);
    q.join('tag_listing ON tag.id = tag_listing.tag_id').where(`tag_listing.active IS TRUE AND tag_listing.build_id = ${q.p(b.id)}`);
  } else if (a.package != null) {
    const pkg = await lookupName(ctx.sql, 'package', a.package);
    if (!pkg) throw new GenericError(`No such package: ${pyStrOf(a.package)}`);
    q.columns(['users.id', 'owner_id'], ['users.name', 'owner_name'], ['tag_packages.blocked', 'blocked'], ['tag_packages.extra_arches', 'extra_arches'])
      .join('tag_packages ON tag.id = tag_packages.tag_id')
      .join('tag_package_owners ON tag_packages.tag_id = tag_package_owners.tag_id AND tag_packages.package_id = tag_package_owners.package_id AND tag_package_owners.active IS TRUE')
      .join('users ON tag_package_owners.owner = users.id')
      .where(`tag_packages.active IS TRUE AND tag_packages.package_id = ${q.p(pkg.id)}`);
  }
  if (typeof a.pattern === 'string') {
    const like = a.pattern.replace(/\\/g, '\\\\').replace(/_/g, '\\_').replace(/\?/g, '_').replace(/\*/g, '%');
    q.where(`tag.name ILIKE ${q.p(like)}`);
  }
  return (await q.run(ctx.sql, a.queryOpts, 'id')) as XmlRpcValue;
}

export const tagMethods: MethodDef[] = [
  method({
    name: 'createTag',
    sig: '(name, parent=None, arches=None, perm=None, locked=False, maven_support=False, maven_include_all=False, extra=None)',
    requires: { perm: 'tag' },
    writes: true,
    doc: 'Create a new tag; returns its id.',
    args: { name: t.str, arches: t.str.nullable(), locked: t.flag, maven_support: t.flag, maven_include_all: t.flag, extra: t.struct.nullable() },
    async handler(ctx, a) {
      let parentId: number | null = null;
      const checkParent = async () => {
        if (!a.parent) return;
        const parent = await getTag(ctx, a.parent);
        if (!parent) throw new GenericError(`Parent tag '${pyStrOf(a.parent)}' could not be found`);
        parentId = parent.id;
      };
      const id = await createTagRow(ctx, { name: a.name, arches: a.arches, perm: a.perm, locked: a.locked, maven_support: a.maven_support, maven_include_all: a.maven_include_all, extra: a.extra }, checkParent);
      if (parentId !== null) await writeInheritanceData(ctx, id, { parent_id: parentId, priority: 0, maxdepth: null, intransitive: false, noconfig: false, pkg_filter: '' }, false);
      return id;
    },
  }),
  method({
    name: 'editTag2',
    sig: '(tagInfo, **kwargs)',
    requires: { perm: 'tag' },
    writes: true,
    doc: 'Edit a tag: name, arches, locked, perm, maven_support, maven_include_all, extra, remove_extra, block_extra.',
    handler: (ctx, a) => editTag(ctx, a.tagInfo, a.kwargs as Record<string, XmlRpcValue>),
  }),
  method({
    name: 'editTag',
    sig: '(tagInfo, name, arches, locked, permissionID, extra=None)',
    requires: { perm: 'tag' },
    writes: true,
    doc: 'Edit a tag (old interface; see editTag2).',
    handler: (ctx, a) => editTag(ctx, a.tagInfo, { name: a.name, arches: a.arches, locked: a.locked, perm_id: a.permissionID, ...(a.extra ? { extra: a.extra } : {}) }),
  }),
  method({
    name: 'deleteTag',
    sig: '(tagInfo)',
    requires: { perm: 'tag' },
    writes: true,
    doc: 'Delete a tag (its history is kept).',
    async handler(ctx, a) {
      const tag = (await getTag(ctx, a.tagInfo, { strict: true })) as TagInfo;
      await deleteTagRows(ctx, tag.id);
      return null;
    },
  }),
  method({
    name: 'getTag',
    sig: '(tagInfo, strict=False, event=None, blocked=False)',
    doc: 'Get a tag by id or name (at an event, or "auto" for a deleted tag): id, name, perm_id, perm, arches, locked, maven_*, extra.',
    args: { strict: t.flag, blocked: t.flag },
    async handler(ctx, a) {
      const ev = a.event;
      if (ev !== null && ev !== 'auto' && typeof ev !== 'number') throw new GenericError(`Invalid event: ${pyStrOf(ev)}`);
      return (await getTag(ctx, a.tagInfo, { strict: a.strict, event: ev as number | 'auto' | null, blocked: a.blocked })) as XmlRpcValue;
    },
  }),
  method({
    name: 'getTagID',
    sig: '(info, strict=False, create=False)',
    doc: 'Get the id of a tag by name (create=True needs the tag permission).',
    args: { strict: t.flag, create: t.flag },
    async handler(ctx, a) {
      if (a.create) {
        await ctx.session.assertPerm('tag');
        nameOrId(a.info);
        throw new GenericError('getTagID(create=True) is not supported by koji-ts: use createTag');
      }
      return tagId(ctx.sql, a.info, a.strict);
    },
  }),
  method({
    name: 'listTags',
    sig: '(build=None, package=None, perms=True, queryOpts=None, pattern=None)',
    doc: 'List tags, optionally those of a build or package, or matching a glob pattern.',
    args: { perms: t.flag, queryOpts: queryOptsSchema },
    handler: (ctx, a) => listTags(ctx, a as never),
  }),
  method({
    name: 'getBuildConfig',
    sig: '(tag, event=None)',
    doc: 'Tag configuration with inherited arches and extra, plus config_inheritance naming where each came from.',
    args: { event: t.int.nullable() },
    handler: (ctx, a) => getBuildConfig(ctx, a.tag, a.event),
  }),
  method({
    name: 'getInheritanceData',
    sig: '(tag, event=None)',
    doc: 'Direct parents of a tag: parent_id, name, priority, maxdepth, intransitive, noconfig, pkg_filter, child_id.',
    args: { event: t.int.nullable() },
    async handler(ctx, a) {
      const id = (await tagId(ctx.sql, a.tag, true)) as number;
      return (await readInheritanceData(ctx.sql, id, a.event)) as XmlRpcValue;
    },
  }),
  method({
    name: 'setInheritanceData',
    sig: '(tag, data, clear=False)',
    requires: { perm: 'tag' },
    writes: true,
    doc: 'Add, change ("delete link": True removes) or, with clear, replace the parents of a tag.',
    args: { clear: t.flag },
    async handler(ctx, a) {
      const id = (await tagId(ctx.sql, a.tag, true)) as number;
      await writeInheritanceData(ctx, id, a.data, a.clear);
      return null;
    },
  }),
  method({
    name: 'getFullInheritance',
    sig: '(tag, event=None, reverse=False, **kwargs)',
    doc: 'The full, ordered inheritance of a tag (or its descendants with reverse=True).',
    args: { event: t.int.nullable(), reverse: t.flag },
    async handler(ctx, a) {
      for (const [k, v] of Object.entries(a.kwargs as Record<string, XmlRpcValue>)) {
        if (k === 'stops' || k === 'jumps') {
          if (truthy(v)) throw new ParameterError(`${k} option has been removed since 1.26`);
        } else throw new ParameterError(`getFullInheritance() got an unexpected keyword argument '${k}'`);
      }
      // as Koji: an int is used as it is (an unknown id has no inheritance)
      const id = typeof a.tag === 'number' ? a.tag : ((await tagId(ctx.sql, a.tag, true)) as number);
      return (await readFullInheritance(ctx.sql, id, a.event, a.reverse)) as unknown as XmlRpcValue;
    },
  }),
];
