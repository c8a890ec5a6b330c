/**
 * External repos on the wire: listExternalRepos, getExternalRepo, getTagExternalRepos,
 * getExternalRepoList (along the inheritance walk, duplicates dropped), and the writes —
 * create/edit/delete (admin) and a tag's links to them (tag permission). The work is in
 * hub/repos/external.ts.
 */
import type { XmlRpcValue } from '../../protocol/values.ts';
import { getTag } from '../content/tag.ts';
import { readFullInheritance } from '../content/inheritance.ts';
import { method, noneMethod, queryOptsSchema, t, type MethodDef } from '../registry.ts';
import {
  addExternalRepoToTag,
  createExternalRepo,
  deleteExternalRepo,
  editExternalRepo,
  editTagExternalRepo,
  externalRepo,
  externalRepos,
  removeExternalRepoFromTag,
  tagExternalRepos,
} from '../repos/external.ts';

const eventArg = t.int.nullable();
const admin = { perm: 'admin' } as const;
const tagPerm = { perm: 'tag' } as const;

export const externalRepoMethods: MethodDef[] = [
  method({
    name: 'getTagExternalRepos',
    sig: '(tag_info=None, repo_info=None, event=None)',
    doc: 'Tag ↔ external repo associations (of a tag and/or an external repo), by priority.',
    args: { event: eventArg },
    handler: async (ctx, a) => (await tagExternalRepos(ctx, a.tag_info, a.repo_info, a.event)) as XmlRpcValue,
  }),
  method({
    name: 'getExternalRepoList',
    sig: '(tag_info, event=None)',
    doc: 'External repos of a tag and its ancestors, in inheritance order (by priority within a tag), without duplicates.',
    args: { event: eventArg },
    async handler(ctx, a) {
      const tag = (await getTag(ctx, a.tag_info, { strict: true, event: a.event }))!;
      const tags = [tag.id, ...(await readFullInheritance(ctx.sql, tag.id, a.event)).map((l) => l.parent_id)];
      const seen = new Set<unknown>();
      const out: Array<Record<string, unknown>> = [];
      for (const id of tags) {
        for (const r of await tagExternalRepos(ctx, id, null, a.event)) {
          if (seen.has(r.external_repo_id)) continue;
          seen.add(r.external_repo_id);
          out.push(r);
        }
      }
      return out as XmlRpcValue;
    },
  }),
  method({
    name: 'listExternalRepos',
    sig: '(info=None, url=None, event=None, queryOpts=None)',
    doc: 'External repos (id, name, url), optionally by name/id or url.',
    args: { event: eventArg, queryOpts: queryOptsSchema },
    handler: async (ctx, a) => (await externalRepos(ctx.sql, a.info, a.url, a.event, a.queryOpts)) as XmlRpcValue,
  }),
  method({
    name: 'getExternalRepo',
    sig: '(info, strict=False, event=None)',
    doc: 'One external repo (id, name, url) by name or id, or None.',
    args: { strict: t.flag, event: eventArg },
    handler: async (ctx, a) => (await externalRepo(ctx.sql, a.info, a.strict, a.event)) as XmlRpcValue,
  }),
  method({
    name: 'createExternalRepo',
    sig: '(name, url)',
    requires: admin,
    writes: true,
    doc: 'Create an external repo; returns {id, name, url} (the url ends with /).',
    handler: (ctx, a) => createExternalRepo(ctx, a.name, a.url),
  }),
  noneMethod({
    name: 'editExternalRepo',
    sig: '(info, name=None, url=None)',
    requires: admin,
    doc: 'Rename an external repo and/or change its url.',
    run: (ctx, a) => editExternalRepo(ctx, a.info, a.name, a.url),
  }),
  noneMethod({
    name: 'deleteExternalRepo',
    sig: '(info)',
    requires: admin,
    doc: 'Remove an external repo from every tag and delete it.',
    run: (ctx, a) => deleteExternalRepo(ctx, a.info),
  }),
  noneMethod({
    name: 'addExternalRepoToTag',
    sig: "(tag_info, repo_info, priority, merge_mode='koji', arches=None)",
    requires: tagPerm,
    doc: 'Add an external repo to a tag at a priority; merge_mode koji, simple or bare; arches space-separated.',
    run: (ctx, a) => addExternalRepoToTag(ctx, a.tag_info, a.repo_info, a.priority, a.merge_mode, a.arches),
  }),
  noneMethod({
    name: 'removeExternalRepoFromTag',
    sig: '(tag_info, repo_info)',
    requires: tagPerm,
    doc: 'Remove an external repo from a tag.',
    run: (ctx, a) => removeExternalRepoFromTag(ctx, a.tag_info, a.repo_info),
  }),
  method({
    name: 'editTagExternalRepo',
    sig: '(tag_info, repo_info, priority=None, merge_mode=None, arches=None)',
    requires: tagPerm,
    writes: true,
    doc: 'Change the priority, merge mode or arches of a tag ↔ external repo link (None = unchanged); returns whether anything changed.',
    handler: (ctx, a) => editTagExternalRepo(ctx, a.tag_info, a.repo_info, { priority: a.priority, merge_mode: a.merge_mode, arches: a.arches }),
  }),
];
