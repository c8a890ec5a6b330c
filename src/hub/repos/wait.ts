/**
 * koji-ts's wake-up for kojira (kojits.repo.waitChanges): instead of polling every `sleeptime`,
 * kojira asks the hub to answer as soon as anything it makes repos from changed — tag content
 * (listings, inheritance, config, extra, packages, groups, tag_updates), external repos and
 * their data — or repos and repo requests moved. The cursor is [event, ts]: the newest
 * content-change event and the newest repo/request activity time (state_time, update_time)
 * seen. Committed changes signal through TaskSignals (in this process, and NOTIFY between hub
 * processes on PostgreSQL), and every wake-up re-reads the database.
 *
 * Not seen: a change whose transaction took its event (or time) before the cursor was read
 * and committed after it (a concurrent, still-open transaction) until the next change.
 */
import { Float, type XmlRpcValue } from '../../protocol/values.ts';
import type { Sql } from '../../db/types.ts';
import { TAG_TABLES } from '../content/changes.ts';
import type { CallContext } from '../types.ts';

const VERSIONED = [...TAG_TABLES, 'external_repo_config', 'external_repo_data'];

const CONTENT_EVENT = `SELECT GREATEST(${[
  ...VERSIONED.flatMap((t) => [`(SELECT max(create_event) FROM ${t})`, `(SELECT max(revoke_event) FROM ${t})`]),
  '(SELECT max(update_event) FROM tag_updates)',
].join(', ')}) AS event,
  GREATEST((SELECT max(date_part('epoch', state_time)) FROM repo), (SELECT max(date_part('epoch', update_time)) FROM repo_queue)) AS ts`;

export interface Cursor {
  event: number;
  ts: number;
}

async function readCursor(sql: Sql): Promise<Cursor> {
  const r = await sql.one<{ event: number | null; ts: Float | number | null }>(CONTENT_EVENT);
  const ts = r.ts instanceof Float ? r.ts.value : (r.ts ?? 0);
  return { event: r.event ?? 0, ts };
}

function reply(changed: boolean, c: Cursor): XmlRpcValue {
  return { changed, event: c.event, ts: new Float(c.ts) };
}

/**
 * Wait up to `timeout` s (at most 600) for a change after the cursor; returns {changed, event,
 * ts}. Without `afterTs`, repo activity after the time of `afterEvent` counts. The listener is
 * in place before the first read, so a change committed while that read runs wakes it again.
 */
export async function waitChanges(ctx: CallContext, afterEvent: number, timeout: number, afterTs: number | null): Promise<XmlRpcValue> {
  const since = afterTs ?? (await ctx.sql.value<Float | number>(`SELECT date_part('epoch', time) FROM events WHERE id = $1`, [afterEvent]));
  const sinceTs = since instanceof Float ? since.value : (since ?? 0);
  const newer = (c: Cursor) => c.event > afterEvent || c.ts > sinceTs;
  const ms = Math.max(0, Math.min(timeout, 600)) * 1000;
  return new Promise<XmlRpcValue>((resolve, reject) => {
    let last: Cursor = { event: afterEvent, ts: sinceTs };
    let checking = false;
    let again = false;
    let finished = false;
    const done = (v: XmlRpcValue) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      off();
      ctx.request.signal?.removeEventListener('abort', abort);
      resolve(v);
    };
    const check = async () => {
      if (checking) {
        again = true;
        return;
      }
      checking = true;
      try {
        do {
          again = false;
          last = await readCursor(ctx.sql);
          if (newer(last)) return done(reply(true, last));
        } while (again && !finished);
      } finally {
        checking = false;
      }
    };
    const off = ctx.hub.signals.onReposChanged(() => void check().catch((e: unknown) => ctx.hub.log.warn({ err: e }, 'waitChanges check failed')));
    const abort = () => done(reply(false, last));
    ctx.request.signal?.addEventListener('abort', abort);
    let timer: NodeJS.Timeout | undefined;
    check().then(
      () => {
        if (finished) return;
        timer = setTimeout(() => void readCursor(ctx.sql).then((c) => done(reply(newer(c), c)), () => done(reply(false, last))), ms);
      },
      (e: unknown) => {
        finished = true;
        off();
        ctx.request.signal?.removeEventListener('abort', abort);
        reject(e);
      },
    );
  });
}
