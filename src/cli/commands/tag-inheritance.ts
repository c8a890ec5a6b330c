/**
 * Tag inheritance commands: add-tag-inheritance, edit-tag-inheritance, remove-tag-inheritance
 * and list-tag-inheritance (the stock CLI's tree drawing, _printInheritance, line for line).
 */
import type { XmlRpcStruct, XmlRpcValue } from '../../protocol/values.ts';
import { CliError, UsageError, type CliContext, type Command } from '../command.ts';
import { EVENT_OPTIONS, eventFromOpts, isDigits, keepOutput, pyIntOf, queryingLine } from './cli-util.ts';

type Tag = XmlRpcStruct & { id: number; name: string };
type Link = XmlRpcStruct & { parent_id: number; priority: number; name: string };

/** koji_cli.lib.format_inheritance_flags: M(axdepth) F(ilter) I(ntransitive) N(oconfig) or '.' */
export function formatInheritanceFlags(p: XmlRpcStruct): string {
  const flags: Array<[string, boolean]> = [
    ['M', p.maxdepth !== null && p.maxdepth !== undefined],
    ['F', Boolean(p.pkg_filter)],
    ['I', Boolean(p.intransitive)],
    ['N', Boolean(p.noconfig)],
  ];
  return flags.map(([c, on]) => (on ? c : '.')).join('');
}

const sp = (n: number) => ' '.repeat(Math.max(0, n));

/** _printInheritance: one line per node with │ ├ └ ─ connectors. */
export function printInheritance(tags: XmlRpcStruct[], reverse: boolean): string {
  const sibdepths: number[] = [];
  let out = '';
  tags.forEach((cur, i) => {
    const rest = tags.slice(i + 1);
    const siblings = reverse ? rest.filter((t) => t.parent_id === cur.parent_id).length : rest.filter((t) => t.child_id === cur.child_id).length;
    const currdepth = cur.currdepth as number;
    out += formatInheritanceFlags(cur);
    let outdepth = 0;
    for (const depth of sibdepths) {
      if (depth < currdepth) {
        out += sp((depth - outdepth) * 3 - 1) + '\u2502';
        outdepth = depth;
      }
    }
    out += sp((currdepth - outdepth) * 3 - 1) + (siblings ? '\u251c' : '\u2514') + '\u2500';
    out += `${String(cur.name)} (${String(reverse ? cur.tag_id : cur.parent_id)})\n`;
    if (siblings) {
      if (sibdepths.length === 0 || sibdepths[sibdepths.length - 1] !== currdepth) sibdepths.push(currdepth);
    } else if (sibdepths.length > 0 && sibdepths[sibdepths.length - 1] === currdepth) sibdepths.pop();
  });
  return out;
}

async function getTagOrUsage(ctx: CliContext, name: string): Promise<Tag> {
  const t = await ctx.session.call<Tag | null>('getTag', [name]);
  if (!t) throw new UsageError(`No such tag: ${name}`);
  return t;
}

/**
 * The link selection edit-tag-inheritance and remove-tag-inheritance share: the tag, optionally a
 * parent and a priority; exactly one link must match.
 */
async function selectLink(ctx: CliContext, args: string[], out: string[], intPriority: boolean): Promise<{ tag: Tag; link: Link }> {
  if (args.length < 1) throw new UsageError('This command takes at least one argument: a tag name or ID');
  if (args.length > 3) throw new UsageError('This command takes at most three argument: a tag name or ID, a parent tag name or ID, and a priority');
  const tag = await getTagOrUsage(ctx, args[0]);
  let parent: Tag | null = null;
  let priority: number | null = null;
  if (args.length > 1) {
    parent = await getTagOrUsage(ctx, args[1]);
    if (args.length > 2) priority = pyIntOf(args[2]);
  }
  let data = await ctx.session.call<Link[]>('getInheritanceData', [tag.id]);
  if (parent && data.length) data = data.filter((d) => d.parent_id === parent.id);
  if (priority && data.length) data = data.filter((d) => (intPriority ? Math.trunc(Number(d.priority)) : d.priority) === priority);
  if (data.length === 0) throw new CliError('No inheritance link found to remove.  Please check your arguments');
  if (data.length > 1) {
    out.push('Multiple matches for tag.');
    if (!parent) throw new CliError('Please specify a parent on the command line.');
    if (!priority) throw new CliError('Please specify a priority on the command line.');
    throw new CliError('Error: Key constraints may be broken.  Exiting.');
  }
  return { tag, link: data[0] };
}

/** Replace `link` (matched by its parent) in a fresh read of the tag's links and send them all back. */
async function replaceLink(ctx: CliContext, tag: Tag, link: Link, current: Link[], replacement: XmlRpcStruct): Promise<void> {
  const index = current.findIndex((d) => d.parent_id === link.parent_id && d.priority === link.priority);
  if (index === -1) throw new CliError(`ValueError: ${String(link.name)} link is not in list`);
  current[index] = replacement as Link;
  await ctx.session.call('setInheritanceData', [tag.id, current as unknown as XmlRpcValue]);
}

const LINK_OPTIONS = [
  { name: 'maxdepth', type: 'string' as const, help: 'Specify max depth' },
  { name: 'intransitive', type: 'bool' as const, help: 'Set intransitive' },
  { name: 'noconfig', type: 'bool' as const, help: 'Set to packages only' },
  { name: 'pkg-filter', type: 'string' as const, help: 'Specify the package filter' },
];

export const inheritanceCommands: Command[] = [
  {
    name: 'add-tag-inheritance',
    category: 'admin',
    summary: "Add to a tag's inheritance",
    usage: 'add-tag-inheritance [options] <tag> <parent-tag>',
    options: [
      { name: 'priority', type: 'string', help: 'Specify priority' },
      ...LINK_OPTIONS,
      { name: 'force', type: 'bool', help: 'Force adding a parent to a tag that already has that parent tag' },
    ],
    async handler(ctx, o, args) {
      if (args.length !== 2) throw new UsageError("This command takes exactly two arguments: a tag name or ID and that tag's new parent name or ID");
      const tag = await getTagOrUsage(ctx, args[0]);
      const parent = await getTagOrUsage(ctx, args[1]);
      const data = await ctx.session.call<Link[]>('getInheritanceData', [tag.id]);
      const optPriority = (o.priority as string | null) || null;
      const priority = optPriority ? pyIntOf(optPriority) : 0;
      if (data.some((d) => d.parent_id === parent.id) && !o.force) {
        ctx.warn(`Error: You are attempting to add ${parent.name} as ${tag.name}'s parent even though it already is ${tag.name}'s parent.`);
        throw new CliError('Please use --force if this is what you really want to do.');
      }
      if (data.some((d) => d.priority === priority)) {
        throw new CliError(`Error: There is already an active inheritance with that priority on ${tag.name}, please specify a different priority with --priority.`);
      }
      const maxdepth = o.maxdepth as string | null;
      // as the stock CLI, the priority goes out as the text given (the hub converts it)
      data.push({
        parent_id: parent.id,
        priority: (optPriority ?? 0) as number,
        maxdepth: isDigits(maxdepth) ? Number(maxdepth as string) : null,
        intransitive: Boolean(o.intransitive),
        noconfig: Boolean(o.noconfig),
        pkg_filter: (o.pkg_filter as string | null) || '',
      } as unknown as Link);
      await ctx.session.call('setInheritanceData', [tag.id, data as unknown as XmlRpcValue]);
    },
  },
  {
    name: 'edit-tag-inheritance',
    category: 'admin',
    summary: 'Edit tag inheritance',
    usage: 'edit-tag-inheritance [options] <tag> <parent> [<priority>]',
    options: [{ name: 'priority', type: 'string', help: 'Specify a new priority' }, ...LINK_OPTIONS],
    async handler(ctx, o, args, usage) {
      const out: string[] = [];
      return keepOutput(out, usage, async () => {
        const { tag, link } = await selectLink(ctx, args, out, true);
        const current = await ctx.session.call<Link[]>('getInheritanceData', [tag.id]);
        const newPriority = o.priority as string | null;
        if (newPriority !== null && current.some((d) => d.priority === pyIntOf(newPriority))) {
          throw new CliError(`Error: There is already an active inheritance with that priority on ${tag.name}, please specify a different priority with --priority.`);
        }
        const updated: XmlRpcStruct = { ...link };
        if (newPriority !== null && isDigits(newPriority)) updated.priority = Number(newPriority);
        const maxdepth = o.maxdepth as string | null;
        if (maxdepth !== null) {
          if (isDigits(maxdepth)) updated.maxdepth = Number(maxdepth);
          else if (maxdepth.toLowerCase() === 'none') updated.maxdepth = null;
          else throw new CliError(`Invalid maxdepth: ${maxdepth}`);
        }
        if (o.intransitive) updated.intransitive = true;
        if (o.noconfig) updated.noconfig = true;
        if (o.pkg_filter) updated.pkg_filter = o.pkg_filter as string;
        await replaceLink(ctx, tag, link, current, updated);
      });
    },
  },
  {
    name: 'remove-tag-inheritance',
    category: 'admin',
    summary: 'Remove a tag inheritance link',
    usage: 'remove-tag-inheritance <tag> <parent> [<priority>]',
    async handler(ctx, _o, args, usage) {
      const out: string[] = [];
      return keepOutput(out, usage, async () => {
        const { tag, link } = await selectLink(ctx, args, out, false);
        const current = await ctx.session.call<Link[]>('getInheritanceData', [tag.id]);
        await replaceLink(ctx, tag, link, current, { ...link, 'delete link': true });
      });
    },
  },
  {
    name: 'list-tag-inheritance',
    category: 'info',
    summary: 'Print the inheritance information for a tag',
    usage: `list-tag-inheritance [options] <tag>

Prints tag inheritance with basic information about links.
Four flags could be seen in the output:
 M - maxdepth - limits inheritance to n-levels
 F - package filter (packages ignored for inheritance)
 I - intransitive link - inheritance immediately stops here
 N - noconfig - if tag is used in buildroot, its configuration values will not be used

Exact values for maxdepth and package filter can be inquired by taginfo command.
`,
    anon: true,
    options: [
      { name: 'reverse', type: 'bool', help: "Process tag's children instead of its parents" },
      { name: 'stop', type: 'string', help: '', hidden: true },
      { name: 'jump', type: 'string', help: '', hidden: true },
      ...EVENT_OPTIONS,
    ],
    async handler(ctx, o, args, usage) {
      if (args.length !== 1) throw new UsageError('This command takes exactly one argument: a tag name or ID');
      for (const deprecated of ['stop', 'jump']) {
        if (o[deprecated]) throw new UsageError(`--${deprecated} option has been removed in 1.26`);
      }
      const out: string[] = [];
      return keepOutput(out, usage, async () => {
        const event = await eventFromOpts(ctx, o);
        if (event) out.push(queryingLine(event));
        const tag = await ctx.session.call<Tag | null>('getTag', [args[0]], event ? { event: event.id } : undefined);
        if (!tag) throw new UsageError(`No such tag: ${args[0]}`);
        const opts: Record<string, XmlRpcValue> = { reverse: Boolean(o.reverse) };
        if (event) opts.event = event.id;
        out.push(`     ${tag.name} (${tag.id})`);
        const data = await ctx.session.call<XmlRpcStruct[]>('getFullInheritance', [tag.id], opts);
        return { output: printInheritance(data, Boolean(o.reverse)), exitCode: 0 };
      });
    },
  },
];
