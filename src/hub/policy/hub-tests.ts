/**
 * The hub's policy tests (kojihub's *Test(koji.policy…) classes). Their subject comes from the
 * policy data, falling back to database lookups through PolicyEnv (see lookup.ts):
 *
 *   operation/method/vm_name GLOB…   glob on data.operation / data.method / data.vm_name
 *   package/version/release GLOB…    glob on data.package|version|release, else the build's
 *   tag/fromtag GLOB…                glob on the name of data.tag / data.fromtag (absent,
 *                                    null or unknown tag: false)
 *   hastag GLOB…                     data.build is currently tagged into a matching tag
 *   buildtag GLOB…                   a build tag (build_tag, build_tags, target, buildroots)
 *   buildtag_inherits_from GLOB…     a build tag inherits from a matching tag (parents only)
 *   buildtype GLOB…                  data.btypes or the build's types
 *   volume GLOB…                     data.volume (must exist, else false) or the build's volume
 *   cg_match_any/cg_match_all GLOB…  content generators of data.cg_list or the buildroots
 *   source GLOB…                     data.source, or the build's source / build task's source
 *   user GLOB…                       name of data.user_id's user, else the logged-in user
 *   user_in_group GLOB… / has_perm GLOB…   the user's groups / permissions
 *   is_new_package, is_child_task (data.parent), skip_tag, imported, is_build_owner, is_draft
 */
import { GenericError } from '../../protocol/faults.ts';
import { USERTYPE_GROUP } from './env.ts';
import { multiFnmatch } from '../../util/fnmatch.ts';
import {
  policyGetBuildTags, policyGetBuildTypes, policyGetCgs, policyGetPkg,
  policyGetRelease, policyGetUser, policyGetVersion, requireBuild,
} from './lookup.ts';
import { hasField, pyTruthy } from './py.ts';
import { pyRepr } from '../../protocol/pyrepr.ts';
import { GENERIC_TESTS, fieldBool, fieldMatch, matchValue } from './tests.ts';
import type { PolicyTestFactory, TestContext, TestRegistry } from './types.ts';

/** A test matching its arguments as globs against a value it looks up (undefined: false). */
function globOn(what: string, get: (ctx: TestContext) => Promise<unknown>): PolicyTestFactory {
  return (patterns, text) => ({
    run: async (ctx) => {
      const value = await get(ctx);
      return value !== undefined && matchValue(text, what, value, patterns);
    },
  });
}

/** A test true when any of the names matches any of its arguments. */
function anyName(get: (ctx: TestContext) => Promise<Iterable<string | null>>): PolicyTestFactory {
  return (patterns) => ({
    run: async (ctx) => {
      for (const name of await get(ctx)) if (name !== null && multiFnmatch(name, patterns)) return true;
      return false;
    },
  });
}

/** A yes/no test that ignores its arguments. */
function predicate(run: (ctx: TestContext) => Promise<boolean> | boolean): PolicyTestFactory {
  return () => ({ run });
}

async function tagNameOf(ctx: TestContext, key: 'tag' | 'fromtag'): Promise<string | undefined> {
  const tag = ctx.data[key];
  if (tag === null || tag === undefined) return undefined;
  const info = await ctx.env.getTag(tag);
  return info ? info.name : undefined;
}

async function volumeOf(ctx: TestContext): Promise<string | undefined> {
  const { data, env } = ctx;
  if (hasField(data, 'volume')) return (await env.lookupVolume(data.volume)) ?? undefined;
  if (hasField(data, 'build')) return (await requireBuild(env, data.build)).volume_name;
  return undefined;
}

/**
 * SourceTest: data.source, else build.source, else the source parameter of the build's task
 * (winbuild: source_url, wrapperRPM: spec_url, others: src or url; indirectionimage: none).
 */
async function sourceOf(ctx: TestContext): Promise<unknown> {
  const { data, env } = ctx;
  if (hasField(data, 'source')) return data.source;
  if (!hasField(data, 'build')) return undefined;
  const build = await requireBuild(env, data.build);
  const taskId = build.task_id ?? (build.extra?.container_koji_task_id as number | null | undefined) ?? null;
  if (build.source !== null && build.source !== undefined) return build.source;
  if (taskId === null) return undefined;
  const task = await env.taskRequest(taskId);
  if (!task) throw new GenericError(`No such task: ${taskId}`);
  const { method, params } = task;
  if (method === 'winbuild') return params.source_url;
  if (method === 'indirectionimage') return undefined;
  if (method === 'wrapperRPM') return params.spec_url;
  if (hasField(params, 'src')) return params.src;
  if (hasField(params, 'url')) return params.url;
  return undefined;
}

async function userName(ctx: TestContext): Promise<string | undefined> {
  const user = await policyGetUser(ctx.data, ctx.env);
  return user ? user.name : undefined;
}

async function userGroupNames(ctx: TestContext): Promise<string[]> {
  const user = await policyGetUser(ctx.data, ctx.env);
  return user ? (await ctx.env.userGroups(user.id)).map((g) => g.name) : [];
}

async function userPermNames(ctx: TestContext): Promise<string[]> {
  const user = await policyGetUser(ctx.data, ctx.env);
  return user ? ctx.env.userPerms(user.id) : [];
}

async function tagsOfBuild(ctx: TestContext): Promise<string[]> {
  if (!hasField(ctx.data, 'build')) return [];
  const build = await requireBuild(ctx.env, ctx.data.build);
  return ctx.env.tagsOfBuild(build.id);
}

async function ancestorsOfBuildTags(ctx: TestContext): Promise<string[]> {
  const names: string[] = [];
  for (const tag of (await policyGetBuildTags(ctx.data, ctx.env)).values()) {
    // content generator buildroots might not have tag info
    if (tag) names.push(...(await ctx.env.tagAncestors(tag.id, tag.query_event ?? null)));
  }
  return names;
}

/** cg_match_any: some content generator (ignoring components without one) matches. */
const cgMatchAny = anyName(async (ctx) => policyGetCgs(ctx.data, ctx.env));

/** cg_match_all: there is at least one, every component has one and each one matches. */
const cgMatchAll: PolicyTestFactory = (patterns) => ({
  run: async (ctx) => {
    const cgs = await policyGetCgs(ctx.data, ctx.env);
    if (cgs.size === 0) return false;
    for (const cg of cgs) if (cg === null || !multiFnmatch(cg, patterns)) return false;
    return true;
  },
});

/** imported: some rpm or archive of data.build has no buildroot. */
const imported = predicate(async ({ data, env }) => {
  if (!pyTruthy(data.build)) throw new GenericError('policy data must contain a build');
  const build = await requireBuild(env, data.build);
  return (await env.componentBuildroots(build.id)).includes(null);
});

/** is_build_owner: the user owns data.build, or is a member of the group that owns it. */
const isBuildOwner = predicate(async ({ data, env }) => {
  if (!hasField(data, 'build')) throw new GenericError('policy data must contain a build');
  const build = await requireBuild(env, data.build);
  const owner = await env.getUser(build.owner_id);
  if (!owner) throw new GenericError(`No such user: ${pyRepr(build.owner_id)}`);
  const user = await policyGetUser(data, env);
  if (!user) return false;
  if (owner.id === user.id) return true;
  if (owner.usertype === USERTYPE_GROUP) return (await env.userGroups(user.id)).some((g) => g.id === owner.id);
  return false;
});

/** is_draft: data.draft, else the build's draft flag, else false. */
const isDraft = predicate(async ({ data, env }) => {
  if (hasField(data, 'draft')) return pyTruthy(data.draft);
  if (hasField(data, 'build')) return pyTruthy((await requireBuild(env, data.build)).draft ?? false);
  return false;
});

/** The tests kojihub adds, by name. */
export const HUB_TESTS: TestRegistry = new Map<string, PolicyTestFactory>([
  ['operation', fieldMatch('operation')],
  ['method', fieldMatch('method')],
  ['vm_name', fieldMatch('vm_name')],
  ['package', globOn('package name', async (ctx) => (await policyGetPkg(ctx.data, ctx.env)).name)],
  ['version', globOn('version', (ctx) => policyGetVersion(ctx.data, ctx.env))],
  ['release', globOn('release', (ctx) => policyGetRelease(ctx.data, ctx.env))],
  ['volume', globOn('volume name', volumeOf)],
  ['source', globOn('source', sourceOf)],
  ['user', globOn('user name', userName)],
  ['tag', globOn('tag name', (ctx) => tagNameOf(ctx, 'tag'))],
  ['fromtag', globOn('tag name', (ctx) => tagNameOf(ctx, 'fromtag'))],
  ['hastag', anyName(tagsOfBuild)],
  ['buildtag', anyName(async (ctx) => (await policyGetBuildTags(ctx.data, ctx.env)).keys())],
  ['buildtag_inherits_from', anyName(ancestorsOfBuildTags)],
  ['buildtype', anyName(async (ctx) => policyGetBuildTypes(ctx.data, ctx.env))],
  ['cg_match_any', cgMatchAny],
  ['cg_match_all', cgMatchAll],
  ['user_in_group', anyName(userGroupNames)],
  ['has_perm', anyName(userPermNames)],
  ['is_new_package', predicate(async (ctx) => (await policyGetPkg(ctx.data, ctx.env)).id === null)],
  ['is_child_task', fieldBool('parent')],
  ['skip_tag', predicate(({ data }) => pyTruthy(data.skip_tag))],
  ['imported', imported],
  ['is_build_owner', isBuildOwner],
  ['is_draft', isDraft],
]);

/** Every test the hub knows: the generic ones and the hub's (hub wins on a name clash). */
export const ALL_TESTS: TestRegistry = new Map([...GENERIC_TESTS, ...HUB_TESTS]);
