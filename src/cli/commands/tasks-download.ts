/**
 * download-task (a task's output files over HTTP under topurl, as the stock CLI fetches them)
 * and download-logs (task logs through the hub's downloadTaskOutput; a build's logs over HTTP).
 */
import { mkdirSync, existsSync, openSync, closeSync, statSync, writeSync, writeFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { Fault, KojiError } from '../../protocol/faults.ts';
import { pyRepr } from '../../protocol/pyrepr.ts';
import type { XmlRpcStruct } from '../../protocol/values.ts';
import { multiFnmatch } from '../../util/fnmatch.ts';
import { PathInfo } from '../../util/pathinfo.ts';
import { CliError, UsageError, type CliContext, type Command, type Options } from '../command.ts';
import { downloadFile, type DownloadTls, type OutputSink } from '../download.ts';

const sink = (ctx: CliContext): OutputSink => ({ write: (s) => ctx.print(s) });
const tlsOf = (ctx: CliContext): DownloadTls => ({ serverca: ctx.config.serverca, noSslVerify: ctx.config.no_ssl_verify });
import { isDoneState, listTaskOutputAllVolumes, stateName, watchTasks } from '../watch.ts';
import { pyIntOf } from './cli-util.ts';

const ensuredir = (d: string) => mkdirSync(d, { recursive: true });

interface Download {
  task: XmlRpcStruct;
  filename: string;
  volume: string;
  newName: string;
  taskId: string;
}

/** The files download-task fetches, as (task, file, volume, local name) in the stock CLI's order. */
function selectDownloads(o: Options, task: XmlRpcStruct, files: Record<string, string[]>): Download[] {
  const out: Download[] = [];
  const taskarch = String(task.arch);
  const taskId = String(task.id);
  const buildMethod = task.method === 'buildArch' || task.method === 'build';
  const filters = o.filter as string[];
  const skips = o.skip as string[];
  const arches = o.arches as string[];
  for (const [filename, volumes] of Object.entries(files)) {
    if (filters.length && !filters.every((f) => new RegExp(f).test(filename))) continue;
    if (skips.length && skips.some((f) => new RegExp(f).test(filename))) continue;
    const filetype = filename.endsWith('src.rpm') ? 'src.rpm' : filename.slice(filename.lastIndexOf('.') + 1);
    const isRpm = filetype === 'rpm' || filetype === 'src.rpm';
    const add = (newName: string) => volumes.forEach((volume) => out.push({ task, filename, volume, newName, taskId }));
    if (o.all && !(buildMethod && isRpm)) {
      if (filetype !== 'log') {
        if (o.dirpertask) add(`${taskId}/${filename}`);
        else if (!filename.includes(taskarch) && filetype !== 'src.rpm') add(`${filename.slice(0, -(filetype.length + 1))}.${taskarch}.${filetype}`);
        else add(filename);
      }
    } else if (buildMethod && isRpm) {
      const filearch = filename.split('.').at(-2) as string;
      for (const volume of volumes) {
        if (arches.length && !arches.includes(filearch)) continue;
        out.push({ task, filename, volume, newName: o.dirpertask ? `${taskId}/${filename}` : filename, taskId });
      }
    }
    if (filetype === 'log' && o.logs) {
      if (o.dirpertask) add(`${taskId}/${filename}`);
      else add(filename.includes(taskarch) ? filename : `${filename.slice(0, -'.log'.length)}.${taskarch}.log`);
    }
  }
  return out;
}

async function downloadTask(ctx: CliContext, o: Options, args: string[]) {
  if (args.length === 0) throw new UsageError('Please specify a task ID');
  if (args.length > 1) throw new UsageError('Only one task ID may be specified');
  const baseId = pyIntOf(args[0]);
  if ((o.arches as string[]).length) o.arches = (o.arches as string[]).join(',').split(',');
  if ((o.filter as string[]).length && (o.skip as string[]).length) throw new UsageError('Only filter or skip may be specified. Not both.');
  const quiet = (o.quiet as boolean | null) ?? ctx.global.quiet;
  let base = await ctx.session.call<XmlRpcStruct | null>('getTaskInfo', [baseId]);
  if (!base) throw new CliError(`No such task: ${baseId}`);
  const wait = o.wait === true || (o.wait === null && !ctx.runningInBackground());
  if (wait && !isDoneState(base.state)) {
    await watchTasks(ctx, [baseId], { quiet, pollInterval: ctx.config.poll_interval, topurl: ctx.config.topurl });
    base = (await ctx.session.call<XmlRpcStruct>('getTaskInfo', [baseId])) as XmlRpcStruct;
  }
  let tasks = [base];
  if (!o.parentonly) tasks.push(...(await ctx.session.call<XmlRpcStruct[]>('getTaskChildren', [baseId])));
  tasks = tasks.sort((a, b) => Number(a.id) - Number(b.id));
  const byId = new Map<number, XmlRpcStruct>();
  for (const t of tasks) if (!byId.has(Number(t.id))) byId.set(Number(t.id), t);
  for (const id of [...byId.keys()].sort((a, b) => a - b)) {
    const state = stateName(byId.get(id)?.state);
    if (state === 'CLOSED') continue;
    const what = id === baseId ? 'Task' : 'Child task';
    if (state === 'FAILED') throw new CliError(`${what} ${id} failed. You can use save-failed-tree plugin for FAILED tasks.`);
    if (state === 'CANCELED') throw new CliError(`${what} ${id} was canceled.`);
    throw new CliError(`${what} ${id} has not finished yet.`);
  }
  const downloads: Download[] = [];
  for (const t of tasks) downloads.push(...selectDownloads(o, t, await listTaskOutputAllVolumes(ctx, Number(t.id))));
  if (!downloads.length) return 'No files for download found.\n';
  const pi = new PathInfo(o.topurl as string);
  const done = new Set<string>();
  let duplicates = false;
  let number = 0;
  for (const d of downloads) {
    let newName = d.newName;
    if (o.dirpertask) ensuredir(d.taskId);
    number += 1;
    if (d.volume && d.volume !== 'DEFAULT') {
      if (o.dirpertask) {
        ensuredir(`${d.taskId}/${d.volume}`);
        newName = join(d.taskId, d.volume, d.filename);
      } else {
        ensuredir(d.volume);
        newName = join(d.volume, newName);
      }
    }
    if (d.filename.includes('..')) throw new CliError(`Invalid file name: ${d.filename}`);
    const url = `${pi.work(d.volume)}/${pi.taskrelpath(Number(d.task.id))}/${d.filename}`;
    const key = `${newName}\0${d.volume}`;
    if (!done.has(key)) {
      await downloadFile(sink(ctx), url, newName, { quiet, noprogress: Boolean(o.noprogress), size: downloads.length, num: number, tls: tlsOf(ctx) });
      done.add(key);
    } else {
      if (!quiet) ctx.print(`Downloading [${number}/${downloads.length}]: ${newName}\nFile ${newName} already downloaded, skipping\n`);
      duplicates = true;
    }
  }
  if (duplicates) ctx.warn('Duplicate files, for download all duplicate files use --dirpertask.');
}

const FAIL_LOG = 'task_failed.log';

/** traceback.format_exception_only of a hub failure: "koji.<Class>: message" */
function exceptionOnly(e: unknown): string {
  if (e instanceof Fault) return `xmlrpc.client.Fault: <Fault ${e.faultCode}: ${pyRepr(e.faultString)}>\n`;
  if (e instanceof KojiError) return `koji.${e.name}: ${e.message}\n`;
  throw e;
}

async function saveLogs(ctx: CliContext, o: Options, taskId: number, parentDir: string, recurse: boolean): Promise<void> {
  const match = (o.match as string[]).length ? (o.match as string[]) : null;
  const info = await ctx.session.call<XmlRpcStruct | null>('getTaskInfo', [taskId]);
  if (!info) throw new CliError(`No such task: ${taskId}`);
  const files = await listTaskOutputAllVolumes(ctx, taskId);
  const logs = Object.entries(files)
    .filter(([f]) => f.endsWith('.log') && (!match || multiFnmatch(f, match)))
    .flatMap(([f, volumes]) => volumes.map((v) => [f, v] as const));
  const dir = join(parentDir, `${String(info.arch)}-${taskId}`);
  let count = 0;
  const state = stateName(info.state);
  if (state === 'FAILED') {
    if (!match || multiFnmatch(FAIL_LOG, match)) {
      let content: string;
      try {
        content = pyRepr(await ctx.session.call('getTaskResult', [taskId]));
      } catch (e) {
        content = exceptionOnly(e);
      }
      const file = normalize(join(dir, FAIL_LOG));
      ensuredir(dirname(file));
      ctx.print(`Writing: ${file}\n`);
      writeFileSync(file, content);
      count++;
    }
  } else if (state !== 'CLOSED' && state !== 'CANCELED') ctx.warn(`Task ${taskId} is ${state}\n`);
  for (const [file, volume] of logs) {
    const local = normalize(volume !== 'DEFAULT' ? join(dir, volume, file) : join(dir, file));
    ensuredir(dirname(local));
    let offset = 0;
    let fd: number;
    if (o.cont && existsSync(local)) {
      ctx.print(`Continuing: ${local}\n`);
      fd = openSync(local, 'a');
      offset = statSync(local).size;
    } else {
      ctx.print(`Downloading: ${local}\n`);
      fd = openSync(local, 'w');
    }
    try {
      for (;;) {
        const chunk = Buffer.from(await ctx.session.call<string>('downloadTaskOutput', [taskId, file], { offset, size: 102400, volume }), 'base64');
        if (!chunk.length) break;
        offset += chunk.length;
        writeSync(fd, chunk);
      }
    } finally {
      closeSync(fd);
    }
    count++;
  }
  if (count === 0 && !recurse) ctx.warn(`No logs found for task ${taskId}. Perhaps try --recurse?\n`);
  if (recurse) {
    for (const child of await ctx.session.call<XmlRpcStruct[]>('getTaskChildren', [taskId])) await saveLogs(ctx, o, Number(child.id), dir, recurse);
  }
}

async function downloadLogs(ctx: CliContext, o: Options, args: string[]): Promise<void> {
  if (args.length < 1) throw new UsageError('Please specify at least one task id or n-v-r');
  // as the stock CLI, the task or build found for one argument carries over to the next
  let taskId: number | null = null;
  let buildId: number | null = null;
  for (const arg of args) {
    if (o.nvr) {
      o.recurse = true;
      const b = await ctx.session.call<XmlRpcStruct | null>('getBuild', [arg]);
      if (!b) throw new CliError(`There is no build with n-v-r: ${arg}`);
      if (b.task_id) {
        taskId = Number(b.task_id);
        ctx.print(`Using task ID: ${taskId}\n`);
      } else if (b.build_id) {
        buildId = Number(b.build_id);
        ctx.print(`Using build ID: ${buildId}\n`);
      }
    } else {
      if (!/^\s*[+-]?\d+\s*$/.test(arg)) throw new CliError(`Task id must be number: ${pyRepr(arg)}`);
      taskId = Number(arg);
    }
    if (taskId) await saveLogs(ctx, o, taskId, o.dir as string, Boolean(o.recurse));
    else if (buildId) {
      for (const log of await ctx.session.call<XmlRpcStruct[]>('getBuildLogs', [buildId])) {
        const path = join(process.cwd(), `${String(o.dir)}/${arg}/${String(log.name)}`);
        if (!path.endsWith('.log')) continue;
        if ((o.match as string[]).length && !multiFnmatch(String(log.name), o.match as string[])) continue;
        await downloadFile(sink(ctx), `${ctx.config.topurl}/${String(log.path)}`, path, { tls: tlsOf(ctx) });
      }
    }
  }
}

export const taskDownloadCommands: Command[] = [
  {
    name: 'download-task',
    category: 'download',
    summary: 'Download the output of a build task',
    usage: 'download-task <task_id>\nDefault behavior without --all option downloads .rpm files only for build and buildArch tasks.\n',
    anon: true,
    options: [
      { name: 'arch', type: 'append', dest: 'arches', metavar: 'ARCH', help: 'Only download packages for this arch (may be used multiple times), only for build and buildArch task methods' },
      { name: 'logs', type: 'bool', default: false, help: 'Also download build logs' },
      { name: 'topurl', type: 'string', metavar: 'URL', help: 'URL under which Koji files are accessible' },
      { name: 'noprogress', type: 'bool', help: 'Do not display progress meter' },
      { name: 'wait', type: 'bool', help: 'Wait for running tasks to finish, even if running in the background' },
      { name: 'nowait', type: 'bool', dest: 'wait', value: false, help: 'Do not wait for running tasks to finish' },
      { name: 'quiet', short: 'q', type: 'bool', help: 'Suppress output' },
      { name: 'all', type: 'bool', help: 'Download all files, all methods instead of build and buildArch' },
      { name: 'dirpertask', type: 'bool', help: 'Download files to dir per task' },
      { name: 'parentonly', type: 'bool', help: "Download parent's files only" },
      { name: 'filter', type: 'append', help: 'Regex pattern to filter files' },
      { name: 'skip', type: 'append', help: 'Regex pattern to skip files' },
    ],
    async handler(ctx, o, args) {
      o.topurl ??= ctx.config.topurl;
      return (await downloadTask(ctx, o, args)) ?? undefined;
    },
  },
  {
    name: 'download-logs',
    category: 'download',
    summary: 'Download logs for task',
    usage: 'download-logs [options] <task_id> [<task_id> ...]\n       %prog download-logs [options] --nvr <n-v-r> [<n-v-r> ...]\n\nNote this command only downloads task logs, not build logs.\n',
    anon: true,
    options: [
      { name: 'recurse', short: 'r', type: 'bool', help: 'Process children of this task as well' },
      { name: 'nvr', type: 'bool', help: 'Get the logs for the task associated with this build Name-Version-Release.' },
      { name: 'match', short: 'm', type: 'append', metavar: 'PATTERN', help: 'Get only log filenames matching PATTERN (fnmatch). May be used multiple times.' },
      { name: 'continue', short: 'c', type: 'bool', dest: 'cont', help: 'Continue previous download' },
      { name: 'dir', short: 'd', type: 'string', metavar: 'DIRECTORY', default: 'kojilogs', help: 'Write logs to DIRECTORY' },
    ],
    handler: (ctx, o, args) => downloadLogs(ctx, o, args),
  },
];
