/**
 * koji.taskLabel: "method (details)" for a task's list and watch lines. A request is read the
 * way koji.tasks.parse_task_params reads it: a new-style `{__method__: …}` struct, or the
 * method's legacy signatures (below, as Koji 1.35.3 lists them) applied to the arguments; a
 * request that fits none gives "method (arch, unknown args)", a method with no signature
 * "method (arch)".
 */
import { isStruct, type XmlRpcStruct, type XmlRpcValue } from '../protocol/values.ts';
import { pyStrOf } from '../protocol/pyrepr.ts';
import { buildLabel, pyIter, pyJoin, sub } from './pyvalue.ts';

/** [positional names, *varargs name, **kwargs name, number of trailing names with defaults, their defaults] */
type Argspec = [string[], string | null, string | null, XmlRpcValue[]];

const IMAGE9 = ['name', 'version', 'release', 'arch', 'target_info', 'build_tag', 'repo_info'];
const SIGNATURES: Record<string, Argspec[]> = {
  chainbuild: [[['srcs', 'target', 'opts'], null, null, [null]]],
  waitrepo: [[['tag', 'newer_than', 'nvrs', 'min_event'], null, null, [null, null, null]]],
  createLiveMedia: [[[...IMAGE9, 'ksfile', 'opts'], null, null, [null]]],
  createAppliance: [[[...IMAGE9, 'ksfile', 'opts'], null, null, [null]]],
  createLiveCD: [[[...IMAGE9, 'ksfile', 'opts'], null, null, [null]]],
  createImage: [[[...IMAGE9, 'inst_tree', 'opts'], null, null, [null]]],
  livecd: [[['name', 'version', 'arch', 'target', 'ksfile', 'opts'], null, null, [null]]],
  appliance: [[['name', 'version', 'arch', 'target', 'ksfile', 'opts'], null, null, [null]]],
  livemedia: [[['name', 'version', 'arches', 'target', 'ksfile', 'opts'], null, null, [null]]],
  image: [[['name', 'version', 'arches', 'target', 'inst_tree', 'opts'], null, null, [null]]],
  buildNotification: [[['recipients', 'build', 'target', 'weburl'], null, null, []]],
  buildMaven: [[['url', 'build_tag', 'opts'], null, null, [null]]],
  build: [[['src', 'target', 'opts'], null, null, [null]]],
  buildSRPMFromSCM: [[['url', 'build_tag', 'opts'], null, null, [null]]],
  rebuildSRPM: [[['srpm', 'build_tag', 'opts'], null, null, [null]]],
  createrepo: [[['repo_id', 'arch', 'oldrepo'], null, null, []]],
  indirectionimage: [[['opts'], null, null, []]],
  wrapperRPM: [[['spec_url', 'build_target', 'build', 'task', 'opts'], null, null, [null]]],
  tagBuild: [[['tag_id', 'build_id', 'force', 'fromtag', 'ignore_success'], null, null, [false, null, false]]],
  chainmaven: [[['builds', 'target', 'opts'], null, null, [null]]],
  newRepo: [
    [['tag', 'event', 'src', 'debuginfo', 'separate_src'], null, null, [null, false, false, false]],
    [['tag', 'event', 'src', 'debuginfo', 'separate_src', 'opts'], null, null, [null, null, null, null, null]],
  ],
  tagNotification: [[['recipients', 'is_successful', 'tag_info', 'from_info', 'build_info', 'user_info', 'ignore_success', 'failure_msg'], null, null, [null, '']]],
  buildArch: [[['pkg', 'root', 'arch', 'keep_srpm', 'opts'], null, null, [null]]],
  maven: [[['url', 'target', 'opts'], null, null, [null]]],
  waittest: [[['count', 'seconds'], null, null, [10]]],
  default: [[[], 'args', 'opts', []]],
  shutdown: [[[], null, null, []]],
  restartVerify: [[['task_id', 'host'], null, null, []]],
  someMethod: [[[], 'args', null, []]],
  restart: [[['host'], null, null, []]],
  fork: [[['n', 'm'], null, null, [5, 37]]],
  sleep: [[['n'], null, null, []]],
  dependantTask: [[['wait_list', 'task_list'], null, null, []]],
  subtask: [[['n'], null, null, [4]]],
  restartHosts: [[['options'], null, null, [null]]],
  runroot: [[['root', 'arch', 'command', 'keep', 'packages', 'mounts', 'repo_id', 'skip_setarch', 'weight', 'upload_logs', 'new_chroot'], null, null, [false, [], [], null, false, null, null, false]]],
  distRepo: [[['tag', 'repo_id', 'keys', 'task_opts'], null, null, []]],
  createdistrepo: [[['tag', 'repo_id', 'arch', 'keys', 'opts'], null, null, []]],
  saveFailedTree: [[['buildrootID', 'full'], null, null, [false]]],
  vmExec: [[['name', 'task_info', 'opts'], null, null, []]],
  winbuild: [[['name', 'source_url', 'target', 'opts'], null, null, []]],
};

class NoSignature extends Error {}
class BadArgs extends Error {}

/** koji.util.apply_argspec */
function applyArgspec([names, varargs, varkw, defaults]: Argspec, args: XmlRpcValue[], kwargs: XmlRpcStruct): Record<string, XmlRpcValue> {
  const data: Record<string, XmlRpcValue> = {};
  names.forEach((n, i) => {
    if (i < args.length) data[n] = args[i];
  });
  if (args.length > names.length) {
    if (!varargs) throw new BadArgs('too many args');
    data[varargs] = args.slice(names.length);
  } else if (varargs) data[varargs] = [];
  if (varkw) data[varkw] = {};
  for (const [k, v] of Object.entries(kwargs)) {
    if (k in data) throw new BadArgs(`duplicate keyword argument ${k}`);
    if (names.includes(k)) data[k] = v;
    else if (!varkw) throw new BadArgs(`unexpected keyword argument ${k}`);
    else (data[varkw] as XmlRpcStruct)[k] = v;
  }
  names.slice(names.length - defaults.length).forEach((n, i) => {
    if (!(n in data)) data[n] = defaults[i];
  });
  for (const n of names) if (!(n in data)) throw new BadArgs(`missing required argument ${n}`);
  return data;
}

/** koji.tasks.parse_task_params */
export function parseTaskParams(method: string, request: XmlRpcValue[]): Record<string, XmlRpcValue> {
  const first = request[0];
  if (request.length === 1 && isStruct(first) && '__method__' in first) {
    const r = { ...first };
    delete r.__method__;
    return r;
  }
  let args = request;
  let kw: XmlRpcStruct = {};
  const last = request.at(-1);
  if (isStruct(last) && last.__starstar) {
    kw = { ...last };
    delete kw.__starstar;
    args = request.slice(0, -1);
  }
  const specs = SIGNATURES[method];
  if (!specs) throw new NoSignature(method);
  let err: Error | null = null;
  for (const spec of specs) {
    try {
      return applyArgspec(spec, args, kw);
    } catch (e) {
      err ??= e as Error;
    }
  }
  throw err as Error;
}

/** python's `a or b` */
const or = (a: XmlRpcValue | undefined, b: XmlRpcValue | undefined) => (a ? a : b);
const str = (v: XmlRpcValue | undefined) => pyStrOf(v ?? null);
/** a struct's name, else the value itself (the "isinstance(x, dict)" checks of taskLabel) */
const nameOrSelf = (v: XmlRpcValue | undefined) => (isStruct(v) ? str(sub(v, 'name')) : str(v));

/** os.path.basename of a str */
function basename(p: XmlRpcValue | undefined): string {
  if (typeof p !== 'string') throw new TypeError('expected str');
  return p.slice(p.lastIndexOf('/') + 1);
}

/** Python slicing s[a:b] with negative indexes. */
function pySlice(s: string, a: number, b?: number): string {
  const n = s.length;
  const norm = (i: number) => (i < 0 ? Math.max(0, n + i) : Math.min(i, n));
  return s.slice(norm(a), b === undefined ? n : norm(b));
}

/** koji._module_info of an SCM URL. */
function moduleInfo(url: XmlRpcValue | undefined): string {
  if (typeof url !== 'string') throw new TypeError('expected str');
  let module = '';
  if (url.includes('?')) module = pySlice(url, url.indexOf('?') + 1, url.indexOf('#'));
  const repoStart = url.indexOf('/', url.indexOf('://') + 3);
  let repoEnd = url.indexOf('?');
  if (repoEnd === -1) repoEnd = url.indexOf('#');
  const repo = pySlice(url, repoStart, repoEnd);
  const rev = pySlice(url, url.indexOf('#') + 1);
  return module ? `${repo}:${module}:${rev}` : `${repo}:${rev}`;
}

/** The details taskLabel puts in parentheses for a method ('' for none). */
function extraOf(method: string, p: Record<string, XmlRpcValue>): string {
  switch (method) {
    case 'build':
    case 'maven': {
      const src = or(p.src, p.url);
      if (typeof src !== 'string') throw new TypeError('expected str');
      return `${nameOrSelf(or(p.target, p.build_tag))}, ${src.includes('://') ? moduleInfo(src) : basename(src)}`;
    }
    case 'indirectionimage':
      return `${str(sub(p.opts, 'name'))}, ${str(sub(p.opts, 'version'))}, ${str(sub(p.opts, 'release'))}`;
  }
  // koji tests `method in ('buildSRPMFromSCM')`: a substring test
  if ('buildSRPMFromSCM'.includes(method)) return moduleInfo(p.url);
  switch (method) {
    case 'buildArch':
      return `${basename(isStruct(p.pkg) ? sub(p.pkg, 'name') : p.pkg)}, ${str(p.arch)}`;
    case 'buildMaven':
      return str(sub(p.build_tag, 'name'));
    case 'wrapperRPM':
      return p.build ? `${str(sub(p.build_target, 'name'))}, ${buildLabel(p.build)}` : str(sub(p.build_target, 'name'));
    case 'winbuild':
      return `${nameOrSelf(p.target)}, ${moduleInfo(p.source_url)}`;
    case 'vmExec':
      return str(p.name);
    case 'buildNotification':
      return buildLabel(p.build);
    case 'newRepo':
    case 'distRepo':
      return nameOrSelf(p.tag);
    case 'createrepo':
      return str(p.arch);
    case 'createdistrepo':
      return `${str(p.repo_id)}, ${str(p.arch)}`;
    case 'dependantTask':
      return pyIter(p.task_list).map((t) => str(sub(t, 0))).join(', ');
    case 'chainbuild':
    case 'chainmaven':
      return nameOrSelf(p.target);
    case 'waitrepo':
      return nameOrSelf(p.tag) + (Array.isArray(p.nvrs) ? ', ' + pyJoin(p.nvrs) : '');
    case 'livecd':
    case 'appliance':
    case 'image':
    case 'livemedia':
      return `${str(or(p.arch, p.arches))}, ${str(sub(p, 'name'))}-${str(sub(p, 'version'))}, ${str(or(p.ksfile, p.inst_tree))}`;
    case 'createLiveCD':
    case 'createAppliance':
    case 'createImage':
    case 'createLiveMedia':
      return `${str(sub(p.target_info, 'name'))}, ${str(p.name)}-${str(p.version)}-${str(p.release)}, ${str(or(p.ksfile, p.inst_tree))}, ${str(p.arch)}`;
    case 'restart':
    case 'restartVerify':
      return str(sub(p.host, 'name'));
    default:
      return '';
  }
}

/** koji.taskLabel of a task with its request (getTaskInfo(…, request=True), listTasks decoded). */
export function taskLabel(task: XmlRpcStruct): string {
  try {
    const method = str(task.method);
    const arch = str(task.arch);
    let params: Record<string, XmlRpcValue> | null = null;
    try {
      params = parseTaskParams(method, (task.request as XmlRpcValue[]) ?? []);
    } catch (e) {
      if (e instanceof BadArgs) return `${method} (${arch}, unknown args)`;
      if (!(e instanceof NoSignature)) throw e;
    }
    // as koji: without a signature the method-specific details fail, which makes a malformed task
    const extra = extraOf(method, params ?? ({} as Record<string, XmlRpcValue>));
    return `${method} (${extra || arch})`;
  } catch {
    return 'malformed task';
  }
}
