/**
 * Builds and packages: the build list (kojiweb's builds, from listBuilds or, in a tag, from
 * listTagged), one build (buildinfo), the package list and one package (packageinfo). RPMs,
 * buildroots and archives are in rpms.ts; both are registered through BUILD_PAGES.
 */
import { BUILD_STATES } from '../../protocol/enums.ts';
import type { HubMethod } from '../../protocol/api.ts';
import type { XmlRpcValue } from '../../protocol/values.ts';
import { PathInfo } from '../../util/pathinfo.ts';
import type { HubCall, PageContext, PageHandler, PageResult, Row } from '../context.ts';
import { badRequest } from '../errors.ts';
import { formatTime } from '../render.ts';
import { brLabel, filesLink, RPM_HEADERS, RPM_PAGES } from './rpms.ts';

/** kojiweb's first-letter filter: a digit or a lowercase letter */
const PREFIX_CHARS = [...'0123456789abcdefghijklmnopqrstuvwxyz'];
/** the changelog entries buildinfo shows (the newest first) */
export const CHANGELOG_LIMIT = 20;

/** The user, tag or package an optional id-or-name parameter names (404 when unknown). */
export async function named(ctx: PageContext, param: string, method: HubMethod, what: string): Promise<Row | null> {
  if (ctx.params.str(param) === null) return null;
  return ctx.need(method, [ctx.params.idOrName(param)], what);
}

/** The `prefix` parameter as kojiweb takes it: its first character, lowercased. */
function prefixParam(ctx: PageContext): string | null {
  const v = ctx.params.str('prefix');
  if (v === null) return null;
  const c = v[0].toLowerCase();
  if (!PREFIX_CHARS.includes(c)) throw badRequest(`prefix must start with a letter or a digit, got ${JSON.stringify(v.slice(0, 40))}`);
  return c;
}

const flag = (ctx: PageContext, name: string) => ctx.params.choice(name, ['0', '1'] as const, '1') === '1';

const BUILD_ORDERS = ['build_id', 'nvr', 'owner_name', 'completion_time', 'state', 'package_name', 'creation_time'] as const;

export async function builds(ctx: PageContext): Promise<PageResult> {
  const p = ctx.params;
  const [user, tag, pkg, btypes] = await Promise.all([
    named(ctx, 'userID', 'getUser', 'user'),
    named(ctx, 'tagID', 'getTag', 'tag'),
    named(ctx, 'packageID', 'getPackage', 'package'),
    ctx.call<Row[]>('listBTypes').then((r) => r.map((b) => String(b.name)).sort()),
  ]);
  const stateParam = p.choice('state', ['all', ...BUILD_STATES.names.map((_, i) => String(i))], 'all');
  const state = stateParam === 'all' ? null : Number(stateParam);
  const type = p.choice('type', ['all', ...btypes], 'all');
  const prefix = prefixParam(ctx);
  const inherited = flag(ctx, 'inherited');
  const latest = flag(ctx, 'latest');
  const orders = { orders: tag ? [...BUILD_ORDERS, 'tag_name'] : BUILD_ORDERS, dflt: '-build_id' };
  const btype = type === 'all' ? null : type;
  const page = tag
    ? // only complete builds are tagged: no state filter here
      await ctx.paginateResults('listTagged', [tag.id as number], { package: pkg ? (pkg.name as string) : null, owner: user ? (user.name as string) : null, type: btype, inherit: inherited, latest, prefix }, orders)
    : await ctx.paginate('listBuilds', [], { userID: user ? (user.id as number) : null, packageID: pkg ? (pkg.id as number) : null, type: btype, state, prefix }, orders);
  const parts = [state === null ? '' : BUILD_STATES.name(state)?.toLowerCase(), btype, 'builds'].filter(Boolean).join(' ');
  const title = [parts[0].toUpperCase() + parts.slice(1), pkg ? `of ${String(pkg.name)}` : '', user ? `by ${String(user.name)}` : '', tag ? `in tag ${String(tag.name)}` : ''].filter(Boolean).join(' ');
  return {
    template: 'builds.njk',
    title,
    pageID: 'builds',
    data: { page, heading: title, user, tag, pkg, state, states: BUILD_STATES.names.map((n, i) => ({ id: i, name: n.toLowerCase() })), type, btypes, prefix, chars: PREFIX_CHARS, inherited, latest, prefixLink: (c: string | null) => ctx.link({ prefix: c, start: null }) },
  };
}

/** An archive's path below the build's directory, as kojiweb's pathinfo (maven, win, image or typed files). */
function archivePath(a: Row, btype: string): string {
  if (btype === 'maven') return `maven/${String(a.group_id).replace(/\./g, '/')}/${String(a.artifact_id)}/${String(a.version)}/${String(a.filename)}`;
  if (btype === 'win') return `win/${a.relpath ? `${String(a.relpath)}/` : ''}${String(a.filename)}`;
  if (btype === 'image') return `images/${String(a.filename)}`;
  return `files/${btype}/${String(a.filename)}`;
}

const isDebuginfo = (name: string) => name.endsWith('-debuginfo') || name.endsWith('-debugsource') || name.includes('-debuginfo-');

export async function buildinfo(ctx: PageContext): Promise<PageResult> {
  const id = ctx.params.idOrName('buildID');
  const build = await ctx.need('getBuild', [id], 'build');
  const bid = build.id as number;
  const [tags, rpms, typeinfo, logs, task] = await Promise.all([
    ctx.call<Row[]>('listTags', [bid]),
    ctx.call<Row[]>('listRPMs', [], { buildID: bid }),
    ctx.call<Record<string, XmlRpcValue>>('getBuildType', [bid]),
    ctx.call<Row[]>('getBuildLogs', [bid]),
    build.task_id ? ctx.call<Row | null>('getTaskInfo', [build.task_id as number]) : null,
  ]);
  // archives by build type, as kojiweb lists them (a type's own fields, e.g. maven's, come with it)
  const btypes = Object.keys(typeinfo).filter((t) => t !== 'rpm').sort();
  const archives = (await Promise.all(btypes.map((btype) => ctx.call<Row[]>('listArchives', [bid], { type: btype, queryOpts: { order: 'filename' } }).then((rows) => rows.map((a): Row => ({ ...a, btype })))))).flat();
  tags.sort((a, b) => String(a.name).localeCompare(String(b.name)));
  const srpm = rpms.find((r) => r.arch === 'src');
  const brIds = [...new Set([...rpms, ...archives].map((r) => r.buildroot_id).filter((x): x is number => typeof x === 'number'))].sort((a, b) => a - b);
  // the source package's headers and changelog, every rpm's signatures and the buildroots, in one request
  const calls: HubCall[] = [
    ...rpms.map((r): HubCall => ({ method: 'queryRPMSigs', kwargs: { rpm_id: r.id as number } })),
    ...brIds.map((b): HubCall => ({ method: 'getBuildroot', args: [b] })),
  ];
  if (srpm) calls.push({ method: 'getRPMHeaders', args: [srpm.id as number], kwargs: { headers: RPM_HEADERS } }, { method: 'getChangelogEntries', args: [bid], kwargs: { queryOpts: { limit: CHANGELOG_LIMIT } } });
  const res = await ctx.multi(calls);
  const sigs = res.slice(0, rpms.length) as Row[][];
  const buildroots = res.slice(rpms.length, rpms.length + brIds.length) as Row[];
  const [headers, changelog] = srpm ? (res.slice(-2) as [Row, Row[]]) : [{}, []];

  const pi = new PathInfo('');
  const buildDir = pi.build(build as never).replace(/^\//, '');
  const rpmRows = rpms.map((r, i): Row => ({ ...r, file: `${String(r.name)}-${String(r.version)}-${String(r.release)}.${String(r.arch)}.rpm`, url: filesLink(ctx, `${buildDir}/${pi.rpm(r as never)}`), sigkeys: sigs[i].map((s) => String(s.sigkey)) }));
  const arches = [...new Set(rpms.map((r) => String(r.arch)))].sort((a, b) => (a === 'src' ? -1 : b === 'src' ? 1 : a.localeCompare(b)));
  // debuginfo packages last within their arch, as kojiweb lists them
  const rpmsByArch = arches.map((arch) => ({
    arch,
    rpms: rpmRows.filter((r) => r.arch === arch).sort((a, b) => Number(isDebuginfo(String(a.name))) - Number(isDebuginfo(String(b.name))) || String(a.name).localeCompare(String(b.name))),
  }));
  const archiveRows = archives.map((a) => ({ ...a, url: filesLink(ctx, `${buildDir}/${archivePath(a, String(a.btype))}`) }));
  const logDirs = [...new Set(logs.map((l) => String(l.dir)))].sort().map((dir) => ({ dir: dir === '.' ? '' : dir, logs: logs.filter((l) => l.dir === dir).map((l) => ({ name: l.name, url: filesLink(ctx, String(l.path)) })) }));
  const nvr = String(build.nvr);
  return {
    template: 'buildinfo.njk',
    title: `${nvr} | Build Info`,
    pageID: 'builds',
    data: {
      build,
      tags,
      rpmsByArch,
      rpmCount: rpms.length,
      archives: archiveRows,
      logDirs,
      task,
      buildroots: buildroots.map((b) => ({ ...b, label: brLabel(b) })),
      headers,
      changelog: changelog.map((c) => ({ ...c, day: formatTime(c.date_ts).slice(0, 10) })),
      changelogLimit: CHANGELOG_LIMIT,
      extra: build.extra === null || build.extra === undefined ? null : JSON.stringify(build.extra, null, 2),
      started: build.start_time ?? build.creation_time,
    },
  };
}

const PACKAGE_ORDERS = ['package_id', 'package_name', 'tag_name', 'owner_name', 'blocked', 'extra_arches'] as const;

export async function packages(ctx: PageContext): Promise<PageResult> {
  const [tag, user] = await Promise.all([named(ctx, 'tagID', 'getTag', 'tag'), named(ctx, 'userID', 'getUser', 'user')]);
  const prefix = prefixParam(ctx);
  const inherited = flag(ctx, 'inherited');
  const blocked = flag(ctx, 'blocked');
  // per-tag columns (tag, owner, blocked) only when the list is of a tag's or a user's packages
  const perTag = Boolean(tag || user);
  const page = await ctx.paginate(
    'listPackages',
    [],
    { tagID: tag ? (tag.id as number) : null, userID: user ? (user.id as number) : null, prefix, inherited, with_blocked: blocked },
    { orders: perTag ? PACKAGE_ORDERS : PACKAGE_ORDERS.slice(0, 2), dflt: 'package_name' },
  );
  const title = ['Packages', tag ? `in tag ${String(tag.name)}` : '', user ? `owned by ${String(user.name)}` : ''].filter(Boolean).join(' ');
  return {
    template: 'packages.njk',
    title,
    pageID: 'packages',
    data: { page, heading: title, tag, user, perTag, prefix, chars: PREFIX_CHARS, inherited, blocked, prefixLink: (c: string | null) => ctx.link({ prefix: c, start: null }) },
  };
}

export async function packageinfo(ctx: PageContext): Promise<PageResult> {
  const pkg = await ctx.need('getPackage', [ctx.params.idOrName('packageID')], 'package');
  const id = pkg.id as number;
  const [tags, builds] = await Promise.all([
    // the tags that list it: owner, blocked, extra arches (kojiweb's listTags package=)
    ctx.paginate('listTags', [], { package: id }, { orders: ['name', 'owner_name', 'blocked', 'extra_arches'], dflt: 'name', prefix: 'tag' }),
    ctx.paginate('listBuilds', [], { packageID: id }, { orders: ['nvr', 'owner_name', 'completion_time', 'state', 'build_id'], dflt: '-completion_time', prefix: 'build' }),
  ]);
  return { template: 'packageinfo.njk', title: `${String(pkg.name)} | Package Info`, pageID: 'packages', data: { pkg, tags, builds } };
}

export const BUILD_PAGES: Record<string, PageHandler> = { builds, buildinfo, packages, packageinfo, ...RPM_PAGES };
