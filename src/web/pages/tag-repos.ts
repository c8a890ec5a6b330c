/**
 * Build targets (the list and one target), external repos and repos: the pages around tags,
 * registered through TAG_PAGES.
 */
import { REPO_STATES } from '../../protocol/enums.ts';
import type { PageContext, PageResult, Row } from '../context.ts';
import { badRequest } from '../errors.ts';

export async function buildtargets(ctx: PageContext): Promise<PageResult> {
  const page = await ctx.paginate('getBuildTargets', [], {}, { orders: ['id', 'name'], dflt: 'name' });
  return { template: 'buildtargets.njk', title: 'Build Targets', pageID: 'buildtargets', data: { page } };
}

/** buildtargetinfo?targetID=N or ?name=X */
export async function buildtargetinfo(ctx: PageContext): Promise<PageResult> {
  const id = ctx.params.int('targetID');
  const name = ctx.params.str('name');
  if (id === null && name === null) throw badRequest('targetID or name is required');
  if (name !== null && name.length > 256) throw badRequest('name is too long');
  const target = await ctx.need('getBuildTarget', [id ?? (name as string)], 'build target');
  return { template: 'buildtargetinfo.njk', title: `${String(target.name)} | Build Target Info`, pageID: 'buildtargets', data: { target } };
}

/** Only these schemes become links: an external repo's URL is free text. */
function safeUrl(url: unknown): boolean {
  return typeof url === 'string' && /^(https?|ftp):\/\//i.test(url);
}

export async function externalrepoinfo(ctx: PageContext): Promise<PageResult> {
  const info = ctx.params.idOrName('extrepoID');
  const repo = await ctx.need('getExternalRepo', [info], 'external repo');
  const page = await ctx.paginateResults('getTagExternalRepos', [], { repo_info: repo.id as number }, { orders: ['tag_name', 'priority', 'merge_mode'], dflt: 'tag_name' });
  return { template: 'externalrepoinfo.njk', title: `${String(repo.name)} | External Repo Info`, pageID: 'tags', data: { repo, page, linkUrl: safeUrl(repo.url) } };
}

/** Where a repo lives under KojiFilesURL: repos/<tag>/<id> (repos-dist/… for dist repos). */
export function repoPath(repo: Row): string {
  return `${repo.dist ? 'repos-dist' : 'repos'}/${encodeURIComponent(String(repo.tag_name))}/${Number(repo.id)}`;
}

export async function repoinfo(ctx: PageContext): Promise<PageResult> {
  const id = ctx.params.id('repoID');
  const repo = await ctx.need('repoInfo', [id], 'repo');
  const numBuildroots = await ctx.call<number>('listBuildroots', [], { repoID: id, queryOpts: { countOnly: true } });
  const customOpts = repo.custom_opts && Object.keys(repo.custom_opts).length ? JSON.stringify(repo.custom_opts) : null;
  return {
    template: 'repoinfo.njk',
    title: `Repo ${id} | Repo Info`,
    pageID: 'tags',
    data: { repo, numBuildroots, customOpts, path: repo.state === REPO_STATES.byName.DELETED ? null : repoPath(repo) },
  };
}
