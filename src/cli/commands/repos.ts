/**
 * Repo commands: repoinfo, request-repo, regen-repo (request-repo --current on a 1.35 hub; a
 * newRepo task with --make-task), wait-repo and wait-repo-request, with the stock CLI's checks,
 * messages and RepoWatcher logging (stdout, WARNING by default, INFO with -v, DEBUG with --debug).
 */
import { KojiError } from '../../protocol/faults.ts';
import { REPO_STATES } from '../../protocol/enums.ts';
import type { XmlRpcStruct, XmlRpcValue } from '../../protocol/values.ts';
import { PathInfo } from '../../util/pathinfo.ts';
import { parseNVR } from '../../util/nvr.ts';
import { UsageError, type CliContext, type Command, type CommandResult, type OptionSpec, type Options } from '../command.ts';
import { LEVELS, RepoWatcher, type WatcherOptions } from '../../protocol/repo-watcher.ts';
import { watchTasks } from '../watch.ts';
import { formatTimeLong, multicall, resultOf } from './common.ts';

type Row = XmlRpcStruct;

const WAIT_OPTIONS: OptionSpec[] = [
  { name: 'timeout', type: 'int', default: 120, help: 'Wait timeout (default: 120)' },
  { name: 'verbose', short: 'v', type: 'bool', help: 'More verbose output' },
  { name: 'quiet', type: 'bool', help: 'Reduced output' },
];

const REQUEST_OPTIONS: OptionSpec[] = [
  { name: 'target', type: 'bool', help: 'Interpret the argument as a build target name' },
  { name: 'wait', type: 'bool', help: 'Wait on for regen to finish, even if running in the background' },
  { name: 'nowait', type: 'bool', dest: 'wait', value: false, help: "Don't wait on for regen to finish" },
];

const SOURCE_OPTIONS: OptionSpec[] = [
  { name: 'debuginfo', type: 'bool', help: 'Include debuginfo rpms in repo' },
  { name: 'source', type: 'bool', help: 'Include source rpms in each of repos' },
  { name: 'src', type: 'bool', dest: 'source', help: 'Include source rpms in each of repos', hidden: true },
  { name: 'separate-source', type: 'bool', help: 'Include source rpms in separate src repo' },
  { name: 'separate-src', type: 'bool', dest: 'separate_source', help: 'Include source rpms in separate src repo', hidden: true },
];

/** The stock _get_watcher's logger level and output (stdout lines). */
function watcherOptions(ctx: CliContext, o: Options, out: string[], w: Partial<WatcherOptions>): WatcherOptions {
  const quiet = o.quiet ?? ctx.global.quiet;
  const level = ctx.global.debug ? LEVELS.DEBUG : quiet ? LEVELS.ERROR : o.verbose ? LEVELS.INFO : LEVELS.WARNING;
  return { pause: ctx.config.poll_interval, timeout: (o.timeout as number | null) ?? 120, level, log: (m) => out.push(m), ...w };
}

const repoLines = (ctx: CliContext, repo: Row) => [`Got repo ${String(repo.id)}`, `Repo info: ${ctx.config.weburl}/repoinfo?repoID=${String(repo.id)}`];

const text = (out: string[]) => (out.length ? out.join('\n') + '\n' : '');

/** The watcher failed: "Failed to get repo -- …" (nothing with --quiet), exit 1, what was printed kept. */
function failed(o: Options, ctx: CliContext, out: string[], e: unknown): CommandResult {
  if (!(e instanceof KojiError)) throw e;
  const quiet = o.quiet ?? ctx.global.quiet;
  return { output: text(out), error: quiet ? undefined : `Failed to get repo -- ${e.message}`, exitCode: 1 };
}

/** The tag a request-like command works on (--target: the target's build tag). */
async function tagFor(ctx: CliContext, o: Options, name: string): Promise<Row> {
  if (o.target) {
    const target = await ctx.session.call<Row | null>('getBuildTarget', [name]);
    if (!target) throw new UsageError(`No such build target: ${name}`);
    return ctx.session.call<Row>('getTag', [target.build_tag as number], { strict: true });
  }
  const tag = await ctx.session.call<Row | null>('getTag', [name]);
  if (!tag) throw new UsageError(`No such tag: ${name}`);
  return tag;
}

function repoOpts(o: Options): Row | null {
  const r: Row = {};
  if (o.debuginfo) r.debuginfo = true;
  if (o.source) r.src = true;
  if (o.separate_source) r.separate_src = true;
  return Object.keys(r).length ? r : null;
}

/** The stock _request_repo (request-repo, and regen-repo on a 1.35 hub). */
async function requestRepo(ctx: CliContext, o: Options, args: string[]): Promise<CommandResult> {
  if (args.length === 0) throw new UsageError('A tag name must be specified');
  if (args.length > 1) throw new UsageError(o.target ? 'Only a single target may be specified' : 'Only a single tag name may be specified');
  const w: Partial<WatcherOptions> = {};
  if (o.at_event) {
    if (o.min_event || o.current) throw new UsageError('Cannot specify both min-event and at-event');
    w.atEvent = o.at_event as number;
  } else if (o.current) {
    if (o.min_event) throw new UsageError('Cannot specify both min-event and current');
    w.minEvent = 'last';
  } else if (o.min_event) w.minEvent = o.min_event as number;
  w.opts = repoOpts(o);
  const tag = await tagFor(ctx, o, args[0]);
  if (!tag.arches) ctx.warn(`Tag ${String(tag.name)} has an empty arch list`);
  const out: string[] = [];
  try {
    const watcher = await RepoWatcher.create(ctx.session, tag.id as number, watcherOptions(ctx, o, out, w));
    const check = await watcher.request();
    if (check.repo) return { output: text([...out, ...repoLines(ctx, check.repo)]), exitCode: 0 };
    const req = check.request!;
    if (!o.wait) {
      out.push(`Got request: ${String(req.id)}`);
      if (req.task_id) out.push(`Got task: ${String(req.task_id)}`, `Task info: ${ctx.config.weburl}/taskinfo?taskID=${String(req.task_id)}`);
      return { output: text(out), exitCode: 0 };
    }
    const repo = await watcher.waitRequest(req);
    return { output: text([...out, ...repoLines(ctx, repo)]), exitCode: 0 };
  } catch (e) {
    return failed(o, ctx, out, e);
  }
}

/** regen-repo --make-task: the legacy newRepo task. */
async function makeTask(ctx: CliContext, o: Options, args: string[]): Promise<CommandResult> {
  if (args.length === 0) throw new UsageError('A tag name must be specified');
  if (args.length > 1) throw new UsageError(o.target ? 'Only a single target may be specified' : 'Only a single tag name may be specified');
  const info = await tagFor(ctx, o, args[0]);
  if (!o.target && !(await ctx.session.call<Row[]>('getBuildTargets', [], { buildTagID: info.id as number })).length) ctx.warn(`${String(info.name)} is not a build tag`);
  if (!info.arches) ctx.warn(`Tag ${String(info.name)} has an empty arch list`);
  const kw: Record<string, XmlRpcValue> = {};
  if (o.debuginfo) kw.debuginfo = true;
  if (o.source) kw.src = true;
  if (o.separate_source) kw.separate_src = true;
  const task = await ctx.session.call<number>('newRepo', [info.name as string], kw);
  ctx.print(`Regenerating repo for tag: ${String(info.name)}\nCreated task: ${task}\nTask info: ${ctx.config.weburl}/taskinfo?taskID=${task}\n`);
  if (o.wait === true || ((o.wait === null || o.wait === undefined) && !ctx.runningInBackground())) {
    await ctx.session.logout();
    return { output: '', exitCode: await watchTasks(ctx, [task], { quiet: ctx.global.quiet, pollInterval: ctx.config.poll_interval, topurl: ctx.config.topurl }) };
  }
  return { output: '', exitCode: 0 };
}

async function repoinfo(ctx: CliContext, o: Options, args: string[]): Promise<CommandResult> {
  if (args.length < 1) throw new UsageError('Please specify a repo ID');
  const paths = new PathInfo(ctx.config.topurl ?? '/mnt/koji');
  const results = await multicall(ctx, args.map((id) => ({ method: 'repoInfo', args: [id], kwargs: { strict: false } })));
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const r = resultOf<Row | null>(results[i]);
    if (!r) {
      ctx.warn(`No such repo: ${args[i]}\n`);
      continue;
    }
    const base = r.dist ? paths.distrepo(r.id as number, String(r.tag_name)) : paths.repo(r.id as number, String(r.tag_name));
    out.push(
      `ID: ${String(r.id)}`,
      `Tag ID: ${String(r.tag_id)}`,
      `Tag name: ${String(r.tag_name)}`,
      `State: ${REPO_STATES.names[r.state as number]}`,
      `Created: ${formatTimeLong(r.create_ts)}`,
      `Created event: ${String(r.create_event)}`,
      `URL: ${paths.repo(r.id as number, String(r.tag_name))}`,
      `Repo json: ${base}/repo.json`,
      `Dist repo?: ${r.dist ? 'yes' : 'no'}`,
      `Task ID: ${r.task_id === null ? 'None' : String(r.task_id)}`,
    );
    const brs = await ctx.session.call<Row[]>('listBuildroots', [], { repoID: r.id as number });
    out.push(`Number of buildroots: ${brs.length}`);
    if (o.buildroots && brs.length) out.push('Buildroots ID:', ...brs.map((b) => `${' '.repeat(15)}${String(b.id)}`));
  }
  return { output: text(out), exitCode: 0 };
}

/** The stock wait-repo: a current repo (or one with the given builds), requested or watched for. */
async function waitRepo(ctx: CliContext, o: Options, args: string[]): Promise<CommandResult> {
  const nvrs = (o.builds as string[] | null) ?? [];
  for (const n of nvrs) parseNVR(n);
  if (args.length < 1) throw new UsageError('Please specify a tag name');
  if (args.length > 1) throw new UsageError('Only one tag may be specified');
  if (o.request) await ctx.activate();
  else if (o.request === null) ctx.warn('The --request option is recommended for faster results');
  const tag = await tagFor(ctx, o, args[0]);
  if (!o.target && !(await ctx.session.call<Row[]>('getBuildTargets', [], { buildTagID: tag.id as number })).length) {
    ctx.warn(`${String(tag.name)} is not a build tag for any target`);
    const dest = await ctx.session.call<Row[]>('getBuildTargets', [], { destTagID: tag.id as number });
    if (dest.length) ctx.warn(`Suggested tags: ${[...new Set(dest.map((d) => String(d.build_tag_name)))].sort().join(', ')}`);
  }
  if (!o.request && !(tag.extra as Row | undefined)?.['repo.auto']) ctx.warn('This tag is not configured for automatic regeneration');
  for (const nvr of nvrs) {
    const b = parseNVR(nvr);
    const data = await ctx.session.call<Row[]>('getLatestBuilds', [tag.id as number], { package: b.name });
    if (!data.length) ctx.warn(`No ${b.name} builds in tag ${String(tag.name)}`);
    else if (data[0].nvr !== `${b.name}-${b.version}-${b.release}`) {
      ctx.warn(`nvr ${b.name}-${b.version}-${b.release} is not current in tag ${String(tag.name)}\n  latest build is ${String(data[0].nvr)}`);
    }
  }
  const out: string[] = [];
  try {
    const watcher = await RepoWatcher.create(ctx.session, tag.id as number, watcherOptions(ctx, o, out, { nvrs, minEvent: nvrs.length ? null : 'last' }));
    const repo = await watcher.waitrepo(!o.request);
    if (!(o.quiet ?? ctx.global.quiet)) out.push(...repoLines(ctx, repo));
    return { output: text(out), exitCode: 0 };
  } catch (e) {
    return failed(o, ctx, out, e);
  }
}

async function waitRepoRequest(ctx: CliContext, o: Options, args: string[]): Promise<CommandResult> {
  if (args.length === 0) throw new UsageError('A request id must be specified');
  if (args.length > 1) throw new UsageError('This command only accepts one argument');
  const check = await ctx.session.call<{ repo: Row | null; request: Row }>('repo.checkRequest', [args[0]]);
  if (check.repo) return { output: text(repoLines(ctx, check.repo)), exitCode: 0 };
  const out: string[] = [];
  try {
    const watcher = await RepoWatcher.create(ctx.session, check.request.tag_id as number, watcherOptions(ctx, o, out, {}));
    await watcher.waitRequest(check.request);
    // as the stock command: nothing printed once the repo is there
    return { output: text(out), exitCode: 0 };
  } catch (e) {
    return failed(o, ctx, out, e);
  }
}

export const repoCommands: Command[] = [
  {
    name: 'repoinfo',
    category: 'info',
    summary: 'Print basic information about a repo',
    usage: 'repoinfo [options] <repo-id> [<repo-id> ...]',
    anon: true,
    options: [{ name: 'buildroots', type: 'bool', help: 'Prints list of buildroot IDs' }],
    handler: repoinfo,
  },
  {
    name: 'request-repo',
    category: 'admin',
    summary: 'Request a repo for a tag',
    usage: 'request-repo [options] <tag>',
    options: [
      ...REQUEST_OPTIONS,
      { name: 'min-event', type: 'int', help: 'Minimum event id for repo' },
      { name: 'at-event', type: 'int', help: 'Specific event id for repo' },
      { name: 'current', type: 'bool', help: 'Use current event for tag' },
      { name: 'last', type: 'bool', dest: 'current', help: 'Use current event for tag', hidden: true },
      ...SOURCE_OPTIONS,
      ...WAIT_OPTIONS,
    ],
    handler: requestRepo,
  },
  {
    name: 'regen-repo',
    category: 'admin',
    summary: 'Generate a current repo if there is not one',
    usage: 'regen-repo [options] <tag>',
    options: [...REQUEST_OPTIONS, { name: 'make-task', type: 'bool', help: 'Directly create a newRepo task' }, ...SOURCE_OPTIONS, ...WAIT_OPTIONS],
    handler: (ctx, o, args) => (o.make_task ? makeTask(ctx, o, args) : requestRepo(ctx, { ...o, at_event: null, min_event: null, current: true }, args)),
  },
  {
    name: 'wait-repo',
    category: 'monitor',
    summary: 'Wait for a repo to be regenerated',
    usage: 'wait-repo [options] <tag>',
    anon: true,
    options: [
      { name: 'build', type: 'append', metavar: 'NVR', dest: 'builds', help: 'Check that the given build is in the newly-generated repo (may be used multiple times)' },
      { name: 'target', type: 'bool', help: 'Interpret the argument as a build target name' },
      { name: 'request', type: 'bool', help: 'Create a repo request (requires auth)' },
      { name: 'no-request', type: 'bool', dest: 'request', value: false, help: 'Do not create a repo request (the default)' },
      { name: 'timeout', type: 'int', default: 120, help: 'Amount of time to wait (in minutes) before giving up (default: 120)' },
      { name: 'verbose', short: 'v', type: 'bool', help: 'Be verbose' },
      { name: 'quiet', type: 'bool', help: 'Suppress output, success or failure will be indicated by the return value only' },
    ],
    handler: waitRepo,
  },
  {
    name: 'wait-repo-request',
    category: 'monitor',
    summary: 'Wait for an existing repo request',
    usage: 'wait-repo-request [options] <request-id>',
    options: WAIT_OPTIONS,
    handler: waitRepoRequest,
  },
];

