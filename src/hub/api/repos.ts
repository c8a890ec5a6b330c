/**
 * Repos on the wire: getRepo (Koji's old_get_repo), repoInfo, getActiveRepos, newRepo and
 * distRepo (the createrepo-channel tasks), repoExpire/repoDelete/repoProblem (kojira's `repo`
 * permission), and the builders' host.repoInit, host.repoDone and host.distRepoMove. The work
 * is in hub/repos/.
 */
import { ActionNotAllowed, GenericError } from '../../protocol/faults.ts';
import { isStruct, type XmlRpcValue } from '../../protocol/values.ts';
import { decodeTaskXml } from '../tasks/xml.ts';
import { cancelTask, makeTask, TS } from '../tasks/task.ts';
import { getBuildConfig, getTag, tagId } from '../content/tag.ts';
import { assertPolicy } from '../policy/hub.ts';
import { method, noneMethod, t, truthy, type MethodDef } from '../registry.ts';
import type { CallContext } from '../types.ts';
import { initRepo } from '../repos/init.ts';
import { repoDone } from '../repos/done.ts';
import { distRepoInit, distRepoMove } from '../repos/dist.ts';
import { deleteRepo, setRepoState } from '../repos/state.ts';
import { activeRepos, queryRepos, repoInfo, RS, type Clause } from '../repos/views.ts';

const repoPerm = { perm: 'repo' } as const;
const setState = (name: string, state: number, doc: string): MethodDef =>
  noneMethod({
    name,
    sig: '(repo_id)',
    requires: repoPerm,
    doc,
    args: { repo_id: t.intish },
    run: (ctx, a) => setRepoState(ctx, a.repo_id, state),
  });

/** Koji's distRepo: cancel the tag's running distRepo tasks when its config asks. */
async function cancelOtherDistRepos(ctx: CallContext, tag: unknown): Promise<void> {
  const cfg = (await getBuildConfig(ctx, tag, null)) as { extra: Record<string, XmlRpcValue> };
  if (!truthy(cfg.extra['distrepo.cancel_others'])) return;
  const rows = await ctx.sql.query<{ id: number; request: string }>(
    "SELECT id, request FROM task WHERE method = 'distRepo' AND state = ANY($1::int[]) ORDER BY id",
    [[TS.FREE, TS.OPEN, TS.ASSIGNED]],
  );
  for (const r of rows) {
    const req = decodeTaskXml(r.request) as XmlRpcValue[];
    if (req[0] === tag) await cancelTask(ctx, r.id, true);
  }
}

export const repoMethods: MethodDef[] = [
  method({
    name: 'getRepo',
    sig: '(tag, state=None, event=None, dist=False, min_event=None)',
    doc: 'The newest repo of a tag: READY ones unless another state is given; with event, the newest created at or before it (any state).',
    args: { state: t.intish.nullable(), event: t.intish.nullable(), dist: t.flag, min_event: t.intish.nullable() },
    async handler(ctx, a) {
      const clauses: Clause[] = [['tag_id', '=', (await tagId(ctx.sql, a.tag, true)) as number], ['dist', 'IS', a.dist]];
      if (a.event) clauses.push(['create_event', '<=', a.event]);
      else clauses.push(['state', '=', a.state ?? RS.READY]);
      if (a.min_event !== null) clauses.push(['create_event', '>=', a.min_event]);
      return ((await queryRepos(ctx.sql, clauses, '**', { order: '-creation_time,-id', limit: 1 }))[0] ?? null) as XmlRpcValue;
    },
  }),
  method({
    name: 'repoInfo',
    sig: '(repo_id, strict=False)',
    doc: 'Get repo information: id, state, create_event, creation_time, tag_id, tag_name, dist, opts …',
    args: { repo_id: t.intish.nullable(), strict: t.flag },
    async handler(ctx, a) {
      const r = await repoInfo(ctx.sql, a.repo_id);
      if (!r && a.strict) throw new GenericError('query returned no rows');
      return r as XmlRpcValue;
    },
  }),
  method({
    name: 'getActiveRepos',
    sig: '()',
    doc: 'Every repo that is not DELETED (what kojira looks after).',
    handler: async (ctx) => (await activeRepos(ctx.sql)) as XmlRpcValue,
  }),
  method({
    name: 'newRepo',
    sig: '(tag, event=None, src=False, debuginfo=False, separate_src=False)',
    requires: { anyPerm: ['regen-repo', 'repo'] },
    writes: true,
    doc: 'Create a newRepo task (channel createrepo, priority 15); returns its id.',
    args: { event: t.intish.nullable(), src: t.flag, debuginfo: t.flag, separate_src: t.flag },
    async handler(ctx, a) {
      if (!ctx.hub.options.AllowNewRepo) throw new ActionNotAllowed('newRepo api call is disabled');
      await getTag(ctx, a.tag, { strict: true, event: a.event });
      const opts: Record<string, XmlRpcValue> = {};
      if (a.event !== null) opts.event = a.event;
      if (a.src) opts.src = true;
      if (a.separate_src) opts.separate_src = true;
      if (a.debuginfo) opts.debuginfo = true;
      const args = Object.keys(opts).length ? [a.tag as XmlRpcValue, { ...opts, __starstar: true }] : [a.tag as XmlRpcValue];
      return makeTask(ctx, 'newRepo', args, { priority: 15, channel: 'createrepo' });
    },
  }),
  method({
    name: 'distRepo',
    sig: '(tag, keys, **task_opts)',
    requires: 'login',
    writes: true,
    doc: 'Create a distRepo task (dist-repo permission, or the dist_repo policy); returns its id.',
    async handler(ctx, a) {
      if (!(await ctx.session.hasPerm('dist-repo')) && !(await ctx.session.hasPerm('admin'))) await assertPolicy(ctx, 'dist_repo', { tag: a.tag as XmlRpcValue });
      const taskOpts = { ...((a.task_opts ?? {}) as Record<string, XmlRpcValue>) };
      const [repoId, eventId] = await distRepoInit(ctx, a.tag, a.keys, taskOpts);
      taskOpts.event = eventId;
      await cancelOtherDistRepos(ctx, a.tag);
      return makeTask(ctx, 'distRepo', [a.tag as XmlRpcValue, repoId, a.keys as XmlRpcValue, taskOpts], { priority: 15, channel: 'createrepo' });
    },
  }),
  setState('repoExpire', RS.EXPIRED, 'Mark a repo EXPIRED.'),
  setState('repoProblem', RS.PROBLEM, 'Mark a repo broken (PROBLEM).'),
  method({
    name: 'repoDelete',
    sig: '(repo_id)',
    requires: repoPerm,
    writes: true,
    doc: 'Mark a repo DELETED unless buildroots still use it; returns how many do (the files stay).',
    args: { repo_id: t.intish },
    handler: (ctx, a) => deleteRepo(ctx, a.repo_id),
  }),
  method({
    name: 'host.repoInit',
    sig: '(tag, task_id=None, event=None, opts=None)',
    requires: 'hostSession',
    writes: true,
    doc: 'Create a repo (INIT) and its skeleton of package lists; returns [repo_id, event_id].',
    args: { task_id: t.intish.nullable(), event: t.intish.nullable() },
    handler: async (ctx, a) => initRepo(ctx, a.tag, a.task_id, a.event, a.opts),
  }),
  noneMethod({
    name: 'host.repoDone',
    sig: '(repo_id, data, expire=False, repo_json_updates=None)',
    requires: 'hostSession',
    doc: 'Move the uploaded repodata ({arch: [uploadpath, [files]]}) into the repo and mark it READY.',
    args: { repo_id: t.intish, expire: t.flag },
    run: (ctx, a) => repoDone(ctx, a.repo_id, a.data, a.expire, isStruct(a.repo_json_updates) ? a.repo_json_updates : null),
  }),
  noneMethod({
    name: 'host.distRepoMove',
    sig: '(repo_id, uploadpath, arch)',
    requires: 'hostSession',
    doc: 'Move one arch of a dist repo into place (metadata and links to the signed rpms).',
    args: { repo_id: t.intish },
    run: (ctx, a) => distRepoMove(ctx, a.repo_id, a.uploadpath, a.arch),
  }),
];
