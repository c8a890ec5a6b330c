/**
 * Python's repr() and str() of decoded XML-RPC values, for the texts Koji formats with %r and
 * %s: the hub's error messages and policy texts, the CLI's output. One implementation for every
 * program: strings quoted and escaped as Python does, None/True/False, floats in Python's
 * shortest form ('2.0', '1e-05', '1e+16'), dicts in their key order (pprint, which sorts them,
 * asks for `sortDicts`), sets as {…} or set().
 */
import { Binary, DateTime, Float, isStruct } from './values.ts';

/** Characters str.isprintable() rejects (Unicode categories C* and Z* except the space). */
const NON_PRINTABLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Zs}]/u;

function escapeChar(code: number): string {
  if (code < 0x100) return '\\x' + code.toString(16).padStart(2, '0');
  if (code < 0x10000) return '\\u' + code.toString(16).padStart(4, '0');
  return '\\U' + code.toString(16).padStart(8, '0');
}

/** The quote Python picks: single, unless the text has a single quote and no double one. */
function quoteFor(s: string): string {
  return s.includes("'") && !s.includes('"') ? '"' : "'";
}

const SIMPLE_ESCAPES: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** repr() of a str. */
export function pyStr(s: string): string {
  const quote = quoteFor(s);
  let out = '';
  for (const ch of s) {
    if (ch in SIMPLE_ESCAPES) out += SIMPLE_ESCAPES[ch];
    else if (ch === quote) out += '\\' + ch;
    else if (ch !== ' ' && NON_PRINTABLE.test(ch)) out += escapeChar(ch.codePointAt(0) as number);
    else out += ch;
  }
  return quote + out + quote;
}

/** repr() of bytes: b'…', bytes outside printable ASCII as \xNN. */
function pyBytes(data: Buffer): string {
  const quote = quoteFor(data.toString('latin1'));
  let out = '';
  for (const b of data) {
    const ch = String.fromCharCode(b);
    if (ch in SIMPLE_ESCAPES) out += SIMPLE_ESCAPES[ch];
    else if (ch === quote) out += '\\' + ch;
    else if (b < 0x20 || b >= 0x7f) out += escapeChar(b);
    else out += ch;
  }
  return `b${quote}${out}${quote}`;
}

/**
 * repr() of a float (what Python's XML-RPC marshaller writes too): the shortest round-trip
 * digits, with '.0' when integral, in exponent form below 1e-4 and from 1e16.
 */
export function pyFloatRepr(n: number): string {
  if (Number.isNaN(n)) return 'nan';
  if (!Number.isFinite(n)) return n > 0 ? 'inf' : '-inf';
  if (n === 0) return Object.is(n, -0) ? '-0.0' : '0.0';
  const abs = Math.abs(n);
  // in this range JavaScript prints the same digits without an exponent
  if (abs >= 1e-4 && abs < 1e16) return Number.isInteger(n) ? `${n}.0` : String(n);
  const [mantissa, exp] = n.toExponential().split('e');
  const sign = exp[0];
  return `${mantissa}e${sign}${exp.slice(1).padStart(2, '0')}`;
}

export interface ReprOptions {
  /** dict keys sorted (pprint's sort_dicts) instead of in their order */
  sortDicts?: boolean;
}

/** repr() of a value. JS numbers that are integers are Python ints; other numbers and {@link Float}s are floats. */
export function pyRepr(v: unknown, o: ReprOptions = {}): string {
  const r = (x: unknown) => pyRepr(x, o);
  if (v === null || v === undefined) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) return pyFloatRepr(v);
    return Math.abs(v) < 1e21 ? String(v) : BigInt(v).toString();
  }
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'string') return pyStr(v);
  if (v instanceof Float) return pyFloatRepr(v.value);
  if (v instanceof Binary) return pyBytes(v.data);
  if (v instanceof DateTime) return `<DateTime '${v.iso}'>`;
  if (Array.isArray(v)) return `[${v.map(r).join(', ')}]`;
  if (v instanceof Set) return v.size ? `{${[...v].map(r).join(', ')}}` : 'set()';
  if (isStruct(v)) {
    const keys = Object.keys(v);
    if (o.sortDicts) keys.sort();
    return `{${keys.map((k) => `${pyStr(k)}: ${r(v[k])}`).join(', ')}}`;
  }
  return pyStr(String(v));
}

/** str() of a value (as "%s" formats it): a string as it is, anything else as its repr. */
export function pyStrOf(v: unknown): string {
  return typeof v === 'string' ? v : pyRepr(v);
}
