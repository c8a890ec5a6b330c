/**
 * An in-memory PolicyEnv for the policy tests: a tiny world of users, builds, tags… and a log
 * of the calls made, so tests can check which lookups (and how many) a policy performed.
 */
import type {
  PolicyBuild, PolicyBuildroot, PolicyEnv, PolicyTag, PolicyTarget, PolicyTaskRequest, PolicyUser,
} from '../../../src/hub/policy/env.ts';
import { ALL_TESTS } from '../../../src/hub/policy/hub-tests.ts';
import { PolicySet } from '../../../src/hub/policy/engine.ts';
import { parsePolicy } from '../../../src/hub/policy/parse.ts';
import type { PolicyData, TestRegistry } from '../../../src/hub/policy/types.ts';

export interface World {
  sessionUser?: number | null;
  users?: PolicyUser[];
  /** user id → groups */
  groups?: Record<number, Array<{ id: number; name: string }>>;
  /** user id → permissions */
  perms?: Record<number, string[]>;
  packages?: Array<{ id: number; name: string }>;
  builds?: Array<Partial<PolicyBuild> & { id: number; name: string }>;
  buildTypes?: Record<number, string[]>;
  componentBuildroots?: Record<number, Array<number | null>>;
  buildroots?: Record<number, PolicyBuildroot>;
  /** build id → tags it is in */
  tagsOfBuild?: Record<number, string[]>;
  tags?: PolicyTag[];
  /** tag id → ancestors */
  ancestors?: Record<number, string[]>;
  targets?: Array<PolicyTarget & { id: number; name: string }>;
  volumes?: string[];
  cgs?: string[];
  tasks?: Record<number, PolicyTaskRequest>;
}

export type FakeEnv = PolicyEnv & { calls: string[] };

function fullBuild(b: Partial<PolicyBuild> & { id: number; name: string }): PolicyBuild {
  return {
    version: '1.0', release: '1', package_id: 100 + b.id, owner_id: 1, volume_id: 0, volume_name: 'DEFAULT',
    source: null, task_id: null, extra: null, draft: false, ...b,
  };
}

export function fakeEnv(w: World = {}): FakeEnv {
  const calls: string[] = [];
  const builds = (w.builds ?? []).map(fullBuild);
  const byIdOrName = <T extends { id: number; name: string }>(list: T[] | undefined, ref: unknown): T | null => {
    if (ref && typeof ref === 'object' && 'id' in ref) ref = (ref as { id: unknown }).id;
    return (list ?? []).find((x) => x.id === ref || x.name === ref) ?? null;
  };
  return {
    calls,
    sessionUserId: () => w.sessionUser ?? null,
    getUser: async (u) => (calls.push(`getUser ${String(u)}`), byIdOrName(w.users, u)),
    userGroups: async (id) => (calls.push(`userGroups ${id}`), w.groups?.[id] ?? []),
    userPerms: async (id) => (calls.push(`userPerms ${id}`), w.perms?.[id] ?? []),
    lookupPackage: async (p) => (calls.push(`lookupPackage ${String(p)}`), byIdOrName(w.packages, p)),
    getBuild: async (b) => {
      calls.push(`getBuild ${typeof b === 'object' ? JSON.stringify(b) : String(b)}`);
      if (b && typeof b === 'object' && 'id' in b) b = (b as { id: unknown }).id;
      return builds.find((x) => x.id === b || `${x.name}-${x.version}-${x.release}` === b) ?? null;
    },
    buildTypes: async (id) => (calls.push(`buildTypes ${id}`), w.buildTypes?.[id] ?? []),
    componentBuildroots: async (id) => (calls.push(`componentBuildroots ${id}`), w.componentBuildroots?.[id] ?? []),
    getBuildroot: async (id) => (calls.push(`getBuildroot ${id}`), w.buildroots?.[id] ?? null),
    tagsOfBuild: async (id) => (calls.push(`tagsOfBuild ${id}`), w.tagsOfBuild?.[id] ?? []),
    getTag: async (t, event) => {
      calls.push(`getTag ${String(t)}${event !== undefined ? ` @${event}` : ''}`);
      const tag = byIdOrName(w.tags, t);
      return tag && event != null ? { ...tag, query_event: event } : tag;
    },
    tagAncestors: async (id, event) => (calls.push(`tagAncestors ${id} @${event}`), w.ancestors?.[id] ?? []),
    getBuildTarget: async (t) => (calls.push(`getBuildTarget ${String(t)}`), byIdOrName(w.targets, t)),
    lookupVolume: async (v) => (calls.push(`lookupVolume ${String(v)}`), (w.volumes ?? []).find((x) => x === v) ?? null),
    lookupContentGenerator: async (c) => (calls.push(`lookupCG ${String(c)}`), (w.cgs ?? []).find((x) => x === c) ?? null),
    taskRequest: async (id) => (calls.push(`taskRequest ${id}`), w.tasks?.[id] ?? null),
  };
}

/** Run one test expression (e.g. "has_perm admin") against data: true when it passes. */
export async function runTest(expr: string, data: PolicyData, env: PolicyEnv = fakeEnv(), tests: TestRegistry = ALL_TESTS): Promise<boolean> {
  const set = new PolicySet(new Map([['t', parsePolicy('t', `${expr} :: yes`, tests)]]));
  return (await set.evaluate('t', data, env)) !== null;
}

/** A PolicySet from name → text. */
export function policySet(texts: Record<string, string>, tests: TestRegistry = ALL_TESTS, options = {}): PolicySet {
  return new PolicySet(new Map(Object.entries(texts).map(([n, t]) => [n, parsePolicy(n, t, tests)])), options);
}
