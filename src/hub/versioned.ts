/**
 * Writes to versioned tables (see migrations/001): a change revokes the current row and
 * inserts a new one, both stamped with this call's event and user; a delete only revokes.
 */
import type { CallContext } from './types.ts';

function whereOf(match: Record<string, unknown>, start: number): { sql: string; values: unknown[] } {
  const keys = Object.keys(match);
  return {
    sql: keys.map((k, i) => `${k} = $${start + i}`).join(' AND '),
    values: keys.map((k) => match[k]),
  };
}

/** Revoke the current rows matching `match`; returns how many were revoked. */
export async function revokeRows(ctx: CallContext, table: string, match: Record<string, unknown>): Promise<number> {
  const event = await ctx.event();
  const w = whereOf(match, 3);
  return ctx.sql.execute(
    `UPDATE ${table} SET active = NULL, revoke_event = $1, revoker_id = $2 WHERE active IS TRUE AND ${w.sql}`,
    [event, ctx.session.userId, ...w.values],
  );
}

/** Insert a current row stamped with this call's event and user. */
export async function insertVersioned(ctx: CallContext, table: string, data: Record<string, unknown>): Promise<void> {
  const event = await ctx.event();
  const keys = Object.keys(data);
  const cols = [...keys, 'create_event', 'creator_id'];
  const values = [...keys.map((k) => data[k]), event, ctx.session.userId];
  await ctx.sql.execute(
    `INSERT INTO ${table} (${cols.join(', ')}) VALUES (${cols.map((_, i) => `$${i + 1}`).join(', ')})`,
    values,
  );
}
