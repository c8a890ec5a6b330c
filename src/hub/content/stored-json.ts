/**
 * The one JSON encoding of XML-RPC values kept in the database (tag extra, build/rpm/archive/
 * buildroot extra): Python's `json.dumps`/`json.loads` dialect, as Koji stores them, so values
 * come back as they went in:
 *
 * - 64-bit integers stay exact (`<i8>9223372036854775807</i8>` → `9223372036854775807` → bigint);
 * - doubles stay doubles (`1.5`, `1e+300`), and NaN / ±inf are written `NaN` / `Infinity` /
 *   `-Infinity` like Python's json (JSON.stringify would turn them into null);
 * - structs come back as dictionaries without a prototype (`__proto__` is an ordinary key);
 * - text is written with non-ASCII characters escaped (Python's ensure_ascii), so the stored
 *   text is what Koji's hub writes.
 *
 * `<base64>` and `<dateTime.iso8601>` values have no JSON form (Koji's json.dumps refuses them
 * too): storing one is a ParameterError naming the key.
 */
import { GenericError, ParameterError } from '../../protocol/faults.ts';
import { pyFloatRepr } from '../../protocol/pyrepr.ts';
import { Binary, DateTime, Float, type XmlRpcValue } from '../../protocol/values.ts';

const MAX_DEPTH = 100;

function floatText(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (!Number.isFinite(n)) return n > 0 ? 'Infinity' : '-Infinity';
  return pyFloatRepr(n);
}

const NON_ASCII = /[\u0080-\uffff]/;
const NON_ASCII_ALL = /[\u0080-\uffff]/g;

/** Printable ASCII without '"' or '\\': written as it is. */
function plain(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x22 || c === 0x5c || c > 0x7e) return false;
  }
  return true;
}

function stringText(s: string): string {
  if (plain(s)) return `"${s}"`;
  const j = JSON.stringify(s);
  return NON_ASCII.test(j) ? j.replace(NON_ASCII_ALL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`) : j;
}

/** Where a value sits: its key and its container's place (built into a list only for faults). */
interface Place {
  key: string;
  up: Place | null;
  depth: number;
}

function describe(what: string, at: Place | null): string {
  const path: string[] = [];
  for (let p = at; p; p = p.up) path.unshift(p.key);
  return path.length ? `${what}, key ${path.map((k) => `'${k}'`).join(' → ')}` : what;
}

/** A value that is not an object (null, boolean, number, bigint, string); else undefined. */
function scalar(v: XmlRpcValue): string | undefined {
  if (v === null || v === undefined) return 'null';
  switch (typeof v) {
    case 'boolean':
      return v ? 'true' : 'false';
    case 'number':
      return Number.isSafeInteger(v) ? String(v) : floatText(v);
    case 'bigint':
      return String(v);
    case 'string':
      return stringText(v);
    default:
      return undefined;
  }
}

function enc(v: XmlRpcValue, what: string, at: Place | null): string {
  const text = scalar(v);
  if (text !== undefined) return text;
  if (typeof v !== 'object' || v === null) throw new ParameterError(`Cannot store ${typeof v} values (${describe(what, at)})`);
  const depth = at ? at.depth + 1 : 0;
  if (depth >= MAX_DEPTH) throw new ParameterError(`Value nested too deeply to store (${describe(what, at)})`);
  if (v instanceof Float) return floatText(v.value);
  if (v instanceof Binary) throw new ParameterError(`Cannot store a base64 (bytes) value: extra data is kept as JSON (${describe(what, at)})`);
  if (v instanceof DateTime || v instanceof Date) {
    throw new ParameterError(`Cannot store a dateTime value: extra data is kept as JSON; send the time as a string or a number (${describe(what, at)})`);
  }
  // a Place is made only for what is not a scalar (faults name the key)
  const item = (x: XmlRpcValue, key: string) => scalar(x) ?? enc(x, what, { key, up: at, depth });
  if (Array.isArray(v)) return `[${v.map((x, i) => item(x, String(i))).join(', ')}]`;
  const parts: string[] = [];
  for (const key of Object.keys(v)) {
    const x = v[key];
    if (x !== undefined) parts.push(`${stringText(key)}: ${item(x, key)}`);
  }
  return `{${parts.join(', ')}}`;
}

/**
 * The common case written directly: a plain struct whose keys and values are printable-ASCII
 * strings, safe integers, booleans or null (a table row, e.g. the 10,000 rpm rows of a repo's
 * rpmlist.jsonl); undefined for anything else, which `enc` writes.
 */
function flatStruct(v: XmlRpcValue): string | undefined {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
  const proto = Object.getPrototypeOf(v) as unknown;
  if (proto !== Object.prototype && proto !== null) return undefined;
  let out = '';
  for (const key of Object.keys(v)) {
    const x = (v as Record<string, XmlRpcValue>)[key];
    let text: string;
    if (x === undefined) continue;
    if (x === null) text = 'null';
    else if (typeof x === 'string' && plain(x)) text = `"${x}"`;
    else if (typeof x === 'number' && Number.isSafeInteger(x)) text = String(x);
    else if (typeof x === 'boolean') text = x ? 'true' : 'false';
    else return undefined;
    if (!plain(key)) return undefined;
    out += `${out ? ', ' : ''}"${key}": ${text}`;
  }
  return `{${out}}`;
}

/** JSON text of a value for the database; `what` names the value in faults (e.g. "tag extra 'k'"). */
export function encodeStoredJson(value: XmlRpcValue, what: string): string {
  return flatStruct(value) ?? enc(value, what, null);
}

class Reader {
  pos = 0;
  constructor(readonly text: string) {}

  fail(why: string): never {
    throw new SyntaxError(`${why} at position ${this.pos}`);
  }

  ws(): void {
    while (this.pos < this.text.length && ' \t\n\r'.includes(this.text[this.pos])) this.pos++;
  }

  word(w: string): boolean {
    if (!this.text.startsWith(w, this.pos)) return false;
    this.pos += w.length;
    return true;
  }

  value(depth: number): XmlRpcValue {
    if (depth > MAX_DEPTH) this.fail('nested too deeply');
    this.ws();
    const c = this.text[this.pos];
    if (c === '{') return this.object(depth);
    if (c === '[') return this.array(depth);
    if (c === '"') return this.string();
    if (this.word('null')) return null;
    if (this.word('true')) return true;
    if (this.word('false')) return false;
    if (this.word('NaN')) return new Float(NaN);
    if (this.word('Infinity')) return new Float(Infinity);
    if (this.word('-Infinity')) return new Float(-Infinity);
    return this.number();
  }

  number(): XmlRpcValue {
    const m = /-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;
    m.lastIndex = this.pos;
    const r = m.exec(this.text);
    if (!r) this.fail('unexpected character');
    this.pos = m.lastIndex;
    if (r[1] !== undefined || r[2] !== undefined) return new Float(Number(r[0]));
    const n = Number(r[0]);
    return Number.isSafeInteger(n) ? n : BigInt(r[0]);
  }

  string(): string {
    const start = this.pos++;
    while (this.pos < this.text.length) {
      const c = this.text[this.pos++];
      if (c === '\\') this.pos++;
      else if (c === '"') return JSON.parse(this.text.slice(start, this.pos)) as string;
    }
    return this.fail('unterminated string');
  }

  array(depth: number): XmlRpcValue[] {
    this.pos++;
    const out: XmlRpcValue[] = [];
    this.ws();
    if (this.word(']')) return out;
    for (;;) {
      out.push(this.value(depth + 1));
      this.ws();
      if (this.word(']')) return out;
      if (!this.word(',')) this.fail("expected ',' or ']'");
    }
  }

  object(depth: number): Record<string, XmlRpcValue> {
    this.pos++;
    const out = Object.create(null) as Record<string, XmlRpcValue>;
    this.ws();
    if (this.word('}')) return out;
    for (;;) {
      this.ws();
      if (this.text[this.pos] !== '"') this.fail('expected a key');
      const key = this.string();
      this.ws();
      if (!this.word(':')) this.fail("expected ':'");
      out[key] = this.value(depth + 1);
      this.ws();
      if (this.word('}')) return out;
      if (!this.word(',')) this.fail("expected ',' or '}'");
    }
  }
}

/**
 * A value from its stored JSON text (ours, or Koji's json.dumps). Throws what `error` makes of
 * the text when it is not JSON (each caller keeps Koji's message for that case).
 */
export function decodeStoredJson(text: string, error: (text: string) => Error): XmlRpcValue {
  try {
    const r = new Reader(text);
    const v = r.value(0);
    r.ws();
    if (r.pos !== text.length) r.fail('unexpected data after the value');
    return v;
  } catch (e) {
    if (e instanceof SyntaxError) throw error(text);
    throw e;
  }
}

/** Parse a row's `extra` column in place; `message` words the fault for text that is not JSON. */
export function parseExtraColumn<T extends object>(row: T, message: (text: string) => string): T {
  const r = row as { extra?: unknown };
  if (typeof r.extra === 'string') r.extra = decodeStoredJson(r.extra, (text) => new GenericError(message(text)));
  return row;
}
