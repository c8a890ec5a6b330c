/** Search and reports: search (the hub's search(terms, type, matchType) paged) and the report pages. */
import { KojiError } from '../../protocol/faults.ts';
import type { PageContext, PageHandler, PageResult } from '../context.ts';
import { badRequest, HttpError } from '../errors.ts';
import { REPORT_PAGES } from './reports.ts';

/** search type → the page and parameter of a result (kojiweb's _infoURLs); file has none (the hub no longer searches files) */
const INFO: Record<string, [string, string] | null> = {
  package: ['packageinfo', 'packageID'],
  build: ['buildinfo', 'buildID'],
  tag: ['taginfo', 'tagID'],
  target: ['buildtargetinfo', 'targetID'],
  user: ['userinfo', 'userID'],
  host: ['hostinfo', 'hostID'],
  rpm: ['rpminfo', 'rpmID'],
  maven: ['archiveinfo', 'archiveID'],
  win: ['archiveinfo', 'archiveID'],
  file: null,
};
const TYPES = Object.keys(INFO);
/** the types the form offers, with their labels */
const FORM_TYPES = [
  ['package', 'Packages'],
  ['build', 'Builds'],
  ['tag', 'Tags'],
  ['target', 'Build Targets'],
  ['user', 'Users'],
  ['host', 'Hosts'],
  ['rpm', 'RPMs'],
] as const;
const MATCHES = ['glob', 'regexp', 'exact'] as const;
/** newest first for the big tables, by name for the others (kojiweb's _DEFAULT_SEARCH_ORDER) */
const NEWEST_FIRST = new Set(['build', 'rpm', 'maven', 'win']);
const MAX_TERMS = 1000;

async function search(ctx: PageContext): Promise<PageResult> {
  const p = ctx.params;
  const form = { terms: p.search.get('terms') ?? '', type: p.search.get('type') ?? 'package', match: p.search.get('match') ?? 'glob', types: FORM_TYPES, matches: MATCHES };
  const view = (status: number, data: Record<string, unknown>): PageResult => ({ template: 'search.njk', title: 'Search', pageID: 'search', status, data: { ...form, ...data } });
  // no terms at all: the form
  if (p.search.get('terms') === null) return view(200, {});
  try {
    const type = p.choice('type', TYPES, 'package');
    const match = p.choice('match', MATCHES, 'glob');
    const terms = form.terms.trim();
    if (!terms) throw badRequest('terms: enter a name or pattern to search for');
    if (terms.length > MAX_TERMS) throw badRequest(`terms must be at most ${MAX_TERMS} characters`);
    const page = await ctx.paginate('search', [terms, type, match], {}, { orders: ['id', 'name'], dflt: NEWEST_FIRST.has(type) ? '-id' : 'name' });
    const info = INFO[type];
    // a single hit: straight to its page, as kojiweb does
    if (info && page.start === 0 && page.total === 1) return { redirect: `${info[0]}?${info[1]}=${String(page.rows[0].id)}` };
    return view(200, { page, info, terms, typeLabel: type === 'maven' ? 'Maven artifacts' : type === 'win' ? 'Windows artifacts' : `${type}s` });
  } catch (e) {
    if (e instanceof HttpError && e.status === 400) return view(400, { error: e.message });
    if (e instanceof KojiError && /Invalid regular expression/i.test(e.message)) return view(400, { error: `Invalid regular expression: ${form.terms.trim().slice(0, 200)}` });
    throw e;
  }
}

export const SEARCH_PAGES: Record<string, PageHandler> = { search, ...REPORT_PAGES };
