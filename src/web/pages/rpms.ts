/**
 * RPMs, their files, buildroots and archives: rpminfo, fileinfo, buildrootinfo, rpmlist (the
 * rpms a buildroot had installed or built, or an image holds), buildroots (of a repo) and
 * archiveinfo, at kojiweb's URLs.
 */
import { BR_STATES, BR_TYPES, DEP_FLAGS, DEP_TYPES } from '../../protocol/enums.ts';
import type { XmlRpcValue } from '../../protocol/values.ts';
import type { PageContext, PageHandler, PageResult, Row } from '../context.ts';
import { badRequest, notFound } from '../errors.ts';

/** the package headers a build or an rpm shows (getRPMHeaders) */
export const RPM_HEADERS = ['summary', 'description', 'license', 'url', 'vendor', 'packager', 'buildhost', 'disturl', 'vcs'];

/** A URL under KojiFilesURL from a path relative to it, each part percent-encoded. */
export function filesLink(ctx: PageContext, path: string): string {
  return `${ctx.opts.KojiFilesURL.replace(/\/+$/, '')}/${path.split('/').map(encodeURIComponent).join('/')}`;
}

/** "name-epoch:version-release.arch" as kojiweb labels an rpm */
export function rpmLabel(r: Row): string {
  const epoch = r.epoch === null || r.epoch === undefined ? '' : `${String(r.epoch)}:`;
  return `${String(r.name)}-${epoch}${String(r.version)}-${String(r.release)}.${String(r.arch)}`;
}

/** "tag-id-repo" for a standard buildroot, "cg:id" for a content generator's */
export function brLabel(br: Row): string {
  return br.br_type === BR_TYPES.byName.STANDARD ? `${String(br.tag_name)}-${String(br.id)}-${String(br.repo_id)}` : `${String(br.cg_name)}:${String(br.id)}`;
}

/** "bash >= 4.0" from a dependency's name, flags and version */
function formatDep(d: Row): string {
  const flags = Number(d.flags);
  let op = '';
  if (flags & DEP_FLAGS.LESS) op += '<';
  if (flags & DEP_FLAGS.GREATER) op += '>';
  if (flags & DEP_FLAGS.EQUAL) op += '=';
  return op ? `${String(d.name)} ${op}${d.version ? ` ${String(d.version)}` : ''}` : String(d.name);
}

const FILE_FLAGS: Array<[number, string]> = [
  [1, 'configuration'], [2, 'documentation'], [4, 'icon'], [8, 'missing ok'], [16, "don't replace"], [64, 'ghost'], [128, 'license'], [256, 'readme'], [512, 'exclude'], [1024, 'unpatched'], [2048, 'public key'],
];
const fileFlags = (flags: unknown) => FILE_FLAGS.filter(([bit]) => Number(flags) & bit).map(([, word]) => word);

/** 0o100644 → "-rw-r--r--", as ls shows a mode */
export function formatMode(mode: number): string {
  const kinds: Record<number, string> = { 0o040000: 'd', 0o020000: 'c', 0o060000: 'b', 0o010000: 'p', 0o120000: 'l', 0o140000: 's' };
  let s = kinds[mode & 0o170000] ?? '-';
  for (let shift = 6; shift >= 0; shift -= 3) {
    const bits = (mode >> shift) & 7;
    s += (bits & 4 ? 'r' : '-') + (bits & 2 ? 'w' : '-') + (bits & 1 ? 'x' : '-');
  }
  return s;
}

const BUILDROOT_LIST = { orders: ['id', 'create_event_time', 'state'], dflt: '-id', prefix: 'buildroot' } as const;

export async function rpminfo(ctx: PageContext): Promise<PageResult> {
  const id = ctx.params.id('rpmID');
  const rpm = await ctx.need('getRPM', [id], 'RPM');
  const internal = rpm.external_repo_id === 0;
  const [build, builtIn, deps, headers, sigs, buildroots, files] = await Promise.all([
    rpm.build_id === null ? null : ctx.call<Row | null>('getBuild', [rpm.build_id]),
    rpm.buildroot_id === null ? null : ctx.call<Row | null>('getBuildroot', [rpm.buildroot_id]),
    internal ? ctx.call<Row[]>('getRPMDeps', [id]) : [],
    internal ? ctx.call<Row>('getRPMHeaders', [id], { headers: RPM_HEADERS }) : {},
    ctx.call<Row[]>('queryRPMSigs', [], { rpm_id: id }),
    ctx.paginate('listBuildroots', [], { rpmID: id }, BUILDROOT_LIST),
    ctx.paginate('listRPMFiles', [id], {}, { orders: ['name', 'size'], dflt: 'name', prefix: 'file' }),
  ]);
  const depLists = DEP_TYPES.names.map((n, type) => ({
    title: `${n[0]}${n.slice(1).toLowerCase()}s`,
    deps: deps
      .filter((d) => d.type === type)
      .map(formatDep)
      .sort(),
  }));
  const label = rpmLabel(rpm);
  const fileRows = files.rows.map((f) => ({ ...f, flagWords: fileFlags(f.flags).join(', ') }));
  return {
    template: 'rpminfo.njk',
    title: `${label} | RPM Info`,
    pageID: 'builds',
    data: { rpm, label, internal, build, builtIn, builtInLabel: builtIn ? brLabel(builtIn) : null, depLists, headers, sigs, buildroots: { ...buildroots, rows: buildroots.rows.map((b) => ({ ...b, label: brLabel(b) })) }, files: { ...files, rows: fileRows }, extra: rpm.extra ? JSON.stringify(rpm.extra, null, 2) : null },
  };
}

export async function fileinfo(ctx: PageContext): Promise<PageResult> {
  const name = ctx.params.str('filename');
  if (name === null) throw badRequest('filename is required');
  const id = ctx.params.id('rpmID');
  const rpm = await ctx.need('getRPM', [id], 'RPM');
  // the hub answers {} for a file the rpm does not have
  const file = await ctx.call<Row | null>('getRPMFile', [id, name]);
  if (!file?.name) throw notFound(`No file ${name} in RPM ${rpmLabel(rpm)}`);
  const mode = typeof file.mode === 'number' ? formatMode(file.mode) : null;
  return { template: 'fileinfo.njk', title: `${name} | File Info`, pageID: 'builds', data: { rpm, label: rpmLabel(rpm), file, mode, flagWords: fileFlags(file.flags).join(', ') } };
}

export async function buildrootinfo(ctx: PageContext): Promise<PageResult> {
  const br = await ctx.need('getBuildroot', [ctx.params.id('buildrootID')], 'buildroot');
  const standard = br.br_type === BR_TYPES.byName.STANDARD;
  const task = standard && br.task_id ? await ctx.call<Row | null>('getTaskInfo', [br.task_id as number]) : null;
  const label = brLabel(br);
  return { template: 'buildrootinfo.njk', title: `${label} | Buildroot Info`, pageID: 'hosts', data: { br, label, standard, task, extra: br.extra ? JSON.stringify(br.extra, null, 2) : null } };
}

export async function rpmlist(ctx: PageContext): Promise<PageResult> {
  const p = ctx.params;
  if (p.str('type') === null) throw badRequest('type is required');
  let kwargs: Record<string, XmlRpcValue>;
  let br: Row | null = null;
  let image: Row | null = null;
  if (p.str('buildrootID') !== null) {
    const type = p.choice('type', ['component', 'built'] as const, 'component');
    br = await ctx.need('getBuildroot', [p.id('buildrootID')], 'buildroot');
    kwargs = type === 'component' ? { componentBuildrootID: br.id as number } : { buildrootID: br.id as number };
  } else if (p.str('imageID') !== null) {
    p.choice('type', ['image'] as const, 'image');
    image = await ctx.need('getArchive', [p.id('imageID')], 'image');
    kwargs = { imageID: image.id as number };
  } else throw badRequest('buildrootID or imageID is required');
  const type = p.str('type') as string;
  const orders = type === 'component' ? ['nvr', 'arch', 'external_repo_name', 'is_update'] : ['nvr', 'arch', 'external_repo_name'];
  const page = await ctx.paginate('listRPMs', [], kwargs, { orders, dflt: 'nvr' });
  const rows = page.rows.map((r) => ({ ...r, label: rpmLabel(r) }));
  const what = type === 'component' ? 'Component RPMs of' : type === 'built' ? 'RPMs built in' : 'RPMs in';
  const heading = `${what} ${br ? `buildroot ${brLabel(br)}` : `image ${String(image?.filename)}`}`;
  return { template: 'rpmlist.njk', title: heading, pageID: 'hosts', data: { page: { ...page, rows }, what, type, br, brLabel: br ? brLabel(br) : null, image } };
}

export async function buildroots(ctx: PageContext): Promise<PageResult> {
  const p = ctx.params;
  const repoID = p.int('repoID');
  const repo = repoID === null ? null : await ctx.need('repoInfo', [repoID], 'repo');
  const stateParam = p.choice('state', ['all', ...BR_STATES.names.map((_, i) => String(i))], 'all');
  const state = stateParam === 'all' ? null : Number(stateParam);
  const page = await ctx.paginate('listBuildroots', [], { repoID, state }, { orders: ['id', 'repo_id', 'task_id', 'tag_name', 'state', 'arch', 'host_name'], dflt: 'id' });
  const rows = page.rows.map((b) => ({ ...b, label: brLabel(b) }));
  const heading = `${state === null ? '' : `${BR_STATES.name(state)?.toLowerCase()} `}Buildroots${repo ? ` of repo ${String(repo.id)} (${String(repo.tag_name)})` : ''}`;
  return {
    template: 'buildroots.njk',
    title: heading,
    pageID: 'hosts',
    data: { page: { ...page, rows }, heading: heading[0].toUpperCase() + heading.slice(1), repo, state, states: BR_STATES.names.map((n, i) => ({ id: i, name: n.toLowerCase() })) },
  };
}

export async function archiveinfo(ctx: PageContext): Promise<PageResult> {
  const archive = await ctx.need('getArchive', [ctx.params.id('archiveID')], 'archive');
  const [type, build, builtIn, roots] = await Promise.all([
    ctx.call<Row | null>('getArchiveType', [], { type_id: archive.type_id as number }),
    archive.build_id === null ? null : ctx.call<Row | null>('getBuild', [archive.build_id]),
    archive.buildroot_id === null ? null : ctx.call<Row | null>('getBuildroot', [archive.buildroot_id]),
    ctx.paginate('listBuildroots', [], { archiveID: archive.id as number }, BUILDROOT_LIST),
  ]);
  return {
    template: 'archiveinfo.njk',
    title: `${String(archive.filename)} | Archive Info`,
    pageID: 'builds',
    data: { archive, type, build, builtIn, builtInLabel: builtIn ? brLabel(builtIn) : null, buildroots: { ...roots, rows: roots.rows.map((b) => ({ ...b, label: brLabel(b) })) }, extra: archive.extra ? JSON.stringify(archive.extra, null, 2) : null },
  };
}

export const RPM_PAGES: Record<string, PageHandler> = { rpminfo, fileinfo, buildrootinfo, rpmlist, buildroots, archiveinfo };
