/**
 * Tag commands: add-tag, edit-tag, remove-tag, list-tags, taginfo, plus the inheritance commands
 * (add/edit/remove-tag-inheritance, list-tag-inheritance, in tag-inheritance.ts). Options,
 * messages and output follow the stock koji 1.35 CLI.
 */
import type { HubMethod } from '../../protocol/api.ts';
import type { XmlRpcStruct, XmlRpcValue } from '../../protocol/values.ts';
import { parseArches } from '../../util/arch.ts';
import { CliError, UsageError, type CliContext, type Command } from '../command.ts';
import { pformat } from '../pyformat.ts';
import { pyRepr, pyStrOf } from '../../protocol/pyrepr.ts';
import { isNotImplemented, multicall, resultOf, splitPair } from './common.ts';
import { argFilterJson, EVENT_OPTIONS, eventFromOpts, keepOutput, pad, queryingLine } from './cli-util.ts';
import { formatInheritanceFlags, inheritanceCommands } from './tag-inheritance.ts';

type Tag = XmlRpcStruct & { id: number; name: string };

async function requireTagPerm(ctx: CliContext): Promise<void> {
  if (!((await ctx.session.call('hasPerm', ['admin'])) || (await ctx.session.call('hasPerm', ['tag'])))) {
    throw new UsageError('This action requires tag or admin privileges');
  }
}

/** A call koji-ts's hub may not have yet: its "not implemented" answer counts as `fallback`. */
async function callOr<T>(ctx: CliContext, fallback: T, method: HubMethod, args: XmlRpcValue[], kwargs?: Record<string, XmlRpcValue>): Promise<T> {
  try {
    return await ctx.session.call<T>(method, args, kwargs);
  } catch (e) {
    if (isNotImplemented(e)) return fallback;
    throw e;
  }
}

async function taginfo(ctx: CliContext, o: Record<string, unknown>, args: string[], usage: () => string) {
  if (args.length < 1) throw new UsageError('Please specify a tag');
  const out: string[] = [];
  return keepOutput(out, usage, async () => {
    const event = await eventFromOpts(ctx, o);
    const eventOpts: Record<string, XmlRpcValue> = {};
    if (event) {
      out.push(queryingLine(event));
      eventOpts.event = event.id;
    }
    const perms = new Map((await ctx.session.call<Array<{ id: number; name: string }>>('getAllPerms')).map((p) => [p.id, p.name]));
    const tags: Tag[] = [];
    for (const tag of args) {
      let info = await ctx.session.call<Tag | null>('getBuildConfig', [tag], eventOpts);
      if (info === null) {
        if (/^\s*[+-]?\d+\s*$/.test(tag)) info = await ctx.session.call<Tag | null>('getBuildConfig', [Number(tag)], eventOpts);
        if (info === null) throw new UsageError(`No such tag: ${tag}`);
      }
      tags.push(info);
    }
    for (const [n, info] of tags.entries()) {
      if (n > 0) out.push('');
      out.push(`Tag: ${info.name} [${info.id}]`, `Arches: ${pyStrOf(info.arches)}`);
      const groups = await callOr<Array<{ name: string }>>(ctx, [], 'getTagGroups', [info.id], eventOpts);
      out.push('Groups: ' + groups.map((g) => g.name).sort().join(', '));
      if (info.locked) out.push('LOCKED');
      if (info.perm_id !== null && info.perm_id !== undefined) out.push(`Required permission: ${pyRepr(perms.get(info.perm_id as number) ?? info.perm_id)}`);
      if (await ctx.session.call('mavenEnabled')) {
        out.push(`Maven support?: ${info.maven_support ? 'yes' : 'no'}`, `Include all Maven archives?: ${info.maven_include_all ? 'yes' : 'no'}`);
      }
      if ('extra' in info) {
        out.push('Tag options:');
        const extra = (info.extra ?? {}) as XmlRpcStruct;
        const inh = ((info.config_inheritance as XmlRpcStruct | undefined)?.extra ?? {}) as Record<string, { name: string }>;
        for (const key of Object.keys(extra).sort()) {
          let line = `  ${key} : ${pformat(extra[key])}`;
          if (key in inh) line = `${pad(line, 30)} [${inh[key].name}]`;
          out.push(line);
        }
      }
      type Target = { name: string; build_tag: number; build_tag_name: string };
      const destTargets = await callOr<Target[]>(ctx, [], 'getBuildTargets', [], { destTagID: info.id, ...eventOpts });
      const buildTargets = await callOr<Target[]>(ctx, [], 'getBuildTargets', [], { buildTagID: info.id, ...eventOpts });
      const repos = new Map<number, string>();
      if (!event) {
        for (const repoTag of [...destTargets.map((t) => t.build_tag), ...buildTargets.map((t) => t.build_tag), info.id]) {
          if (repos.has(repoTag)) continue;
          const repo = await ctx.session.call<XmlRpcStruct | null>('getRepo', [repoTag]);
          repos.set(repoTag, repo === null ? 'no active repo' : `repo#${String(repo.id)}: ${pyStrOf(repo.creation_time)}`);
        }
      }
      if (destTargets.length) {
        out.push('Targets that build into this tag:');
        for (const t of destTargets) out.push(event ? `  ${t.name} (${t.build_tag_name})` : `  ${t.name} (${t.build_tag_name}, ${repos.get(t.build_tag)})`);
      }
      if (buildTargets.length) {
        out.push('This tag is a buildroot for one or more targets');
        if (!event) out.push(`Current repo: ${repos.get(info.id)}`);
        out.push('Targets that build from this tag:');
        for (const t of buildTargets) out.push(`  ${t.name}`);
      } else if (repos.has(info.id)) out.push(`Current repo: ${repos.get(info.id)}`);
      const external = await ctx.session.call<XmlRpcStruct[]>('getTagExternalRepos', [], { tag_info: info.id, ...eventOpts });
      if (external.length) {
        out.push('External repos:');
        for (const r of external) {
          const arches = !('arches' in r) ? '-' : !r.arches ? 'inherited from tag' : pyStrOf(r.arches);
          out.push(`  ${String(r.priority).padStart(3)} ${String(r.external_repo_name)} (${String(r.url)}, merge mode: ${String(r.merge_mode)}), arches: ${arches}`);
        }
      }
      out.push('Inheritance:');
      for (const p of await ctx.session.call<XmlRpcStruct[]>('getInheritanceData', [info.id], eventOpts)) {
        out.push(`  ${pad(p.priority, 4)} ${formatInheritanceFlags(p)} ${String(p.name)} [${String(p.parent_id)}]`);
        if (p.maxdepth !== null && p.maxdepth !== undefined) out.push(`    maxdepth: ${String(p.maxdepth)}`);
        if (p.pkg_filter) out.push(`    package filter: ${String(p.pkg_filter)}`);
      }
    }
  });
}

export const tagCommands: Command[] = [
  {
    name: 'add-tag',
    category: 'admin',
    summary: 'Add a new tag to the database',
    usage: 'add-tag [options] <name>',
    options: [
      { name: 'parent', type: 'string', help: 'Set a parent tag with priority 0' },
      { name: 'arches', type: 'string', help: 'Specify arches' },
      { name: 'maven-support', type: 'bool', help: 'Enable creation of Maven repos for this tag' },
      { name: 'include-all', type: 'bool', help: 'Include all packages in this tag when generating Maven repos' },
      { name: 'extra', short: 'x', type: 'append', metavar: 'key=value', help: 'Set tag extra option' },
    ],
    async handler(ctx, o, args) {
      if (args.length !== 1) throw new UsageError('Please specify a name for the tag');
      await requireTagPerm(ctx);
      const opts: Record<string, XmlRpcValue> = {};
      if (o.parent) opts.parent = o.parent as string;
      if (o.arches) opts.arches = parseArches(o.arches as string).join(' ');
      if (o.maven_support) opts.maven_support = true;
      if (o.include_all) opts.maven_include_all = true;
      if ((o.extra as string[]).length) {
        const extra: Record<string, XmlRpcValue> = {};
        for (const x of o.extra as string[]) {
          const [key, value] = splitPair(x);
          extra[key] = argFilterJson(value, false);
        }
        opts.extra = extra;
      }
      await ctx.session.call('createTag', [args[0]], opts);
    },
  },
  {
    name: 'edit-tag',
    category: 'admin',
    summary: 'Alter tag information',
    usage: 'edit-tag [options] <name>',
    options: [
      { name: 'arches', type: 'string', help: 'Specify arches' },
      { name: 'perm', type: 'string', help: 'Specify permission requirement' },
      { name: 'no-perm', type: 'bool', help: 'Remove permission requirement' },
      { name: 'lock', type: 'bool', help: 'Lock the tag' },
      { name: 'unlock', type: 'bool', help: 'Unlock the tag' },
      { name: 'rename', type: 'string', help: 'Rename the tag' },
      { name: 'maven-support', type: 'bool', help: 'Enable creation of Maven repos for this tag' },
      { name: 'no-maven-support', type: 'bool', help: 'Disable creation of Maven repos for this tag' },
      { name: 'include-all', type: 'bool', help: 'Include all packages in this tag when generating Maven repos' },
      { name: 'no-include-all', type: 'bool', help: 'Do not include all packages in this tag when generating Maven repos' },
      { name: 'extra', short: 'x', type: 'append', metavar: 'key=value', help: 'Set tag extra option. JSON-encoded or simple value' },
      { name: 'remove-extra', short: 'r', type: 'append', metavar: 'key', help: 'Remove tag extra option' },
      { name: 'block-extra', short: 'b', type: 'append', metavar: 'key', help: 'Block inherited tag extra option' },
    ],
    async handler(ctx, o, args) {
      if (args.length !== 1) throw new UsageError('Please specify a name for the tag');
      const opts: Record<string, XmlRpcValue> = {};
      if (o.arches) opts.arches = parseArches(o.arches as string).join(' ');
      if (o.no_perm) opts.perm = null;
      else if (o.perm) opts.perm = o.perm as string;
      if (o.unlock) opts.locked = false;
      if (o.lock) opts.locked = true;
      if (o.rename) opts.name = o.rename as string;
      if (o.maven_support) opts.maven_support = true;
      if (o.no_maven_support) opts.maven_support = false;
      if (o.include_all) opts.maven_include_all = true;
      if (o.no_include_all) opts.maven_include_all = false;
      if ((o.extra as string[]).length) {
        const extra: Record<string, XmlRpcValue> = {};
        for (const x of o.extra as string[]) {
          const [key, value] = splitPair(x);
          if (key in extra) throw new UsageError(`Duplicate extra key: ${key}`);
          extra[key] = argFilterJson(value, true);
        }
        opts.extra = extra;
      }
      opts.remove_extra = o.remove_extra as string[];
      opts.block_extra = o.block_extra as string[];
      await ctx.session.call('editTag2', [args[0]], opts);
    },
  },
  {
    name: 'remove-tag',
    category: 'admin',
    summary: 'Remove a tag',
    usage: 'remove-tag [options] <name>',
    async handler(ctx, _o, args) {
      if (args.length !== 1) throw new UsageError('Please specify a tag to remove');
      await requireTagPerm(ctx);
      const info = await ctx.session.call<Tag | null>('getTag', [args[0]]);
      if (!info) throw new CliError(`No such tag: ${args[0]}`);
      await ctx.session.call('deleteTag', [info.id]);
    },
  },
  {
    name: 'list-tags',
    category: 'info',
    summary: 'Print the list of tags',
    usage: 'list-tags [options] [pattern]',
    anon: true,
    options: [
      { name: 'show-id', type: 'bool', help: 'Show tag ids' },
      { name: 'verbose', type: 'bool', help: 'Show more information' },
      { name: 'unlocked', type: 'bool', help: 'Only show unlocked tags' },
      { name: 'build', type: 'string', help: 'Show tags associated with a build' },
      { name: 'package', type: 'string', help: 'Show tags associated with a package' },
    ],
    async handler(ctx, o, patterns) {
      let pkg: XmlRpcStruct = {};
      let build: XmlRpcStruct = {};
      if (o.package) {
        pkg = (await ctx.session.call<XmlRpcStruct | null>('getPackage', [o.package as string])) ?? {};
        if (!Object.keys(pkg).length) throw new UsageError(`No such package: ${String(o.package)}`);
      }
      if (o.build) {
        build = (await ctx.session.call<XmlRpcStruct | null>('getBuild', [o.build as string])) ?? {};
        if (!Object.keys(build).length) throw new UsageError(`No such build: ${String(o.build)}`);
      }
      const filters = { build: build.id ?? null, package: pkg.id ?? null };
      let tags: Tag[];
      if (!patterns.length) tags = await ctx.session.call<Tag[]>('listTags', [], filters);
      else {
        const res = await multicall(ctx, patterns.map((pattern) => ({ method: 'listTags', kwargs: { ...filters, pattern } })), true);
        tags = res.flatMap((r) => resultOf<Tag[]>(r));
      }
      tags.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      const lines: string[] = [];
      for (const t of tags) {
        if (o.unlocked && (t.locked || t.perm)) continue;
        let line = o.show_id ? `${t.name} [${t.id}]` : t.name;
        if (o.verbose) {
          if (t.locked) line += ' [LOCKED]';
          if (t.perm) line += ` [${String(t.perm)} perm required]`;
        }
        lines.push(line);
      }
      return lines.map((l) => l + '\n').join('');
    },
  },
  {
    name: 'taginfo',
    category: 'info',
    summary: 'Print basic information about a tag',
    usage: 'taginfo [options] <tag> [<tag> ...]',
    anon: true,
    options: EVENT_OPTIONS,
    handler: (ctx, o, args, usage) => taginfo(ctx, o, args, usage),
  },
  ...inheritanceCommands,
];
