/**
 * Build target commands (add-target, edit-target, remove-target, list-targets) and clone-tag,
 * which has the hub copy a tag (snapshotTag) or make an existing one match (snapshotTagModify).
 * Checks, messages and output as the stock CLI's.
 */
import { GenericError, KojiError } from '../../protocol/faults.ts';
import type { XmlRpcStruct, XmlRpcValue } from '../../protocol/values.ts';
import { CliError, UsageError, type CliContext, type Command, type CommandResult, type Options } from '../command.ts';
import { asctime, ljust } from './common.ts';
import { requirePerm } from './groups.ts';
import { eventFromOpts, failedAfter, usageAfter } from './cli-util.ts';

type Row = XmlRpcStruct;

/** The build tag must exist and have arches. */
async function checkBuildTag(ctx: CliContext, tag: string): Promise<void> {
  const info = await ctx.session.call<Row | null>('getTag', [tag]);
  if (!info) throw new CliError(`No such tag: ${tag}`);
  if (!info.arches) throw new CliError(`Build tag has no arches: ${tag}`);
}

async function cloneTag(ctx: CliContext, o: Options, args: string[], usage: () => string): Promise<string | CommandResult> {
  if (args.length !== 2) throw new UsageError('This command takes two arguments: <src-tag> <dst-tag>');
  if (!o.test) await requirePerm(ctx, 'tag');
  if (args[0] === args[1]) throw new UsageError('Source and destination tags must be different.');
  if ((o.batch as number) < 0) throw new UsageError('batch size must be bigger than zero');
  if (o.all) o.config = o.groups = o.pkgs = o.builds = true;
  const out: string[] = [];
  const event = await eventFromOpts(ctx, o);
  if (event) out.push(`Cloning at event ${event.id} (${asctime(event.ts)})`);
  const fail = (message: string) => (out.length ? usageAfter(out, usage, message) : Promise.reject(new UsageError(message)));
  if (o.builds && !o.pkgs) return fail("--builds can't be used without also specifying --pkgs");
  let srctag: Row;
  try {
    srctag = await ctx.session.call<Row>('getBuildConfig', [args[0]], { event: event?.id ?? null });
  } catch (e) {
    if (e instanceof KojiError) return fail(`No such src-tag: ${args[0]}`);
    throw e;
  }
  const dsttag = await ctx.session.call<Row | null>('getTag', [args[1]]);
  if ((srctag.locked && !o.force) || (dsttag && dsttag.locked && !o.force)) {
    return fail('Error: You are attempting to clone from or to a tag which is locked.\nPlease use --force if this is what you really want to do.');
  }
  if (o.test) return fail('server-side operation, test output is no longer available');
  const flag = (k: string) => (o[k] ?? null) as XmlRpcValue;
  const kwargs: Record<string, XmlRpcValue> = {
    config: flag('config'),
    pkgs: flag('pkgs'),
    builds: flag('builds'),
    groups: flag('groups'),
    latest_only: flag('latest_only'),
    inherit_builds: flag('inherit_builds'),
    event: event?.id ?? null,
    force: flag('force'),
  };
  try {
    if (dsttag) await ctx.session.call('snapshotTagModify', [srctag.id as number, args[1]], { ...kwargs, remove: o.delete as boolean });
    else await ctx.session.call('snapshotTag', [srctag.id as number, args[1]], kwargs);
  } catch (e) {
    return failedAfter(out, e);
  }
  return out.length ? out.join('\n') + '\n' : '';
}

export const targetCommands: Command[] = [
  {
    name: 'add-target',
    category: 'admin',
    summary: 'Create a new build target',
    usage: 'add-target <name> <build tag> <dest tag>',
    async handler(ctx, _o, args) {
      if (args.length < 2) throw new UsageError('Please specify a target name, a build tag, and destination tag');
      if (args.length > 3) throw new UsageError('Incorrect number of arguments');
      const [name, buildTag] = args;
      // most targets have the same name as their destination
      const destTag = args[2] ?? name;
      await requirePerm(ctx, 'target');
      const build = await ctx.session.call<Row | null>('getTag', [buildTag]);
      const dest = await ctx.session.call<Row | null>('getTag', [destTag]);
      if (!build) throw new CliError(`No such tag: ${buildTag}`);
      if (!build.arches) throw new CliError(`Build tag has no arches: ${buildTag}`);
      if (!dest) throw new CliError(`No such destination tag: ${destTag}`);
      await ctx.session.call('createBuildTarget', [name, buildTag, destTag]);
    },
  },
  {
    name: 'edit-target',
    category: 'admin',
    summary: 'Set the name, build_tag, and/or dest_tag of an existing build target to new values',
    usage: 'edit-target [options] <name>',
    options: [
      { name: 'rename', type: 'string', help: 'Specify new name for target' },
      { name: 'build-tag', type: 'string', help: 'Specify a different build tag' },
      { name: 'dest-tag', type: 'string', help: 'Specify a different destination tag' },
    ],
    async handler(ctx, o, args) {
      if (args.length !== 1) throw new UsageError('Please specify a build target');
      await requirePerm(ctx, 'target');
      const target = await ctx.session.call<Row | null>('getBuildTarget', [args[0]]);
      if (!target) throw new GenericError(`No such build target: ${args[0]}`);
      const origName = target.name as string;
      const name = (o.rename as string | null) || origName;
      let buildTag = target.build_tag_name as string;
      let destTag = target.dest_tag_name as string;
      if (o.build_tag) {
        buildTag = o.build_tag as string;
        await checkBuildTag(ctx, buildTag);
      }
      if (o.dest_tag) {
        if (!(await ctx.session.call('getTag', [o.dest_tag as string]))) throw new CliError(`No such destination tag: ${String(o.dest_tag)}`);
        destTag = o.dest_tag as string;
      }
      await ctx.session.call('editBuildTarget', [origName, name, buildTag, destTag]);
    },
  },
  {
    name: 'remove-target',
    category: 'admin',
    summary: 'Remove a build target',
    usage: 'remove-target [options] <name>',
    async handler(ctx, _o, args) {
      if (args.length !== 1) throw new UsageError('Please specify a build target to remove');
      await requirePerm(ctx, 'target');
      const target = await ctx.session.call<Row | null>('getBuildTarget', [args[0]]);
      if (!target) throw new CliError(`No such build target: ${args[0]}`);
      await ctx.session.call('deleteBuildTarget', [target.id as number]);
    },
  },
  {
    name: 'list-targets',
    category: 'info',
    summary: 'List the build targets',
    usage: 'list-targets [options]',
    anon: true,
    options: [
      { name: 'name', type: 'string', help: 'Specify the build target name' },
      { name: 'quiet', type: 'bool', help: 'Do not print the header information' },
    ],
    async handler(ctx, o, args) {
      if (args.length !== 0) throw new UsageError('This command takes no arguments');
      const quiet = (o.quiet as boolean | null) ?? ctx.global.quiet;
      const name = (o.name as string | null) ?? null;
      const targets = await ctx.session.call<Row[]>('getBuildTargets', [name]);
      if (targets.length === 0) throw new UsageError(name ? `No such build target: ${name}` : 'No targets were found');
      const out: string[] = [];
      if (!quiet) out.push(`${ljust('Name', 30)} ${ljust('Buildroot', 30)} ${ljust('Destination', 30)}`, '-'.repeat(93));
      const sorted = [...targets].sort((a, b) => (String(a.name) < String(b.name) ? -1 : String(a.name) > String(b.name) ? 1 : 0));
      for (const t of sorted) out.push(`${ljust(String(t.name), 30)} ${ljust(String(t.build_tag_name), 30)} ${ljust(String(t.dest_tag_name), 30)}`);
      return out.join('\n') + '\n';
    },
  },
  {
    name: 'clone-tag',
    category: 'admin',
    summary: 'Duplicate the contents of one tag onto another tag',
    usage: 'clone-tag [options] <src-tag> <dst-tag>\nclone-tag will create the destination tag if it does not already exist',
    options: [
      { name: 'config', type: 'bool', help: 'Copy config from the source to the dest tag' },
      { name: 'groups', type: 'bool', help: 'Copy group information' },
      { name: 'pkgs', type: 'bool', help: 'Copy package list from the source to the dest tag' },
      { name: 'builds', type: 'bool', help: 'Tag builds into the dest tag' },
      { name: 'all', type: 'bool', help: 'The same as --config --groups --pkgs --builds' },
      { name: 'latest-only', type: 'bool', help: 'Tag only the latest build of each package' },
      { name: 'inherit-builds', type: 'bool', help: 'Include all builds inherited into the source tag into the dest tag' },
      { name: 'ts', type: 'int', metavar: 'TIMESTAMP', help: 'Clone tag at last event before specific timestamp' },
      { name: 'no-delete', type: 'bool', dest: 'delete', value: false, default: true, help: "Don't delete any existing content in dest tag." },
      { name: 'event', type: 'int', help: 'Clone tag at a specific event' },
      { name: 'repo', type: 'int', help: 'Clone tag at a specific repo event' },
      { name: 'verbose', short: 'v', type: 'bool', help: '', hidden: true },
      { name: 'notify', type: 'bool', default: false, help: 'Send tagging/untagging notifications' },
      { name: 'force', short: 'f', type: 'bool', help: 'override tag locks if necessary' },
      { name: 'test', short: 'n', type: 'bool', help: '', hidden: true },
      { name: 'batch', type: 'int', default: 100, metavar: 'SIZE', help: '', hidden: true },
    ],
    handler: (ctx, o, args, usage) => cloneTag(ctx, o, args, usage),
  },
];
