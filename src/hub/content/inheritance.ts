/**
 * Tag inheritance: the links of one tag (getInheritanceData), the full ordered walk
 * (getFullInheritance, Koji's readFullInheritance: depth-first in priority order, loop pruning,
 * intransitive links only from the start, maxdepth propagation, accumulated pkg_filters, revisits
 * only when less restricted), and writing links (setInheritanceData) — refusing cycles.
 *
 * The links of every tag reachable from the start are read in one recursive query; the walk
 * itself runs in memory.
 */
import { GenericError } from '../../protocol/faults.ts';
import type { XmlRpcValue } from '../../protocol/values.ts';
import type { Sql } from '../../db/types.ts';
import { insertVersioned, revokeRows } from '../versioned.ts';
import type { CallContext } from '../types.ts';
import { eventCond, getTag } from './tag.ts';
import { pyStrOf } from '../../protocol/pyrepr.ts';

export interface Link {
  parent_id: number;
  name: string;
  priority: number;
  maxdepth: number | null;
  intransitive: boolean;
  noconfig: boolean;
  pkg_filter: string | null;
  child_id: number;
  tag_id?: number;
  [k: string]: XmlRpcValue | undefined;
}

export interface WalkNode extends Link {
  currdepth: number;
  nextdepth: number | null;
  filter: string[];
}

const LINK_COLS = 'ti.tag_id, ti.parent_id, ti.priority, ti.maxdepth, ti.intransitive, ti.noconfig, ti.pkg_filter';

/** Direct parents of a tag, by priority (getInheritanceData). */
export async function readInheritanceData(sql: Sql, tagId: number, event: number | null | undefined): Promise<Link[]> {
  const params: unknown[] = [tagId];
  const cond = eventCond('ti', event, params);
  const rows = await sql.query<Link & { tag_id: number }>(
    `SELECT ${LINK_COLS}, tag.name FROM tag_inheritance ti JOIN tag ON tag.id = ti.parent_id
      WHERE ti.tag_id = $1 AND ${cond} ORDER BY ti.priority`,
    params,
  );
  return rows.map((r) => ({ parent_id: r.parent_id, name: r.name, priority: r.priority, maxdepth: r.maxdepth, intransitive: r.intransitive, noconfig: r.noconfig, pkg_filter: r.pkg_filter, child_id: tagId }));
}

type RawLink = { tag_id: number; parent_id: number; priority: number; maxdepth: number | null; intransitive: boolean; noconfig: boolean; pkg_filter: string | null; parent_name: string; child_name: string };

/** Every link reachable upwards (or downwards with reverse) from `tagId`, grouped by the tag they leave from. */
async function reachableLinks(sql: Sql, tagId: number, event: number | null | undefined, reverse: boolean): Promise<Map<number, RawLink[]>> {
  const params: unknown[] = [tagId];
  const c1 = eventCond('ti', event, params);
  const c2 = eventCond('ti', event, params);
  const [from, to] = reverse ? ['parent_id', 'tag_id'] : ['tag_id', 'parent_id'];
  const rows = await sql.query<RawLink>(
    `WITH RECURSIVE reach(id) AS (
        SELECT $1::int
        UNION
        SELECT ti.${to} FROM tag_inheritance ti JOIN reach ON ti.${from} = reach.id WHERE ${c1}
     )
     SELECT ${LINK_COLS}, p.name AS parent_name, c.name AS child_name
       FROM tag_inheritance ti JOIN reach ON ti.${from} = reach.id
       JOIN tag p ON p.id = ti.parent_id JOIN tag c ON c.id = ti.tag_id
      WHERE ${c2}
      ORDER BY ti.priority`,
    params,
  );
  const byTag = new Map<number, RawLink[]>();
  for (const r of rows) {
    const key = reverse ? r.parent_id : r.tag_id;
    const list = byTag.get(key) ?? [];
    list.push(r);
    byTag.set(key, list);
  }
  return byTag;
}

/** Koji's readFullInheritance. */
export async function readFullInheritance(sql: Sql, tagId: number, event: number | null | undefined, reverse = false): Promise<WalkNode[]> {
  const key = `walk:${tagId}:${event ?? ''}:${reverse}`;
  const memo = sql.memo;
  const hit = memo?.get<WalkNode[]>(key);
  if (hit) return hit.map((n) => ({ ...n, filter: [...n.filter] }));
  const ticket = memo?.ticket() ?? 0;
  const order = await walkInheritance(sql, tagId, event, reverse);
  memo?.put(ticket, key, order.map((n) => ({ ...n, filter: [...n.filter] })));
  return order;
}

async function walkInheritance(sql: Sql, tagId: number, event: number | null | undefined, reverse: boolean): Promise<WalkNode[]> {
  const links = await reachableLinks(sql, tagId, event, reverse);
  const order: WalkNode[] = [];
  const hist = new Map<number, WalkNode[]>();
  const recurse = (id: number, top: Set<number>, currdepth: number, maxdepth: number | null, noconfigIn: boolean, pfilter: string[]): void => {
    if (maxdepth !== null && maxdepth < 1) return;
    const depth = currdepth + 1;
    const path = new Set(top).add(id);
    let noconfig = noconfigIn;
    for (const raw of links.get(id) ?? []) {
      const next = reverse ? raw.tag_id : raw.parent_id;
      if (path.has(next)) continue; // loop: prune
      if (raw.intransitive && path.size > 1 && !reverse) continue;
      let nextdepth: number | null;
      if (reverse) {
        if (raw.maxdepth !== null && raw.maxdepth < depth - 1) continue;
        nextdepth = null;
      } else {
        nextdepth = raw.maxdepth;
        if (nextdepth === null) {
          if (maxdepth !== null) nextdepth = maxdepth - 1;
        } else if (maxdepth !== null) nextdepth = Math.min(nextdepth, maxdepth) - 1;
      }
      if (raw.noconfig) noconfig = true;
      const filter = [...pfilter];
      if (raw.pkg_filter) filter.push(raw.pkg_filter);
      const node: WalkNode = reverse
        ? ({ tag_id: raw.tag_id, parent_id: raw.parent_id, name: raw.child_name, priority: raw.priority, maxdepth: raw.maxdepth, intransitive: raw.intransitive, noconfig: raw.noconfig, pkg_filter: raw.pkg_filter, nextdepth, currdepth: depth, filter } as unknown as WalkNode)
        : { parent_id: raw.parent_id, name: raw.parent_name, priority: raw.priority, maxdepth: raw.maxdepth, intransitive: raw.intransitive, noconfig: raw.noconfig, pkg_filter: raw.pkg_filter, child_id: raw.tag_id, nextdepth, currdepth: depth, filter };
      const seen = hist.get(next);
      if (seen) {
        // revisit only when this path is less restricted than every earlier one
        let rescan = true;
        for (const prev of seen) {
          let sufficient = true;
          const last = prev.nextdepth;
          if (nextdepth === null) {
            if (last !== null) sufficient = false;
          } else if (last !== null && last < nextdepth) sufficient = false;
          if (prev.noconfig && !noconfig) sufficient = false;
          if (prev.filter.length > 0) sufficient = false;
          if (sufficient) rescan = false;
        }
        if (!rescan) continue;
      } else hist.set(next, []);
      hist.get(next)!.push(node);
      order.push(node);
      if (raw.intransitive && reverse) continue;
      recurse(next, path, depth, nextdepth, noconfig, filter);
    }
  };
  recurse(tagId, new Set(), 0, null, false, []);
  return order;
}

const FIELDS = ['parent_id', 'priority', 'maxdepth', 'intransitive', 'noconfig', 'pkg_filter'] as const;

function coerceLink(raw: Record<string, XmlRpcValue>): Record<string, XmlRpcValue> {
  const out = { ...raw };
  // the CLI sends some numbers as strings ("10")
  for (const k of ['parent_id', 'priority', 'maxdepth'] as const) {
    const v = out[k];
    if (typeof v === 'string' && /^-?\d+$/.test(v.trim())) out[k] = Number(v);
  }
  if (out.maxdepth === '') out.maxdepth = null;
  return out;
}

/** Koji's writeInheritanceData, plus a cycle check (Koji only prunes cycles when reading). */
export async function writeInheritanceData(ctx: CallContext, tagId: number, changesIn: XmlRpcValue, clear: boolean): Promise<void> {
  const list = (Array.isArray(changesIn) ? changesIn : [changesIn]) as Array<Record<string, XmlRpcValue>>;
  const changes = list.map((c) => {
    if (typeof c !== 'object' || c === null || Array.isArray(c)) throw new GenericError('inheritance data must be a list of structs');
    return coerceLink(c);
  });
  for (const link of changes) {
    const check = link['delete link'] ? ['parent_id'] : FIELDS;
    for (const f of check) if (!(f in link)) throw new GenericError(`No value for ${f}`);
    if (typeof link.parent_id !== 'number') throw new GenericError(`Invalid parent_id: ${pyStrOf(link.parent_id)}`);
    if (!link['delete link'] && (typeof link.priority !== 'number' || !Number.isInteger(link.priority))) throw new GenericError(`Invalid priority: ${pyStrOf(link.priority)}`);
    if (!link['delete link'] && link.maxdepth !== null && typeof link.maxdepth !== 'number') throw new GenericError(`Invalid maxdepth: ${pyStrOf(link.maxdepth)}`);
    if (link.parent_id === tagId) throw new GenericError('a tag cannot inherit from itself');
    await getTag(ctx, link.parent_id, { strict: true });
  }
  const current = await readInheritanceData(ctx.sql, tagId, null);
  const data = new Map<number, Record<string, XmlRpcValue>>(current.map((l) => [l.parent_id, { ...l }]));
  for (const link of changes) {
    const parent = link.parent_id as number;
    const orig = data.get(parent);
    const upd = { ...link, is_update: true };
    if (link['delete link']) {
      if (orig) data.set(parent, { 'delete link': true, is_update: true, parent_id: parent });
    } else if (!orig || clear) data.set(parent, upd);
    else if (FIELDS.some((f) => normalise(orig[f]) !== normalise(link[f]))) data.set(parent, upd);
  }
  if (clear) for (const l of data.values()) if (!l.is_update) Object.assign(l, { 'delete link': true, is_update: true });
  if (![...data.values()].some((l) => l.is_update)) return; // nothing to do
  const byPriority = new Map<number, number[]>();
  for (const l of data.values()) {
    if (l['delete link']) continue;
    const list2 = byPriority.get(l.priority as number) ?? [];
    list2.push(l.parent_id as number);
    byPriority.set(l.priority as number, list2);
  }
  for (const [pri, ids] of byPriority) {
    if (ids.length > 1) throw new GenericError(`Multiple parent tags ([${ids.join(', ')}]) cannot have the same priority value (${pri}) on child tag ${tagId}`);
  }
  // refuse links that would close a loop: the new parent must not inherit (transitively) from this tag
  for (const l of data.values()) {
    if (!l.is_update || l['delete link']) continue;
    const ancestors = await readFullInheritance(ctx.sql, l.parent_id as number, null);
    if (ancestors.some((n) => n.parent_id === tagId)) {
      const parent = await getTag(ctx, l.parent_id, { strict: true });
      throw new GenericError(`inheritance loop: tag ${parent?.name} already inherits from tag ${tagId}; refusing to make it a parent`);
    }
  }
  for (const [parent, l] of data) {
    if (!l.is_update) continue;
    await revokeRows(ctx, 'tag_inheritance', { tag_id: tagId, parent_id: parent });
  }
  for (const [parent, l] of data) {
    if (!l.is_update || l['delete link']) continue;
    await insertVersioned(ctx, 'tag_inheritance', {
      tag_id: tagId,
      parent_id: parent,
      priority: l.priority,
      maxdepth: l.maxdepth ?? null,
      intransitive: Boolean(l.intransitive),
      noconfig: Boolean(l.noconfig),
      // stored as given, as Koji does (None stays NULL)
      pkg_filter: l.pkg_filter ?? null,
    });
  }
}

function normalise(v: XmlRpcValue): unknown {
  return v === undefined ? null : v;
}
