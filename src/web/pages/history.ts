/**
 * History of a tag, build, package, user, host or channel (what `koji list-history` shows): the
 * hub's queryHistory, newest first, as one list of "added" and "removed" events across the
 * versioned tables. Bounded: the newest LIMIT creations and LIMIT revocations per table, paged
 * by event (`beforeEvent`).
 */
import type { XmlRpcValue } from '../../protocol/values.ts';
import type { PageContext, PageResult, Row } from '../context.ts';
import { badRequest } from '../errors.ts';

const LIMIT = 100;
/** the object parameter, its queryHistory option, its lookup */
const SUBJECTS = [
  ['tagID', 'tag', 'getTag', 'tag'],
  ['buildID', 'build', 'getBuild', 'build'],
  ['packageID', 'package', 'getPackage', 'package'],
  ['userID', 'user', 'getUser', 'user'],
  ['hostID', 'host', 'getHost', 'host'],
  ['channelID', 'channel', 'getChannel', 'channel'],
] as const;
const META = new Set(['create_event', 'revoke_event', 'create_ts', 'revoke_ts', 'creator_id', 'creator_name', 'revoker_id', 'revoker_name', 'active']);

interface HistoryEvent {
  event: number;
  /** the *_ts value as the hub sent it (the template's time filter formats it) */
  ts: unknown;
  who: string | null;
  action: 'added' | 'removed';
  table: string;
  fields: Array<[string, string]>;
}

export async function history(ctx: PageContext): Promise<PageResult> {
  const given = SUBJECTS.filter(([param]) => ctx.params.str(param) !== null);
  if (given.length !== 1) throw badRequest(`give one of ${SUBJECTS.map(([p]) => p).join(', ')}`);
  const [param, option, lookup, what] = given[0];
  const subject = await ctx.need(lookup, [ctx.params.idOrName(param)], what);
  const before = ctx.params.int('beforeEvent');
  const kw: Record<string, XmlRpcValue> = { [option]: subject.id as number };
  if (before !== null) kw.beforeEvent = before;
  const [created, revoked] = await ctx.multi<Record<string, Row[]>>([
    { method: 'queryHistory', kwargs: { ...kw, queryOpts: { order: '-create_event', limit: LIMIT } } },
    { method: 'queryHistory', kwargs: { ...kw, active: false, queryOpts: { order: '-revoke_event', limit: LIMIT } } },
  ]);
  const events: HistoryEvent[] = [];
  const add = (tables: Record<string, Row[]>, action: HistoryEvent['action']) => {
    for (const [table, rows] of Object.entries(tables)) {
      for (const r of rows) {
        const event = Number(action === 'added' ? r.create_event : r.revoke_event);
        if (!Number.isFinite(event) || (before !== null && event >= before)) continue;
        const fields = Object.entries(r)
          .filter(([k, v]) => !META.has(k) && v !== null && v !== '')
          .map(([k, v]): [string, string] => [k, typeof v === 'object' ? JSON.stringify(v) : String(v)]);
        events.push({ event, ts: action === 'added' ? r.create_ts : r.revoke_ts, who: (action === 'added' ? r.creator_name : r.revoker_name) as string | null, action, table, fields });
      }
    }
  };
  add(created, 'added');
  add(revoked, 'removed');
  // both lists hold the newest LIMIT per table: what is older than the oldest of a full list may be missing
  events.sort((a, b) => b.event - a.event || a.table.localeCompare(b.table));
  // a page ends between two events (never inside one); the next page starts at the cut
  let shown = events;
  let next: number | null = null;
  if (events.length > LIMIT) {
    const cut = events[LIMIT].event;
    shown = events.filter((e) => e.event > cut);
    if (!shown.length) shown = events.filter((e) => e.event === cut);
    next = shown[shown.length - 1].event === cut ? cut : cut + 1;
  }
  const name = String(subject.nvr ?? subject.name ?? subject.id);
  return { template: 'history.njk', title: `History of ${what} ${name}`, data: { what, name, param, id: subject.id, events: shown, next, before } };
}
