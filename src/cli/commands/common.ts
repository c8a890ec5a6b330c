/**
 * Helpers shared by the command modules: Python's %-formatting of numbers and padding, Koji's
 * truncate_string and formatTimeLong, and multicall results (the stock CLI's
 * `session.multiCall()` / `with session.multicall()` idioms).
 */
import type { MulticallResult } from '../../protocol/client.ts';
import { faultToError } from '../../protocol/faults.ts';
import { Float, type XmlRpcValue } from '../../protocol/values.ts';
import type { CliContext } from '../command.ts';
import { localTzName } from './tzname.ts';

/** Length in code points, as Python's len() of a str. */
export function pyLen(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/** str.ljust / '%-Ns' */
export function ljust(s: string, width: number): string {
  const n = pyLen(s);
  return n >= width ? s : s + ' '.repeat(width - n);
}

/** str.rjust / '%Ns' */
export function rjust(s: string, width: number): string {
  const n = pyLen(s);
  return n >= width ? s : ' '.repeat(width - n) + s;
}

/** A hub number (plain or {@link Float}) as a JS number. */
export function toNum(v: unknown): number {
  if (v instanceof Float) return v.value;
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'boolean') return v ? 1 : 0;
  return Number(v);
}

/**
 * Python's '%.Nf': like toFixed, except that exact ties round to even (JS rounds them away
 * from zero), e.g. '%.1f' % 0.25 is '0.2'.
 */
export function pyFixed(v: unknown, digits: number): string {
  const x = toNum(v);
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  const rounded = x.toFixed(digits);
  if (Math.abs(x) >= 1e21) return rounded;
  // the exact decimal expansion of the double: a tie is "5" then only zeros after the kept digits
  const exact = Math.abs(x).toFixed(100);
  const dot = exact.indexOf('.');
  const tail = exact.slice(dot + 1 + digits);
  if (!/^50*$/.test(tail)) return rounded;
  const kept = exact.slice(0, digits === 0 ? dot : dot + 1 + digits);
  const lastDigit = Number(kept[kept.length - 1]);
  if (lastDigit % 2 === 1) return rounded;
  return (x < 0 ? '-' : '') + kept;
}

/** Python's '%Nd' of an int or float (floats are truncated toward zero). */
export function pyInt(v: unknown, width = 0): string {
  const x = Math.trunc(toNum(v));
  return rjust(String(x === 0 ? 0 : x), width);
}

/** Koji CLI's truncate_string: newlines become spaces; longer than `length` → cut + '...'; falsy → ''. */
export function truncateString(s: unknown, length = 47): string {
  if (!s) return '';
  const str = String(s).replace(/\n/g, ' ');
  const chars = [...str];
  return chars.length > length ? chars.slice(0, length).join('') + '...' : str;
}

export const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
export const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad2 = (n: number) => String(n).padStart(2, '0');

/** time.asctime(time.localtime(ts)) (or of the UTC time): "Wed Jul  3 09:46:40 2024". */
export function asctime(ts: unknown, utc = false): string {
  const d = new Date(Math.floor(toNum(ts)) * 1000);
  const [wd, mon, day, h, m, s, y] = utc
    ? [d.getUTCDay(), d.getUTCMonth(), d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds(), d.getUTCFullYear()]
    : [d.getDay(), d.getMonth(), d.getDate(), d.getHours(), d.getMinutes(), d.getSeconds(), d.getFullYear()];
  return `${DAYS[wd]} ${MONTHS[mon]} ${String(day).padStart(2)} ${pad2(h)}:${pad2(m)}:${pad2(s)} ${y}`;
}

/**
 * koji.formatTimeLong of a timestamp (seconds since the epoch): "Sat, 07 Sep 2002 00:00:01 GMT"
 * in the process's local time zone. Falsy values other than 0 give ''.
 */
export function formatTimeLong(value: unknown): string {
  if (value === null || value === undefined || value === '' || value === false) return '';
  let d: Date;
  if (typeof value === 'string') d = new Date(value);
  else {
    // datetime.fromtimestamp keeps microseconds; strftime then drops them
    const us = Math.round(toNum(value) * 1e6);
    d = new Date(Math.floor(us / 1e6) * 1000);
  }
  return `${DAYS[d.getDay()]}, ${pad2(d.getDate())} ${MONTHS[d.getMonth()]} ${d.getFullYear()} ${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())} ${localTzName(d)}`;
}

export interface Call {
  method: string;
  args?: XmlRpcValue[];
  kwargs?: Record<string, XmlRpcValue>;
}

/** One multiCall request (no request at all for no calls, as koji's ClientSession). */
export async function multicall(ctx: CliContext, calls: Call[], strict = false): Promise<MulticallResult[]> {
  if (calls.length === 0) return [];
  return ctx.session.multiCall(calls, { strict });
}

export function isFault(r: MulticallResult): r is { faultCode: number; faultString: string } {
  return !Array.isArray(r);
}

/** A multicall entry's value; a fault is raised (as reading `.result` does in koji). */
export function resultOf<T = XmlRpcValue>(r: MulticallResult): T {
  if (isFault(r)) throw faultToError(r.faultCode, r.faultString);
  return r[0] as T;
}

/**
 * Whether a hub answer (a multicall fault or a thrown error) says the method is one koji-ts has
 * not implemented yet: its hub answers such calls with a GenericError "<method> is not
 * implemented by koji-ts yet". Commands that call such methods for extra lines skip those lines.
 */
export function isNotImplemented(r: MulticallResult | unknown): boolean {
  if (Array.isArray(r)) return false;
  const msg = r && typeof r === 'object' ? ((r as { faultString?: unknown }).faultString ?? (r as { message?: unknown }).message) : null;
  return typeof msg === 'string' && msg.includes('not implemented by koji-ts');
}

/** Split "a=b" the way `old, new = p.split('=', 1)` does, with Python's error when there is no '='. */
export function splitPair(s: string): [string, string] {
  const i = s.indexOf('=');
  if (i === -1) throw new PyError('ValueError', 'not enough values to unpack (expected 2, got 1)');
  return [s.slice(0, i), s.slice(i + 1)];
}

/**
 * An exception the stock CLI would die with (printed by its main as "<class>: <message>",
 * exit code 1). Used where koji-ts reproduces such a failure instead of inventing a message.
 */
export class PyError extends Error {
  constructor(readonly pyClass: string, message: string) {
    super(message);
    this.name = pyClass;
  }
}
