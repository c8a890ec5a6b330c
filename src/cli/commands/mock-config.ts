/**
 * mock-config: the mock config of a tag, a target, a task's or a buildroot's repo, with the stock
 * CLI's options, checks and messages (anon_handle_mock_config) and the text of Koji's
 * genMockConfig (src/util/mock-config.ts), including the tag's mock.* and rpm.macro.* extras.
 */
import { writeFileSync } from 'node:fs';
import { Float, truthy, type XmlRpcStruct, type XmlRpcValue } from '../../protocol/values.ts';
import { pyRepr } from '../../protocol/pyrepr.ts';
import { genMockConfig, type MockConfigOptions } from '../../util/mock-config.ts';
import { CliError, UsageError, type CliContext, type Command, type Options } from '../command.ts';
import { pyIntOf } from './cli-util.ts';
import { PyError } from './common.ts';

type Row = XmlRpcStruct;

/** Python's int() of a tag extra (mock.yum.best). */
function pyInt(v: XmlRpcValue): number {
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'number') return Math.trunc(v);
  if (typeof v === 'string') return pyIntOf(v);
  if (v instanceof Float) return Math.trunc(v.value);
  throw new PyError('TypeError', `int() argument must be a string, a bytes-like object or a real number, not '${v === null ? 'NoneType' : Array.isArray(v) ? 'list' : 'dict'}'`);
}

/** An id option as the stock command reads it: int(), a usage error otherwise. */
function idOption(value: string, what: string): number {
  try {
    return pyIntOf(value);
  } catch {
    throw new UsageError(`${what} id must be an integer`);
  }
}

interface Source {
  opts: MockConfigOptions;
  arch: string | null;
  name: string | null;
}

/** The repo and tag of --buildroot or --task (the last of the task's buildroots). */
async function fromBuildroot(ctx: CliContext, o: Options, opts: MockConfigOptions): Promise<Source> {
  let br: Row;
  let name = (o.name as string | null) ?? null;
  if (o.buildroot) {
    const id = idOption(o.buildroot as string, 'Buildroot');
    const info = await ctx.session.call<Row | null>('getBuildroot', [id]);
    if (!info) throw new CliError(`No such buildroot: ${pyRepr(id)}`);
    br = info;
  } else {
    const taskId = idOption(o.task as string, 'Task');
    const broots = await ctx.session.call<Row[]>('listBuildroots', [], { taskID: taskId });
    if (!broots.length) throw new CliError(`No buildroots for task ${String(o.task)} (or no such task)`);
    if (broots.length > 1) ctx.print(`Multiple buildroots found: ${pyRepr(broots.map((b) => b.id))}\n`);
    br = broots[broots.length - 1];
    name ??= `${String(br.tag_name)}-task_${taskId}`;
  }
  opts.repoid = o.latest ? 'latest' : (br.repo_id as number);
  opts.tag_name = br.tag_name as string;
  return { opts, arch: br.arch as string, name };
}

/** The repo of --tag or --target (its build tag): the current one, or 'latest'. */
async function fromTag(ctx: CliContext, o: Options, opts: MockConfigOptions): Promise<Source> {
  if (!o.arch) throw new CliError('Please specify an arch');
  let tagId: number;
  if (o.tag) {
    const tag = await ctx.session.call<Row | null>('getTag', [o.tag as string]);
    if (!tag) throw new UsageError(`No such tag: ${String(o.tag)}`);
    const config = await ctx.session.call<Row | null>('getBuildConfig', [tag.id as number]);
    if (!config) throw new CliError(`Could not get config info for tag: ${String(tag.name)}`);
    opts.tag_name = tag.name as string;
    tagId = config.id as number;
  } else {
    const target = await ctx.session.call<Row | null>('getBuildTarget', [o.target as string]);
    if (!target) throw new UsageError(`No such build target: ${String(o.target)}`);
    opts.tag_name = target.build_tag_name as string;
    tagId = target.build_tag as number;
  }
  if (o.latest) opts.repoid = 'latest';
  else {
    const repo = await ctx.session.call<Row | null>('getRepo', [tagId]);
    if (!repo) throw new CliError(`Could not get a repo for tag: ${opts.tag_name}`);
    opts.repoid = repo.id as number;
  }
  return { opts, arch: o.arch as string, name: (o.name as string | null) ?? null };
}

/** The options the stock command takes from the tag's extras (at the repo's event). */
function fromExtras(extra: Row, arch: string | null, opts: MockConfigOptions): void {
  const has = (k: string) => Object.hasOwn(extra, k);
  if (arch && has('mock.forcearch') && truthy(extra['mock.forcearch'])) opts.forcearch = arch;
  if (has('mock.package_manager')) opts.package_manager = extra['mock.package_manager'];
  if (has('mock.yum.module_hotfixes')) opts.module_hotfixes = extra['mock.yum.module_hotfixes'];
  if (has('mock.yum.best')) opts.yum_best = pyInt(extra['mock.yum.best']);
  if (has('mock.bootstrap_image')) opts.bootstrap_image = extra['mock.bootstrap_image'];
  if (has('mock.use_bootstrap')) opts.use_bootstrap = extra['mock.use_bootstrap'];
  if (has('mock.module_setup_commands')) opts.module_setup_commands = extra['mock.module_setup_commands'];
  if (has('mock.releasever')) opts.releasever = extra['mock.releasever'];
  opts.tag_macros = {};
  for (const [k, v] of Object.entries(extra)) if (k.startsWith('rpm.macro.')) opts.tag_macros[`%${k.slice(10)}`] = v;
}

async function mockConfig(ctx: CliContext, o: Options, args: string[]): Promise<string> {
  if (args.length) {
    // for historical reasons the buildroot name may be the first argument
    if (o.name) throw new UsageError('Name already specified via option');
    o.name = args[0];
  }
  const opts: MockConfigOptions = { repoid: '', tag_name: '', mockdir: o.mockdir as string, distribution: o.distribution as string };
  if (o.topdir !== null) opts.topdir = o.topdir as string;
  if (o.topurl !== null) opts.topurl = o.topurl as string;
  if (opts.topdir && opts.topurl) delete opts.topurl;
  if (!opts.topdir && !opts.topurl) opts.topurl = ctx.config.topurl;
  if (o.yum_proxy) opts.yum_proxy = o.yum_proxy as string;
  let src: Source;
  if (o.buildroot || o.task) src = await fromBuildroot(ctx, o, opts);
  else if (o.tag || o.target) src = await fromTag(ctx, o, opts);
  else throw new UsageError('Please specify one of: --tag, --target, --task, --buildroot');
  const name = src.name ?? `${opts.tag_name}-repo_${String(opts.repoid)}`;
  let event: number | null = null;
  if (opts.repoid !== 'latest') event = (await ctx.session.call<Row>('repoInfo', [opts.repoid])).create_event as number;
  const buildcfg = await ctx.session.call<Row>('getBuildConfig', [opts.tag_name], { event });
  if (src.arch) {
    const arches = buildcfg.arches as string | null;
    if (!arches) ctx.warn(`Tag ${opts.tag_name} has an empty arch list`);
    // a substring test, as the stock command's `arch not in buildcfg['arches']`
    else if (!arches.includes(src.arch)) ctx.warn(`${src.arch} is not in the list of tag arches`);
  }
  fromExtras(buildcfg.extra as Row, src.arch, opts);
  const output = genMockConfig(name, src.arch as string, opts);
  if (o.ofile) {
    writeFileSync(o.ofile as string, output);
    return '';
  }
  return `${output}\n`;
}

export const mockConfigCommands: Command[] = [
  {
    name: 'mock-config',
    category: 'info',
    summary: 'Create a mock config',
    usage: 'mock-config [options]',
    anon: true,
    options: [
      { name: 'arch', short: 'a', type: 'string', help: 'Specify the arch' },
      { name: 'name', short: 'n', type: 'string', help: 'Specify the name for the buildroot' },
      { name: 'tag', type: 'string', help: 'Create a mock config for a tag' },
      { name: 'target', type: 'string', help: 'Create a mock config for a build target' },
      { name: 'task', type: 'string', help: 'Duplicate the mock config of a previous task' },
      { name: 'latest', type: 'bool', help: 'use the latest redirect url' },
      { name: 'buildroot', type: 'string', help: 'Duplicate the mock config for the specified buildroot id' },
      { name: 'mockdir', type: 'string', default: '/var/lib/mock', metavar: 'DIR', help: 'Specify mockdir' },
      { name: 'topdir', type: 'string', metavar: 'DIR', help: 'Specify topdir, topdir tops the topurl' },
      { name: 'topurl', type: 'string', metavar: 'URL', help: 'URL under which Koji files are accessible, when topdir is specified, topdir tops the topurl' },
      { name: 'distribution', type: 'string', default: 'Koji Testing', help: 'Change the distribution macro' },
      { name: 'yum-proxy', type: 'string', help: 'Specify a yum proxy' },
      { name: 'o', short: 'o', shortOnly: true, type: 'string', metavar: 'FILE', dest: 'ofile', help: 'Output to a file' },
    ],
    handler: mockConfig,
  },
];
