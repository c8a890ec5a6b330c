/**
 * The stock CLI's standard "query at" options (koji.util.eventFromOpts): --event (an event id),
 * --ts (the last event before a timestamp) or --repo (the event a repo was made at), and
 * time.asctime() of the event time for the "… at event N (<time>)" lines.
 */
import type { XmlRpcStruct } from '../protocol/values.ts';
import type { CliContext, Options } from './command.ts';
import { toNum } from './commands/common.ts';

export interface EventInfo {
  id: number;
  ts: number;
}

/** The event chosen by --event / --ts / --repo, or null when none is given (--event 0 counts as none). */
export async function eventFromOpts(ctx: CliContext, o: Options): Promise<EventInfo | null> {
  const event = o.event as number | null | undefined;
  if (event) {
    const e = await ctx.session.call<XmlRpcStruct>('getEvent', [event]);
    return { id: e.id as number, ts: toNum(e.ts) };
  }
  if (o.ts !== null && o.ts !== undefined) {
    const e = await ctx.session.call<XmlRpcStruct>('getLastEvent', [], { before: o.ts as number });
    return { id: e.id as number, ts: toNum(e.ts) };
  }
  if (o.repo !== null && o.repo !== undefined) {
    const r = await ctx.session.call<XmlRpcStruct>('repoInfo', [o.repo as number], { strict: true });
    return { id: r.create_event as number, ts: toNum(r.create_ts) };
  }
  return null;
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad2 = (n: number) => String(n).padStart(2, '0');

/** time.asctime(time.localtime(ts)): "Tue Nov 14 22:13:20 2023", the day padded with a space. */
export function asctime(ts: number): string {
  const d = new Date(Math.floor(ts) * 1000);
  return `${DAYS[d.getDay()]} ${MONTHS[d.getMonth()]} ${String(d.getDate()).padStart(2, ' ')} ${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())} ${d.getFullYear()}`;
}
