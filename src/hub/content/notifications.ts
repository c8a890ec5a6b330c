/**
 * Build notifications (mail a user about builds of a package and/or into a tag, optionally only
 * the successful ones) and notification blocks (no mail for a package and/or tag), as Koji keeps
 * them in build_notifications and build_notifications_block. A null package or tag means "any".
 * Who may change which rows is the API's business (api/notifications.ts); this module owns the SQL.
 */
import { GenericError } from '../../protocol/faults.ts';
import type { XmlRpcValue } from '../../protocol/values.ts';
import type { Sql } from '../../db/types.ts';

export interface Notification {
  id: number;
  user_id: number;
  package_id: number | null;
  tag_id: number | null;
  success_only: boolean;
  email: string;
  [k: string]: XmlRpcValue;
}

export interface NotificationBlock {
  id: number;
  user_id: number;
  package_id: number | null;
  tag_id: number | null;
  [k: string]: XmlRpcValue;
}

export type NotificationKind = 'notification' | 'block';

const KINDS = {
  notification: {
    table: 'build_notifications',
    columns: 'id, user_id, package_id, tag_id, success_only, email',
    missing: 'No notification with ID',
  },
  block: {
    table: 'build_notifications_block',
    columns: 'id, user_id, package_id, tag_id',
    missing: 'No notification block with ID',
  },
} as const;

type RowOf<K extends NotificationKind> = K extends 'notification' ? Notification : NotificationBlock;

/** A user's notifications (or blocks), in the order they were made. */
export async function listNotifications<K extends NotificationKind>(sql: Sql, kind: K, userId: number): Promise<Array<RowOf<K>>> {
  const k = KINDS[kind];
  return sql.query<RowOf<K>>(`SELECT ${k.columns} FROM ${k.table} WHERE user_id = $1 ORDER BY id`, [userId]);
}

/** One notification (or block) by id; strict → fault "No notification [block] with ID n found". */
export async function getNotification<K extends NotificationKind>(sql: Sql, kind: K, id: number, strict = false): Promise<RowOf<K> | null> {
  const k = KINDS[kind];
  const row = await sql.maybeOne<RowOf<K>>(`SELECT ${k.columns} FROM ${k.table} WHERE id = $1`, [id]);
  if (!row && strict) throw new GenericError(`${k.missing} ${id} found`);
  return row;
}

export async function deleteNotification(sql: Sql, kind: NotificationKind, id: number): Promise<void> {
  await sql.execute(`DELETE FROM ${KINDS[kind].table} WHERE id = $1`, [id]);
}

/** What a notification or block covers: a package (or any), a tag (or any), and for notifications whether only successes. */
export interface NotificationScope {
  package_id: number | null;
  tag_id: number | null;
  success_only?: boolean;
}

/**
 * Refuse a second notification (or block) of a user with the same scope, as Koji does — the
 * comparison takes in every row of the user, so re-saving a notification unchanged is refused too.
 */
export async function assertNoDuplicate(sql: Sql, kind: NotificationKind, userId: number, want: NotificationScope): Promise<void> {
  for (const row of await listNotifications(sql, kind, userId)) {
    const same = row.package_id === want.package_id && row.tag_id === want.tag_id && (kind === 'block' || row.success_only === want.success_only);
    if (same) throw new GenericError('notification already exists');
  }
}

export async function insertNotification(sql: Sql, userId: number, scope: Required<NotificationScope>, email: string): Promise<void> {
  await sql.execute('INSERT INTO build_notifications (user_id, package_id, tag_id, success_only, email) VALUES ($1, $2, $3, $4, $5)', [
    userId,
    scope.package_id,
    scope.tag_id,
    scope.success_only,
    email,
  ]);
}

export async function updateNotification(sql: Sql, id: number, scope: Required<NotificationScope>): Promise<void> {
  await sql.execute('UPDATE build_notifications SET package_id = $2, tag_id = $3, success_only = $4 WHERE id = $1', [id, scope.package_id, scope.tag_id, scope.success_only]);
}

export async function insertNotificationBlock(sql: Sql, userId: number, scope: NotificationScope): Promise<void> {
  await sql.execute('INSERT INTO build_notifications_block (user_id, package_id, tag_id) VALUES ($1, $2, $3)', [userId, scope.package_id, scope.tag_id]);
}
