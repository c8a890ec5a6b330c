/**
 * dist-repo: the stock handle_dist_repo — checks the options, uploads the comps and multilib
 * files (with the stock progress line), finds the delta repos and the tag's arches (from the
 * nearest parent that has some), calls distRepo and watches the task unless --nowait or in the
 * background.
 */
import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import { REPO_STATES } from '../../protocol/enums.ts';
import type { XmlRpcStruct, XmlRpcValue } from '../../protocol/values.ts';
import { UsageError, type CliContext, type Command, type CommandResult, type Options } from '../command.ts';
import { uploadWithProgress } from '../upload.ts';
import { watchTasks } from '../watch.ts';
import { uniquePath } from './import.ts';

const USAGE = `dist-repo [options] <tag> <key_id> [<key_id> ...]

In normal mode, dist-repo behaves like any other koji task.
Sometimes you want to limit running distRepo tasks per tag to only
one. For such behaviour admin (with 'tag' permission) needs to
modify given tag's extra field 'distrepo.cancel_others' to True'
via 'koji edit-tag -x distrepo.cancel_others=True'

(Specify the --help option for a list of other options)`;

/** --delta-rpms: repo ids, or tags whose (READY, else EXPIRED) dist repo is taken. */
async function deltaRepos(ctx: CliContext, names: string[]): Promise<number[]> {
  const ids: number[] = [];
  for (const repo of names) {
    let rinfo: XmlRpcStruct | null;
    if (/^\d+$/.test(repo)) rinfo = await ctx.session.call<XmlRpcStruct>('repoInfo', [Number(repo)], { strict: true });
    else {
      rinfo = await ctx.session.call<XmlRpcStruct | null>('getRepo', [repo], { dist: true });
      rinfo ??= await ctx.session.call<XmlRpcStruct | null>('getRepo', [repo], { state: REPO_STATES.byName.EXPIRED, dist: true });
      if (!rinfo) throw new UsageError(`Can't find repo for tag: ${repo}`);
    }
    ids.push(rinfo.id as number);
  }
  return ids;
}

/** The tag's arches, else the first parent's (in inheritance order) that has some. */
async function allowedArches(ctx: CliContext, tag: string, taginfo: XmlRpcStruct): Promise<string> {
  let allowed = (taginfo.arches as string | null) ?? '';
  if (allowed) return allowed;
  for (const link of await ctx.session.call<XmlRpcStruct[]>('getFullInheritance', [tag])) {
    allowed = ((await ctx.session.call<XmlRpcStruct>('getTag', [link.parent_id])).arches as string | null) ?? '';
    if (allowed) break;
  }
  return allowed;
}

const MULTILIB_PAIRS: Array<[string, string]> = [['x86_64', 'i686'], ['s390x', 's390'], ['ppc64', 'ppc']];

async function distRepo(ctx: CliContext, o: Options, args: string[]): Promise<CommandResult> {
  if (args.length < 1) throw new UsageError('You must provide a tag to generate the repo from');
  if (args.length < 2 && !o.allow_missing_signatures) throw new UsageError('Please specify one or more GPG key IDs (or --allow-missing-signatures)');
  if (o.allow_missing_signatures && o.skip_missing_signatures) throw new UsageError('allow_missing_signatures and skip_missing_signatures are mutually exclusive');
  await ctx.activate();
  const stuffdir = uniquePath('cli-dist-repo');
  let comps = (o.comps as string | null) ?? null;
  if (comps) {
    if (!existsSync(comps)) throw new UsageError(`could not find ${comps}`);
    await uploadWithProgress(ctx, comps, stuffdir);
    comps = `${stuffdir}/${basename(comps)}`;
  }
  const delta = await deltaRepos(ctx, (o.delta_rpms as string[] | null) ?? []);
  const [tag, ...keys] = args;
  const taginfo = await ctx.session.call<XmlRpcStruct | null>('getTag', [tag]);
  if (!taginfo) throw new UsageError(`No such tag: ${tag}`);
  const allowed = await allowedArches(ctx, tag, taginfo);
  let arches = [...((o.arch as string[] | null) ?? [])];
  if (arches.length === 0) {
    arches = allowed.split(/\s+/).filter(Boolean);
    if (!arches.length) throw new UsageError('No arches given and no arches associated with tag');
  } else {
    for (const a of arches) {
      // as the stock command: a substring test against the arch text
      if (!allowed) ctx.warn(`Tag ${String(taginfo.name)} has an empty arch list`);
      else if (!allowed.includes(a)) ctx.warn(`${a} is not in the list of tag arches`);
    }
  }
  let multilib = (o.multilib as string | null) ?? null;
  if (multilib) {
    if (!existsSync(multilib)) throw new UsageError(`could not find ${multilib}`);
    for (const [a64, a32] of MULTILIB_PAIRS) if (arches.includes(a64) && !arches.includes(a32)) throw new UsageError(`The multilib arch (${a32}) must be included`);
    await uploadWithProgress(ctx, multilib, stuffdir);
    multilib = `${stuffdir}/${basename(multilib)}`;
  }
  const noarch = arches.indexOf('noarch');
  if (noarch >= 0) arches.splice(noarch, 1);
  if (o.with_src && !arches.includes('src')) arches.push('src');
  if (!arches.length) throw new UsageError('No arches left.');

  const opts: Record<string, XmlRpcValue> = {
    arch: arches,
    comps,
    delta,
    event: (o.event as number | null) ?? null,
    volume: (o.volume as string | null) ?? null,
    inherit: !o.noinherit,
    latest: o.latest !== false,
    multilib,
    split_debuginfo: Boolean(o.split_debuginfo),
    skip_missing_signatures: Boolean(o.skip_missing_signatures),
    allow_missing_signatures: Boolean(o.allow_missing_signatures),
    zck: Boolean(o.zck),
    zck_dict_dir: (o.zck_dict_dir as string | null) ?? null,
    write_signed_rpms: Boolean(o.write_signed_rpms),
  };
  if (o.skip_stat !== null && o.skip_stat !== undefined) opts.createrepo_skip_stat = Boolean(o.skip_stat);
  const taskId = await ctx.session.call<number>('distRepo', [tag, keys], opts);
  ctx.print(`Creating dist repo for tag ${tag}\n`);
  if (o.wait === true || ((o.wait === null || o.wait === undefined) && !ctx.runningInBackground())) {
    await ctx.session.logout();
    return { output: '', exitCode: await watchTasks(ctx, [taskId], { quiet: ctx.global.quiet, pollInterval: ctx.config.poll_interval, topurl: ctx.config.topurl }) };
  }
  return { output: '', exitCode: 0 };
}

export const distRepoCommands: Command[] = [
  {
    name: 'dist-repo',
    category: 'admin',
    summary: 'Create a yum repo with distribution options',
    usage: USAGE,
    plainUsage: true,
    // logs in itself, after the argument checks (as the stock command)
    anon: true,
    options: [
      { name: 'allow-missing-signatures', type: 'bool', help: 'For RPMs not signed with a desired key, fall back to the primary copy' },
      { name: 'arch', short: 'a', type: 'append', help: 'Indicate an architecture to consider. The default is all architectures associated with the given tag. This option may be specified multiple times.' },
      { name: 'with-src', type: 'bool', help: 'Also generate a src repo' },
      { name: 'split-debuginfo', type: 'bool', help: 'Split debuginfo info a separate repo for each arch' },
      { name: 'comps', type: 'string', help: 'Include a comps file in the repodata' },
      { name: 'delta-rpms', type: 'append', metavar: 'REPO', help: 'Create delta rpms. REPO can be the id of another dist repo or the name of a tag that has a dist repo. May be specified multiple times.' },
      { name: 'event', type: 'int', help: 'Use tag content at event' },
      { name: 'volume', type: 'string', help: 'Generate repo on given volume' },
      { name: 'non-latest', type: 'bool', dest: 'latest', value: false, default: true, help: 'Include older builds, not just the latest' },
      { name: 'multilib', type: 'string', metavar: 'CONFIG', help: 'Include multilib packages in the repository using the given config file' },
      { name: 'noinherit', type: 'bool', help: 'Do not consider tag inheritance' },
      { name: 'wait', type: 'bool', help: 'Wait for the task to complete, even if running in the background' },
      { name: 'nowait', type: 'bool', dest: 'wait', value: false, help: 'Do not wait for the task to complete' },
      { name: 'skip-missing-signatures', type: 'bool', help: 'Skip RPMs not signed with the desired key(s)' },
      { name: 'zck', type: 'bool', help: 'Generate zchunk files as well as the standard repodata' },
      { name: 'zck-dict-dir', type: 'string', help: 'Directory containing compression dictionaries for use by zchunk (on builder)' },
      { name: 'write-signed-rpms', type: 'bool', help: 'Write a signed rpms for given tag' },
      { name: 'skip-stat', type: 'bool', help: 'Skip rpm stat during createrepo (override default builder setting)' },
      { name: 'no-skip-stat', type: 'bool', dest: 'skip_stat', value: false, help: "Don't skip rpm stat during createrepo (override default builder setting)" },
    ],
    handler: distRepo,
  },
];
