/**
 * Small helpers that reproduce the Python value semantics Koji's policy code relies on:
 * whitespace splitting (str.split()), truthiness (bool(x)), type names for messages, and
 * the int()/float() number syntax accepted by the `compare` test.
 *
 * Policy data is a plain record; JavaScript `undefined` is treated as "key absent" and `null`
 * as Python's None (a present key whose value is None).
 */
import { Binary, DateTime, Float } from '../../protocol/values.ts';
import { PY_INT, pyFloatValue } from '../../protocol/pynum.ts';

/** Python's str.split() whitespace (JS \s plus the separators \x1c-\x1f and NEL). */
const WS = /[\s\x1c-\x1f\x85]+/;
const WS_EDGES = /^[\s\x1c-\x1f\x85]+|[\s\x1c-\x1f\x85]+$/g;

/** str.split() with no arguments: split on runs of whitespace, no empty items. */
export function pySplit(s: string): string[] {
  return s.split(WS).filter((x) => x !== '');
}

/** str.strip() with no arguments. */
export function pyStrip(s: string): string {
  return s.replace(WS_EDGES, '');
}

/** str.split(None, 1) padded to two items: first word and the rest (leading space dropped). */
export function splitFirstWord(s: string): [string, string] {
  const t = s.replace(/^[\s\x1c-\x1f\x85]+/, '');
  const m = /[\s\x1c-\x1f\x85]/.exec(t);
  if (!m) return [t, ''];
  return [t.slice(0, m.index), t.slice(m.index).replace(/^[\s\x1c-\x1f\x85]+/, '')];
}

/** str.splitlines(): every line boundary Python recognises. */
export function pySplitLines(s: string): string[] {
  const lines = s.split(/\r\n|[\n\r\v\f\x1c-\x1e\x85\u2028\u2029]/);
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** `key in data` for policy data: present and not undefined (null counts as present). */
export function hasField(data: Record<string, unknown>, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(data, key) && data[key] !== undefined;
}

/** Python's bool(x): None, False, 0, '', and empty containers are false. */
export function pyTruthy(v: unknown): boolean {
  if (v === null || v === undefined || v === false) return false;
  if (typeof v === 'number') return v !== 0; // bool(nan) is True in Python
  if (typeof v === 'bigint') return v !== 0n;
  if (typeof v === 'string') return v.length > 0;
  if (Array.isArray(v)) return v.length > 0;
  if (v instanceof Set || v instanceof Map) return v.size > 0;
  if (typeof v === 'object') return Object.keys(v).length > 0;
  return true;
}

/** A list-like value (Python list/tuple/set) as an array, or null for anything else. */
export function asList(v: unknown): unknown[] | null {
  if (Array.isArray(v)) return v;
  if (v instanceof Set) return [...v];
  return null;
}

/** Python's type name of a decoded value or policy datum, for TypeError-like messages. */
export function pyTypeName(v: unknown): string {
  if (v === null || v === undefined) return 'NoneType';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  if (typeof v === 'bigint') return 'int';
  if (typeof v === 'string') return 'str';
  if (v instanceof Float) return 'float';
  if (v instanceof Binary) return 'bytes';
  if (v instanceof DateTime) return 'DateTime';
  if (Array.isArray(v)) return 'list';
  if (v instanceof Set) return 'set';
  return 'dict';
}

/**
 * int(s), falling back to float(s), as CompareTest parses its operand. Returns null when
 * Python would raise ValueError.
 */
export function parsePyNumber(s: string): number | null {
  const t = pyStrip(s);
  if (PY_INT.test(t)) return Number(t.replace(/_/g, ''));
  return pyFloatValue(t);
}
