/**
 * kojiweb's reports: counts per user, host, state or target. Every hub call is bounded: the
 * subjects (users, hosts) are read up to REPORT_SUBJECTS and counted with queryOpts countOnly in
 * one multicall; buildsbytarget reads at most REPORT_TASKS build tasks. A page says so when it
 * counted only part.
 */
import { BUILD_STATES } from '../../protocol/enums.ts';
import type { XmlRpcValue } from '../../protocol/values.ts';
import type { HubCall, PageContext, PageHandler, PageResult, Row } from '../context.ts';
import { badRequest } from '../errors.ts';
import { archParam } from './people.ts';

/** at most this many users or hosts are counted by a report */
export const REPORT_SUBJECTS = 500;
/**
 * at most this many build tasks (the newest) are read by buildsbytarget: each comes whole with
 * its request, the target is its second argument (2,000 took the hub and the web ~0.5 s)
 */
export const REPORT_TASKS = 500;
/** the hub counts this many subjects per multicall request */
const COUNT_BATCH = 100;
const MAX_DAYS = 36500;

/** The subjects of a report (up to REPORT_SUBJECTS, by id) and how many there are. */
async function subjects(ctx: PageContext, method: 'listUsers' | 'listHosts', kwargs: Record<string, XmlRpcValue>): Promise<{ rows: Row[]; total: number }> {
  const [total, rows] = await ctx.multi<XmlRpcValue>([
    { method, kwargs: { ...kwargs, queryOpts: { countOnly: true } } },
    { method, kwargs: { ...kwargs, queryOpts: { order: 'id', limit: REPORT_SUBJECTS } } },
  ]);
  return { rows: rows as Row[], total: total as number };
}

/** Count something for each subject (`count(row)` is a countOnly call) into row[key]. */
async function countEach(ctx: PageContext, rows: Row[], key: string, count: (r: Row) => HubCall): Promise<Row[]> {
  const out: Row[] = [];
  for (let i = 0; i < rows.length; i += COUNT_BATCH) {
    const part = rows.slice(i, i + COUNT_BATCH);
    const counts = await ctx.multi<number>(part.map(count));
    part.forEach((r, j) => out.push({ ...r, [key]: counts[j] }));
  }
  return out;
}

/** A report over users or hosts: counted, sorted and paged (kojiweb's paginateList). */
async function subjectReport(
  ctx: PageContext,
  o: { template: string; title: string; method: 'listUsers' | 'listHosts'; kwargs?: Record<string, XmlRpcValue>; key: string; count: (r: Row) => HubCall; data?: Record<string, unknown> },
): Promise<PageResult> {
  // malformed paging parameters are refused before any counting
  ctx.params.order('order', ['name', o.key], `-${o.key}`);
  ctx.params.start();
  const { rows, total } = await subjects(ctx, o.method, o.kwargs ?? {});
  const counted = await countEach(ctx, rows, o.key, o.count);
  const page = ctx.paginateList(counted, { orders: ['name', o.key], dflt: `-${o.key}` });
  const max = Math.max(1, ...counted.map((r) => Number(r[o.key])));
  return { template: o.template, title: o.title, pageID: 'reports', data: { page, max, total, limit: REPORT_SUBJECTS, truncated: total > rows.length, ...o.data } };
}

const IX86 = ['i386', 'i486', 'i586', 'i686'];

/** kojiweb's arch filters: an arch name, 'ix86' for the 32-bit x86 family. */
function archFilter(arch: string | null): XmlRpcValue {
  return arch === 'ix86' ? IX86 : arch;
}

/** A report over the hosts of one arch (hostArch), with the arch menu. */
async function hostReport(ctx: PageContext, o: { template: string; title: string; key: string; count: (h: Row) => HubCall; data?: Record<string, unknown> }): Promise<PageResult> {
  const hostArch = archParam(ctx, 'hostArch');
  const archList = (await ctx.call<string[]>('getAllArches')).sort();
  return subjectReport(ctx, { ...o, method: 'listHosts', kwargs: { arches: archFilter(hostArch) }, data: { hostArch, archList, ...o.data } });
}

/** `days`: a whole number of days back, or -1 for all time; the ISO time it starts at (null for all). */
function daysParam(ctx: PageContext): { days: number; after: string | null } {
  if (ctx.params.str('days') === '-1') return { days: -1, after: null };
  const days = ctx.params.int('days') ?? 7;
  if (days > MAX_DAYS) throw badRequest(`days must be at most ${MAX_DAYS} (or -1 for all time), got ${days}`);
  return { days, after: new Date(Date.now() - days * 86400_000).toISOString() };
}

function reports(): Promise<PageResult> {
  return Promise.resolve({ template: 'reports.njk', title: 'Reports', pageID: 'reports', data: {} });
}

/** A report counting something for each user: `count(user)` is a countOnly call. */
const userReport = (template: string, title: string, key: string, count: (u: Row) => HubCall): PageHandler => (ctx) => subjectReport(ctx, { template, title, method: 'listUsers', key, count });

const buildsbyuser = userReport('buildsbyuser.njk', 'Builds by User', 'builds', (u) => ({ method: 'listBuilds', kwargs: { userID: u.id as number, queryOpts: { countOnly: true } } }));
const packagesbyuser = userReport('packagesbyuser.njk', 'Packages by User', 'packages', (u) => ({ method: 'listPackages', kwargs: { userID: u.id as number, with_dups: true, queryOpts: { countOnly: true } } }));
const tasksbyuser = userReport('tasksbyuser.njk', 'Tasks by User', 'tasks', (u) => ({ method: 'listTasks', kwargs: { opts: { owner: u.id as number }, queryOpts: { countOnly: true } } }));

function tasksbyhost(ctx: PageContext): Promise<PageResult> {
  return hostReport(ctx, {
    template: 'tasksbyhost.njk',
    title: 'Tasks by Host',
    key: 'tasks',
    count: (h) => ({ method: 'listTasks', kwargs: { opts: { host_id: h.id as number }, queryOpts: { countOnly: true } } }),
  });
}

function rpmsbyhost(ctx: PageContext): Promise<PageResult> {
  const rpmArch = archParam(ctx, 'rpmArch');
  return hostReport(ctx, {
    template: 'rpmsbyhost.njk',
    title: 'RPMs by Host',
    key: 'rpms',
    count: (h) => ({ method: 'listRPMs', kwargs: { hostID: h.id as number, arches: archFilter(rpmArch), queryOpts: { countOnly: true } } }),
    data: { rpmArch },
  });
}

async function buildsbystatus(ctx: PageContext): Promise<PageResult> {
  const { days, after } = daysParam(ctx);
  const S = BUILD_STATES.byName;
  // taskID -1: only builds made by a task (not imports), as kojiweb
  const counts = await ctx.multi<number>([S.COMPLETE, S.FAILED, S.CANCELED].map((state) => ({ method: 'listBuilds', kwargs: { completeAfter: after, state, taskID: -1, queryOpts: { countOnly: true } } })),
  );
  const rows = [
    { label: 'Succeeded', state: 'complete', count: counts[0] },
    { label: 'Failed', state: 'failed', count: counts[1] },
    { label: 'Canceled', state: 'canceled', count: counts[2] },
  ];
  return { template: 'buildsbystatus.njk', title: 'Builds by Status', pageID: 'reports', data: { days, rows, max: Math.max(1, ...counts) } };
}

async function buildsbytarget(ctx: PageContext): Promise<PageResult> {
  const { days, after } = daysParam(ctx);
  ctx.params.order('order', ['name', 'builds'], '-builds');
  ctx.params.start();
  const opts: Record<string, XmlRpcValue> = { method: 'build', completeAfter: after };
  const [total, tasks] = await ctx.multi<XmlRpcValue>([
    { method: 'listTasks', kwargs: { opts, queryOpts: { countOnly: true } } },
    { method: 'listTasks', kwargs: { opts: { ...opts, decode: true }, queryOpts: { order: '-id', limit: REPORT_TASKS } } },
  ]);
  const targets = new Map<string, number>();
  for (const t of tasks as Row[]) {
    const req = t.request as XmlRpcValue[] | null;
    const name = Array.isArray(req) && req.length > 1 ? String(req[1]) : '';
    targets.set(name, (targets.get(name) ?? 0) + 1);
  }
  const rows: Row[] = [...targets].map(([name, builds]) => ({ name, builds }));
  const page = ctx.paginateList(rows, { orders: ['name', 'builds'], dflt: '-builds' });
  return {
    template: 'buildsbytarget.njk',
    title: 'Builds by Target',
    pageID: 'reports',
    data: { days, page, max: Math.max(1, ...rows.map((r) => r.builds as number)), total, read: (tasks as Row[]).length, truncated: (total as number) > (tasks as Row[]).length },
  };
}

export const REPORT_PAGES: Record<string, PageHandler> = { reports, buildsbyuser, packagesbyuser, tasksbyuser, tasksbyhost, rpmsbyhost, buildsbystatus, buildsbytarget };
