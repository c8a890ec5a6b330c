/**
 * The policy engine wired into the hub: the PolicyEnv the policy tests use, answered from the
 * database through the current call's `ctx`, and Koji's assert_policy / check_policy.
 */
import type { XmlRpcValue } from '../../protocol/values.ts';
import { decodeCall } from '../../protocol/decode.ts';
import { parseTaskParams } from '../../protocol/task-params.ts';
import type { CallContext, Hub } from '../types.ts';
import { userGroups, userPerms } from '../auth/session.ts';
import { lookupName } from '../lookup.ts';
import { getUser } from '../api/users.ts';
import { getBuild } from '../content/build.ts';
import { getTag } from '../content/tag.ts';
import { readFullInheritance } from '../content/inheritance.ts';
import { ALL_TESTS, checkPolicy, loadPolicies, type CheckResult, type PolicyData, type PolicyEnv, type PolicySet } from './index.ts';

/** Parse hub.conf's [policy] over Koji's defaults; a syntax error stops the hub at start-up. */
export function hubPolicies(hub: Pick<Hub, 'policy' | 'options' | 'log'>): PolicySet {
  return loadPolicies(hub.policy, ALL_TESTS, {
    missingPolicyOk: hub.options.MissingPolicyOk,
    verbose: hub.options.VerbosePolicy || hub.options.KojiDebug,
    log: { debug: (m) => hub.log.debug(m), info: (m) => hub.log.info(m), warn: (m) => hub.log.warn(m), error: (m) => hub.log.error(m) },
  });
}

export function policyEnv(ctx: CallContext): PolicyEnv {
  const sql = ctx.sql;
  return {
    sessionUserId: () => ctx.session.userId,
    async getUser(user) {
      const u = await getUser(ctx, user);
      return u ? { id: u.id, name: u.name, usertype: u.usertype } : null;
    },
    async userGroups(userId) {
      return [...(await userGroups(sql, userId))].map(([id, name]) => ({ id, name }));
    },
    async userPerms(userId) {
      return [...(await userPerms(sql, userId, true)).keys()];
    },
    async lookupPackage(pkg) {
      return lookupName(sql, 'package', pkg);
    },
    async getBuild(build) {
      const b = await getBuild(sql, build);
      if (!b) return null;
      return {
        id: b.id, name: b.name, version: b.version, release: b.release, package_id: b.package_id, owner_id: b.owner_id,
        volume_id: b.volume_id, volume_name: b.volume_name, source: (b.source as string | null) ?? null, task_id: b.task_id,
        extra: (b.extra as Record<string, unknown> | null) ?? null, draft: b.draft,
      };
    },
    async buildTypes(buildId) {
      const rows = await sql.query<{ name: string }>('SELECT bt.name FROM build_types x JOIN btype bt ON bt.id = x.btype_id WHERE x.build_id = $1 ORDER BY bt.id', [buildId]);
      return rows.map((r) => r.name);
    },
    async componentBuildroots(buildId) {
      const rows = await sql.query<{ br: number | null }>(
        'SELECT buildroot_id AS br FROM (SELECT buildroot_id, 0 AS k, id FROM rpminfo WHERE build_id = $1 UNION ALL SELECT buildroot_id, 1, id FROM archiveinfo WHERE build_id = $1) x ORDER BY k, id',
        [buildId],
      );
      return rows.map((r) => r.br);
    },
    async getBuildroot(brId) {
      const r = await sql.maybeOne<{ tag_name: string | null; cg_name: string | null; repo_create_event_id: number | null }>(
        `SELECT t.name AS tag_name, cg.name AS cg_name, r.create_event AS repo_create_event_id
           FROM buildroot br LEFT JOIN standard_buildroot s ON s.buildroot_id = br.id
           LEFT JOIN repo r ON r.id = s.repo_id LEFT JOIN tag t ON t.id = r.tag_id
           LEFT JOIN content_generator cg ON cg.id = br.cg_id WHERE br.id = $1`,
        [brId],
      );
      return r;
    },
    async tagsOfBuild(buildId) {
      const rows = await sql.query<{ name: string }>('SELECT t.name FROM tag_listing tl JOIN tag t ON t.id = tl.tag_id WHERE tl.active IS TRUE AND tl.build_id = $1 ORDER BY t.id', [buildId]);
      return rows.map((r) => r.name);
    },
    async getTag(tag, event) {
      const t = await getTag(ctx, tag, { event: event === undefined ? 'auto' : event });
      return t ? { id: t.id, name: t.name, query_event: t.query_event ?? null } : null;
    },
    async tagAncestors(tagId, event) {
      return (await readFullInheritance(sql, tagId, event ?? null)).map((n) => n.name);
    },
    async getBuildTarget(target) {
      const { column, value } = typeof target === 'number' ? { column: 'id', value: target } : { column: 'name', value: String(target) };
      return sql.maybeOne<{ build_tag: number; build_tag_name: string }>(
        `SELECT c.build_tag, t.name AS build_tag_name FROM build_target bt JOIN build_target_config c ON c.build_target_id = bt.id AND c.active IS TRUE
          JOIN tag t ON t.id = c.build_tag WHERE bt.${column} = $1`,
        [value],
      );
    },
    async lookupVolume(volume) {
      return (await lookupName(sql, 'volume', volume))?.name ?? null;
    },
    async lookupContentGenerator(cg) {
      return (await lookupName(sql, 'content_generator', cg))?.name ?? null;
    },
    async taskRequest(taskId) {
      const row = await sql.maybeOne<{ method: string; request: string | null }>('SELECT method, request FROM task WHERE id = $1', [taskId]);
      if (!row || !row.request) return null;
      const call = decodeCall(row.request);
      try {
        return { method: row.method, params: parseTaskParams(row.method, call.params) };
      } catch {
        return { method: row.method, params: {} };
      }
    },
  };
}

export async function checkPolicyCtx(ctx: CallContext, name: string, data: PolicyData, o: { force?: boolean; strict?: boolean; default?: string } = {}): Promise<CheckResult> {
  const withUser = { user_id: ctx.session.userId, ...data } as PolicyData;
  return checkPolicy(ctx.hub.policies, name, withUser, policyEnv(ctx), { strict: o.strict, force: o.force, default: o.default });
}

/** Koji's assert_policy: fault 1004 "policy violation (NAME): reason" unless allowed (or forced by an admin). */
export async function assertPolicy(ctx: CallContext, name: string, data: Record<string, XmlRpcValue>, force = false): Promise<void> {
  await checkPolicyCtx(ctx, name, data as PolicyData, { force, strict: true });
}
