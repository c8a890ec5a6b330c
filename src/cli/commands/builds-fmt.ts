/**
 * Formatting helpers of the build commands: koji.taskLabel, koji.util.formatChangelog,
 * the optparse "time" option type (a timestamp or a date/time), and koji.PathInfo's typed
 * build directories.
 */
import { Float, isStruct, type XmlRpcStruct, type XmlRpcValue } from '../../protocol/values.ts';
import { PathInfo } from '../../util/pathinfo.ts';
import { UsageError } from '../command.ts';
import { pyStr } from '../../protocol/pyrepr.ts';
import { DAYS, MONTHS } from './common.ts';

/** Python slicing s[a:b] with negative indexes. */
function pySlice(s: string, a: number, b?: number): string {
  const n = s.length;
  const norm = (i: number) => (i < 0 ? Math.max(0, n + i) : Math.min(i, n));
  return s.slice(norm(a), b === undefined ? n : norm(b));
}

/** koji._module_info of an SCM URL. */
function moduleInfo(url: string): string {
  let module = '';
  if (url.includes('?')) module = pySlice(url, url.indexOf('?') + 1, url.indexOf('#'));
  const repoStart = url.indexOf('/', url.indexOf('://') + 3);
  let repoEnd = url.indexOf('?');
  if (repoEnd === -1) repoEnd = url.indexOf('#');
  const repo = pySlice(url, repoStart, repoEnd);
  const rev = pySlice(url, url.indexOf('#') + 1);
  return module ? `${repo}:${module}:${rev}` : `${repo}:${rev}`;
}

/** Parameter names of the task handlers taskLabel looks into. */
const TASK_PARAMS: Record<string, string[]> = {
  build: ['src', 'target', 'opts'],
  maven: ['url', 'target', 'opts'],
  buildArch: ['pkg', 'root', 'arch', 'keep_srpm', 'opts'],
  buildSRPMFromSCM: ['url', 'build_tag', 'opts'],
  buildMaven: ['url', 'build_tag', 'opts'],
  newRepo: ['tag', 'event', 'src', 'debuginfo', 'separate_src', 'opts'],
  distRepo: ['tag', 'repo_id', 'keys', 'task_opts'],
  createrepo: ['repo_id', 'arch', 'oldrepo'],
  createdistrepo: ['tag', 'repo_id', 'arch', 'keys', 'opts'],
  tagBuild: ['tag_id', 'build_id', 'force', 'fromtag', 'ignore_success'],
  tagNotification: ['recipients', 'is_successful', 'tag_info', 'from_info', 'build_info', 'user_info', 'ignore_success', 'failure_msg'],
  buildNotification: ['recipients', 'build', 'target', 'weburl'],
  waitrepo: ['tag', 'newer_than', 'nvrs'],
  chainbuild: ['srcs', 'target', 'opts'],
  dependantTask: ['wait_list', 'task_list'],
};

function taskParams(method: string, request: XmlRpcValue[]): Record<string, XmlRpcValue> {
  const names = TASK_PARAMS[method];
  if (!names) throw new Error('unknown method');
  const args = request.slice();
  let kw: XmlRpcStruct = {};
  const last = args.at(-1);
  if (isStruct(last) && last.__starstar) {
    kw = { ...last };
    delete kw.__starstar;
    args.pop();
  }
  const out: Record<string, XmlRpcValue> = {};
  names.forEach((n, i) => (out[n] = i < args.length ? args[i] : (kw[n] ?? null)));
  return out;
}

const nameOf = (v: XmlRpcValue) => (isStruct(v) ? String(v.name) : String(v));
const basename = (p: string) => p.slice(p.lastIndexOf('/') + 1);

/** koji.taskLabel: "method (details)" or "method (arch)"; "malformed task" when the request does not fit. */
export function taskLabel(task: XmlRpcStruct): string {
  try {
    const method = String(task.method);
    let arch = String(task.arch);
    let extra = '';
    if (method in TASK_PARAMS) {
      const p = taskParams(method, (task.request as XmlRpcValue[]) ?? []);
      if (method === 'build' || method === 'maven') {
        const src = String(p.src ?? p.url);
        extra = `${nameOf(p.target)}, ${src.includes('://') ? moduleInfo(src) : basename(src)}`;
      } else if (method === 'buildSRPMFromSCM') extra = moduleInfo(String(p.url));
      else if (method === 'buildArch') {
        extra = `${basename(isStruct(p.pkg) ? String(p.pkg.name) : String(p.pkg))}, ${String(p.arch)}`;
        arch = String(p.arch);
      } else if (method === 'buildMaven') extra = nameOf(p.build_tag);
      else if (method === 'buildNotification') {
        const b = p.build as XmlRpcStruct;
        extra = `${String(b.package_name || b.name)}-${String(b.version)}-${String(b.release)}`;
      } else if (method === 'newRepo' || method === 'distRepo') extra = nameOf(p.tag);
      else if (method === 'createrepo') extra = String(p.arch);
      else if (method === 'createdistrepo') extra = `${String(p.repo_id)}, ${String(p.arch)}`;
      else if (method === 'dependantTask') extra = ((p.task_list as XmlRpcValue[][]) ?? []).map((t) => String(t[0])).join(', ');
      else if (method === 'chainbuild') extra = nameOf(p.target);
      else if (method === 'waitrepo') {
        extra = nameOf(p.tag);
        if (Array.isArray(p.nvrs)) extra += ', ' + p.nvrs.map(String).join(', ');
      }
    }
    return `${method} (${extra || arch})`;
  } catch {
    return 'malformed task';
  }
}


/** koji.util.formatChangelog: "* Tue Jan 02 2024 author\ntext\n\n" per entry. */
export function formatChangelog(entries: XmlRpcStruct[]): string {
  return entries
    .map((e) => {
      const m = /^(\d{4})-(\d\d)-(\d\d)/.exec(String(e.date));
      const d = m ? new Date(Date.UTC(+m[1], +m[2] - 1, +m[3])) : new Date(NaN);
      const date = `${DAYS[d.getUTCDay()]} ${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, '0')} ${d.getUTCFullYear()}`;
      return `* ${date} ${String(e.author)}\n${String(e.text)}\n\n`;
    })
    .join('');
}

/**
 * The optparse "time" type of the stock CLI: a number of seconds, or a date/time read in the
 * local zone ("2020-12-31", "2020-12-31 12:35[:56]", or what Date.parse understands).
 */
export function parseTimeOption(flag: string, value: string): number {
  const v = value.trim();
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(v)) return Number(v);
  const m = /^(\d{4})-(\d\d?)-(\d\d?)(?:[ T](\d\d?):(\d\d)(?::(\d\d)(?:\.\d+)?)?)?$/.exec(v);
  const t = m ? new Date(+m[1], +m[2] - 1, +m[3], +(m[4] ?? 0), +(m[5] ?? 0), +(m[6] ?? 0)).getTime() : Date.parse(v);
  if (!Number.isFinite(t)) throw new UsageError(`option ${flag}: invalid time specification: ${pyStr(value)}`);
  return Math.floor(t / 1000);
}

/** A CLI time value for the hub: an integer, or a double for fractions (as Python sends floats). */
export function timeArg(ts: number): XmlRpcValue {
  return new Float(ts);
}

export class BuildPaths extends PathInfo {
  mavenbuild(b: XmlRpcStruct): string {
    return `${this.build(b as never)}/maven`;
  }

  mavenfile(a: XmlRpcStruct): string {
    return `${String(a.group_id).replace(/\./g, '/')}/${String(a.artifact_id)}/${String(a.version)}/${String(a.filename)}`;
  }

  winbuild(b: XmlRpcStruct): string {
    return `${this.build(b as never)}/win`;
  }

  winfile(a: XmlRpcStruct): string {
    return a.relpath ? `${String(a.relpath)}/${String(a.filename)}` : String(a.filename);
  }
}
