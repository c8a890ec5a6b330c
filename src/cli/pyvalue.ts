/**
 * Python's way with hub values where the stock CLI formats task requests it does not check:
 * subscripting (`v[k]`), iterating (`for x in v`), `', '.join(v)`, `'%i' % v` and
 * koji.buildLabel. Each throws where Python raises, so callers fall back the way the stock CLI
 * does ("malformed task", "Unable to parse task parameters").
 */
import { pyStrOf } from '../protocol/pyrepr.ts';
import { Float, isStruct, type XmlRpcStruct, type XmlRpcValue } from '../protocol/values.ts';

type V = XmlRpcValue | undefined;

class PyTypeError extends Error {}

/** v[k]: a struct's key, a list's or string's index; anything else (or a missing key) raises. */
export function sub(v: V, k: string | number): XmlRpcValue {
  if (typeof k === 'number' && (Array.isArray(v) || typeof v === 'string')) {
    const items = typeof v === 'string' ? [...v] : v;
    const i = k < 0 ? items.length + k : k;
    if (i < 0 || i >= items.length) throw new PyTypeError('index out of range');
    return items[i];
  }
  if (isStruct(v) && Object.hasOwn(v, k)) return v[k];
  throw new PyTypeError(`cannot subscript ${typeof v} with ${String(k)}`);
}

/** for x in v: a list's items, a string's characters, a struct's keys. */
export function pyIter(v: V): XmlRpcValue[] {
  if (Array.isArray(v)) return v;
  if (typeof v === 'string') return [...v];
  if (isStruct(v)) return Object.keys(v);
  throw new PyTypeError(`${typeof v} is not iterable`);
}

/** len(v) */
export function pyLen(v: V): number {
  return pyIter(v).length;
}

/** sep.join(v): every item must be a string. */
export function pyJoin(v: V, sep = ', '): string {
  return pyIter(v)
    .map((x) => {
      if (typeof x !== 'string') throw new PyTypeError('sequence item: expected str instance');
      return x;
    })
    .join(sep);
}

/** '%i' % v */
export function pyPercentI(v: V): string {
  if (typeof v === 'boolean') return v ? '1' : '0';
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  if (v instanceof Float) return String(Math.trunc(v.value));
  throw new PyTypeError('%i format: a real number is required');
}

/** str(v) */
export const pyStr = (v: V): string => pyStrOf(v ?? null);

/** koji.buildLabel of a build struct ('None' for missing fields) */
export function buildLabel(v: V): string {
  if (!isStruct(v)) throw new PyTypeError('a build must be a struct');
  const b: XmlRpcStruct = v;
  return `${pyStr(b.package_name || b.name)}-${pyStr(b.version)}-${pyStr(b.release)}`;
}
