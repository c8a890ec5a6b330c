/**
 * Koji's QueryView, for the newer query calls (scheduler.getTaskRuns, getLogMessages, …):
 * `clauses` as [field, value] (= or IN) or [field, op, value] with op one of
 * IN = != > < >= <= IS, IS NOT, @> <@; `fields` picked from the view's map ('*' = those that
 * need no join, '**' = all); fields from other tables join them as needed; queryOpts as usual.
 */
import { ParameterError } from '../protocol/faults.ts';
import { pyRepr } from '../protocol/pyrepr.ts';
import type { XmlRpcValue } from '../protocol/values.ts';
import type { Sql } from '../db/types.ts';
import { truthy } from './registry.ts';

export interface ViewDef {
  table: string;
  joins: Record<string, string>;
  /** result key → [SQL expression, join key or null] */
  fields: Record<string, [string, string | null]>;
  defaults: string[];
}

const OPS = new Set(['IN', '=', '!=', '>', '<', '>=', '<=', 'IS', 'IS NOT', '@>', '<@']);

export async function queryView(sql: Sql, view: ViewDef, clauses: unknown, fields: unknown, opts: unknown): Promise<XmlRpcValue> {
  const joins: string[] = [];
  const params: unknown[] = [];
  const map = (f: unknown): string => {
    const info = typeof f === 'string' ? view.fields[f] : undefined;
    if (!info) throw new ParameterError(`Invalid field for query ${String(f)}`);
    if (info[1] && !joins.includes(info[1])) joins.push(info[1]);
    return info[0];
  };
  const o = (opts ?? {}) as { order?: string; limit?: number; offset?: number; countOnly?: unknown; asList?: unknown };
  const order = typeof o.order === 'string' ? o.order.split(',').map((k) => `${map(k.replace(/^-/, ''))}${k.startsWith('-') ? ' DESC' : ''}`) : [];
  const where: string[] = [];
  for (const c of (clauses ?? []) as unknown[]) {
    if (!Array.isArray(c) || (c.length !== 2 && c.length !== 3)) throw new ParameterError(`Invalid clause: ${pyRepr(c)}`);
    const field = c[0];
    const value = c[c.length - 1];
    const op = c.length === 2 ? (Array.isArray(value) ? 'IN' : '=') : String(c[1]).toUpperCase();
    if (!OPS.has(op)) throw new ParameterError(`Invalid operator: ${String(c[1])}`);
    const col = map(field);
    if (op === 'IS' || op === 'IS NOT') {
      if (value !== null && typeof value !== 'boolean') throw new ParameterError(`Invalid clause: ${pyRepr(c)} (IS takes None, True or False)`);
      where.push(`${col} ${op} ${value === null ? 'NULL' : value ? 'TRUE' : 'FALSE'}`);
      continue;
    }
    params.push(value);
    where.push(op === 'IN' ? `${col} = ANY($${params.length})` : `${col} ${op} $${params.length}`);
  }
  let wanted: string[] = fields === null || fields === undefined ? view.defaults : typeof fields === 'string' ? [fields] : (fields as string[]);
  if (!Array.isArray(wanted)) throw new ParameterError('fields must be a list of names');
  const names: string[] = [];
  for (const f of wanted) {
    if (f === '*') names.push(...Object.keys(view.fields).filter((k) => view.fields[k][1] === null || joins.includes(view.fields[k][1] as string)));
    else if (f === '**') names.push(...Object.keys(view.fields));
    else names.push(f);
  }
  wanted = [...new Set(names)];
  const cols = wanted.map((f) => `${map(f)} AS "${f}"`);
  let text = `SELECT ${cols.join(', ')} FROM ${view.table} ${joins.map((j) => view.joins[j]).join(' ')}`;
  if (where.length) text += ` WHERE ${where.join(' AND ')}`;
  if (truthy(o.countOnly)) return (await sql.value<number>(`SELECT count(*)::int FROM (${text}) AS q`, params)) ?? 0;
  if (order.length) text += ` ORDER BY ${order.join(', ')}`;
  if (o.limit) text += ` LIMIT ${Number(o.limit) | 0}`;
  if (o.offset) text += ` OFFSET ${Number(o.offset) | 0}`;
  const rows = await sql.query<Record<string, XmlRpcValue>>(text, params);
  if (truthy(o.asList)) return rows.map((r) => wanted.map((k) => r[k]));
  return rows;
}
