/**
 * A small SELECT builder for the list* calls: named columns (Koji's result keys), clauses with
 * positional parameters, and Koji's `queryOpts` (order by result keys with `-` for descending,
 * offset, limit, countOnly, asList). The SQL stays visible; this only assembles it.
 */
import { GenericError } from '../protocol/faults.ts';
import { truthy } from './registry.ts';
import type { Sql } from '../db/types.ts';
import type { XmlRpcValue } from '../protocol/values.ts';

export interface QueryOpts {
  order?: string | null;
  offset?: number | null;
  limit?: number | null;
  countOnly?: unknown;
  asList?: unknown;
  group?: string | null;
  [k: string]: unknown;
}

export class Select {
  private readonly cols: Array<[string, string]> = [];
  private readonly joins: string[] = [];
  private readonly clauses: string[] = [];
  readonly params: unknown[] = [];
  private groupBy: string | null = null;

  constructor(private readonly from: string) {}

  /** Add result columns as [sql expression, result key]. */
  columns(...cols: Array<[string, string]>): this {
    this.cols.push(...cols);
    return this;
  }

  join(sql: string): this {
    this.joins.push(sql);
    return this;
  }

  /** Bind a value and return its placeholder. */
  p(value: unknown): string {
    this.params.push(value);
    return `$${this.params.length}`;
  }

  where(clause: string): this {
    this.clauses.push(clause);
    return this;
  }

  group(sql: string): this {
    this.groupBy = sql;
    return this;
  }

  keys(): string[] {
    return this.cols.map((c) => c[1]);
  }

  toSql(opts: QueryOpts = {}, defaultOrder?: string): string {
    const select = this.cols.map(([expr, alias]) => (expr === alias ? expr : `${expr} AS "${alias}"`)).join(', ');
    let sql = `SELECT ${select} FROM ${this.from}`;
    if (this.joins.length) sql += ' ' + this.joins.map((j) => (/^\s*(LEFT|RIGHT|INNER|FULL|CROSS)?\s*JOIN\b/i.test(j) ? j : `JOIN ${j}`)).join(' ');
    if (this.clauses.length) sql += ` WHERE ${this.clauses.map((c) => `(${c})`).join(' AND ')}`;
    if (this.groupBy) sql += ` GROUP BY ${this.groupBy}`;
    const order = opts.order ?? defaultOrder;
    if (order) sql += ` ORDER BY ${this.orderSql(order)}`;
    if (opts.limit) sql += ` LIMIT ${Number(opts.limit) | 0}`;
    if (opts.offset) sql += ` OFFSET ${Number(opts.offset) | 0}`;
    return sql;
  }

  private orderSql(order: string): string {
    const keys = new Map(this.cols.map(([expr, alias]) => [alias, expr]));
    return order
      .split(',')
      .map((raw) => {
        const k = raw.trim();
        const desc = k.startsWith('-');
        const name = desc ? k.slice(1) : k;
        if (!keys.has(name)) throw new GenericError(`Invalid order: ${name} (valid keys: ${[...keys.keys()].join(', ')})`);
        return `"${name}"${desc ? ' DESC' : ''}`;
      })
      .join(', ');
  }

  /** Run with queryOpts: rows, a count (countOnly) or arrays (asList). */
  async run<T extends Record<string, unknown> = Record<string, unknown>>(sql: Sql, opts: QueryOpts | null | undefined, defaultOrder?: string): Promise<T[] | number | XmlRpcValue[][]> {
    const o = opts ?? {};
    if (truthy(o.countOnly)) {
      const inner = this.toSql({ ...o, order: null }, undefined);
      const n = await sql.value<number>(`SELECT count(*)::int AS n FROM (${inner}) AS counted`, this.params);
      return n ?? 0;
    }
    const rows = await sql.query<T>(this.toSql(o, defaultOrder), this.params);
    if (truthy(o.asList)) {
      const keys = this.keys().slice().sort();
      return rows.map((r) => keys.map((k) => r[k] as XmlRpcValue));
    }
    return rows;
  }

  async rows<T extends Record<string, unknown> = Record<string, unknown>>(sql: Sql, opts?: QueryOpts | null, defaultOrder?: string): Promise<T[]> {
    return sql.query<T>(this.toSql(opts ?? {}, defaultOrder), this.params);
  }
}

/** Apply order/offset/limit/countOnly/asList to rows already in memory (Koji's filtering calls). */
export function applyQueryOpts<T extends Record<string, unknown>>(rows: T[], opts: QueryOpts | null | undefined): T[] | number | XmlRpcValue[][] {
  if (!opts) return rows;
  let out = rows;
  if (opts.order) {
    const keys = opts.order.split(',').map((k) => k.trim());
    out = out.slice().sort((a, b) => {
      for (const k of keys) {
        const desc = k.startsWith('-');
        const name = desc ? k.slice(1) : k;
        const c = compareValues(a[name], b[name]);
        if (c) return desc ? -c : c;
      }
      return 0;
    });
  }
  if (opts.offset) out = out.slice(Number(opts.offset));
  if (opts.limit) out = out.slice(0, Number(opts.limit));
  if (truthy(opts.countOnly)) return out.length;
  if (truthy(opts.asList)) return out.map((r) => Object.keys(r).sort().map((k) => r[k] as XmlRpcValue));
  return out;
}

function compareValues(a: unknown, b: unknown): number {
  if (a === b) return 0;
  if (a === null || a === undefined) return -1;
  if (b === null || b === undefined) return 1;
  const x = typeof a === 'object' ? Number(a) : a;
  const y = typeof b === 'object' ? Number(b) : b;
  return (x as number) < (y as number) ? -1 : (x as number) > (y as number) ? 1 : 0;
}

/** `active IS TRUE`, or the rows current at `event`. */
export function eventClause(q: Select, table: string, event: number | null | undefined): string {
  if (event === null || event === undefined) return `${table}.active IS TRUE`;
  const e = q.p(event);
  return `${table}.create_event <= ${e} AND (${table}.revoke_event IS NULL OR ${e} < ${table}.revoke_event)`;
}
