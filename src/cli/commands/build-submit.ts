/**
 * build and chain-build: the stock handle_build and handle_chain_build — check the target and
 * its destination tag, upload a local SRPM (with the stock progress line unless --noprogress,
 * --quiet or in the background) to a unique cli-build/ folder, call build / chainBuild and
 * watch the task unless --nowait or in the background.
 *
 * Beyond Koji: chain-build also takes local SRPM files (uploaded like build's); the stock CLI
 * takes SCM URLs and N-V-Rs only, and only koji-ts builders build uploaded SRPMs in a chain.
 */
import { basename } from 'node:path';
import type { XmlRpcStruct, XmlRpcValue } from '../../protocol/values.ts';
import { parseArches } from '../../util/arch.ts';
import { CliError, UsageError, type CliContext, type Command, type CommandResult, type Options } from '../command.ts';
import { uploadWithProgress } from '../upload.ts';
import { uniquePath } from './import.ts';
import { shouldWait, watchNew, WAIT_OPTIONS } from './tasks-admin.ts';

type Row = XmlRpcStruct;

const BUILD_USAGE = `build [options] <target> <srpm path or scm url>

The first option is the build target, not to be confused with the destination
tag (where the build eventually lands) or build tag (where the buildroot
contents are pulled from).

You can list all available build targets using the '%prog list-targets' command.
More detail can be found in the documentation.
https://docs.pagure.org/koji/HOWTO/#package-organization`;

/** Print the new task's lines (unless quiet), then watch it when asked to. */
async function created(ctx: CliContext, id: number, quiet: boolean, wait: unknown): Promise<CommandResult> {
  if (!quiet) ctx.print(`Created task: ${id}\nTask info: ${ctx.config.weburl}/taskinfo?taskID=${id}\n`);
  if (shouldWait(ctx, wait)) return watchNew(ctx, id, quiet);
  return { output: '', exitCode: 0 };
}

/** Upload a local SRPM into a fresh cli-build/ folder; the path the hub knows it by. */
async function uploadSrpm(ctx: CliContext, path: string, quiet: boolean, noprogress: boolean): Promise<string> {
  if (!quiet) ctx.print(`Uploading srpm: ${path}\n`);
  const serverdir = uniquePath('cli-build');
  await uploadWithProgress(ctx, path, serverdir, !(ctx.runningInBackground() || noprogress || quiet));
  return `${serverdir}/${basename(path)}`;
}

async function build(ctx: CliContext, o: Options, args: string[]): Promise<CommandResult> {
  if (args.length !== 2) throw new UsageError('Exactly two arguments (a build target and a SCM URL or srpm file) are required');
  if (o.rebuild_srpm !== null && o.rebuild_srpm !== undefined && !o.scratch) throw new UsageError('--no-/rebuild-srpm is only allowed for --scratch builds');
  if (o.arch_override && !o.scratch) throw new UsageError('--arch_override is only allowed for --scratch builds');
  if (o.scratch && o.draft) throw new UsageError('--scratch and --draft cannot be both specfied');
  let custom: XmlRpcValue = {};
  if (o.custom_user_metadata) {
    try {
      custom = JSON.parse(o.custom_user_metadata as string) as XmlRpcValue;
    } catch {
      throw new UsageError('--custom-user-metadata is not valid JSON');
    }
  }
  if (typeof custom !== 'object' || custom === null || Array.isArray(custom)) throw new UsageError('--custom-user-metadata must be a JSON object');
  const quiet = (o.quiet as boolean | null) ?? ctx.global.quiet;
  let target: string | null = args[0];
  if (target.toLowerCase() === 'none' && o.repo_id) {
    target = null;
    o.skip_tag = true;
  } else {
    const bt = await ctx.session.call<Row | null>('getBuildTarget', [target]);
    if (!bt) throw new UsageError(`No such build target: ${target}`);
    const dest = await ctx.session.call<Row | null>('getTag', [bt.dest_tag as number]);
    if (!dest) throw new UsageError(`No such destination tag: ${String(bt.dest_tag_name)}`);
    if (dest.locked && !o.scratch) throw new UsageError(`Destination tag ${String(dest.name)} is locked`);
  }
  let source = args[1];
  const opts: Row = {};
  if (o.arch_override) opts.arch_override = parseArches(o.arch_override as string).join(' ');
  for (const k of ['skip_tag', 'scratch', 'repo_id', 'fail_fast', 'wait_repo', 'wait_builds', 'rebuild_srpm', 'draft']) {
    const v = o[k];
    if (v !== null && v !== undefined) opts[k] = v as XmlRpcValue;
  }
  opts.custom_user_metadata = custom;
  if (!source.includes('://')) source = await uploadSrpm(ctx, source, quiet, Boolean(o.noprogress));
  const id = await ctx.session.call<number>('build', [source, target, opts], { priority: o.background ? 5 : null });
  return created(ctx, id, quiet, o.wait);
}

async function chainBuild(ctx: CliContext, o: Options, args: string[]): Promise<CommandResult> {
  if (args.length < 2) throw new UsageError('At least two arguments (a build target and a SCM URL) are required');
  const [target, ...sources] = args;
  const bt = await ctx.session.call<Row | null>('getBuildTarget', [target]);
  if (!bt) throw new UsageError(`No such build target: ${target}`);
  const dest = await ctx.session.call<Row>('getTag', [bt.dest_tag as number], { strict: true });
  if (dest.locked) throw new UsageError(`Destination tag ${String(dest.name)} is locked`);
  const ancestors = await ctx.session.call<Row[]>('getFullInheritance', [bt.build_tag as number]);
  if (![bt.build_tag, ...ancestors.map((a) => a.parent_id)].includes(dest.id)) {
    ctx.warn(`Packages in destination tag ${String(bt.dest_tag_name)} are not inherited by build tag ${String(bt.build_tag_name)}`);
    throw new CliError(`Target ${String(bt.name)} is not usable for a chain-build`);
  }
  const quiet = (o.quiet as boolean | null) ?? ctx.global.quiet;
  const levels: string[][] = [];
  let level: string[] = [];
  for (const src of sources) {
    if (src === ':') {
      if (level.length) levels.push(level);
      level = [];
    } else if (src.includes('://')) level.push(src);
    else if (!src.includes('/') && !src.endsWith('.rpm') && src.split('-').length >= 3) level.push(src);
    else if (src.endsWith('.src.rpm')) level.push(src);
    else throw new CliError(`"${src}" is not a SCM URL or package N-V-R`);
  }
  if (level.length) levels.push(level);
  if (levels.length < 2) throw new UsageError('You must specify at least one dependency between builds with : (colon)\nIf there are no dependencies, use the build command instead');
  for (const l of levels) {
    for (const [i, src] of l.entries()) if (src.endsWith('.src.rpm') && !src.includes('://')) l[i] = await uploadSrpm(ctx, src, quiet, Boolean(o.noprogress));
  }
  const id = await ctx.session.call<number>('chainBuild', [levels, target], { priority: o.background ? 5 : null });
  return created(ctx, id, quiet, o.wait);
}

export const buildSubmitCommands: Command[] = [
  {
    name: 'build',
    category: 'build',
    summary: 'Build a package from source',
    usage: BUILD_USAGE,
    plainUsage: true,
    options: [
      { name: 'skip-tag', type: 'bool', help: 'Do not attempt to tag package' },
      { name: 'scratch', type: 'bool', help: 'Perform a scratch build' },
      { name: 'rebuild-srpm', type: 'bool', dest: 'rebuild_srpm', help: 'Force rebuilding SRPM for scratch build only' },
      { name: 'no-rebuild-srpm', type: 'bool', dest: 'rebuild_srpm', value: false, help: 'Force not to rebuild srpm for scratch build only' },
      ...WAIT_OPTIONS('the build').map((x) => (x.name === 'nowait' ? { ...x, help: "Don't wait on build" } : x)),
      { name: 'wait-repo', type: 'bool', help: 'Wait for a current repo for the build tag' },
      { name: 'wait-build', type: 'append', metavar: 'NVR', dest: 'wait_builds', default: [], help: 'Wait for the given nvr to appear in buildroot repo' },
      { name: 'quiet', type: 'bool', help: 'Do not print the task information' },
      { name: 'arch-override', type: 'string', help: 'Override build arches' },
      { name: 'fail-fast', type: 'bool', help: 'Override build_arch_can_fail settings and fail as fast as possible' },
      { name: 'repo-id', type: 'int', help: 'Use a specific repo' },
      { name: 'noprogress', type: 'bool', help: 'Do not display progress of the upload' },
      { name: 'background', type: 'bool', help: 'Run the build at a lower priority' },
      { name: 'custom-user-metadata', type: 'string', help: "Provide a JSON string of custom metadata to be deserialized and stored under the build's extra.custom_user_metadata field" },
      { name: 'draft', type: 'bool', help: 'Build draft build instead' },
    ],
    handler: build,
  },
  {
    name: 'chain-build',
    category: 'build',
    summary: 'Build one or more packages from source',
    usage: 'chain-build [options] <target> <URL> [<URL> [:] <URL> [:] <URL> ...]',
    options: [
      ...WAIT_OPTIONS('build').map((x) => (x.name === 'nowait' ? { ...x, help: "Don't wait on build" } : x)),
      { name: 'quiet', type: 'bool', help: 'Do not print the task information' },
      { name: 'background', type: 'bool', help: 'Run the build at a lower priority' },
      { name: 'noprogress', type: 'bool', help: 'Do not display progress of the upload (koji-ts: SRPM files in a chain)' },
    ],
    handler: chainBuild,
  },
];
