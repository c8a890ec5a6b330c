/**
 * Package lists and tagged builds: add-pkg, block-pkg, unblock-pkg, remove-pkg, set-pkg-owner,
 * set-pkg-arches, list-pkgs, plus list-tagged and latest-build (in tagged.ts). Options, messages
 * and output follow the stock koji 1.35 CLI, including its multicalls.
 */
import type { XmlRpcStruct, XmlRpcValue } from '../../protocol/values.ts';
import { parseArches } from '../../util/arch.ts';
import { CliError, UsageError, type CliContext, type Command } from '../command.ts';
import { multicall } from './common.ts';
import { EVENT_OPTIONS, eventFromOpts, keepOutput, pad, queryingLine } from './cli-util.ts';
import { taggedCommands } from './tagged.ts';

type Tag = XmlRpcStruct & { id: number; name: string };
type PkgEntry = XmlRpcStruct & { package_id: number; package_name: string };

async function tagOrError(ctx: CliContext, name: string): Promise<Tag> {
  const t = await ctx.session.call<Tag | null>('getTag', [name]);
  if (!t) throw new CliError(`No such tag: ${name}`);
  return t;
}

/** The tag's package names → ids, as add-pkg, block-pkg and remove-pkg read them first. */
async function packageNames(ctx: CliContext, tagId: number, inherited: boolean): Promise<Map<string, number>> {
  const kwargs: Record<string, XmlRpcValue> = { tagID: tagId, with_owners: false };
  if (inherited) kwargs.inherited = true;
  const list = await ctx.session.call<PkgEntry[]>('listPackages', [], kwargs);
  return new Map(list.map((p) => [p.package_name, p.package_id]));
}

/** add-pkg's, block-pkg's and remove-pkg's argument check. */
function tagAndPackages(args: string[]): void {
  if (args.length < 2) throw new UsageError('Please specify a tag and at least one package');
}

/** Check every package is listed (a warning each when not, then exit 1 with no message). */
async function checkListed(ctx: CliContext, args: string[], inherited: boolean, message: (pkg: string, tag: string) => string): Promise<void> {
  const tag = args[0];
  const info = await tagOrError(ctx, tag);
  const listed = await packageNames(ctx, info.id, inherited);
  let missing = false;
  for (const pkg of args.slice(1)) {
    if (!listed.has(pkg)) {
      ctx.warn(message(pkg, tag));
      missing = true;
    }
  }
  if (missing) throw new CliError('', 1);
}

const FORCE = { name: 'force', type: 'bool' as const, help: 'Force operation' };

export const pkgCommands: Command[] = [
  {
    name: 'add-pkg',
    category: 'admin',
    summary: 'Add a package to the listing for tag',
    usage: 'add-pkg [options] --owner <owner> <tag> <package> [<package> ...]',
    options: [
      { name: 'force', type: 'bool', help: 'Override blocks if necessary' },
      { name: 'owner', type: 'string', help: 'Specify owner' },
      { name: 'extra-arches', type: 'string', help: 'Specify extra arches' },
    ],
    async handler(ctx, o, args, usage) {
      tagAndPackages(args);
      if (!o.owner) throw new UsageError('Please specify an owner for the package(s)');
      if (!(await ctx.session.call('getUser', [o.owner as string]))) throw new CliError(`No such user: ${String(o.owner)}`);
      const tag = args[0];
      const opts: Record<string, XmlRpcValue> = { force: (o.force as boolean | null) ?? null, block: false };
      const dsttag = await tagOrError(ctx, tag);
      const listed = await packageNames(ctx, dsttag.id, false);
      const out: string[] = [];
      const toAdd: string[] = [];
      for (const pkg of args.slice(1)) {
        if (listed.has(pkg)) {
          out.push(`Package ${pkg} already exists in tag ${tag}`);
          continue;
        }
        toAdd.push(pkg);
      }
      return keepOutput(out, usage, async () => {
        if (o.extra_arches) opts.extra_arches = parseArches(o.extra_arches as string).join(' ');
        out.push(`Adding ${toAdd.length} packages to tag ${dsttag.name}`);
        await multicall(ctx, toAdd.map((pkg) => ({ method: 'packageListAdd', args: [tag, pkg, o.owner as string], kwargs: opts })), true);
      });
    },
  },
  {
    name: 'block-pkg',
    category: 'admin',
    summary: 'Block a package in the listing for tag',
    usage: 'block-pkg [options] <tag> <package> [<package> ...]',
    options: [{ name: 'force', type: 'bool', default: false, help: 'Override blocks and owner if necessary' }],
    async handler(ctx, o, args) {
      tagAndPackages(args);
      await checkListed(ctx, args, true, (pkg, tag) => `Package ${pkg} doesn't exist in tag ${tag}`);
      // force goes out only when given (older hubs do not know it)
      await multicall(ctx, args.slice(1).map((pkg) => ({ method: 'packageListBlock', args: [args[0], pkg], kwargs: o.force ? { force: true } : undefined })), true);
    },
  },
  {
    name: 'remove-pkg',
    category: 'admin',
    summary: 'Remove a package from the listing for tag',
    usage: 'remove-pkg [options] <tag> <package> [<package> ...]',
    options: [{ name: 'force', type: 'bool', help: 'Override blocks if necessary' }],
    async handler(ctx, o, args) {
      tagAndPackages(args);
      await checkListed(ctx, args, false, (pkg, tag) => `Package ${pkg} is not in tag ${tag}`);
      const force = (o.force as boolean | null) ?? null;
      await multicall(ctx, args.slice(1).map((pkg) => ({ method: 'packageListRemove', args: [args[0], pkg], kwargs: { force } })), true);
    },
  },
  {
    name: 'unblock-pkg',
    category: 'admin',
    summary: 'Unblock a package in the listing for tag',
    usage: 'unblock-pkg [options] <tag> <package> [<package> ...]',
    async handler(ctx, _o, args) {
      tagAndPackages(args);
      await multicall(ctx, args.slice(1).map((pkg) => ({ method: 'packageListUnblock', args: [args[0], pkg] })), true);
    },
  },
  {
    name: 'set-pkg-owner',
    category: 'admin',
    summary: 'Set the owner for a package',
    usage: 'set-pkg-owner [options] <owner> <tag> <package> [<package> ...]',
    options: [FORCE],
    async handler(ctx, o, args) {
      if (args.length < 3) throw new UsageError('Please specify an owner, a tag, and at least one package');
      const [owner, tag] = args;
      const force = (o.force as boolean | null) ?? null;
      await multicall(ctx, args.slice(2).map((pkg) => ({ method: 'packageListSetOwner', args: [tag, pkg, owner], kwargs: { force } })), true);
    },
  },
  {
    name: 'set-pkg-arches',
    category: 'admin',
    summary: 'Set the list of extra arches for a package',
    usage: 'set-pkg-arches [options] <arches> <tag> <package> [<package> ...]',
    options: [FORCE],
    async handler(ctx, o, args) {
      if (args.length < 3) throw new UsageError('Please specify an archlist, a tag, and at least one package');
      const arches = parseArches(args[0]).join(' ');
      const tag = args[1];
      const force = (o.force as boolean | null) ?? null;
      await multicall(ctx, args.slice(2).map((pkg) => ({ method: 'packageListSetArches', args: [tag, pkg, arches], kwargs: { force } })), true);
    },
  },
  {
    name: 'list-pkgs',
    category: 'info',
    summary: 'Print the package listing for tag or for owner',
    usage: 'list-pkgs [options]',
    anon: true,
    options: [
      { name: 'owner', type: 'string', help: 'Specify owner' },
      { name: 'tag', type: 'string', help: 'Specify tag' },
      { name: 'package', type: 'string', help: 'Specify package' },
      { name: 'quiet', type: 'bool', help: 'Do not print header information' },
      { name: 'noinherit', type: 'bool', help: "Don't follow inheritance" },
      { name: 'show-blocked', type: 'bool', help: 'Show blocked packages' },
      { name: 'show-dups', type: 'bool', help: 'Show superseded owners' },
      ...EVENT_OPTIONS,
    ],
    async handler(ctx, o, args, usage) {
      if (args.length !== 0) throw new UsageError('This command takes no arguments');
      const quiet = (o.quiet as boolean | null) ?? ctx.global.quiet;
      const opts: Record<string, XmlRpcValue> = {};
      if (o.owner) {
        const user = await ctx.session.call<XmlRpcStruct | null>('getUser', [o.owner as string]);
        if (user === null) throw new UsageError(`No such user: ${String(o.owner)}`);
        opts.userID = user.id;
      }
      if (o.tag) {
        const tag = await ctx.session.call<Tag | null>('getTag', [o.tag as string]);
        if (tag === null) throw new UsageError(`No such tag: ${String(o.tag)}`);
        opts.tagID = tag.id;
      }
      if (o.package) opts.pkgID = o.package as string;
      const allpkgs = Object.keys(opts).length === 0;
      opts.inherited = !o.noinherit;
      // hiding dups only makes sense when querying a tag
      opts.with_dups = o.tag ? ((o.show_dups as boolean | null) ?? null) : true;
      const out: string[] = [];
      return keepOutput(out, usage, async () => {
        const event = await eventFromOpts(ctx, o);
        if (event) {
          opts.event = event.id;
          out.push(queryingLine(event));
        }
        if (!opts.tagID && !opts.userID && !opts.pkgID) {
          if (opts.event) throw new UsageError('--event and --ts makes sense only with --tag, --owner or --package');
          if (o.show_blocked) throw new UsageError('--show-blocked makes sense only with --tag, --owner or --package');
        }
        if (o.show_blocked) opts.with_blocked = true;
        const data = await ctx.session.call<PkgEntry[]>('listPackages', [], opts);
        if (!data.length) throw new CliError('(no matching packages)');
        if (!quiet) {
          if (allpkgs) out.push('Package', '-'.repeat(23));
          else out.push(`${pad('Package', 23)} ${pad('Tag', 23)} ${pad('Extra Arches', 16)} ${pad('Owner', 15)}`, `${'-'.repeat(23)} ${'-'.repeat(23)} ${'-'.repeat(16)} ${'-'.repeat(15)}`);
        }
        for (const p of data) {
          if (allpkgs) {
            out.push(p.package_name);
            continue;
          }
          if (!o.show_blocked && p.blocked) continue;
          if ('tag_id' in p) {
            let line = `${pad(p.package_name, 23)} ${pad(p.tag_name, 23)} ${pad(p.extra_arches ?? '', 16)} ${pad(p.owner_name, 15)}`;
            if (p.blocked) line += ' [BLOCKED]';
            out.push(line);
          } else out.push(p.package_name);
        }
      });
    },
  },
  ...taggedCommands,
];
