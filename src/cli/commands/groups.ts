/**
 * Comps group commands: add-group, remove-group, block-group, add-group-pkg, block-group-pkg,
 * unblock-group-pkg, add-group-req, block-group-req, unblock-group-req, list-groups,
 * show-groups (pprint, --comps, --spec) and import-comps — with the stock CLI's checks,
 * messages and output.
 */
import type { HubMethod } from '../../protocol/api.ts';
import type { XmlRpcStruct, XmlRpcValue } from '../../protocol/values.ts';
import { CliError, UsageError, type CliContext, type Command, type CommandResult } from '../command.ts';
import { pformat } from '../pyformat.ts';
import { pyRepr, pyStrOf } from '../../protocol/pyrepr.ts';
import { readCompsFile } from '../comps.ts';
import { generateComps, makeGroupsSpec } from '../../util/comps.ts';
import { eventFromOpts, failedAfter } from './cli-util.ts';
import { asctime } from './common.ts';

type Row = XmlRpcStruct;

/** The stock CLI's `session.hasPerm('admin') or session.hasPerm(perm)` check (a usage error). */
export async function requirePerm(ctx: CliContext, perm: string): Promise<void> {
  if ((await ctx.session.call('hasPerm', ['admin'])) || (await ctx.session.call('hasPerm', [perm]))) return;
  throw new UsageError(`This action requires ${perm} or admin privileges`);
}

const byName = (key: string) => (a: Row, b: Row) => {
  const x = String(a[key]);
  const y = String(b[key]);
  return x < y ? -1 : x > y ? 1 : 0;
};

/** add-group / block-group / remove-group: check the tag and its own (non-inherited) groups first. */
function tagGroupCommand(name: string, summary: string, hubMethod: HubMethod, mustExist: boolean): Command {
  return {
    name,
    category: 'admin',
    summary,
    usage: `${name} <tag> <group>`,
    async handler(ctx, _o, args) {
      if (args.length !== 2) throw new UsageError('Please specify a tag name and a group name');
      const [tag, group] = args;
      await requirePerm(ctx, 'tag');
      if (!(await ctx.session.call('getTag', [tag]))) throw new CliError(`No such tag: ${tag}`);
      const groups = await ctx.session.call<Row[]>('getTagGroups', [tag], { inherit: false });
      const exists = groups.some((g) => g.name === group);
      if (mustExist && !exists) throw new CliError(`Group ${group} doesn't exist within tag ${tag}`);
      if (!mustExist && exists) throw new CliError(`Group ${group} already exists for tag ${tag}`);
      await ctx.session.call(hubMethod, [tag, group]);
    },
  };
}

/** add/block/unblock-group-pkg: one call per package. */
function groupPkgCommand(verb: string, summary: string, hubMethod: HubMethod, note = ''): Command {
  return {
    name: `${verb}-group-pkg`,
    category: 'admin',
    summary,
    usage: `${verb}-group-pkg [options] <tag> <group> <pkg> [<pkg> ...]${note}`,
    async handler(ctx, _o, args) {
      if (args.length < 3) throw new UsageError('You must specify a tag name, group name, and one or more package names');
      for (const pkg of args.slice(2)) await ctx.session.call(hubMethod, [args[0], args[1], pkg]);
    },
  };
}

function groupReqCommand(verb: string, summary: string, hubMethod: HubMethod, reqArg: string): Command {
  return {
    name: `${verb}-group-req`,
    category: 'admin',
    summary,
    usage: `${verb}-group-req [options] <tag> ${verb === 'add' ? '<target group>' : '<group>'} ${reqArg}`,
    async handler(ctx, _o, args) {
      if (args.length !== 3) throw new UsageError('You must specify a tag name and two group names');
      await ctx.session.call(hubMethod, args);
    },
  };
}

const EVENT_OPTS = [
  { name: 'event', type: 'int' as const, metavar: 'EVENT#', help: 'query at event' },
  { name: 'ts', type: 'int' as const, metavar: 'TIMESTAMP', help: 'query at last event before timestamp' },
  { name: 'repo', type: 'int' as const, metavar: 'REPO#', help: 'query at event for a repo' },
];

async function listGroups(ctx: CliContext, o: Record<string, unknown>, args: string[]): Promise<string | CommandResult> {
  if (args.length < 1 || args.length > 2) throw new UsageError('Incorrect number of arguments');
  const kwargs: Record<string, XmlRpcValue> = {};
  if (o.incl_blocked) kwargs.incl_blocked = true;
  const out: string[] = [];
  const event = await eventFromOpts(ctx, o);
  if (event) {
    kwargs.event = event.id;
    out.push(`Querying at event ${event.id} (${asctime(event.ts)})`);
  }
  let groups: Row[];
  try {
    groups = (await ctx.session.call<Row[]>('getTagGroups', [args[0]], kwargs)).sort(byName('name'));
  } catch (e) {
    return failedAfter(out, e);
  }
  const tagNames = new Map<number, string>();
  const tagName = async (id: number): Promise<string> => {
    if (!tagNames.has(id)) {
      const tag = await ctx.session.call<Row | null>('getTag', [id], { strict: false });
      tagNames.set(id, tag ? String(tag.name) : String(id));
    }
    return tagNames.get(id)!;
  };
  for (const g of groups) {
    if (args.length > 1 && g.name !== args[1]) continue;
    out.push(`${String(g.name)}  [${await tagName(g.tag_id as number)}]`);
    for (const r of [...((g.grouplist as Row[]) ?? [])].sort(byName('name'))) out.push(`  @${String(r.name)}  [${await tagName(r.tag_id as number)}]`);
    for (const p of [...((g.packagelist as Row[]) ?? [])].sort(byName('package'))) {
      const line = `  ${String(p.package)}: ${pyStrOf(p.basearchonly)}, ${pyStrOf(p.type)}  [${await tagName(p.tag_id as number)}]`;
      out.push(p.blocked ? `${line} [BLOCKED]` : line);
    }
  }
  return out.length ? out.join('\n') + '\n' : '';
}

const PKG_OPT_ORDER = ['basearchonly', 'requires', 'type'];

async function importComps(ctx: CliContext, o: Record<string, unknown>, args: string[]): Promise<string | CommandResult> {
  if (args.length !== 2) throw new UsageError('Incorrect number of arguments');
  const [file, tag] = args;
  if ((await ctx.session.call('getTag', [tag])) === null) throw new CliError(`No such tag: ${tag}`);
  const groups = readCompsFile(file);
  const force = (o.force as boolean | null) ?? null;
  const out: string[] = [];
  try {
    for (const g of groups) {
      out.push(`Group: ${pyStrOf(g.id)} (${pyStrOf(g.name)})`);
      await ctx.session.call('groupListAdd', [tag, g.id], {
        force,
        display_name: g.name,
        is_default: g.default,
        uservisible: g.uservisible,
        description: g.desc,
        langonly: g.langOnly,
        biarchonly: g.biarchonly,
      });
      for (const p of g.packages) {
        const opts: Record<string, XmlRpcValue> = { type: p.type, basearchonly: p.basearchonly };
        if (p.type === 'conditional') opts.requires = p.requires;
        const shown = PKG_OPT_ORDER.filter((k) => k in opts).map((k) => `'${k}': ${pyRepr(opts[k])}`).join(', ');
        out.push(`  Package: ${p.name}: {${shown}}`);
        await ctx.session.call('groupPackageListAdd', [tag, g.id, p.name], { force, ...opts });
      }
    }
  } catch (e) {
    return failedAfter(out, e);
  }
  return out.length ? out.join('\n') + '\n' : '';
}

export const groupCommands: Command[] = [
  tagGroupCommand('add-group', 'Add a group to a tag', 'groupListAdd', false),
  tagGroupCommand('block-group', 'Block group in tag', 'groupListBlock', true),
  tagGroupCommand('remove-group', 'Remove group from tag', 'groupListRemove', true),
  groupPkgCommand('add', "Add a package to a group's package listing", 'groupPackageListAdd'),
  groupPkgCommand(
    'block',
    "Block a package from a group's package listing",
    'groupPackageListBlock',
    '\nNote that blocking is propagated through the inheritance chain, so it is not exactly the same as package removal.',
  ),
  groupPkgCommand('unblock', "Unblock a package from a group's package listing", 'groupPackageListUnblock'),
  groupReqCommand('add', "Add a group to a group's required list", 'groupReqListAdd', '<required group>'),
  groupReqCommand('block', "Block a group's requirement listing", 'groupReqListBlock', '<blocked req>'),
  groupReqCommand('unblock', "Unblock a group's requirement listing", 'groupReqListUnblock', '<requirement>'),
  {
    name: 'list-groups',
    category: 'info',
    summary: 'Print the group listings',
    usage: 'list-groups [options] <tag> [<group>]',
    anon: true,
    options: [...EVENT_OPTS, { name: 'show-blocked', type: 'bool', dest: 'incl_blocked', help: 'Show blocked packages and groups' }],
    handler: (ctx, o, args) => listGroups(ctx, o, args),
  },
  {
    name: 'show-groups',
    category: 'info',
    summary: 'Show groups data for a tag',
    usage: 'show-groups [options] <tag>',
    anon: true,
    options: [
      { name: 'comps', type: 'bool', help: 'Print in comps format' },
      { name: 'expand', short: 'x', type: 'bool', default: false, help: 'Expand groups in comps format' },
      { name: 'spec', type: 'bool', help: 'Print build spec' },
      { name: 'show-blocked', type: 'bool', dest: 'incl_blocked', help: 'Show blocked packages' },
    ],
    async handler(ctx, o, args) {
      if (args.length !== 1) throw new UsageError('Incorrect number of arguments');
      if (o.incl_blocked && (o.comps || o.spec)) throw new UsageError("--show-blocked doesn't make sense for comps/spec output");
      const groups = await ctx.session.call<Row[]>('getTagGroups', [args[0]], o.incl_blocked ? { incl_blocked: true } : {});
      if (o.comps) return generateComps(groups, Boolean(o.expand)) + '\n';
      if (o.spec) return makeGroupsSpec(groups, 'buildgroups', 'build') + '\n';
      return pformat(groups) + '\n';
    },
  },
  {
    name: 'import-comps',
    category: 'misc',
    summary: 'Import group/package information from a comps file',
    usage: 'import-comps [options] <file> <tag>',
    options: [{ name: 'force', type: 'bool', help: 'force import' }],
    handler: (ctx, o, args) => importComps(ctx, o, args),
  },
];
