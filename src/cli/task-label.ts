/**
 * koji.taskLabel: "method (details)" for a task's list and watch lines. A request is read as
 * koji.tasks.parse_task_params reads it (../protocol/task-params.ts); a request that fits none
 * gives "method (arch, unknown args)", a method with no signature "method (arch)".
 */
import { isStruct, type XmlRpcStruct, type XmlRpcValue } from '../protocol/values.ts';
import { BadArgs, NoSignature, parseTaskParams } from '../protocol/task-params.ts';
import { pyStrOf } from '../protocol/pyrepr.ts';
import { buildLabel, pyIter, pyJoin, sub } from './pyvalue.ts';

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
