/** Koji's Task.getInfo: a task's fields (and its decoded request), shared by the task and repo readers. */
import { GenericError } from '../../protocol/faults.ts';
import type { Sql } from '../../db/types.ts';
import type { Field, Row } from '../content/builds-query.ts';
import { decodeTaskXml } from './xml.ts';

export const TASK_FIELDS: Field[] = [
  ['task.id', 'id'], ['task.state', 'state'], ['task.create_time', 'create_time'], ["date_part('epoch', task.create_time)", 'create_ts'],
  ['task.start_time', 'start_time'], ["date_part('epoch', task.start_time)", 'start_ts'], ['task.completion_time', 'completion_time'],
  ["date_part('epoch', task.completion_time)", 'completion_ts'], ['task.channel_id', 'channel_id'], ['task.host_id', 'host_id'],
  ['task.parent', 'parent'], ['task.label', 'label'], ['task.waiting', 'waiting'], ['task.awaited', 'awaited'], ['task.owner', 'owner'],
  ['task.method', 'method'], ['task.arch', 'arch'], ['task.priority', 'priority'], ['task.weight', 'weight'],
];
export const TASK_COLUMNS = TASK_FIELDS.map(([e, k]) => (e === `task.${k}` ? e : `${e} AS ${k}`)).join(', ');


export async function taskInfo(sql: Sql, id: number, strict: boolean, request: boolean): Promise<Row | null> {
  const row = await sql.maybeOne<Row>(`SELECT ${TASK_COLUMNS}${request ? ', task.request' : ''} FROM task WHERE id = $1`, [id]);
  if (!row) {
    if (strict) throw new GenericError('query returned no rows');
    return null;
  }
  if (request) row.request = decodeTaskXml(String(row.request));
  return row;
}
