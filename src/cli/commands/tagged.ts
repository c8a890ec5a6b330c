/**
 * What is tagged: list-tagged (builds or rpms, inherited, latest, at an event, with paths or
 * signatures) and latest-build, printed exactly as the stock koji 1.35 CLI prints them: the
 * lines of each listing sorted, paths under the profile's topdir.
 */
import { existsSync, statSync } from 'node:fs';
import type { XmlRpcStruct, XmlRpcValue } from '../../protocol/values.ts';
import { PathInfo, type BuildPathInfo, type RpmPathInfo } from '../../util/pathinfo.ts';
import { CliError, UsageError, type CliContext, type Command } from '../command.ts';
import { pyStrOf } from '../../protocol/pyrepr.ts';
import { EVENT_OPTIONS, eventFromOpts, keepOutput, pad, queryingLine } from './cli-util.ts';

type Row = XmlRpcStruct;

/** Python's sorted() of str: code point order. */
function pySorted(lines: string[]): string[] {
  return lines.sort((a, b) => {
    const x = [...a];
    const y = [...b];
    for (let i = 0; i < Math.min(x.length, y.length); i++) {
      const d = (x[i].codePointAt(0) as number) - (y[i].codePointAt(0) as number);
      if (d) return d;
    }
    return x.length - y.length;
  });
}

/** os.path.join(a, b) for a relative b. */
const join = (a: string, b: string) => (a === '' || a.endsWith('/') ? a + b : `${a}/${b}`);
const isDir = (p: string) => existsSync(p) && statSync(p).isDirectory();
const buildPath = (pi: PathInfo, b: Row) => pi.build(b as unknown as BuildPathInfo);
const rpmPath = (pi: PathInfo, r: Row) => pi.rpm(r as unknown as RpmPathInfo);

const BUILD_HEADER = [`${pad('Build', 40)}  ${pad('Tag', 20)}  Built by`, `${'-'.repeat(40)}  ${'-'.repeat(20)}  ${'-'.repeat(16)}`];
const MAVEN_HEADER = [
  `${pad('Build', 40)}  ${pad('Tag', 20)}  ${pad('Group Id', 20)}  ${pad('Artifact Id', 20)}  Built by`,
  `${'-'.repeat(40)}  ${'-'.repeat(20)}  ${'-'.repeat(20)}  ${'-'.repeat(20)}  ${'-'.repeat(16)}`,
];

/** The build lines list-tagged and latest-build print: "%(nvr)-40s  %(tag_name)-20s  %(owner_name)s" and the maven variant. */
function buildLines(pi: PathInfo, data: Row[], paths: boolean, type: string | null): string[] {
  return data.map((x) => {
    const first = paths ? (type === 'maven' ? `${buildPath(pi, x)}/maven` : buildPath(pi, x)) : pyStrOf(x.nvr);
    if (type === 'maven') return `${pad(first, 40)}  ${pad(x.tag_name, 20)}  ${pad(x.maven_group_id, 20)}  ${pad(x.maven_artifact_id, 20)}  ${pyStrOf(x.owner_name)}`;
    return `${pad(first, 40)}  ${pad(x.tag_name, 20)}  ${pyStrOf(x.owner_name)}`;
  });
}

async function listTagged(ctx: CliContext, o: Record<string, unknown>, args: string[], usage: () => string) {
  if (args.length === 0) throw new UsageError('A tag name must be specified');
  if (args.length > 2) throw new UsageError('Only one package name may be specified');
  if (o.no_draft && o.draft_only) throw new UsageError('--draft-only conflicts with --no-draft');
  const quiet = (o.quiet as boolean | null) ?? ctx.global.quiet;
  const pi = new PathInfo(ctx.config.topdir);
  const pkg = args.length > 1 ? args[1] : null;
  const tag = args[0];
  const opts: Record<string, XmlRpcValue> = { latest: (o.latest as boolean | null) ?? null, inherit: (o.inherit as boolean | null) ?? null };
  if (o.latest_n !== null) opts.latest = o.latest_n as number;
  if (pkg) opts.package = pkg;
  let rpms = Boolean(o.rpms);
  if ((o.arch as string[]).length) {
    rpms = true;
    opts.arch = o.arch as string[];
  }
  if (o.sigs) {
    opts.rpmsigs = true;
    rpms = true;
  }
  if (o.type) opts.type = o.type as string;
  else if (o.no_draft) opts.draft = false;
  else if (o.draft_only) opts.draft = true;
  const out: string[] = [];
  return keepOutput(out, usage, async () => {
    const event = await eventFromOpts(ctx, o);
    let eventId: number | null = null;
    if (event) {
      opts.event = event.id;
      eventId = event.id;
      if (!quiet) out.push(queryingLine(event));
    }
    const info = await ctx.session.call<Row | null>('getTag', [tag], { event: eventId });
    if (!info) throw new UsageError(`No such tag: ${tag}`);
    if (o.sigs && o.paths) {
      const packagesDir = join(ctx.config.topdir, 'packages');
      if (!existsSync(packagesDir)) throw new CliError(`'list-tagged --sigs --paths' requires accessible ${packagesDir}`);
    }
    let lines: string[];
    if (rpms) {
      const [rpmList, builds] = await ctx.session.call<[Row[], Row[]]>('listTaggedRPMS', [tag], opts);
      if (o.paths) {
        const dirs = new Map<unknown, string | null>();
        for (const b of builds) {
          const dir = buildPath(pi, b);
          if (o.sigs && !isDir(dir)) {
            ctx.warn(`Build directory not found: ${dir}`);
            dirs.set(b.id, null);
          } else dirs.set(b.id, dir);
        }
        lines = [];
        for (const r of rpmList) {
          const dir = dirs.get(r.build_id);
          if (!dir) continue;
          if (o.sigs) {
            const signed = join(dir, pi.signed(r as unknown as RpmPathInfo, pyStrOf(r.sigkey)));
            if (existsSync(signed)) lines.push(signed);
          } else lines.push(join(dir, rpmPath(pi, r)));
        }
      } else {
        lines = rpmList.map((r) => {
          const line = `${pyStrOf(r.name)}-${pyStrOf(r.version)}-${pyStrOf(r.release)}.${pyStrOf(r.arch)}${r.draft ? ` (,draft_${String(r.build_id)})` : ''}`;
          return o.sigs ? `${pyStrOf(r.sigkey)} ${line}` : line;
        });
      }
    } else {
      const data = await ctx.session.call<Row[]>('listTagged', [tag], opts);
      lines = buildLines(pi, data, Boolean(o.paths), (o.type as string | null) ?? null);
      if (!quiet) out.push(...(o.type === 'maven' ? MAVEN_HEADER : BUILD_HEADER));
    }
    out.push(...pySorted(lines));
  });
}

async function latestBuild(ctx: CliContext, o: Record<string, unknown>, argsIn: string[], usage: () => string) {
  const args: Array<string | null> = [...argsIn];
  if (args.length === 0) throw new UsageError('A tag name must be specified');
  if (o.all) {
    if (args.length > 1) throw new UsageError('A package name may not be combined with --all');
    args.push(null);
  } else if (args.length < 2) throw new UsageError('A tag name and package name must be specified');
  let quiet = (o.quiet as boolean | null) ?? ctx.global.quiet;
  const pi = new PathInfo(ctx.config.topdir);
  const type = (o.type as string | null) ?? null;
  const tag = args[0] as string;
  const out: string[] = [];
  return keepOutput(out, usage, async () => {
    for (const pkg of args.slice(1)) {
      let lines: string[];
      if (o.arch) {
        const [rpms, builds] = await ctx.session.call<[Row[], Row[]]>('getLatestRPMS', [tag], { package: pkg, arch: o.arch as string });
        const byId = new Map(builds.map((b) => [b.build_id, b]));
        lines = rpms.map((x) => {
          if (!o.paths) return `${pyStrOf(x.name)}-${pyStrOf(x.version)}-${pyStrOf(x.release)}.${pyStrOf(x.arch)}`;
          const dir = pi.build({ ...(x as object), name: String(byId.get(x.build_id)?.package_name) } as BuildPathInfo);
          return join(dir, rpmPath(pi, x));
        });
      } else {
        const kwargs: Record<string, XmlRpcValue> = { package: pkg };
        if (type) kwargs.type = type;
        const data = await ctx.session.call<Row[]>('getLatestBuilds', [tag], kwargs);
        lines = buildLines(pi, data, Boolean(o.paths), type);
        if (!quiet) {
          out.push(...(type === 'maven' ? MAVEN_HEADER : BUILD_HEADER));
          quiet = true;
        }
      }
      out.push(...pySorted(lines));
    }
  });
}

export const taggedCommands: Command[] = [
  {
    name: 'list-tagged',
    category: 'info',
    summary: 'List the builds or rpms in a tag',
    usage: 'list-tagged [options] <tag> [<package>]',
    anon: true,
    options: [
      { name: 'arch', type: 'append', help: 'List rpms for this arch' },
      { name: 'rpms', type: 'bool', help: 'Show rpms instead of builds' },
      { name: 'inherit', type: 'bool', help: 'Follow inheritance' },
      { name: 'latest', type: 'bool', help: 'Only show the latest builds/rpms' },
      { name: 'latest-n', type: 'int', metavar: 'N', help: 'Only show the latest N builds/rpms' },
      { name: 'quiet', type: 'bool', help: 'Do not print the header information' },
      { name: 'paths', type: 'bool', help: 'Show the file paths' },
      { name: 'sigs', type: 'bool', help: 'Show signatures' },
      { name: 'type', type: 'string', help: 'Show builds of the given type only. Currently supported types: maven, win, image' },
      ...EVENT_OPTIONS,
      { name: 'draft-only', type: 'bool', help: 'Only list draft builds/rpms' },
      { name: 'no-draft', type: 'bool', help: 'Only list regular builds/rpms' },
    ],
    handler: (ctx, o, args, usage) => listTagged(ctx, o, args, usage),
  },
  {
    name: 'latest-build',
    category: 'info',
    summary: 'Print the latest builds for a tag',
    usage: `latest-build [options] <tag> <package> [<package> ...]

The first option should be the name of a tag, not the name of a build target.
If you want to know the latest build in buildroots for a given build target,
then you should use the name of the build tag for that target. You can find
this value by running 'koji list-targets --name=<target>'

More information on tags and build targets can be found in the documentation.
https://docs.pagure.org/koji/HOWTO/#package-organization`,
    anon: true,
    options: [
      { name: 'arch', type: 'string', help: 'List all of the latest packages for this arch' },
      { name: 'all', type: 'bool', help: 'List all of the latest packages for this tag' },
      { name: 'quiet', type: 'bool', help: 'Do not print the header information' },
      { name: 'paths', type: 'bool', help: 'Show the file paths' },
      { name: 'type', type: 'string', help: 'Show builds of the given type only. Currently supported types: maven, win, image, or any custom content generator btypes' },
    ],
    handler: (ctx, o, args, usage) => latestBuild(ctx, o, args, usage),
  },
];
