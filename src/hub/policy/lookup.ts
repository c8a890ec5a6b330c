/**
 * How the hub policy tests find their subject in policy data (Koji's policy_get_user,
 * policy_get_pkg, policy_get_version, policy_get_release, policy_get_brs, policy_get_cgs,
 * policy_get_build_tags and policy_get_build_types): explicit data fields win, then the build,
 * then fallbacks (target, buildroots, session user). Database access goes through PolicyEnv.
 * Errors carry Koji's messages (GenericError, fault 1000).
 */
import { GenericError } from '../../protocol/faults.ts';
import type { PolicyBuild, PolicyEnv, PolicyTag, PolicyUser } from './env.ts';
import { asList, hasField, pyTruthy } from './py.ts';
import { pyRepr, pyStrOf } from '../../protocol/pyrepr.ts';
import type { PolicyData } from './types.ts';

/** get_build(build, strict=True) */
export async function requireBuild(env: PolicyEnv, build: unknown): Promise<PolicyBuild> {
  const info = await env.getBuild(build);
  if (!info) throw new GenericError(`No such build: ${pyRepr(build)}`);
  return info;
}

/** get_tag(tag, strict=True, event) */
export async function requireTag(env: PolicyEnv, tag: unknown, event?: number | null): Promise<PolicyTag> {
  const info = await env.getTag(tag, event);
  if (!info) throw new GenericError(`No such tagInfo: ${pyRepr(tag)}`);
  return info;
}

/**
 * The user a policy is about: data.user_id when present (null there means the session user,
 * as get_user(None) does), else the logged-in user, else null.
 */
export async function policyGetUser(data: PolicyData, env: PolicyEnv): Promise<PolicyUser | null> {
  if (hasField(data, 'user_id')) {
    let user = data.user_id;
    if (user === null) {
      user = env.sessionUserId();
      if (user === null) throw new GenericError('No user provided');
    }
    return env.getUser(user);
  }
  const sid = env.sessionUserId();
  return sid === null ? null : env.getUser(sid);
}

/**
 * The package: data.package (a name of a package that does not exist yet gives id null),
 * else the build's package.
 */
export async function policyGetPkg(data: PolicyData, env: PolicyEnv): Promise<{ id: number | null; name: string }> {
  if (hasField(data, 'package')) {
    const pkg = await env.lookupPackage(data.package);
    if (pkg) return pkg;
    // for some operations (e.g. adding a new package) the package may not exist yet
    if (typeof data.package === 'string') return { id: null, name: data.package };
    throw new GenericError(`No such package: ${pyStrOf(data.package)}`);
  }
  if (hasField(data, 'build')) {
    const b = await requireBuild(env, data.build);
    return { id: b.package_id, name: b.name };
  }
  throw new GenericError('policy requires package data');
}

/** data.version, else the build's version. */
export async function policyGetVersion(data: PolicyData, env: PolicyEnv): Promise<unknown> {
  if (hasField(data, 'version')) return data.version;
  if (hasField(data, 'build')) return (await requireBuild(env, data.build)).version;
  throw new GenericError('policy requires version data');
}

/** data.release, else the build's release. */
export async function policyGetRelease(data: PolicyData, env: PolicyEnv): Promise<unknown> {
  if (hasField(data, 'release')) return data.release;
  if (hasField(data, 'build')) return (await requireBuild(env, data.build)).release;
  throw new GenericError('policy requires release data');
}

function listField(data: PolicyData, key: string): unknown[] {
  const list = asList(data[key]);
  if (!list) throw new GenericError(`policy data ${key} must be a list, got ${pyRepr(data[key])}`);
  return list;
}

/** Buildroot ids: data.buildroots, else those of the build's rpms and archives (null = none). */
export async function policyGetBuildroots(data: PolicyData, env: PolicyEnv): Promise<Set<number | null>> {
  if (hasField(data, 'buildroots')) return new Set(listField(data, 'buildroots') as Array<number | null>);
  if (hasField(data, 'build')) {
    const b = await requireBuild(env, data.build);
    return new Set(await env.componentBuildroots(b.id));
  }
  return new Set();
}

/**
 * Content generator names: data.cg_list (each must exist), else those of the buildroots;
 * null stands for a component without a buildroot or a buildroot without a content generator.
 */
export async function policyGetCgs(data: PolicyData, env: PolicyEnv): Promise<Set<string | null>> {
  if (hasField(data, 'cg_list')) {
    const names = new Set<string | null>();
    for (const cg of listField(data, 'cg_list')) {
      const name = await env.lookupContentGenerator(cg);
      if (name === null) throw new GenericError(`No such entry in table content_generator: ${pyStrOf(cg)}`);
      names.add(name);
    }
    return names;
  }
  const cgs = new Set<string | null>();
  for (const br of await policyGetBuildroots(data, env)) {
    if (br === null) cgs.add(null);
    else cgs.add((await requireBuildroot(env, br)).cg_name);
  }
  return cgs;
}

async function requireBuildroot(env: PolicyEnv, brId: number) {
  const br = await env.getBuildroot(brId);
  if (!br) throw new GenericError(`No such buildroot: ${pyRepr(brId)}`);
  return br;
}

/**
 * Build tags by name: data.build_tag, else data.build_tags, else the build tag of data.target,
 * else the tags of the buildroots (read at their repo's creation event; a component without a
 * buildroot gives a null entry; content-generator buildroots without a tag are skipped).
 */
export async function policyGetBuildTags(data: PolicyData, env: PolicyEnv): Promise<Map<string | null, PolicyTag | null>> {
  const tags = new Map<string | null, PolicyTag | null>();
  if (hasField(data, 'build_tag')) {
    const t = await requireTag(env, data.build_tag);
    tags.set(t.name, t);
  } else if (hasField(data, 'build_tags')) {
    for (const tag of listField(data, 'build_tags')) {
      const t = await requireTag(env, tag);
      tags.set(t.name, t);
    }
  }
  if (tags.size === 0 && pyTruthy(data.target)) {
    const target = await env.getBuildTarget(data.target);
    if (target) tags.set(target.build_tag_name, await requireTag(env, target.build_tag));
  }
  if (tags.size === 0) {
    for (const brId of await policyGetBuildroots(data, env)) {
      if (brId === null) {
        tags.set(null, null);
        continue;
      }
      const br = await requireBuildroot(env, brId);
      // content generator buildroots need not be based on a tag
      if (br.tag_name) tags.set(br.tag_name, await requireTag(env, br.tag_name, br.repo_create_event_id));
    }
  }
  return tags;
}

/** Build types: data.btypes, else the build's types. */
export async function policyGetBuildTypes(data: PolicyData, env: PolicyEnv): Promise<Set<string>> {
  if (hasField(data, 'btypes')) return new Set(listField(data, 'btypes').map((x) => pyStrOf(x)));
  if (hasField(data, 'build')) {
    const b = await requireBuild(env, data.build);
    return new Set(await env.buildTypes(b.id));
  }
  return new Set();
}
