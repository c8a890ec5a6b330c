/**
 * One scheduler pass, Koji 1.35's model: hosts binned by channel × arch (plus noarch), FREE tasks
 * in order, each given to the lowest-ranked host of its bin that is ready, under `maxjobs` and
 * with room for the task's weight (capacity − load > weight − CapacityOvercommit) and that has
 * not refused it; then the timeouts: hosts silent for ReadyTimeout are not ready, ASSIGNED tasks
 * not opened within AssignTimeout and OPEN tasks of hosts silent for HostTimeout are freed.
 *
 * Beyond Koji, the order of FREE tasks is fair between owners: priority first, then each owner's
 * oldest task before anyone's second (round-robin by owner, oldest first), so one user's
 * thousands of queued tasks do not starve another user's single task of the same priority.
 *
 * Assignments are written in batches (a pass over 1000 tasks is a handful of statements).
 * Time comes from `now` (seconds since the epoch), so tests can move the clock.
 */
import { TASK_STATES } from '../../protocol/enums.ts';
import { Sql } from '../../db/types.ts';
import type { Hub } from '../types.ts';

const TS = TASK_STATES.byName;
const FREE_TASK_LIMIT = 1000;

interface HostRow {
  id: number;
  name: string;
  update_ts: number | null;
  task_load: number;
  ready: boolean;
  arches: string | null;
  capacity: number;
  data: Record<string, unknown> | null;
  load: number;
  ntasks: number;
  demand: number;
  rank: number;
  maxjobs: number;
}

interface TaskRow {
  id: number;
  state: number;
  waiting: boolean | null;
  weight: number;
  channel_id: number;
  host_id: number | null;
  arch: string;
  owner: number;
}

export interface PassResult {
  assigned: Array<{ task: number; host: number }>;
  freed: number[];
  notReady: number[];
  /** FREE tasks were left unseen (the pass looks at FREE_TASK_LIMIT of them) while it assigned some */
  more: boolean;
}

const num = (v: unknown) => Number(v);

/** Scheduler log lines, as Koji's log_both: in the hub log and in scheduler_log_messages. */
class LogBatch {
  readonly rows: Array<[number | null, number | null, string]> = [];
  add(msg: string, task: number | null = null, host: number | null = null): void {
    this.rows.push([task, host, msg]);
  }
  async write(sql: Sql): Promise<void> {
    if (!this.rows.length) return;
    await sql.execute(
      'INSERT INTO scheduler_log_messages (task_id, host_id, msg) SELECT * FROM unnest($1::int[], $2::int[], $3::text[])',
      [this.rows.map((r) => r[0]), this.rows.map((r) => r[1]), this.rows.map((r) => r[2])],
    );
  }
}

async function loadHosts(sql: Sql, hub: Hub): Promise<{ hosts: Map<number, HostRow>; bins: Map<string, HostRow[]> }> {
  const rows = await sql.query<HostRow & Record<string, unknown>>(
    `SELECT host.id, host.name, date_part('epoch', host.update_time)::float8 AS update_ts, host.task_load, host.ready,
            host_config.arches, host_config.capacity, scheduler_host_data.data
       FROM host JOIN host_config ON host.id = host_config.host_id AND host_config.active IS TRUE
       LEFT JOIN scheduler_host_data ON host.id = scheduler_host_data.host_id
      WHERE host_config.enabled IS TRUE`,
  );
  const chans = await sql.query<{ host_id: number; channel_id: number }>(
    `SELECT host_channels.host_id, host_channels.channel_id FROM host_channels
       JOIN channels ON host_channels.channel_id = channels.id
      WHERE host_channels.active IS TRUE AND channels.enabled IS TRUE`,
  );
  const hosts = new Map<number, HostRow>();
  const bins = new Map<string, HostRow[]>();
  for (const r of rows) {
    const data = (r.data ?? null) as Record<string, unknown> | null;
    const maxjobs = Number(data?.maxjobs) || hub.options.MaxJobs;
    const h: HostRow = { ...r, update_ts: r.update_ts === null ? null : num(r.update_ts), task_load: num(r.task_load), capacity: num(r.capacity), data, load: 0, ntasks: 0, demand: 0, rank: 0, maxjobs };
    hosts.set(h.id, h);
  }
  for (const c of chans) {
    const h = hosts.get(c.host_id);
    if (!h) continue;
    for (const arch of [...(h.arches ?? '').split(/\s+/).filter(Boolean), 'noarch']) {
      const key = `${c.channel_id}:${arch}`;
      const list = bins.get(key) ?? [];
      if (!list.includes(h)) list.push(h);
      bins.set(key, list);
    }
  }
  return { hosts, bins };
}

/** FREE tasks in scheduling order: priority, then round-robin by owner, oldest first. */
async function freeTasks(sql: Sql): Promise<TaskRow[]> {
  return sql.query<TaskRow & Record<string, unknown>>(
    `SELECT id, state, waiting, weight, channel_id, host_id, arch, owner FROM (
       SELECT task.*, row_number() OVER (PARTITION BY priority, owner ORDER BY create_time, id) AS turn
         FROM task WHERE state = $1
     ) t ORDER BY priority, turn, create_time, id LIMIT ${FREE_TASK_LIMIT}`,
    [TS.FREE],
  );
}

async function refusals(sql: Sql, hub: Hub, now: number): Promise<Map<number, Set<number>>> {
  const rows = await sql.query<{ id: number; task_id: number; host_id: number; soft: boolean; ts: number; state: number }>(
    `SELECT r.id, r.task_id, r.host_id, r.soft, date_part('epoch', r.time)::float8 AS ts, task.state
       FROM scheduler_task_refusals r JOIN task ON task.id = r.task_id`,
  );
  const out = new Map<number, Set<number>>();
  const drop: number[] = [];
  const cutoff = now - hub.options.SoftRefusalTimeout;
  for (const r of rows) {
    const live = r.state === TS.FREE || r.state === TS.OPEN || r.state === TS.ASSIGNED;
    if ((r.soft && num(r.ts) < cutoff) || !live) drop.push(r.id);
    else {
      const s = out.get(r.task_id) ?? new Set<number>();
      s.add(r.host_id);
      out.set(r.task_id, s);
    }
  }
  if (drop.length) await sql.execute('DELETE FROM scheduler_task_refusals WHERE id = ANY($1::int[])', [drop]);
  return out;
}

const rankOf = (h: HostRow) => (h.rank = h.load + h.ntasks + h.demand);

/** One pass in its own write transaction. */
export async function schedulerPass(hub: Hub, now: number): Promise<PassResult> {
  const result: PassResult = { assigned: [], freed: [], notReady: [], more: false };
  await hub.db.writeTransaction(async (tx) => {
    const sql = new Sql(tx);
    const log = new LogBatch();
    const { hosts, bins } = await loadHosts(sql, hub);
    // hosts silent for ReadyTimeout are not ready
    for (const h of hosts.values()) {
      if (h.ready && (h.update_ts === null || now - h.update_ts > hub.options.ReadyTimeout)) {
        h.ready = false;
        result.notReady.push(h.id);
        log.add('Marking host not ready', null, h.id);
      }
    }
    if (result.notReady.length) await sql.execute('UPDATE host SET ready = FALSE WHERE id = ANY($1::int[])', [result.notReady]);
    const active = await sql.query<TaskRow & Record<string, unknown>>(
      'SELECT id, state, waiting, weight, channel_id, host_id, arch, owner FROM task WHERE state = ANY($1::int[]) AND host_id IS NOT NULL',
      [[TS.ASSIGNED, TS.OPEN]],
    );
    for (const t of active) {
      const h = hosts.get(t.host_id as number);
      if (!h) continue;
      if (!t.waiting) h.load += num(t.weight);
      h.ntasks += 1;
    }
    const free = await freeTasks(sql);
    const refused = await refusals(sql, hub, now);
    const overcommit = hub.options.CapacityOvercommit;
    const fits = (h: HostRow, t: TaskRow) => h.ntasks < h.maxjobs && h.capacity - h.load > Math.max(0, num(t.weight) - overcommit);
    const options = new Map<number, HostRow[]>();
    for (const t of free) {
      const no = refused.get(t.id);
      const list = (bins.get(`${t.channel_id}:${t.arch}`) ?? []).filter((h) => h.ready && fits(h, t) && !no?.has(h.id));
      options.set(t.id, list);
      for (const h of list) h.demand += num(t.weight) / list.length;
    }
    const totalDemand = [...hosts.values()].reduce((s, h) => s + h.demand, 0);
    for (const h of hosts.values()) {
      if (totalDemand > 0) h.demand /= totalDemand;
      rankOf(h);
    }
    for (const t of free) {
      const list = (options.get(t.id) ?? []).sort((a, b) => a.rank - b.rank);
      const h = list.find((c) => fits(c, t));
      if (!h) continue;
      result.assigned.push({ task: t.id, host: h.id });
      h.load += num(t.weight);
      h.ntasks += 1;
      rankOf(h);
    }
    if (result.assigned.length) {
      const taskIds = result.assigned.map((a) => a.task);
      const hostIds = result.assigned.map((a) => a.host);
      const done = await sql.query<{ id: number; host_id: number }>(
        `UPDATE task SET state = $3, host_id = v.host FROM unnest($1::int[], $2::int[]) AS v(id, host)
          WHERE task.id = v.id AND task.state = $4 RETURNING task.id, task.host_id`,
        [taskIds, hostIds, TS.ASSIGNED, TS.FREE],
      );
      result.assigned = done.map((d) => ({ task: d.id, host: d.host_id }));
      const ids = result.assigned.map((a) => a.task);
      await sql.execute('UPDATE scheduler_task_runs SET active = FALSE WHERE task_id = ANY($1::int[]) AND active', [ids]);
      await sql.execute('INSERT INTO scheduler_task_runs (task_id, host_id) SELECT * FROM unnest($1::int[], $2::int[])', [ids, result.assigned.map((a) => a.host)]);
      for (const a of result.assigned) log.add('Assigning task', a.task, a.host);
    }
    result.more = free.length === FREE_TASK_LIMIT && result.assigned.length > 0;
    await checkActive(sql, hub, now, active, hosts, result, log);
    await log.write(sql);
  });
  return result;
}

/** Koji's check_active_tasks: assignment and host timeouts, stale runs. */
async function checkActive(sql: Sql, hub: Hub, now: number, active: TaskRow[], hosts: Map<number, HostRow>, result: PassResult, log: LogBatch): Promise<void> {
  const runs = await sql.query<{ task_id: number; ts: number }>(
    `SELECT task_id, min(date_part('epoch', create_time))::float8 AS ts FROM scheduler_task_runs WHERE active GROUP BY task_id`,
  );
  const runTs = new Map(runs.map((r) => [r.task_id, num(r.ts)]));
  const free: number[] = [];
  const silent = new Set<number>();
  const refuse: Array<[number, number]> = [];
  for (const t of active) {
    const h = hosts.get(t.host_id as number);
    const assignedAt = runTs.get(t.id);
    // a task assigned without a run entry is an override (assignTask): left alone
    if (!h || assignedAt === undefined) continue;
    if (t.state === TS.ASSIGNED && now - assignedAt > hub.options.AssignTimeout) {
      if (h.update_ts !== null && h.update_ts > assignedAt) refuse.push([t.id, h.id]);
      log.add('Task assignment timeout', t.id, h.id);
      free.push(t.id);
    } else if (t.state === TS.OPEN && now - (h.update_ts ?? assignedAt) > hub.options.HostTimeout) {
      log.add('Freeing task from unresponsive host', t.id, h.id);
      free.push(t.id);
      // silent for HostTimeout: not ready either, even when ReadyTimeout is longer, so the
      // freed task does not go straight back to it
      if (h.ready) silent.add(h.id);
    }
  }
  for (const [task, host] of refuse) {
    await sql.execute(
      `INSERT INTO scheduler_task_refusals (task_id, host_id, by_host, soft, msg) VALUES ($1, $2, FALSE, TRUE, 'assignment timeout')
       ON CONFLICT (task_id, host_id) DO UPDATE SET by_host = FALSE, soft = TRUE, msg = 'assignment timeout', time = NOW()`,
      [task, host],
    );
  }
  if (free.length) {
    await sql.execute('UPDATE task SET state = $1, host_id = NULL WHERE id = ANY($2::int[]) AND state = ANY($3::int[])', [TS.FREE, free, [TS.ASSIGNED, TS.OPEN]]);
    result.freed = free;
  }
  if (silent.size) {
    await sql.execute('UPDATE host SET ready = FALSE WHERE id = ANY($1::int[])', [[...silent]]);
    for (const id of silent) log.add('Marking host not ready', null, id);
  }
  await sql.execute(
    `UPDATE scheduler_task_runs SET active = FALSE WHERE active AND task_id IN (SELECT id FROM task WHERE state <> ALL($1::int[]))`,
    [[TS.OPEN, TS.ASSIGNED]],
  );
}
