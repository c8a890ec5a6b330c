/** Tasks: the list with kojiweb's filters (state, method, owner, host, channel, view) and one task. */
import { TASK_STATES } from '../../protocol/enums.ts';
import type { XmlRpcValue } from '../../protocol/values.ts';
import type { PageContext, PageResult, Row } from '../context.ts';
import { badRequest } from '../errors.ts';

/** kojiweb's method menu (its _TASKS), plus web.conf Tasks */
export const TASK_METHODS = ['build', 'buildSRPMFromSCM', 'rebuildSRPM', 'buildArch', 'chainbuild', 'newRepo', 'createrepo', 'distRepo', 'createdistrepo', 'tagBuild', 'tagNotification', 'buildNotification', 'waitrepo', 'dependantTask', 'runroot', 'shutdown', 'restart', 'restartVerify', 'restartHosts'];
const STATES = ['all', 'active', 'toplevel', 'free', 'open', 'closed', 'failed', 'canceled', 'assigned'] as const;
const ORDERS = ['id', 'method', 'owner_name', 'host_name', 'state', 'priority', 'create_time', 'start_time', 'completion_time', 'arch', 'weight'] as const;

export async function tasks(ctx: PageContext): Promise<PageResult> {
  const p = ctx.params;
  const state = p.choice('state', STATES, 'active');
  const view = p.choice('view', ['tree', 'toplevel', 'flat'] as const, 'tree');
  const methods = [...TASK_METHODS, ...ctx.opts.Tasks];
  const method = p.str('method') ?? 'all';
  if (method !== 'all' && !methods.includes(method)) throw badRequest(`method must be one of all, ${methods.join(', ')}; got ${JSON.stringify(method.slice(0, 40))}`);
  const opts: Record<string, XmlRpcValue> = {};
  if (method !== 'all') opts.method = method;
  if (view !== 'flat') opts.parent = null;
  if (state === 'active') opts.state = [TASK_STATES.byName.FREE, TASK_STATES.byName.OPEN, TASK_STATES.byName.ASSIGNED];
  else if (state !== 'all' && state !== 'toplevel') opts.state = [TASK_STATES.get(state.toUpperCase()) as number];
  let owner: Row | null = null;
  const ownerParam = p.str('owner');
  if (ownerParam) {
    owner = await ctx.need('getUser', [/^\d+$/.test(ownerParam) ? Number(ownerParam) : ownerParam], 'user');
    opts.owner = owner.id as number;
  }
  let host: Row | null = null;
  const hostID = p.int('hostID');
  if (hostID !== null) {
    host = await ctx.need('getHost', [hostID], 'host');
    opts.host_id = hostID;
  }
  let channel: Row | null = null;
  const channelID = p.int('channelID');
  if (channelID !== null) {
    channel = await ctx.need('getChannel', [channelID], 'channel');
    opts.channel_id = channelID;
  }
  const page = await ctx.paginate('listTasks', [], { opts }, { orders: ORDERS, dflt: '-id' });
  // the tree view: each top-level task of the page followed by its descendents, indented
  let rows: Array<{ task: Row; depth: number }> = page.rows.map((task) => ({ task, depth: 0 }));
  if (view === 'tree' && page.rows.length) {
    const trees = await ctx.multi<Record<string, Row[]>>(page.rows.map((t) => ({ method: 'getTaskDescendents', args: [t.id as number] })));
    rows = [];
    page.rows.forEach((task, i) => {
      const map = trees[i];
      const walk = (t: Row, depth: number) => {
        // descendents come without the owner's name: a subtask has its parent's owner
        rows.push({ task: { owner_name: task.owner_name, ...t }, depth });
        for (const c of map[String(t.id)] ?? []) walk(c, depth + 1);
      };
      walk(task, 0);
    });
  }
  return { template: 'tasks.njk', title: 'Tasks', pageID: 'tasks', data: { page, rows, state, view, method, methods, states: STATES, owner, host, channel } };
}

export async function taskinfo(ctx: PageContext): Promise<PageResult> {
  const id = ctx.params.id('taskID');
  const task = await ctx.need('getTaskInfo', [id], 'task', { request: true });
  const [parent, children, output, buildroots, builds, result] = await Promise.all([
    task.parent ? ctx.call<Row | null>('getTaskInfo', [task.parent as number]) : null,
    ctx.call<Row[]>('getTaskChildren', [id]),
    ctx.call<Record<string, Row>>('listTaskOutput', [id], { stat: true }),
    ctx.call<Row[]>('listBuildroots', [], { taskID: id }),
    ctx.call<Row[]>('listBuilds', [], { taskID: id }),
    ctx.call<XmlRpcValue>('getTaskResult', [id]).then(
      (v) => ({ ok: true, value: v }),
      (e: Error & { faultCode?: number }) => ({ ok: false, fault: `${e.name}: ${e.message}` }),
    ),
  ]);
  const files = Object.entries(output)
    .map(([name, st]) => ({ name, size: st.st_size }))
    .sort((a, b) => a.name.localeCompare(b.name));
  const open = task.state === TASK_STATES.byName.OPEN || task.state === TASK_STATES.byName.FREE || task.state === TASK_STATES.byName.ASSIGNED;
  const [host, owner, channel] = await Promise.all([
    task.host_id ? ctx.call<Row | null>('getHost', [task.host_id as number]) : null,
    ctx.call<Row | null>('getUser', [task.owner as number]),
    ctx.call<Row | null>('getChannel', [task.channel_id as number]),
  ]);
  return {
    template: 'taskinfo.njk',
    title: `${String(task.method)} task ${id}`,
    pageID: 'tasks',
    data: { task, parent, children, files, buildroots, builds, result, open, host, owner, channel, request: JSON.stringify(task.request, null, 1), resultText: result.ok ? JSON.stringify((result as { value: unknown }).value, null, 1) : null, taskDir: taskDir(id) },
  };
}

/** work/tasks/<id % 10000>/<id>: where a task's files are under KojiFilesURL */
export function taskDir(id: number): string {
  return `work/tasks/${id % 10000}/${id}`;
}

/** kojiweb's getfile?taskID=N&name=F: the file, from the file tree. */
export function getfile(ctx: PageContext): Promise<PageResult> {
  const id = ctx.params.id('taskID');
  const name = ctx.params.str('name');
  if (!name) throw badRequest('name is required');
  if (name.split('/').some((c) => c === '..' || c === '')) throw badRequest(`bad file name ${JSON.stringify(name.slice(0, 80))}`);
  const base = ctx.opts.KojiFilesURL.replace(/\/+$/, '');
  return Promise.resolve({ redirect: `${base}/${taskDir(id)}/${name.split('/').map(encodeURIComponent).join('/')}` });
}
