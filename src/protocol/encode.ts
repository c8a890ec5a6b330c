/**
 * XML-RPC serialisation, byte-compatible in meaning with Python's xmlrpc.client as Koji uses it:
 * `allow_none` (`<nil/>`), `<i8>` for integers beyond 32 bits, only `& < >` escaped in text,
 * timestamps as strings. Written by hand because it is a hot path (every hub reply) and the
 * format is tiny; parsing, which must be robust against hostile input, uses a real XML parser.
 */
import { Binary, DateTime, Float, type XmlRpcValue } from './values.ts';
import { pyFloatRepr } from './pyrepr.ts';

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;
const INT64_LIMIT = 9223372036854775807n;

const NEEDS_ESCAPE = /[&<>]/;
export function escapeXml(s: string): string {
  if (!NEEDS_ESCAPE.test(s)) return s;
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export class EncodeError extends Error {}

/** A reply grew past the byte limit it was encoded under. */
export class ReplyTooLarge extends Error {
  constructor(readonly limit: number) {
    super(`reply larger than ${limit} bytes`);
  }
}

/** `<member><name>key</name>` for struct keys seen before (result rows repeat the same keys). */
const memberPrefix = new Map<string, string>();
function member(key: string): string {
  let p = memberPrefix.get(key);
  if (p === undefined) {
    p = `<member><name>${escapeXml(key)}</name>`;
    if (memberPrefix.size < 10_000) memberPrefix.set(key, p);
  }
  return p;
}

/**
 * Encode one value, appending to a string (V8 concatenates into ropes, which is far cheaper
 * than collecting millions of small pieces; large listings reply with tens of MB).
 */
function enc(v: XmlRpcValue, depth: number): string {
  if (v === null || v === undefined) return '<value><nil/></value>';
  switch (typeof v) {
    case 'string':
      return '<value><string>' + escapeXml(v) + '</string></value>';
    case 'boolean':
      return v ? '<value><boolean>1</boolean></value>' : '<value><boolean>0</boolean></value>';
    case 'number':
      if (Number.isInteger(v)) {
        if (v >= INT32_MIN && v <= INT32_MAX) return '<value><int>' + v + '</int></value>';
        if (Number.isSafeInteger(v)) return '<value><i8>' + v + '</i8></value>';
      }
      return '<value><double>' + pyFloatRepr(v) + '</double></value>';
    case 'bigint':
      if (v > INT64_LIMIT || v < -INT64_LIMIT - 1n) throw new EncodeError(`int exceeds XML-RPC limits: ${v}`);
      return v >= INT32_MIN && v <= INT32_MAX ? '<value><int>' + v + '</int></value>' : '<value><i8>' + v + '</i8></value>';
    case 'object':
      break;
    default:
      throw new EncodeError(`cannot marshal ${typeof v} objects`);
  }
  if (depth > 100) throw new EncodeError('value nested too deeply to encode');
  if (v instanceof Float) return '<value><double>' + pyFloatRepr(v.value) + '</double></value>';
  if (Array.isArray(v)) {
    let out = '<value><array><data>';
    for (let i = 0; i < v.length; i++) out += enc(v[i], depth + 1);
    return out + '</data></array></value>';
  }
  if (v instanceof Binary) return '<value><base64>' + v.data.toString('base64') + '</base64></value>';
  if (v instanceof DateTime) return '<value><dateTime.iso8601>' + escapeXml(v.iso) + '</dateTime.iso8601></value>';
  if (v instanceof Date) return '<value><string>' + v.toISOString() + '</string></value>';
  if (v instanceof Map) throw new EncodeError('cannot marshal Map objects; use a plain object');
  let out = '<value><struct>';
  for (const key in v) {
    const item = (v as Record<string, XmlRpcValue>)[key];
    if (item === undefined) continue;
    out += member(key) + enc(item, depth + 1) + '</member>';
  }
  return out + '</struct></value>';
}

function encodeInto(out: string[], v: XmlRpcValue, depth: number): void {
  out.push(enc(v, depth));
}

export function encodeValue(v: XmlRpcValue): string {
  const out: string[] = [];
  encodeInto(out, v, 0);
  return out.join('');
}

const HEAD = "<?xml version='1.0'?>\n";
/** What comes before and after the value of a methodResponse. */
export const RESPONSE_OPEN = HEAD + '<methodResponse><params><param>';
export const RESPONSE_CLOSE = '</param></params></methodResponse>\n';

export function encodeResponse(result: XmlRpcValue): string {
  const out: string[] = [HEAD, '<methodResponse><params><param>'];
  encodeInto(out, result, 0);
  out.push('</param></params></methodResponse>\n');
  return out.join('');
}

/**
 * A value, or a whole methodResponse (`response`), as a list of Buffers. Large replies
 * (listings of tens of thousands of builds) are encoded element by element, so no huge
 * JavaScript string is ever built; with `limit` > 0, encoding stops with ReplyTooLarge as soon
 * as the bytes pass it.
 */
export function encodeParts(result: XmlRpcValue, o: { response?: boolean; limit?: number } = {}): Buffer[] {
  const limit = o.limit ?? 0;
  const parts: Buffer[] = [];
  let size = 0;
  let batch = o.response ? RESPONSE_OPEN : '';
  const flush = () => {
    const b = Buffer.from(batch, 'utf8');
    batch = '';
    push(b);
  };
  const push = (b: Buffer) => {
    size += b.length;
    if (limit > 0 && size > limit) throw new ReplyTooLarge(limit);
    parts.push(b);
  };
  const put = (s: string) => {
    batch += s;
    if (batch.length > 65536) flush();
  };
  const walk = (v: XmlRpcValue, depth: number) => {
    if (Array.isArray(v) && depth < 3) {
      put('<value><array><data>');
      for (let i = 0; i < v.length; i++) walk(v[i], depth + 1);
      put('</data></array></value>');
    } else put(enc(v, depth));
  };
  walk(result, 0);
  if (o.response) put(RESPONSE_CLOSE);
  flush();
  return parts;
}

/** A methodResponse as a list of Buffers (for writing out without one big copy). */
export function encodeResponseParts(result: XmlRpcValue, limit = 0): Buffer[] {
  return encodeParts(result, { response: true, limit });
}

export function encodeFault(code: number, message: string): string {
  return (
    HEAD +
    '<methodResponse><fault><value><struct>' +
    `<member><name>faultCode</name><value><int>${code}</int></value></member>` +
    `<member><name>faultString</name><value><string>${escapeXml(message)}</string></value></member>` +
    '</struct></value></fault></methodResponse>\n'
  );
}

export function encodeCall(method: string, params: XmlRpcValue[]): string {
  const out: string[] = [HEAD, '<methodCall><methodName>', escapeXml(method), '</methodName><params>'];
  for (const p of params) {
    out.push('<param>');
    encodeInto(out, p, 0);
    out.push('</param>');
  }
  out.push('</params></methodCall>\n');
  return out.join('');
}
