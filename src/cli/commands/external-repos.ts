/**
 * External repo commands: list-external-repos (three table layouts: repos, a tag's links, links
 * of several tags), add-external-repo (create and/or link, tag::N priorities, the next free
 * priority), edit-external-repo and remove-external-repo, with the stock CLI's checks and text.
 */
import { GenericError } from '../../protocol/faults.ts';
import { REPO_MERGE_MODES } from '../../protocol/enums.ts';
import type { XmlRpcStruct, XmlRpcValue } from '../../protocol/values.ts';
import { CliError, UsageError, type CliContext, type Command } from '../command.ts';
import { ljust } from './common.ts';
import { EVENT_OPTIONS, eventFromOpts, queryingLine } from './cli-util.ts';

type Row = XmlRpcStruct;

/** The stock CLI's _pick_external_repo_priority: past the highest, a multiple of 5, ≥ 3 higher. */
async function nextPriority(ctx: CliContext, tag: string): Promise<number> {
  const links = await ctx.session.call<Row[]>('getTagExternalRepos', [], { tag_info: tag });
  if (!links.length) return 5;
  return Math.floor(((links[links.length - 1].priority as number) + 7) / 5) * 5;
}

/** _parse_tagpri: "tag" or "tag::N" ("auto" and -1 mean pick one). */
function parseTagPri(s: string): [string, number | null] {
  const i = s.lastIndexOf('::');
  if (i === -1) return [s, null];
  const pri = s.slice(i + 2);
  if (pri === 'auto' || pri === '-1') return [s.slice(0, i), null];
  if (!/^\s*[+-]?\d+\s*$/.test(pri)) throw new GenericError(`Invalid priority: ${pri}`);
  return [s.slice(0, i), Number(pri)];
}

const LAYOUTS = {
  basic: { head: `${ljust('External repo name', 25)} URL\n${'-'.repeat(25)} ${'-'.repeat(40)}`, row: (r: Row) => `${ljust(String(r.name), 25)} ${String(r.url)}` },
  tag: {
    head: `${ljust('Pri', 3)} ${ljust('External repo name', 25)} ${ljust('Mode', 10)} URL\n${'-'.repeat(3)} ${'-'.repeat(25)} ${'-'.repeat(10)} ${'-'.repeat(40)}`,
    row: (r: Row) => `${ljust(String(r.priority), 3)} ${ljust(String(r.external_repo_name), 25)} ${ljust(String(r.merge_mode ?? 'None'), 10)} ${String(r.url)}`,
  },
  multitag: {
    head: `${ljust('Tag', 20)} ${ljust('Pri', 3)} ${ljust('Mode', 10)} External repo name\n${'-'.repeat(20)} ${'-'.repeat(3)} ${'-'.repeat(10)} ${'-'.repeat(25)}`,
    row: (r: Row) => `${ljust(String(r.tag_name), 20)} ${ljust(String(r.priority), 3)} ${ljust(String(r.merge_mode ?? 'None'), 10)} ${String(r.external_repo_name)}`,
  },
};

export const externalRepoCommands: Command[] = [
  {
    name: 'list-external-repos',
    category: 'info',
    summary: 'List external repos',
    usage: 'list-external-repos [options]',
    anon: true,
    options: [
      { name: 'url', type: 'string', help: 'Select by url' },
      { name: 'name', type: 'string', help: 'Select by name' },
      { name: 'id', type: 'int', help: 'Select by id' },
      { name: 'tag', type: 'string', help: 'Select by tag' },
      { name: 'used', type: 'bool', help: 'List which tags use the repo(s)' },
      { name: 'inherit', type: 'bool', help: 'Follow tag inheritance when selecting by tag' },
      { ...EVENT_OPTIONS[0], help: 'Query at event' },
      { ...EVENT_OPTIONS[1], help: 'Query at last event before timestamp' },
      { ...EVENT_OPTIONS[2], help: 'Query at event corresponding to (nonexternal) repo' },
      { name: 'quiet', type: 'bool', help: 'Do not display the column headers' },
    ],
    async handler(ctx, o, args) {
      if (args.length) throw new UsageError('This command takes no arguments');
      const out: string[] = [];
      const kw: Record<string, XmlRpcValue> = {};
      const ev = await eventFromOpts(ctx, o);
      if (ev) {
        kw.event = ev.id;
        out.push(queryingLine(ev));
      }
      const byRepo = ((o.id as number | null) || (o.name as string | null) || null) as XmlRpcValue;
      let layout: keyof typeof LAYOUTS;
      let rows: Row[];
      if (o.tag) {
        layout = 'tag';
        if (byRepo && o.inherit) throw new UsageError("Can't select by repo when using --inherit");
        if (o.inherit) {
          layout = 'multitag';
          rows = await ctx.session.call<Row[]>('getExternalRepoList', [], { tag_info: o.tag as string, ...kw });
        } else rows = await ctx.session.call<Row[]>('getTagExternalRepos', [], { tag_info: o.tag as string, repo_info: byRepo, ...kw });
      } else if (o.used) {
        layout = 'multitag';
        rows = await ctx.session.call<Row[]>('getTagExternalRepos', [], { repo_info: byRepo, ...kw });
      } else {
        layout = 'basic';
        rows = await ctx.session.call<Row[]>('listExternalRepos', [], { info: byRepo, url: ((o.url as string | null) || null) as XmlRpcValue, ...kw });
      }
      if (!(o.quiet ?? ctx.global.quiet)) out.push(LAYOUTS[layout].head);
      for (const r of rows) out.push(LAYOUTS[layout].row(r));
      return out.length ? out.join('\n') + '\n' : '';
    },
  },
  {
    name: 'add-external-repo',
    category: 'admin',
    summary: 'Create an external repo and/or add one to a tag',
    usage: 'add-external-repo [options] <name> [<url>]',
    options: [
      { name: 'tag', short: 't', type: 'append', metavar: 'TAG', help: 'Also add repo to tag. Use tag::N to set priority' },
      { name: 'priority', short: 'p', type: 'int', help: 'Set priority (when adding to tag)' },
      { name: 'mode', short: 'm', type: 'string', help: 'Set merge mode' },
      { name: 'arches', short: 'a', type: 'string', metavar: 'ARCH1,ARCH2, ...', help: 'Use only subset of arches from given repo' },
    ],
    async handler(ctx, o, args) {
      const tags = (o.tag as string[] | null) ?? [];
      if (o.mode) {
        if (!(REPO_MERGE_MODES as readonly unknown[]).includes(o.mode)) throw new UsageError(`Invalid mode: ${String(o.mode)}`);
        if (!tags.length) throw new UsageError('The --mode option can only be used with --tag');
      }
      const out: string[] = [];
      let repo: Row;
      if (args.length === 1) {
        repo = await ctx.session.call<Row>('getExternalRepo', [args[0]], { strict: true });
        if (!tags.length) throw new UsageError('A url is required to create an external repo entry');
      } else if (args.length === 2) {
        repo = await ctx.session.call<Row>('createExternalRepo', [args[0], args[1]]);
        out.push(`Created external repo ${String(repo.id)}`);
      } else throw new UsageError('Incorrect number of arguments');
      for (const tagpri of tags) {
        const [tag, pri] = parseTagPri(tagpri);
        const priority = pri ?? (o.priority as number | null) ?? (await nextPriority(ctx, tag));
        const kw: Record<string, XmlRpcValue> = {};
        if (o.mode) kw.merge_mode = o.mode as string;
        if (o.arches) kw.arches = o.arches as string;
        await ctx.session.call('addExternalRepoToTag', [tag, repo.name as string, priority], kw);
        out.push(`Added external repo ${String(repo.name)} to tag ${tag} (priority ${priority})`);
      }
      return out.length ? out.join('\n') + '\n' : '';
    },
  },
  {
    name: 'edit-external-repo',
    category: 'admin',
    summary: 'Edit data for an external repo',
    usage: 'edit-external-repo [options] <name>',
    options: [
      { name: 'url', type: 'string', help: 'Change the url' },
      { name: 'name', type: 'string', help: 'Change the name' },
      { name: 'tag', short: 't', type: 'string', metavar: 'TAG', help: 'Edit the repo properties for the tag.' },
      { name: 'priority', short: 'p', type: 'int', metavar: 'PRIORITY', help: 'Edit the priority of the repo for the tag specified by --tag.' },
      { name: 'mode', short: 'm', type: 'string', metavar: 'MODE', help: `Edit the merge mode of the repo for the tag specified by --tag. Options: ${REPO_MERGE_MODES.join(', ')}.` },
      { name: 'arches', short: 'a', type: 'string', metavar: 'ARCH1,ARCH2, ...', help: 'Use only subset of arches from given repo' },
    ],
    async handler(ctx, o, args) {
      if (args.length !== 1) throw new UsageError('Incorrect number of arguments');
      const repoOpts: Record<string, XmlRpcValue> = {};
      if (o.url) repoOpts.url = o.url as string;
      if (o.name) repoOpts.name = o.name as string;
      const tagOpts: Record<string, XmlRpcValue> = {};
      if (o.tag) {
        if (o.priority !== null && o.priority !== undefined) tagOpts.priority = o.priority as number;
        if (o.mode) tagOpts.merge_mode = o.mode as string;
        if (o.arches !== null && o.arches !== undefined) tagOpts.arches = o.arches as string;
        if (!Object.keys(tagOpts).length) throw new UsageError('At least, one of priority and merge mode should be specified');
        tagOpts.tag_info = o.tag as string;
        tagOpts.repo_info = args[0];
      } else {
        for (const k of ['priority', 'mode', 'arches']) {
          if (o[k] !== null && o[k] !== undefined) throw new UsageError(`If ${k} is specified, --tag must be specified as well`);
        }
      }
      if (!Object.keys(repoOpts).length && !Object.keys(tagOpts).length) throw new UsageError('No changes specified');
      if (Object.keys(repoOpts).length) await ctx.session.call('editExternalRepo', [args[0]], repoOpts);
      if (Object.keys(tagOpts).length) await ctx.session.call('editTagExternalRepo', [], tagOpts);
    },
  },
  {
    name: 'remove-external-repo',
    category: 'admin',
    summary: 'Remove an external repo from a tag or tags, or remove entirely',
    usage: 'remove-external-repo <repo> [<tag> ...]',
    options: [
      { name: 'alltags', type: 'bool', help: 'Remove from all tags' },
      { name: 'force', type: 'bool', help: 'Force action' },
    ],
    async handler(ctx, o, args) {
      if (args.length < 1) throw new UsageError('Incorrect number of arguments');
      const [repo, ...named] = args;
      let tags = named;
      let remove = !tags.length;
      const current = (await ctx.session.call<Row[]>('getTagExternalRepos', [], { repo_info: repo })).map((d) => String(d.tag_name));
      if (o.alltags) {
        remove = false;
        if (tags.length) throw new UsageError('Do not specify tags when using --alltags');
        if (!current.length) {
          if (!o.force) {
            ctx.warn(`External repo ${repo} not associated with any tags`);
            return;
          }
          remove = true;
        }
        tags = current;
      }
      if (remove) {
        if (current.length && !o.force) {
          ctx.warn(`Error: external repo ${repo} used by tag(s): ${current.join(', ')}`);
          throw new CliError('Use --force to remove anyway');
        }
        await ctx.session.call('deleteExternalRepo', [repo]);
        return;
      }
      const out: string[] = [];
      for (const tag of tags) {
        if (!current.includes(tag)) {
          out.push(`External repo ${repo} not associated with tag ${tag}`);
          continue;
        }
        await ctx.session.call('removeExternalRepoFromTag', [tag, repo]);
      }
      return out.length ? out.join('\n') + '\n' : '';
    },
  },
];
