/**
 * koji.tasks.parse_task_params: a task request read as named parameters — a new-style
 * `{__method__: …}` struct, or the method's legacy signatures (as Koji 1.35.3 lists them)
 * applied to the arguments. Shared by the hub (policy data of a task) and the CLI (task labels).
 */
import { isStruct, type XmlRpcStruct, type XmlRpcValue } from './values.ts';

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

/** The method has no known signature. */
export class NoSignature extends Error {}
/** The arguments fit none of the method's signatures. */
export class BadArgs extends Error {}

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
