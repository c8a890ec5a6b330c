/**
 * Tags: the list (kojiweb's tags, paged by the hub) and one tag (taginfo: its settings, the
 * inheritance both ways, counts of its packages and builds, groups, external repos, targets and
 * current repo). Build targets, external repos and repos are in tag-repos.ts.
 */
import type { PageContext, PageHandler, PageResult, Row } from '../context.ts';
import { reporequests } from './repo-requests.ts';
import { buildtargetinfo, buildtargets, externalrepoinfo, repoinfo } from './tag-repos.ts';

/** `childID` (kojiweb's "choose a parent for this tag" passes it along): the tag, or null. */
async function childTag(ctx: PageContext): Promise<Row | null> {
  const childID = ctx.params.int('childID');
  if (childID === null) return null;
  return ctx.need('getTag', [childID], 'tag');
}

export async function tags(ctx: PageContext): Promise<PageResult> {
  const child = await childTag(ctx);
  const page = await ctx.paginate('listTags', [], {}, { orders: ['id', 'name'], dflt: 'name' });
  return { template: 'tags.njk', title: 'Tags', pageID: 'tags', data: { page, child } };
}

/** kojiweb shows an inheritance tree this deep unless asked for all of it */
const TRUNC_DEPTH = 7;

export interface TreeNode {
  /** the tag this node links to */
  id: number;
  name: string;
  link: Row;
  children: TreeNode[];
  /** how many deeper tags the abbreviated tree leaves out below this one */
  hidden: number;
}

/**
 * getFullInheritance's rows (depth-first, each with its currdepth) as a tree. `idKey` names the
 * tag each row shows: parent_id upwards, tag_id for the reverse (children) walk.
 */
export function inheritanceTree(rows: Row[], idKey: 'parent_id' | 'tag_id', all: boolean): { roots: TreeNode[]; maxDepth: number } {
  const roots: TreeNode[] = [];
  const stack: TreeNode[] = [];
  let maxDepth = 0;
  for (const row of rows) {
    const depth = Number(row.currdepth);
    maxDepth = Math.max(maxDepth, depth);
    while (stack.length >= depth) stack.pop();
    if (!all && depth > TRUNC_DEPTH) {
      const top = stack.at(-1);
      if (top) top.hidden++;
      continue;
    }
    const node: TreeNode = { id: row[idKey] as number, name: String(row.name), link: row, children: [], hidden: 0 };
    (stack.length ? stack[stack.length - 1].children : roots).push(node);
    stack.push(node);
  }
  return { roots, maxDepth };
}

/** A tag-extra value as text: strings as they are, anything else as JSON. */
function extraText(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

export async function taginfo(ctx: PageContext): Promise<PageResult> {
  const tagID = ctx.params.idOrName('tagID');
  const all = ctx.params.choice('all', ['0', '1'] as const, '0') === '1';
  const tag = await ctx.need('getTag', [tagID], 'tag', { event: 'auto' });
  if (tag.revoke_event != null) {
    const ev = await ctx.call<Row>('getEvent', [tag.revoke_event as number]);
    return { template: 'taginfo.njk', title: `${String(tag.name)} | Tag Info`, pageID: 'tags', data: { tag, deleted: ev.ts } };
  }
  const child = await childTag(ctx);
  const id = tag.id as number;
  const [numPackages, numPackagesBlocked, numBuilds, parents, children, srcTargets, destTargets, repo, externalRepos, groups, maven] = await ctx.multi([
    { method: 'listPackages', kwargs: { tagID: id, inherited: true, with_owners: false, with_blocked: false, queryOpts: { countOnly: true } } },
    { method: 'listPackages', kwargs: { tagID: id, inherited: true, with_owners: false, queryOpts: { countOnly: true } } },
    // listTagged takes no queryOpts: the hub counts it and sends the number only
    { method: 'count', args: ['listTagged', id], kwargs: { inherit: true } },
    { method: 'getFullInheritance', args: [id] },
    { method: 'getFullInheritance', args: [id], kwargs: { reverse: true } },
    { method: 'getBuildTargets', kwargs: { buildTagID: id, queryOpts: { order: 'name' } } },
    { method: 'getBuildTargets', kwargs: { destTagID: id, queryOpts: { order: 'name' } } },
    { method: 'getRepo', args: [id] },
    { method: 'getExternalRepoList', args: [id] },
    { method: 'getTagGroups', args: [id] },
    { method: 'mavenEnabled' },
  ]);
  const up = inheritanceTree(parents as Row[], 'parent_id', all);
  const down = inheritanceTree(children as Row[], 'tag_id', all);
  const extra = Object.entries((tag.extra ?? {}) as Record<string, unknown>)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, value]) => ({ key, value: extraText(value) }));
  const groupList = [...(groups as Row[])]
    .sort((a, b) => String(a.name).localeCompare(String(b.name)))
    .map((g) => ({ ...g, packages: ((g.packagelist ?? []) as Row[]).filter((p) => !p.blocked).sort((a, b) => String(a.package).localeCompare(String(b.package))) }));
  // groups and external repos name the tag they come from by id: the names are in the inheritance
  const tagNames: Record<number, string> = { [id]: String(tag.name) };
  for (const p of parents as Row[]) tagNames[p.parent_id as number] = String(p.name);
  return {
    template: 'taginfo.njk',
    title: `${String(tag.name)} | Tag Info`,
    pageID: 'tags',
    data: {
      tag, child, tagNames, all, extra, numPackages, numPackagesBlocked, numBuilds, srcTargets, destTargets, repo, externalRepos, maven,
      groups: groupList,
      parents: up.roots,
      children: down.roots,
      truncated: Math.max(up.maxDepth, down.maxDepth) > TRUNC_DEPTH,
    },
  };
}

export const TAG_PAGES: Record<string, PageHandler> = { tags, taginfo, buildtargets, buildtargetinfo, externalrepoinfo, repoinfo, reporequests };
