/**
 * The stock CLI's _printTaskInfo (taskinfo, resubmit) and _parseTaskParams: a task's lines —
 * type, request parameters per method, owner, state, times, host, build, buildroots, log and
 * output files under topdir — and its children's, indented.
 */
import { GenericError } from '../../protocol/faults.ts';
import { pyRepr, pyStrOf } from '../../protocol/pyrepr.ts';
import { isStruct, type XmlRpcStruct, type XmlRpcValue } from '../../protocol/values.ts';
import { buildLabel, pyIter, pyJoin, pyLen, pyPercentI, sub } from '../pyvalue.ts';
import { PathInfo } from '../../util/pathinfo.ts';
import type { CliContext } from '../command.ts';
import { taskLabel } from '../task-label.ts';
import { listTaskOutputAllVolumes, stateName } from '../watch.ts';
import { asctime, formatTimeLong } from './common.ts';

type V = XmlRpcValue;
const s = (v: V | undefined): string => pyStrOf(v ?? null);

/** _handleMap: "  key: value" for a struct's items (anything else raises, as .items() does) */
function handleMap(lines: string[], data: V | undefined, prefix = ''): void {
  if (!isStruct(data)) throw new TypeError('expected a struct');
  for (const [k, v] of Object.entries(data)) if (k !== '__starstar') lines.push(`  ${prefix}${k}: ${s(v)}`);
}

/** _handleOpts: an "Options:" block when there are options */
function handleOpts(lines: string[], opts: V | undefined, prefix = ''): void {
  if (pyTruthy(opts)) {
    lines.push(`${prefix}Options:`);
    handleMap(lines, opts, prefix);
  }
}

function pyTruthy(v: V | undefined): boolean {
  if (Array.isArray(v) || typeof v === 'string') return v.length > 0;
  if (isStruct(v)) return Object.keys(v).length > 0;
  return Boolean(v);
}

const tagName = async (ctx: CliContext, t: V) => s(sub(await ctx.session.call<XmlRpcStruct>('getTag', [t]), 'name'));

const ARGNAMES_IMAGE = ['Name', 'Version', 'Release', 'Arch', 'Target Info', 'Build Tag', 'Repo', 'Kickstart File'];
const ARGNAMES_SPIN = ['Name', 'Version', 'Arches', 'Target', 'Kickstart'];

/** _do_parseTaskParams: the "Request Parameters" lines for the methods the stock CLI knows. */
async function taskParamLines(ctx: CliContext, method: string, taskId: number): Promise<string[]> {
  const p = await ctx.session.call<V[]>('getTaskRequest', [taskId]);
  const lines: string[] = [];
  const at = (i: number) => sub(p, i);
  const opts = (i: number) => {
    if (p.length > i) handleOpts(lines, p[i]);
  };
  switch (method) {
    case 'buildSRPMFromCVS':
      lines.push(`CVS URL: ${s(at(0))}`);
      break;
    case 'buildSRPMFromSCM':
      lines.push(`SCM URL: ${s(at(0))}`);
      break;
    case 'buildArch': {
      lines.push(`SRPM: ${ctx.config.topdir}/work/${s(at(0))}`);
      const tag = await ctx.session.call<XmlRpcStruct | null>('getTag', [at(1)]);
      lines.push(`Build Tag: ${tag ? s(tag.name) : `${s(at(1))} (deleted)`}`, `Build Arch: ${s(at(2))}`, `SRPM Kept: ${pyRepr(at(3))}`);
      opts(4);
      break;
    }
    case 'tagBuild': {
      const build = await ctx.session.call<XmlRpcStruct>('getBuild', [at(1)]);
      lines.push(`Destination Tag: ${await tagName(ctx, at(0))}`, `Build: ${buildLabel(build)}`);
      break;
    }
    case 'buildNotification':
      lines.push(`Recipients: ${pyJoin(at(0))}`, `Build: ${buildLabel(at(1))}`, `Build Target: ${s(sub(at(2), 'name'))}`, `Web URL: ${s(at(3))}`);
      break;
    case 'build':
      lines.push(`Source: ${s(at(0))}`, `Build Target: ${s(at(1))}`);
      opts(2);
      break;
    case 'maven':
      lines.push(`SCM URL: ${s(at(0))}`, `Build Target: ${s(at(1))}`);
      opts(2);
      break;
    case 'buildMaven':
      lines.push(`SCM URL: ${s(at(0))}`, `Build Tag: ${s(sub(at(1), 'name'))}`);
      opts(2);
      break;
    case 'wrapperRPM':
      lines.push(`Spec File URL: ${s(at(0))}`, `Build Tag: ${s(sub(at(1), 'name'))}`);
      if (pyTruthy(at(2))) lines.push(`Build: ${buildLabel(at(2))}`);
      if (pyTruthy(at(3))) lines.push(`Task: ${s(sub(at(3), 'id'))} ${taskLabel(at(3) as XmlRpcStruct)}`);
      opts(4);
      break;
    case 'chainmaven': {
      lines.push('Builds:');
      const builds = at(0);
      if (!isStruct(builds)) throw new TypeError('expected a struct');
      for (const [pkg, o] of Object.entries(builds)) {
        lines.push(`  ${pkg}`);
        handleMap(lines, o, '  ');
      }
      lines.push(`Build Target: ${s(at(1))}`);
      opts(2);
      break;
    }
    case 'winbuild':
      lines.push(`VM: ${s(at(0))}`, `SCM URL: ${s(at(1))}`, `Build Target: ${s(at(2))}`);
      opts(3);
      break;
    case 'vmExec':
      lines.push(`VM: ${s(at(0))}`, 'Exec Params:');
      for (const info of pyIter(at(1))) {
        if (isStruct(info)) handleMap(lines, info, '  ');
        else lines.push(`  ${s(info)}`);
      }
      opts(2);
      break;
    case 'createLiveCD':
    case 'createAppliance':
    case 'createLiveMedia':
      ARGNAMES_IMAGE.forEach((n, i) => i < p.length && lines.push(`${n}: ${s(p[i])}`));
      opts(8);
      break;
    case 'appliance':
    case 'livecd':
    case 'livemedia':
      ARGNAMES_SPIN.forEach((n, i) => i < p.length && lines.push(`${n}: ${s(p[i])}`));
      opts(5);
      break;
    case 'newRepo':
      lines.push(`Tag: ${await tagName(ctx, at(0))}`);
      break;
    case 'prepRepo':
      lines.push(`Tag: ${s(sub(at(0), 'name'))}`);
      break;
    case 'createrepo': {
      lines.push(`Repo ID: ${pyPercentI(at(0))}`, `Arch: ${s(at(1))}`);
      const old = at(2);
      if (pyTruthy(old)) lines.push(`Old Repo ID: ${pyPercentI(sub(old, 'id'))}`, `Old Repo Creation: ${formatTimeLong(sub(old, 'create_ts'))}`);
      if (p.length > 3) lines.push(`External Repos: ${pyIter(at(3)).map((e) => s(sub(e, 'external_repo_name'))).join(', ')}`);
      break;
    }
    case 'tagNotification': {
      const dest = await ctx.session.call<XmlRpcStruct>('getTag', [at(2)]);
      const src = pyTruthy(at(3)) ? await ctx.session.call<XmlRpcStruct>('getTag', [at(3)]) : null;
      const build = await ctx.session.call<XmlRpcStruct>('getBuild', [at(4)]);
      const user = await ctx.session.call<XmlRpcStruct>('getUser', [at(5)]);
      lines.push(`Recipients: ${pyJoin(at(0))}`, `Successful?: ${pyTruthy(at(1)) ? 'yes' : 'no'}`, `Tagged Into: ${s(sub(dest, 'name'))}`);
      if (src) lines.push(`Moved From: ${s(sub(src, 'name'))}`);
      lines.push(`Build: ${buildLabel(build)}`, `Tagged By: ${s(sub(user, 'name'))}`, `Ignore Success?: ${pyTruthy(at(6)) ? 'yes' : 'no'}`);
      if (pyTruthy(at(7))) lines.push(`Failure Message: ${s(at(7))}`);
      break;
    }
    case 'dependantTask':
      lines.push(`Dependant Tasks: ${pyIter(at(0)).map(s).join(', ')}`, 'Subtasks:');
      for (const subtask of pyIter(at(1))) {
        lines.push(`  Method: ${s(sub(subtask, 0))}`, `  Parameters: ${pyIter(sub(subtask, 1)).map(s).join(', ')}`);
        if (pyLen(subtask) > 2 && pyTruthy(sub(subtask, 2))) handleOpts(lines, sub(subtask, 2), '  ');
        lines.push('');
      }
      break;
    case 'chainbuild':
      lines.push('Build Groups:');
      pyIter(at(0)).forEach((g, i) => lines.push(`  ${i + 1}: ${pyJoin(g)}`));
      lines.push(`Build Target: ${s(at(1))}`);
      opts(2);
      break;
    case 'waitrepo':
      lines.push(`Build Target: ${s(at(0))}`);
      if (pyTruthy(at(1))) lines.push(`Newer Than: ${s(at(1))}`);
      if (pyTruthy(at(2))) lines.push(`NVRs: ${pyJoin(at(2))}`);
      break;
  }
  return lines;
}

/** _parseTaskParams: any failure reading the request gives one line instead. */
async function parseTaskParamLines(ctx: CliContext, method: string, taskId: number): Promise<string[]> {
  try {
    return await taskParamLines(ctx, method, taskId);
  } catch {
    return ['Unable to parse task parameters'];
  }
}

const BUILDDIR = '/var/lib/mock';

/** _printTaskInfo: the task's lines (ctx.print) and, with recurse, its children's. */
export async function printTaskInfo(ctx: CliContext, taskId: number, level = 0, recurse = true, verbose = true): Promise<void> {
  const indent = ' '.repeat(2 * level);
  const info = await ctx.session.call<XmlRpcStruct | null>('getTaskInfo', [taskId]);
  if (!info) throw new GenericError(`No such task: ${taskId}`);
  const host = info.host_id ? await ctx.session.call<XmlRpcStruct>('getHost', [info.host_id]) : null;
  const buildroots = await ctx.session.call<XmlRpcStruct[]>('listBuildroots', [], { taskID: taskId });
  const builds = await ctx.session.call<XmlRpcStruct[]>('listBuilds', [], { taskID: taskId });
  const files = await listTaskOutputAllVolumes(ctx, taskId);
  const pi = new PathInfo(ctx.config.topdir);
  const logs: string[] = [];
  const output: string[] = [];
  for (const [file, volumes] of Object.entries(files)) {
    const paths = volumes.map((v) => `${pi.work(v)}/${pi.taskrelpath(taskId)}/${file}`);
    (file.endsWith('.log') ? logs : output).push(...paths);
  }
  const owner = await ctx.session.call<XmlRpcStruct>('getUser', [info.owner]);
  const out: string[] = [`Task: ${taskId}`, `Type: ${s(info.method)}`];
  if (verbose) {
    out.push('Request Parameters:');
    for (const l of await parseTaskParamLines(ctx, s(info.method), taskId)) out.push(`  ${l}`);
  }
  out.push(`Owner: ${s(owner.name)}`, `State: ${stateName(info.state).toLowerCase()}`, `Created: ${asctime(info.create_ts)}`);
  if (info.start_ts) out.push(`Started: ${asctime(info.start_ts)}`);
  if (info.completion_ts) out.push(`Finished: ${asctime(info.completion_ts)}`);
  if (host) out.push(`Host: ${s(host.name)}`);
  if (builds.length) out.push(`Build: ${s(builds[0].nvr)} (${Math.trunc(Number(builds[0].build_id))})`);
  if (buildroots.length) {
    out.push('Buildroots:');
    for (const r of buildroots) out.push(`  ${BUILDDIR}/${s(r.tag_name)}-${Math.trunc(Number(r.id))}-${Math.trunc(Number(r.repo_id))}/`);
  }
  out.push('Log Files:', ...(logs.length ? logs.map((l) => `  ${l}`) : ['  No outputs reported [1]']));
  out.push('Output:', ...(output.length ? output.map((l) => `  ${l}`) : ['  No outputs reported [1]']));
  if (!logs.length || !output.length) out.push('[1] Not all tasks produce outputs, and task outputs are not retained indefinitely.');
  ctx.print(out.map((l) => `${indent}${l}\n`).join('') + '\n');
  if (recurse) {
    const children = await ctx.session.call<XmlRpcStruct[]>('getTaskChildren', [taskId], { request: true });
    children.sort((a, b) => Number(a.id) - Number(b.id));
    for (const c of children) await printTaskInfo(ctx, Number(c.id), level + 1, true, verbose);
  }
}
