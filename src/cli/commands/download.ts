/**
 * download-build: a build's rpms (or its archives of one type) fetched from `topurl` into the
 * working folder, checked as the stock CLI checks them (koji_cli.lib download_rpm: size, a
 * readable rpm header, the payload hash against the hub's; download_archive: size and
 * checksum). Messages and output are the stock CLI's.
 */
import { createHash } from 'node:crypto';
import { createReadStream, statSync, unlinkSync } from 'node:fs';
import { basename } from 'node:path';
import { KojiError } from '../../protocol/faults.ts';
import type { XmlRpcStruct, XmlRpcValue } from '../../protocol/values.ts';
import { packageInfo, readRpmHeaders } from '../../rpm/index.ts';
import { isDebuginfo, parseNVRA } from '../../util/nvr.ts';
import { CliError, UsageError, type CliContext, type Command, type CommandResult } from '../command.ts';
import { downloadFile, Output, type DownloadOptions } from '../download.ts';
import { exceptionLine } from '../log.ts';
import { BuildPaths } from './builds-fmt.ts';
import { isDigits } from './cli-util.ts';
import { multicall, PyError, resultOf } from './common.ts';

type Struct = XmlRpcStruct;

/** koji.buildLabel */
const buildLabel = (b: Struct) => `${String(b.package_name || b.name)}-${String(b.version)}-${String(b.release)}`;


const CHECKSUMS: Record<number, string> = { 0: 'md5', 1: 'sha1', 2: 'sha256' };

function fail(path: string, message: string): never {
  unlinkSync(path);
  throw new CliError(message);
}

async function downloadRpm(ctx: CliContext, out: Output, build: Struct, rpm: Struct, topurl: string, sigkey: string | null, o: DownloadOptions): Promise<void> {
  const pi = new BuildPaths(topurl);
  const r = rpm as unknown as { name: string; version: string; release: string; arch: string };
  const fname = sigkey ? pi.signed(r, sigkey) : pi.rpm(r);
  const path = basename(fname);
  await downloadFile(out, `${pi.build(build as never)}/${fname}`, path, { ...o, filesize: sigkey ? null : (rpm.size as number) });
  if (!sigkey) {
    const size = statSync(path).size;
    if (size !== rpm.size) fail(path, `Downloaded rpm ${path} size ${size} does not match db size ${String(rpm.size)}, deleting`);
  }
  let payloadhash: string | null;
  try {
    payloadhash = packageInfo(await readRpmHeaders(path)).payloadhash;
  } catch (e) {
    ctx.warn(`rpm's header can't be extracted: ${path} (rpm error: ${(e as Error).message})`);
    fail(path, `Downloaded rpm ${path} is not valid rpm file, deleting`);
  }
  if (rpm.payloadhash !== payloadhash) fail(path, `Downloaded rpm ${path} doesn't match db, deleting`);
}

async function downloadArchive(out: Output, build: Struct, archive: Struct, topurl: string, o: DownloadOptions): Promise<void> {
  const pi = new BuildPaths(topurl);
  const b = build as never;
  let url: string;
  let path: string;
  if (archive.btype === 'maven') [url, path] = [`${pi.mavenbuild(build)}/${pi.mavenfile(archive)}`, pi.mavenfile(archive)];
  else if (archive.btype === 'win') [url, path] = [`${pi.winbuild(build)}/${pi.winfile(archive)}`, pi.winfile(archive)];
  else if (archive.btype === 'image') [url, path] = [`${pi.build(b)}/images/${String(archive.filename)}`, String(archive.filename)];
  else [url, path] = [`${pi.typedir(b, String(archive.btype))}/${String(archive.filename)}`, String(archive.filename)];
  await downloadFile(out, url, path, { ...o, filesize: archive.size as number });
  if (statSync(path).size !== archive.size) fail(path, `Downloaded rpm ${path} size does not match db size, deleting`);
  const algo = CHECKSUMS[archive.checksum_type as number];
  if (!algo) throw new CliError(`Unknown checksum type: ${String(archive.checksum_type)}`);
  const hash = createHash(algo);
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  if (hash.digest('hex') !== archive.checksum) fail(path, `Downloaded archive ${path} doesn't match checksum, deleting`);
}

/** The build download-build names (anon_handle_download_build's lookups and messages). */
async function findBuild(ctx: CliContext, o: Record<string, unknown>, arg: string): Promise<{ info: Struct; rpminfo: Struct | null }> {
  let build: XmlRpcValue = arg;
  if (isDigits(arg)) {
    if (o.latestfrom) throw new UsageError('--latestfrom not compatible with build IDs, specify a package name.');
    build = Number(arg);
    if (o.task_id) {
      const builds = await ctx.session.call<Struct[]>('listBuilds', [], { taskID: build });
      if (!builds.length) throw new CliError(`No associated builds for task ${build}\nIf this is a scratch build, try using download-task instead`);
      build = builds[0].build_id as number;
    }
  }
  let info: Struct | null;
  let rpminfo: Struct | null = null;
  if (o.latestfrom) {
    let builds: Struct[];
    try {
      builds = await ctx.session.call<Struct[]>('listTagged', [o.latestfrom as string], { latest: true, package: build, type: (o.type as string) ?? null });
    } catch (e) {
      if (e instanceof KojiError && e.faultCode === 1000) throw new CliError(`Error finding latest build: ${e.message}`);
      throw e;
    }
    if (!builds.length) throw new CliError(`${String(o.latestfrom)} has no builds of ${String(build)}`);
    info = builds[0];
  } else if (o.rpm) {
    rpminfo = await ctx.session.call<Struct | null>('getRPM', [build]);
    if (!rpminfo) throw new CliError(`No such rpm: ${String(build)}`);
    info = await ctx.session.call<Struct | null>('getBuild', [rpminfo.build_id]);
  } else {
    // an rpm's N-V-R.A without --rpm: its build
    if (typeof build === 'string') {
      try {
        parseNVRA(build);
        const r = await ctx.session.call<Struct | null>('getRPM', [build]);
        if (r) build = r.build_id as number;
      } catch {
        // not an rpm: a build
      }
    }
    info = await ctx.session.call<Struct | null>('getBuild', [build]);
  }
  if (!info) throw new CliError(`No such build: ${String(build)}`);
  return { info, rpminfo };
}

async function downloadBuild(ctx: CliContext, o: Record<string, unknown>, arg: string, out: Output): Promise<void> {
  const { info, rpminfo } = await findBuild(ctx, o, arg);
  const topurl = o.topurl as string | null;
  if (!topurl) throw new CliError('You must specify --topurl to download files');
  let archives: Struct[] = [];
  let rpms: Struct[] = [];
  if (o.type) {
    archives = await ctx.session.call<Struct[]>('listArchives', [], { buildID: info.id, type: o.type as string });
    if (!archives.length) throw new CliError(`No ${String(o.type)} archives available for ${buildLabel(info)}`);
  } else {
    const arches = (o.arches as string[]).length ? (o.arches as string[]) : null;
    const all = rpminfo ? [rpminfo] : await ctx.session.call<Struct[]>('listRPMs', [], { buildID: info.id, arches });
    if (!all.length) throw new CliError(arches ? `No ${arches.join(' or ')} packages available for ${buildLabel(info)}` : `No packages available for ${buildLabel(info)}`);
    rpms = all.filter((r) => o.debuginfo || !isDebuginfo(String(r.name)));
  }
  const key = (o.key as string | null) ?? null;
  if (key) {
    const sigs = await multicall(ctx, rpms.map((r) => ({ method: 'queryRPMSigs', kwargs: { rpm_id: r.id, sigkey: key } })));
    const signed = sigs.map((s) => resultOf<Struct[]>(s).length > 0);
    rpms.forEach((r, i) => {
      if (!signed[i]) ctx.warn(`No such sigkey ${key} for rpm ${String(r.nvr)}-${String(r.arch)}.rpm`);
    });
    rpms = rpms.filter((_, i) => signed[i]);
  }
  const size = rpms.length + archives.length;
  const tls = { serverca: ctx.config.serverca, noSslVerify: ctx.config.no_ssl_verify };
  let num = 0;
  for (const r of rpms) await downloadRpm(ctx, out, info, r, topurl, key, { quiet: o.quiet as boolean, noprogress: o.noprogress as boolean, num: ++num, size, tls });
  for (const a of archives) await downloadArchive(out, info, a, topurl, { quiet: o.quiet as boolean, noprogress: o.noprogress as boolean, num: ++num, size, tls });
}

export const downloadCommands: Command[] = [
  {
    name: 'download-build',
    category: 'download',
    anon: true,
    summary: 'Download a completed build',
    usage: 'download-build [options] <n-v-r|build_id>\n\nDownloads files from the specified build entry\nNote: scratch builds do not have build entries. Use download-task for those',
    options: [
      { name: 'arch', short: 'a', type: 'append', dest: 'arches', metavar: 'ARCH', default: [], help: 'Only download packages for this arch (may be used multiple times)' },
      { name: 'type', type: 'string', help: 'Download archives of the given type, rather than rpms (maven, win, image, remote-sources)' },
      { name: 'latestfrom', type: 'string', help: 'Download the latest build from this tag' },
      { name: 'debuginfo', type: 'bool', help: 'Also download -debuginfo rpms' },
      { name: 'task-id', type: 'bool', help: 'Interperet id as a task id' },
      { name: 'rpm', type: 'bool', help: 'Download the given rpm' },
      { name: 'key', type: 'string', help: 'Download rpms signed with the given key' },
      { name: 'topurl', type: 'string', metavar: 'URL', help: 'URL under which Koji files are accessible' },
      { name: 'noprogress', type: 'bool', help: 'Do not display progress meter' },
      { name: 'quiet', short: 'q', type: 'bool', help: 'Suppress output' },
    ],
    async handler(ctx, o, args): Promise<CommandResult> {
      if (args.length < 1) throw new UsageError('Please specify a package N-V-R or build ID');
      if (args.length > 1) throw new UsageError('Only a single package N-V-R or build ID may be specified');
      const opts = { ...o, topurl: o.topurl ?? ctx.config.topurl, quiet: o.quiet || ctx.global.quiet };
      const out = new Output();
      try {
        await downloadBuild(ctx, opts, args[0], out);
        return { output: out.text, exitCode: 0 };
      } catch (e) {
        // what was printed before the failure stays printed
        if (e instanceof CliError) return { output: out.text, error: e.message, exitCode: e.exitCode };
        if (e instanceof KojiError || e instanceof PyError) return { output: out.text, error: exceptionLine(e), exitCode: 1 };
        throw e;
      }
    },
  },
];
