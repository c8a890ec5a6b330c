/**
 * Build and RPM commands: buildinfo, rpminfo, list-builds, list-untagged — with the stock
 * CLI's output. Signatures in buildinfo come from queryRPMSigs; while the koji-ts hub does not
 * implement that call yet, the "Signatures:" column is left out.
 */
import { BR_TYPES, BUILD_STATES } from '../../protocol/enums.ts';
import type { XmlRpcStruct, XmlRpcValue } from '../../protocol/values.ts';
import { CliError, UsageError, type CliContext, type Command } from '../command.ts';
import { pyRepr, pyStrOf } from '../../protocol/pyrepr.ts';
import { formatTimeLong, isFault, isNotImplemented, ljust, multicall, pyInt, resultOf, rjust } from './common.ts';
import { BuildPaths, formatChangelog, parseTimeOption, taskLabel, timeArg } from './builds-fmt.ts';

type Struct = XmlRpcStruct;
const s = (v: unknown) => pyStrOf(v);
const paths = (ctx: CliContext) => new BuildPaths(ctx.config.topdir);
const nvr = (b: Struct) => `${s(b.name)}-${s(b.version)}-${s(b.release)}`;
const rpmPath = (ctx: CliContext, b: Struct, r: Struct) => `${paths(ctx).build(b as never)}/${paths(ctx).rpm(r as never)}`;

async function callOrSkip<T>(p: Promise<T>): Promise<T | null> {
  try {
    return await p;
  } catch (e) {
    if (isNotImplemented(e)) return null;
    throw e;
  }
}

async function buildinfo(ctx: CliContext, arg: string, changelog: boolean, out: string[]): Promise<boolean> {
  const build: XmlRpcValue = /^\d+$/.test(arg) ? Number(arg) : arg;
  const info = await ctx.session.call<Struct | null>('getBuild', [build]);
  if (!info) {
    ctx.warn(`No such build: ${s(build)}\n`);
    return false;
  }
  const extra = info.extra as Struct | null;
  const taskId = info.task_id ?? (extra && typeof extra === 'object' ? extra.container_koji_task_id : null) ?? null;
  const task = taskId ? await ctx.session.call<Struct | null>('getTaskInfo', [taskId], { request: true }) : null;
  const tags = (await ctx.session.call<Struct[]>('listTags', [build])).map((t) => s(t.name));
  const state = BUILD_STATES.name(info.state as number) ?? s(info.state);
  out.push(`BUILD: ${nvr(info)} [${s(info.id)}]`);
  if (info.draft) out.push('Draft: YES');
  out.push(`State: ${state}`);
  if (state === 'BUILDING') out.push(`Reserved by: ${s(info.cg_name)}`);
  out.push(`Built by: ${s(info.owner_name)}`);
  if (info.source !== null && info.source !== undefined) out.push(`Source: ${s(info.source)}`);
  if ('volume_name' in info) out.push(`Volume: ${s(info.volume_name)}`);
  out.push(task ? `Task: ${s(task.id)} ${taskLabel(task)}` : 'Task: none');
  out.push(`Finished: ${formatTimeLong(info.completion_ts)}`);
  if (info.promotion_ts) out.push(`Promoted by: ${s(info.promoter_name)}`, `Promoted at: ${formatTimeLong(info.promotion_ts)}`);
  const maven = await ctx.session.call<Struct | null>('getMavenBuild', [info.id]);
  if (maven) out.push(`Maven groupId: ${s(maven.group_id)}`, `Maven artifactId: ${s(maven.artifact_id)}`, `Maven version: ${s(maven.version)}`);
  const win = await ctx.session.call<Struct | null>('getWinBuild', [info.id]);
  if (win) out.push(`Windows build platform: ${s(win.platform)}`);
  out.push(`Tags: ${tags.join(' ')}`);
  if (extra && (typeof extra !== 'object' || Object.keys(extra).length)) out.push(`Extra: ${pyRepr(extra)}`);
  const p = paths(ctx);
  const seen = new Set<unknown>();
  const typed: Array<[string, string, (a: Struct) => string]> = [
    ['maven', 'Maven archives:', (a) => `${p.mavenbuild(info)}/${p.mavenfile(a)}`],
    ['win', 'Windows archives:', (a) => `${p.winbuild(info)}/${p.winfile(a)}`],
    ['image', 'Image archives:', (a) => `${p.typedir(info as never, 'image')}/${s(a.filename)}`],
  ];
  for (const [type, title, path] of typed) {
    const archives = await ctx.session.call<Struct[]>('listArchives', [], { buildID: info.id, type });
    if (!archives.length) continue;
    out.push(title);
    for (const a of archives) {
      seen.add(a.id);
      out.push(path(a));
    }
  }
  const byType = new Map<string, Struct[]>();
  for (const a of await ctx.session.call<Struct[]>('listArchives', [], { buildID: info.id })) {
    if (seen.has(a.id)) continue;
    const bt = s(a.btype);
    byType.set(bt, [...(byType.get(bt) ?? []), a]);
  }
  for (const [bt, archives] of byType) {
    out.push(`${bt.charAt(0).toUpperCase()}${bt.slice(1).toLowerCase()} Archives:`);
    for (const a of archives) out.push(`${p.typedir(info as never, bt)}/${s(a.filename)}`);
  }
  const rpms = await ctx.session.call<Struct[]>('listRPMs', [], { buildID: info.id });
  if (rpms.length) {
    const sigs = await multicall(ctx, rpms.map((r) => ({ method: 'queryRPMSigs', args: [r.id] })));
    out.push('RPMs:');
    rpms.forEach((r, i) => {
      let line = rpmPath(ctx, info, r);
      if (!(isFault(sigs[i]) && isNotImplemented(sigs[i]))) {
        const keys = resultOf<Struct[]>(sigs[i]).map((x) => x.sigkey).filter(Boolean).map(s).sort();
        if (keys.length) line += `\tSignatures: ${keys.join(', ')}`;
      }
      out.push(line);
    });
  }
  if (changelog) {
    const entries = await ctx.session.call<Struct[]>('getChangelogEntries', [info.id]);
    if (entries.length) out.push('Changelog:', formatChangelog(entries));
  }
  return true;
}

const epochPrefix = (e: XmlRpcValue) => (e === null || e === undefined ? '' : `${s(e)}:`);

async function rpminfo(ctx: CliContext, arg: string, buildroots: boolean, out: string[]): Promise<boolean> {
  const info = await ctx.session.call<Struct | null>('getRPM', [arg]);
  if (!info) {
    ctx.warn(`No such rpm: ${arg}\n`);
    return false;
  }
  let srpm: Struct | null = null;
  let build: Struct | null = null;
  if (!info.external_repo_id) {
    if (info.arch === 'src') srpm = info;
    else srpm = (await ctx.session.call<Struct[]>('listRPMs', [], { buildID: info.build_id, arches: 'src' }))[0] ?? null;
    build = await ctx.session.call<Struct>('getBuild', [info.build_id]);
  }
  out.push(`RPM: ${epochPrefix(info.epoch)}${s(info.name)}-${s(info.version)}-${s(info.release)}.${s(info.arch)} [${s(info.id)}]`);
  if (info.draft) out.push('Draft: YES');
  if (info.external_repo_id) {
    const repo = await callOrSkip(ctx.session.call<Struct>('getExternalRepo', [info.external_repo_id]));
    if (repo) out.push(`External Repository: ${s(repo.name)} [${s(repo.id)}]`, `External Repository url: ${s(repo.url)}`);
  } else if (build) {
    out.push(`Build: ${s(build.nvr)} [${s(build.id)}]`, `RPM Path: ${rpmPath(ctx, build, info)}`);
    if (srpm) out.push(`SRPM: ${epochPrefix(srpm.epoch)}${nvr(srpm)} [${s(srpm.id)}]`, `SRPM Path: ${rpmPath(ctx, build, srpm)}`);
    else out.push('SRPM: (none)', 'SRPM Path: (none)');
    out.push(`Built: ${formatTimeLong(info.buildtime)}`);
  }
  out.push(`SIGMD5: ${s(info.payloadhash)}`, `Size: ${s(info.size)}`);
  if (!info.external_repo_id) {
    const headers = await ctx.session.call<Struct>('getRPMHeaders', [], { rpmID: info.id, headers: ['license'] });
    if ('license' in headers) out.push(`License: ${s(headers.license)}`);
    out.push(`Build ID: ${s(info.build_id)}`);
  }
  if (info.buildroot_id === null || info.buildroot_id === undefined) out.push('No buildroot data available');
  else {
    const br = await ctx.session.call<Struct>('getBuildroot', [info.buildroot_id]);
    if (br.br_type === BR_TYPES.byName.STANDARD) {
      out.push(`Buildroot: ${pyInt(br.id)} (tag ${s(br.tag_name)}, arch ${s(br.arch)}, repo ${pyInt(br.repo_id)})`, `Build Host: ${s(br.host_name)}`, `Build Task: ${pyInt(br.task_id)}`);
    } else out.push(`Content generator: ${s(br.cg_name)}`, `Buildroot: ${pyInt(br.id)}`, `Build Host OS: ${s(br.host_os)} (${s(br.host_arch)})`);
  }
  if (info.extra && Object.keys(info.extra as Struct).length) out.push(`Extra: ${pyRepr(info.extra)}`);
  if (buildroots) {
    const list = await ctx.session.call<Struct[]>('listBuildroots', [], { rpmID: info.id, queryOpts: { order: 'buildroot.id' } });
    out.push(`Used in ${list.length} buildroots:`);
    if (list.length) out.push(`  ${rjust('id', 8)} ${ljust('build tag', 28)} ${ljust('arch', 8)} ${ljust('build host', 29)}`, `  ${'-'.repeat(8)} ${'-'.repeat(28)} ${'-'.repeat(8)} ${'-'.repeat(29)}`);
    for (const br of list) out.push(`  ${pyInt(br.id, 8)} ${ljust(s(br.tag_name), 28)} ${ljust(s(br.arch), 8)} ${ljust(s(br.host_name), 29)}`);
  }
  return true;
}

/** Python's int() of an option value, or null when it is not an integer. */
const intOf = (v: string): number | null => (/^\s*[+-]?\d+\s*$/.test(v) ? Number(v) : null);

async function listBuilds(ctx: CliContext, o: Record<string, unknown>): Promise<string> {
  const opts: Record<string, XmlRpcValue> = {};
  for (const key of ['type', 'prefix', 'pattern']) if (o[key] !== null) opts[key] = o[key] as string;
  if (o.no_draft && o.draft_only) throw new UsageError('--draft-only conflits with --no-draft');
  if (o.no_draft) opts.draft = false;
  else if (o.draft_only) opts.draft = true;
  if (o.cg) opts.cgID = o.cg as string;
  if (o.package) {
    const pkg = o.package as string;
    const id = intOf(pkg) ?? (await ctx.session.call<number | null>('getPackageID', [pkg]));
    if (id === null) throw new UsageError(`No such package: ${pkg}`);
    opts.packageID = id;
  }
  if (o.owner) {
    const owner = o.owner as string;
    let id = intOf(owner);
    if (id === null) {
      const user = await ctx.session.call<Struct | null>('getUser', [owner]);
      if (!user) throw new UsageError(`No such user: ${owner}`);
      id = user.id as number;
    }
    opts.userID = id;
  }
  if (o.volume) {
    const vol = o.volume as string;
    let id = intOf(vol);
    if (id === null) {
      for (const v of await ctx.session.call<Struct[]>('listVolumes')) if (v.name === vol) id = v.id as number;
      if (id === null) throw new UsageError(`No such volume: ${vol}`);
    }
    opts.volumeID = id;
  }
  if (o.state) {
    const st = o.state as string;
    const n = intOf(st);
    if (n !== null) {
      if (n > 4 || n < 0) throw new UsageError(`Invalid state: ${st}`);
      opts.state = n;
    } else {
      const v = BUILD_STATES.get(st);
      if (v === undefined) throw new UsageError(`Invalid state: ${st}`);
      opts.state = v;
    }
  }
  const before = o.before === null ? null : parseTimeOption('--before', o.before as string);
  const after = o.after === null ? null : parseTimeOption('--after', o.after as string);
  if (before) opts.completeBefore = timeArg(before);
  if (after) opts.completeAfter = timeArg(after);
  if (o.task) {
    const n = intOf(o.task as string);
    if (n === null) throw new UsageError('Task id must be an integer');
    opts.taskID = n;
  }
  if (o.source) opts.source = o.source as string;
  let data: Struct[];
  if (o.buildid) {
    const id: XmlRpcValue = intOf(o.buildid as string) ?? (o.buildid as string);
    const b = await ctx.session.call<Struct | null>('getBuild', [id]);
    if (!b) throw new UsageError(`No such build: '${s(id)}'`);
    data = [b];
  } else if (Object.keys(opts).length) data = await ctx.session.call<Struct[]>('listBuilds', [], opts);
  else throw new UsageError('Filter must be provided for list');
  let keys = o.sort_key as string[];
  if (!keys.length) keys = ['build_id'];
  else for (const k of keys) if (!['build_id', 'owner_name', 'state'].includes(k)) ctx.warn(`Invalid sort_key: ${k}.`);
  const cmp = (a: Struct, b: Struct) => {
    for (const k of keys) {
      const x = a[k] ?? null;
      const y = b[k] ?? null;
      if (x === y) continue;
      return (x as never) < (y as never) ? -1 : 1;
    }
    return 0;
  };
  data = data.slice().sort((a, b) => (o.reverse ? cmp(b, a) : cmp(a, b)));
  const quiet = (o.quiet as boolean | null) ?? ctx.global.quiet;
  const lines: string[] = [];
  if (!quiet) lines.push(`${ljust('Build', 55)}  ${ljust('Built by', 16)}  State`, `${'-'.repeat(55)}  ${'-'.repeat(16)}  ${'-'.repeat(16)}`);
  for (const b of data) lines.push(`${ljust(s(b.nvr), 55)}  ${ljust(s(b.owner_name), 16)}  ${BUILD_STATES.name(b.state as number) ?? s(b.state)}`);
  return lines.map((l) => l + '\n').join('');
}

async function listUntagged(ctx: CliContext, o: Record<string, unknown>, args: string[]): Promise<string> {
  if (args.length > 1) throw new UsageError('Only one package name may be specified');
  const opts: Record<string, XmlRpcValue> = {};
  if (args.length && args[0]) {
    if ((await ctx.session.call('getPackageID', [args[0]])) === null) throw new CliError(`No such package: ${args[0]}`);
    opts.name = args[0];
  }
  const data = await ctx.session.call<Struct[]>('untaggedBuilds', [], opts);
  const lines: string[] = [];
  const refs = new Map<unknown, string>();
  if (o.show_references) {
    lines.push('(Showing build references)');
    const res = await multicall(ctx, data.map((b) => ({ method: 'buildReferences', args: [b.id] })), true);
    data.forEach((b, i) => {
      const r = resultOf<Struct>(res[i]);
      const parts: string[] = [];
      if ((r.rpms as XmlRpcValue[] | undefined)?.length) parts.push(`rpms: ${pyRepr(r.rpms)}`);
      if ((r.component_of as XmlRpcValue[] | undefined)?.length) parts.push(`images/archives: ${pyRepr(r.component_of)}`);
      if ((r.archives as XmlRpcValue[] | undefined)?.length) parts.push(`archives buildroots: ${pyRepr(r.archives)}`);
      refs.set(b.id, parts.join(', '));
    });
  }
  const fmt = (b: Struct) => (o.paths ? paths(ctx).build(b as never) : nvr(b)) + (o.show_references ? ` ${refs.get(b.id)}` : '');
  const sorted = data.map(fmt).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return [...lines, ...sorted].map((l) => l + '\n').join('');
}

/** Run a command over several arguments; failures for some of them give exit code 1 after the rest. */
async function eachArg(args: string[], run: (arg: string, out: string[]) => Promise<boolean>) {
  const out: string[] = [];
  let ok = true;
  for (const a of args) ok = (await run(a, out)) && ok;
  return { output: out.length ? out.join('\n') + '\n' : '', exitCode: ok ? 0 : 1 };
}

export const buildCommands: Command[] = [
  {
    name: 'buildinfo',
    category: 'info',
    summary: 'Print basic information about a build',
    usage: 'buildinfo [options] <n-v-r> [<n-v-r> ...]',
    anon: true,
    options: [{ name: 'changelog', type: 'bool', help: 'Show the changelog for the build' }],
    async handler(ctx, o, args) {
      if (args.length < 1) throw new UsageError('Please specify a build');
      return eachArg(args, (a, out) => buildinfo(ctx, a, Boolean(o.changelog), out));
    },
  },
  {
    name: 'rpminfo',
    category: 'info',
    summary: 'Print basic information about an RPM',
    usage: 'rpminfo [options] <n-v-r.a|id> [<n-v-r.a|id> ...]',
    anon: true,
    options: [{ name: 'buildroots', type: 'bool', help: 'show buildroots the rpm was used in' }],
    async handler(ctx, o, args) {
      if (args.length < 1) throw new UsageError('Please specify an RPM');
      return eachArg(args, (a, out) => rpminfo(ctx, a, Boolean(o.buildroots), out));
    },
  },
  {
    name: 'list-builds',
    category: 'info',
    summary: 'Print the build listing',
    usage: 'list-builds [options]',
    anon: true,
    options: [
      { name: 'package', type: 'string', help: 'List builds for this package' },
      { name: 'buildid', type: 'string', help: 'List specific build from ID or nvr' },
      {
        name: 'before',
        type: 'string',
        help: 'List builds built before this time, time is specified as timestamp or date/time in any format which can be parsed by dateutil.parser. e.g. "2020-12-31 12:35" or "December 31st 12:35"',
      },
      { name: 'after', type: 'string', help: 'List builds built after this time (same format as for --before' },
      { name: 'state', type: 'string', help: 'List builds in this state' },
      { name: 'task', type: 'string', help: 'List builds for this task' },
      { name: 'type', type: 'string', help: 'List builds of this type.' },
      { name: 'prefix', type: 'string', help: 'Only builds starting with this prefix' },
      { name: 'pattern', type: 'string', help: 'Only list builds matching this GLOB pattern' },
      { name: 'cg', type: 'string', help: 'Only list builds imported by matching content generator name' },
      { name: 'source', type: 'string', help: 'Only builds where the source field matches (glob pattern)' },
      { name: 'owner', type: 'string', help: 'List builds built by this owner' },
      { name: 'volume', type: 'string', help: 'List builds by volume ID' },
      { name: 'draft-only', type: 'bool', help: 'Only list draft builds' },
      { name: 'no-draft', type: 'bool', help: 'Only list regular builds' },
      { name: 'sort-key', short: 'k', type: 'append', metavar: 'FIELD', help: 'Sort the list by the named field. Allowed sort keys: build_id, owner_name, state' },
      { name: 'reverse', short: 'r', type: 'bool', default: false, help: 'Print the list in reverse order' },
      { name: 'quiet', type: 'bool', help: 'Do not print the header information' },
    ],
    async handler(ctx, o, args) {
      if (args.length !== 0) throw new UsageError('This command takes no arguments');
      return listBuilds(ctx, o);
    },
  },
  {
    name: 'list-untagged',
    category: 'info',
    summary: 'List untagged builds',
    usage: 'list-untagged [options] [<package>]',
    anon: true,
    options: [
      { name: 'paths', type: 'bool', help: 'Show the file paths' },
      { name: 'show-references', type: 'bool', help: 'Show build references' },
    ],
    handler: (ctx, o, args) => listUntagged(ctx, o, args),
  },
];
