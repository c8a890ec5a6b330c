/**
 * Read access to tasks and buildroots: listTasks (Koji's filters; request/result as stored XML
 * text unless `decode`), getTaskInfo, getTaskChildren, getTaskDescendents, getTaskRequest,
 * getTaskResult, listBuildroots, getBuildroot and getBuildrootListing. Nothing here changes a task.
 */
import { TASK_STATES } from '../../protocol/enums.ts';
import { faultToError, GenericError } from '../../protocol/faults.ts';
import { isStruct, type XmlRpcStruct, type XmlRpcValue } from '../../protocol/values.ts';
import { Select, type QueryOpts } from '../query.ts';
import { method, queryOptsSchema, t, truthy, type MethodDef } from '../registry.ts';
import type { Sql } from '../../db/types.ts';
import type { CallContext } from '../types.ts';
import { decodeTaskXml } from '../tasks/xml.ts';
import { taskId } from '../tasks/task.ts';
import { fixExtraField, orderByKeys, runSelect, timeValue, type Field, type Row } from '../content/builds-query.ts';
import { TASK_COLUMNS, TASK_FIELDS, taskInfo } from '../tasks/info.ts';

async function taskChildren(sql: Sql, id: number, request: boolean): Promise<Row[]> {
  const rows = await sql.query<Row>(`SELECT ${TASK_COLUMNS}${request ? ', task.request' : ''} FROM task WHERE parent = $1 ORDER BY id`, [id]);
  if (request) for (const r of rows) r.request = decodeTaskXml(String(r.request));
  return rows;
}

async function listTasks(ctx: CallContext, opts: XmlRpcStruct, queryOpts: QueryOpts | null): Promise<XmlRpcValue> {
  const countOnly = truthy(queryOpts?.countOnly);
  const fields: Field[] = [...TASK_FIELDS, ['task.request', 'request'], ['task.result', 'result']];
  const q = new Select('task');
  if (!countOnly) {
    q.join('LEFT JOIN users ON task.owner = users.id');
    fields.push(['users.name', 'owner_name'], ['users.usertype', 'owner_type']);
  }
  const asList = (v: XmlRpcValue) => (Array.isArray(v) ? v : [v]);
  for (const f of ['arch', 'state']) {
    if (f in opts) q.where(`task.${f} = ANY(${q.p(asList(opts[f]))})`);
    if (`not_${f}` in opts) q.where(`NOT (task.${f} = ANY(${q.p(asList(opts[`not_${f}`]))}))`);
  }
  for (const f of ['owner', 'host_id', 'channel_id', 'parent']) {
    for (const [key, not] of [[f, false], [`not_${f}`, true]] as const) {
      if (!(key in opts)) continue;
      const v = opts[key];
      if (v === null || v === undefined) q.where(`task.${f} IS ${not ? 'NOT ' : ''}NULL`);
      else if (Array.isArray(v)) q.where(`${not ? 'NOT ' : ''}(task.${f} = ANY(${q.p(v)}::int[]))`);
      else q.where(`task.${f} ${not ? '!=' : '='} ${q.p(v)}`);
    }
  }
  if ('method' in opts) q.where(`task.method = ${q.p(opts.method)}`);
  const times: Array<[string, string, string]> = [
    ['createdBefore', 'create_time', '<'], ['createdAfter', 'create_time', '>'], ['startedBefore', 'start_time', '<'],
    ['startedAfter', 'start_time', '>'], ['completeBefore', 'completion_time', '<'], ['completeAfter', 'completion_time', '>'],
    ['completedBefore', 'completion_time', '<'], ['completedAfter', 'completion_time', '>'],
  ];
  for (const [key, col, op] of times) if (opts[key] != null) q.where(`task.${col} ${op} ${q.p(timeValue(opts[key]))}::timestamptz`);
  q.columns(...fields);
  const decode = truthy(opts.decode) && !truthy(queryOpts?.asList);
  return runSelect(ctx.sql, q, orderByKeys(queryOpts, fields), 'id', (r) => {
    if (decode) for (const k of ['request', 'result']) if (r[k]) r[k] = decodeTaskXml(String(r[k]));
    return r;
  });
}

async function getTaskResult(ctx: CallContext, id: number, raiseFault: boolean): Promise<XmlRpcValue> {
  const r = await ctx.sql.maybeOne<{ state: number; result: string | null }>('SELECT state, result FROM task WHERE id = $1', [id]);
  if (!r) throw new GenericError('No such task');
  const st = TASK_STATES.name(r.state);
  if (st === 'CANCELED') throw new GenericError(`Task ${id} is canceled`);
  if (st !== 'CLOSED' && st !== 'FAILED') throw new GenericError(`Task ${id} is not finished`);
  const v = decodeTaskXml(String(r.result ?? ''));
  if (isStruct(v) && 'faultCode' in v) {
    if (raiseFault) throw faultToError(Number(v.faultCode), String(v.faultString));
    return v;
  }
  return (v as XmlRpcValue[])[0];
}

const BR_FIELDS: Field[] = [
  ['buildroot.id', 'id'], ['buildroot.br_type', 'br_type'], ['buildroot.cg_id', 'cg_id'], ['content_generator.name', 'cg_name'],
  ['buildroot.cg_version', 'cg_version'], ['buildroot.container_arch', 'container_arch'], ['buildroot.container_arch', 'arch'],
  ['buildroot.container_type', 'container_type'], ['buildroot.host_os', 'host_os'], ['buildroot.host_arch', 'host_arch'],
  ['buildroot.extra', 'extra'], ['standard_buildroot.state', 'state'], ['standard_buildroot.task_id', 'task_id'],
  ['host.id', 'host_id'], ['host.name', 'host_name'], ['repo.id', 'repo_id'], ['repo.state', 'repo_state'],
  ['tag.id', 'tag_id'], ['tag.name', 'tag_name'], ['create_events.id', 'create_event_id'], ['create_events.time', 'create_event_time'],
  ["date_part('epoch', create_events.time)", 'create_ts'], ['retire_events.id', 'retire_event_id'],
  ['retire_events.time', 'retire_event_time'], ["date_part('epoch', retire_events.time)", 'retire_ts'],
  ['repo_create.id', 'repo_create_event_id'], ['repo_create.time', 'repo_create_event_time'],
];

async function listBuildroots(ctx: CallContext, a: Record<string, unknown> & { queryOpts: QueryOpts | null }): Promise<XmlRpcValue> {
  const q = new Select('buildroot')
    .join('LEFT JOIN standard_buildroot ON standard_buildroot.buildroot_id = buildroot.id')
    .join('LEFT JOIN content_generator ON buildroot.cg_id = content_generator.id')
    .join('LEFT JOIN host ON host.id = standard_buildroot.host_id')
    .join('LEFT JOIN repo ON repo.id = standard_buildroot.repo_id')
    .join('LEFT JOIN tag ON tag.id = repo.tag_id')
    .join('LEFT JOIN events AS create_events ON create_events.id = standard_buildroot.create_event')
    .join('LEFT JOIN events AS retire_events ON standard_buildroot.retire_event = retire_events.id')
    .join('LEFT JOIN events AS repo_create ON repo_create.id = repo.create_event')
    .columns(...BR_FIELDS);
  const multi = (col: string, v: unknown) => q.where(Array.isArray(v) ? `${col} = ANY(${q.p(v)}::int[])` : `${col} = ${q.p(v)}`);
  if (a.buildrootID != null) multi('buildroot.id', a.buildrootID);
  if (a.hostID != null) q.where(`host.id = ${q.p(a.hostID)}`);
  if (a.tagID != null) q.where(`tag.id = ${q.p(a.tagID)}`);
  if (a.state != null) multi('standard_buildroot.state', a.state);
  const subsets: Array<[unknown, string]> = [
    [a.rpmID, 'SELECT buildroot_id FROM buildroot_listing WHERE rpm_id = $'],
    [a.archiveID, 'SELECT buildroot_id FROM buildroot_archives WHERE archive_id = $'],
    [a.taskID, 'SELECT buildroot_id FROM standard_buildroot WHERE task_id = $'],
    [truthy(a.repoID) ? a.repoID : null, 'SELECT buildroot_id FROM standard_buildroot WHERE repo_id = $'],
  ];
  for (const [v, sub] of subsets) {
    if (v == null) continue;
    const ph = q.p(v);
    q.where(`buildroot.id IN (${sub}${ph.slice(1)})`);
  }
  const opts = orderByKeys(a.queryOpts, BR_FIELDS);
  return runSelect(ctx.sql, q, opts, 'id', (r) => fixExtraField(r));
}

const optId = t.intish.nullish();

export const taskReadMethods: MethodDef[] = [
  method({
    name: 'listTasks',
    sig: '(opts=None, queryOpts=None)',
    doc: 'List tasks by arch, state, owner, host, channel, parent, method and create/start/completion times (not_* variants exclude).',
    args: { queryOpts: queryOptsSchema },
    handler: (ctx, a) => listTasks(ctx, isStruct(a.opts) ? a.opts : {}, a.queryOpts),
  }),
  method({
    name: 'getTaskInfo',
    sig: '(task_id, request=False, strict=False)',
    doc: 'A task (or a list of tasks for a list of ids); with request, its decoded parameters.',
    args: { request: t.flag, strict: t.flag },
    async handler(ctx, a) {
      if (Array.isArray(a.task_id)) {
        // every id checked before any query starts (a throw in the middle of starting queries
        // would leave a rejected promise nobody awaits, which ends the process)
        const ids = a.task_id.map(taskId);
        const out: XmlRpcValue[] = [];
        for (const id of ids) out.push(await taskInfo(ctx.sql, id, a.strict, a.request));
        return out;
      }
      return taskInfo(ctx.sql, taskId(a.task_id), a.strict, a.request);
    },
  }),
  method({
    name: 'getTaskChildren',
    sig: '(task_id, request=False, strict=False)',
    doc: 'The tasks whose parent is the given task.',
    args: { request: t.flag, strict: t.flag },
    async handler(ctx, a) {
      const id = taskId(a.task_id);
      if (a.strict) await taskInfo(ctx.sql, id, true, false);
      return taskChildren(ctx.sql, id, a.request);
    },
  }),
  method({
    name: 'getTaskDescendents',
    sig: '(task_id, request=False)',
    doc: 'Map of task id (string) → child tasks, for a task and all its descendents.',
    args: { request: t.flag },
    async handler(ctx, a) {
      const map: Record<string, XmlRpcValue> = {};
      const walk = async (id: number) => {
        const children = await taskChildren(ctx.sql, id, a.request);
        map[String(id)] = children;
        for (const c of children) await walk(c.id as number);
      };
      await walk(taskId(a.task_id));
      return map;
    },
  }),
  method({
    name: 'getTaskRequest',
    sig: '(taskId)',
    doc: 'The decoded request (parameters) of a task.',
    async handler(ctx, a) {
      const request = await ctx.sql.value<string>('SELECT request FROM task WHERE id = $1', [taskId(a.taskId)]);
      if (request === null) throw new GenericError('query returned no rows');
      return decodeTaskXml(request);
    },
  }),
  method({
    name: 'getTaskResult',
    sig: '(taskId, raise_fault=True)',
    doc: 'The result of a finished task (its fault is raised unless raise_fault is false).',
    args: { raise_fault: t.flag },
    handler: (ctx, a) => getTaskResult(ctx, taskId(a.taskId), a.raise_fault),
  }),
  method({
    name: 'listBuildroots',
    sig: '(hostID=None, tagID=None, state=None, rpmID=None, archiveID=None, taskID=None, buildrootID=None, repoID=None, queryOpts=None)',
    doc: 'List buildroots by host, tag, state(s), rpm or archive used, task, id(s) or repo.',
    args: { queryOpts: queryOptsSchema, hostID: optId, tagID: optId, rpmID: optId, archiveID: optId, taskID: optId, repoID: optId },
    handler: (ctx, a) => listBuildroots(ctx, a as Record<string, unknown> & { queryOpts: QueryOpts | null }),
  }),
  method({
    name: 'getBuildroot',
    sig: '(buildrootID, strict=False)',
    doc: 'A buildroot by id.',
    args: { strict: t.flag },
    async handler(ctx, a) {
      const id = taskId(a.buildrootID);
      const rows = (await listBuildroots(ctx, { buildrootID: id, queryOpts: null })) as Row[];
      if (!rows.length) {
        if (a.strict) throw new GenericError(`No such buildroot: ${id}`);
        return null;
      }
      return rows[0];
    },
  }),
  method({
    name: 'getBuildrootListing',
    sig: '(id)',
    doc: 'The rpms installed in a buildroot.',
    async handler(ctx, a) {
      const id = taskId(a.id);
      if (!(await ctx.sql.maybeOne('SELECT id FROM buildroot WHERE id = $1', [id]))) throw new GenericError(`no buildroot with ID: ${id}`);
      const rows = await ctx.sql.query<Row>(
        `SELECT bl.rpm_id, bl.is_update, r.name, r.version, r.release, r.epoch, r.arch, r.build_id, r.draft, r.external_repo_id, er.name AS external_repo_name
           FROM buildroot_listing bl JOIN rpminfo r ON bl.rpm_id = r.id JOIN external_repo er ON r.external_repo_id = er.id
          WHERE bl.buildroot_id = $1 ORDER BY bl.rpm_id`,
        [id],
      );
      return rows;
    },
  }),
];

