/**
 * Koji 1.35's repo.* calls (RepoExports): requests (request, get, checkRequest,
 * setRequestPriority, queryQueue), repo queries (query, references), kojira's periodic work
 * (setState, checkQueue, autoRequests, updateEndEvents, external repo data), and koji-ts's
 * kojits.repo.waitChanges long poll for kojira.
 */
import type { XmlRpcValue } from '../../protocol/values.ts';
import { queryView } from '../query-view.ts';
import { method, noneMethod, t, type MethodDef } from '../registry.ts';
import { externalRepoData, setExternalRepoData } from '../repos/external.ts';
import { autoRequests, autoTags, checkQueue, updateEndEvents } from '../repos/queue.ts';
import { checkRequest, getRepo, requestRepo, setRequestPriority } from '../repos/requests.ts';
import { setRepoState } from '../repos/state.ts';
import { REPO_QUEUE_VIEW, REPO_VIEW, repoReferences } from '../repos/views.ts';
import { waitChanges } from '../repos/wait.ts';

const repoPerm = { perm: 'repo' } as const;

export const repoRequestMethods: MethodDef[] = [
  method({
    name: 'repo.request',
    sig: '(tag, min_event=None, at_event=None, opts=None, priority=None, force=False)',
    requires: 'login',
    writes: true,
    doc: 'Request a repo for a tag: {repo, request, duplicate} — a fitting READY repo, a matching active request, or a new one. min_event "last" = the tag\'s last change.',
    args: { force: t.flag },
    handler: async (ctx, a) => (await requestRepo(ctx, a.tag, a)) as unknown as XmlRpcValue,
  }),
  method({
    name: 'repo.get',
    sig: '(tag, min_event=None, at_event=None, opts=None)',
    doc: 'The newest READY repo of a tag at or after min_event (or at at_event) with the given options, or None.',
    handler: async (ctx, a) => (await getRepo(ctx, a.tag, a.min_event, a.at_event, a.opts)) as XmlRpcValue,
  }),
  method({
    name: 'repo.checkRequest',
    sig: '(req_id)',
    doc: 'Status of a repo request: {request, repo} (+ task while its newRepo task runs).',
    handler: (ctx, a) => checkRequest(ctx, a.req_id),
  }),
  noneMethod({
    name: 'repo.setRequestPriority',
    sig: '(req_id, priority)',
    requires: { perm: 'admin' },
    doc: 'Set the (absolute) priority of a repo request.',
    run: (ctx, a) => setRequestPriority(ctx, a.req_id, a.priority),
  }),
  method({
    name: 'repo.getExternalRepoData',
    sig: '(erepo)',
    doc: "kojira's tracking data of an external repo, or None.",
    handler: (ctx, a) => externalRepoData(ctx, a.erepo),
  }),
  noneMethod({
    name: 'repo.setExternalRepoData',
    sig: '(external_repo_id, data)',
    requires: repoPerm,
    doc: "Replace kojira's tracking data of an external repo (counts as a change of the tags using it).",
    run: (ctx, a) => setExternalRepoData(ctx, a.external_repo_id, a.data),
  }),
  method({
    name: 'repo.references',
    sig: '(repo_id)',
    doc: 'The buildroots that use a repo (not retired).',
    args: { repo_id: t.intish },
    handler: async (ctx, a) => (await repoReferences(ctx.sql, a.repo_id)) as XmlRpcValue,
  }),
  noneMethod({
    name: 'repo.setState',
    sig: '(repo_id, state)',
    requires: repoPerm,
    doc: 'Set a repo state (upward only, except to DELETED, which is final).',
    args: { repo_id: t.intish, state: t.intish },
    run: (ctx, a) => setRepoState(ctx, a.repo_id, a.state),
  }),
  method({
    name: 'repo.query',
    sig: '(clauses, fields=None, opts=None)',
    doc: 'Query repos: clauses [[field, op, value], …], fields (* = join-free, ** = all), opts (order, limit, offset, countOnly, asList).',
    handler: (ctx, a) => queryView(ctx.sql, REPO_VIEW, a.clauses, a.fields, a.opts),
  }),
  method({
    name: 'repo.queryQueue',
    sig: '(clauses=None, fields=None, opts=None)',
    doc: 'Query repo requests, as repo.query does repos.',
    handler: (ctx, a) => queryView(ctx.sql, REPO_QUEUE_VIEW, a.clauses, a.fields, a.opts),
  }),
  noneMethod({
    name: 'repo.autoRequests',
    sig: '()',
    requires: repoPerm,
    doc: '[kojira] request repos for the tags with extra repo.auto.',
    run: (ctx) => autoRequests(ctx),
  }),
  noneMethod({
    name: 'repo.checkQueue',
    sig: '()',
    requires: repoPerm,
    doc: '[kojira] start newRepo tasks for waiting requests, retry failed ones, purge old ones.',
    run: (ctx) => checkQueue(ctx),
  }),
  noneMethod({
    name: 'repo.updateEndEvents',
    sig: '()',
    requires: repoPerm,
    doc: '[kojira] record end_event for READY repos whose tag has changed since.',
    run: (ctx) => updateEndEvents(ctx),
  }),
  method({
    name: 'kojits.repo.autoTags',
    sig: '()',
    doc: 'koji-ts: the ids of the tags with extra repo.auto (kojira follows their changes).',
    handler: async (ctx) => (await autoTags(ctx)).auto,
  }),
  method({
    name: 'kojits.repo.waitChanges',
    sig: '(after_event, timeout=30, after_ts=None)',
    doc: 'koji-ts: wait (up to timeout s, 600 at most) until tag content, external repos, repos or repo requests change after the cursor (after_event; after_ts, default the time of after_event); returns {changed, event, ts}, the cursor to pass next.',
    args: { after_event: t.intish, timeout: t.number, after_ts: t.number.nullable() },
    handler: (ctx, a) => waitChanges(ctx, a.after_event, a.timeout, a.after_ts),
  }),
];

