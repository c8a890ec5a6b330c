/**
 * Lookups shared by every domain: by id, name or {id|name} struct (Koji's name_or_id_clause),
 * lookup-or-create of simple name tables.
 */
import { GenericError, ParameterError } from '../protocol/faults.ts';
import { isStruct } from '../protocol/values.ts';
import { pyRepr, pyStrOf } from '../protocol/pyrepr.ts';
import type { Sql } from '../db/types.ts';
import { isInt32 } from './registry.ts';

/**
 * `table.id = $n` or `table.name = $n` for an id, a name or a {id|name} struct. Ids are 32-bit
 * (PostgreSQL integer): a wider number is a ParameterError, not a database error.
 */
export function nameOrId(info: unknown): { column: 'id' | 'name'; value: number | string } {
  let v = info;
  if (isStruct(v)) {
    if ('id' in v) {
      if (typeof v.id !== 'number' || !Number.isInteger(v.id)) throw new ParameterError(`Invalid name or id value: ${pyRepr(info)}`);
      v = v.id;
    } else if ('name' in v) v = v.name;
    else throw new ParameterError(`Invalid name or id value: ${pyRepr(info)}`);
  }
  if (typeof v === 'number' && Number.isInteger(v)) {
    if (!isInt32(v)) throw new ParameterError(`Invalid id value: ${pyRepr(info)} (ids are 32-bit integers)`);
    return { column: 'id', value: v };
  }
  if (typeof v === 'string') return { column: 'name', value: v };
  throw new ParameterError(`Invalid name or id value: ${pyRepr(info)}`);
}

export interface IdName {
  id: number;
  name: string;
  [k: string]: unknown;
}

/**
 * Find {id, name} in a table with unique id/name. strict → fault when missing; create → insert
 * the name (after `validate`) when missing.
 */
export async function lookupName(
  sql: Sql,
  table: string,
  info: unknown,
  opts: { strict?: boolean; create?: boolean; validate?: (name: string) => void } = {},
): Promise<IdName | null> {
  const { column, value } = nameOrId(info);
  const row = await sql.maybeOne<IdName>(`SELECT id, name FROM ${table} WHERE ${column} = $1`, [value]);
  if (row) return row;
  if (opts.strict) throw new GenericError(`No such entry in table ${table}: ${value}`);
  if (opts.create) {
    if (typeof value !== 'string') throw new GenericError('Name must be a string');
    opts.validate?.(value);
    return sql.one<IdName>(`INSERT INTO ${table} (name) VALUES ($1) RETURNING id, name`, [value]);
  }
  return null;
}

/** Check a free-text value is a string (Koji's convert_value(check_only=True)). */
export function checkString(value: unknown, what: string, noneAllowed = true): void {
  if (value === null || value === undefined) {
    if (noneAllowed) return;
    throw new ParameterError(`Invalid type for ${what}: expected a string, got None`);
  }
  if (typeof value !== 'string') throw new ParameterError(`Invalid type for value '${pyStrOf(value)}' (${what}): expected a string`);
}
