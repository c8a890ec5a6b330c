/**
 * tag-build, move-build and untag-build: the stock handle_tag_build, handle_move_build and
 * handle_untag_build. Tagging and moving run as tagBuild tasks on the hub (watched unless
 * --nowait or in the background); untagging is immediate.
 */
import type { XmlRpcStruct } from '../../protocol/values.ts';
import { parseNVR } from '../../util/nvr.ts';
import { CliError, UsageError, type CliContext, type Command, type CommandResult, type Options } from '../command.ts';
import { shouldWait, watchNew } from './tasks-admin.ts';

type Row = XmlRpcStruct;

const WAIT = (what: string) => [
  { name: 'force', type: 'bool' as const, help: 'force operation' },
  { name: 'wait', type: 'bool' as const, help: `Wait on ${what}, even if running in the background` },
  { name: 'nowait', type: 'bool' as const, dest: 'wait', value: false, help: `Do not wait on ${what}` },
];

/** koji.buildLabel */
const label = (b: Row) => `${String(b.package_name ?? b.name)}-${String(b.version)}-${String(b.release)}`;
const nvrOf = (b: Row) => `${String(b.name)}-${String(b.version)}-${String(b.release)}`;

async function done(ctx: CliContext, tasks: number[], wait: unknown): Promise<CommandResult> {
  if (shouldWait(ctx, wait)) return watchNew(ctx, tasks, ctx.global.quiet);
  return { output: '', exitCode: 0 };
}

async function tagBuild(ctx: CliContext, o: Options, args: string[]): Promise<CommandResult> {
  if (args.length < 2) throw new UsageError("This command takes at least two arguments: a tag name/ID and one or more package n-v-r's");
  const tasks: number[] = [];
  for (const pkg of args.slice(1)) {
    const id = await ctx.session.call<number>('tagBuild', [args[0], pkg], { force: Boolean(o.force) });
    tasks.push(id);
    ctx.print(`Created task ${id}\n`);
  }
  return done(ctx, tasks, o.wait);
}

async function moveBuild(ctx: CliContext, o: Options, args: string[]): Promise<CommandResult> {
  if (args.length < 3) {
    throw new UsageError(o.all
      ? 'This command, with --all, takes at least three arguments: two tags and one or more package names'
      : "This command takes at least three arguments: two tags and one or more package n-v-r's");
  }
  const [from, to, ...rest] = args;
  const tasks: number[] = [];
  if (o.all) {
    for (const arg of rest) {
      if (!(await ctx.session.call<Row | null>('getPackage', [arg]))) {
        ctx.print(`No such package: ${arg}, skipping.\n`);
        continue;
      }
      tasks.push(...(await ctx.session.call<number[]>('moveAllBuilds', [from, to, arg, Boolean(o.force)])));
    }
  } else {
    const builds: Row[] = [];
    for (const arg of rest) {
      const b = await ctx.session.call<Row | null>('getBuild', [arg]);
      if (!b) {
        ctx.print(`No such build: ${arg}, skipping.\n`);
        continue;
      }
      if (!builds.some((x) => x.id === b.id)) builds.push(b);
    }
    for (const b of builds) {
      const id = await ctx.session.call<number>('moveBuild', [from, to, b.id as number, Boolean(o.force)]);
      tasks.push(id);
      ctx.print(`Created task ${id}, moving ${label(b)}\n`);
    }
  }
  return done(ctx, tasks, o.wait);
}

/** queryHistory(tag, package=…, active=True)['tag_listing'] for each package, in one multicall. */
async function activeListings(ctx: CliContext, tag: string, pkgs: string[], key: 'package' | 'pkg'): Promise<Row[][]> {
  const res = await ctx.session.multiCall(pkgs.map((p) => ({ method: 'queryHistory', kwargs: { tag, [key]: p, active: true } })), { strict: true });
  return res.map((r) => ((r as [Row])[0].tag_listing as Row[]));
}

async function untagBuild(ctx: CliContext, o: Options, args: string[]): Promise<CommandResult> {
  if (o.non_latest && o.force) {
    if (args.length < 1) throw new UsageError('Please specify a tag');
  } else if (args.length < 2) throw new UsageError("This command takes at least two arguments: a tag name/ID and one or more package n-v-r's or package names");
  const tag = await ctx.session.call<Row | null>('getTag', [args[0]]);
  if (!tag) throw new UsageError(`No such tag: ${args[0]}`);
  let builds: Row[] = [];
  const byEventDesc = (a: Row, b: Row) => (b.create_event as number) - (a.create_event as number);
  if (o.all) {
    builds = (await activeListings(ctx, args[0], args.slice(1), 'package')).flat();
  } else if (o.non_latest) {
    const tagged = (o.force && args.length === 1
      ? ((await ctx.session.call<Row>('queryHistory', [], { tag: args[0], active: true })).tag_listing as Row[])
      : (await activeListings(ctx, args[0], args.slice(1), 'package')).flat()).sort(byEventDesc);
    const seen = new Set<string>();
    for (const b of tagged) {
      const name = String(b.name);
      if (!seen.has(name)) {
        if (o.verbose) ctx.print(`Leaving latest build for package ${name}: ${nvrOf(b)}\n`);
      } else builds.push(b);
      seen.add(name);
    }
  } else {
    const pkgs = [...new Set(args.slice(1).map((n) => parseNVR(n).name))];
    const idx = new Map((await activeListings(ctx, args[0], pkgs, 'pkg')).flat().map((b) => [nvrOf(b), b]));
    let missing = false;
    for (const nvr of args.slice(1)) {
      const b = idx.get(nvr);
      if (b) {
        builds.push(b);
        continue;
      }
      if (!(await ctx.session.call<Row | null>('getBuild', [nvr]))) ctx.warn(`No such build: ${nvr}`);
      else ctx.warn(`Build ${nvr} not in tag ${String(tag.name)}`);
      if (!o.force) missing = true;
    }
    if (missing) throw new CliError('');
  }
  builds.reverse();
  const calls = [];
  for (const b of builds) {
    if (o.test) ctx.print(`would have untagged ${nvrOf(b)}\n`);
    else {
      if (o.verbose) ctx.print(`untagging ${nvrOf(b)}\n`);
      calls.push({ method: 'untagBuild', args: [tag.name as string, nvrOf(b)], kwargs: { force: Boolean(o.force) } });
    }
  }
  if (calls.length) await ctx.session.multiCall(calls, { strict: true });
  return { output: '', exitCode: 0 };
}

export const tagBuildCommands: Command[] = [
  {
    name: 'tag-build',
    category: 'bind',
    summary: 'Apply a tag to one or more builds',
    usage: 'tag-build [options] <tag> <pkg> [<pkg> ...]',
    options: [...WAIT('task').map((x) => (x.name === 'nowait' ? { ...x, help: 'Do not wait on task' } : x))],
    handler: tagBuild,
  },
  {
    name: 'move-build',
    category: 'bind',
    summary: "'Move' one or more builds between tags",
    usage: 'move-build [options] <tag1> <tag2> <pkg> [<pkg> ...]',
    options: [...WAIT('tasks'), { name: 'all', type: 'bool', help: "move all instances of a package, <pkg>'s are package names" }],
    handler: moveBuild,
  },
  {
    name: 'untag-build',
    category: 'bind',
    summary: 'Remove a tag from one or more builds',
    usage: 'untag-build [options] <tag> <pkg> [<pkg> ...]',
    options: [
      { name: 'all', type: 'bool', help: 'untag all versions of the package in this tag, pkg is package name' },
      { name: 'non-latest', type: 'bool', help: 'untag all versions of the package in this tag except the latest, pkg is package name' },
      { name: 'test', short: 'n', type: 'bool', help: 'test mode' },
      { name: 'verbose', short: 'v', type: 'bool', help: 'print details' },
      { name: 'force', type: 'bool', help: 'force operation' },
    ],
    handler: untagBuild,
  },
];
