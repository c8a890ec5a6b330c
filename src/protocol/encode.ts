/**
 * XML-RPC serialisation, byte-compatible in meaning with Python's xmlrpc.client as Koji uses it:
 * `allow_none` (`<nil/>`), `<i8>` for integers beyond 32 bits, only `& < >` escaped in text,
 * timestamps as strings. Written by hand because it is a hot path (every hub reply) and the
 * format is tiny; parsing, which must be robust against hostile input, uses a real XML parser.
 */
import { Binary, DateTime, Float, type XmlRpcValue } from './values.ts';

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;
const INT64_LIMIT = 9223372036854775807n;

export function escapeXml(s: string): string {
  if (!/[&<>]/.test(s)) return s;
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export class EncodeError extends Error {}

function encodeInto(out: string[], v: XmlRpcValue, depth: number): void {
  if (depth > 100) throw new EncodeError('value nested too deeply to encode');
  if (v === null || v === undefined) {
    out.push('<value><nil/></value>');
    return;
  }
  switch (typeof v) {
    case 'string':
      out.push('<value><string>', escapeXml(v), '</string></value>');
      return;
    case 'boolean':
      out.push(v ? '<value><boolean>1</boolean></value>' : '<value><boolean>0</boolean></value>');
      return;
    case 'number':
      if (Number.isInteger(v)) {
        if (v >= INT32_MIN && v <= INT32_MAX) out.push('<value><int>', String(v), '</int></value>');
        else if (Number.isSafeInteger(v)) out.push('<value><i8>', String(v), '</i8></value>');
        else out.push('<value><double>', pyFloat(v), '</double></value>');
      } else {
        out.push('<value><double>', pyFloat(v), '</double></value>');
      }
      return;
    case 'bigint':
      if (v > INT64_LIMIT || v < -INT64_LIMIT - 1n) throw new EncodeError(`int exceeds XML-RPC limits: ${v}`);
      out.push(v >= INT32_MIN && v <= INT32_MAX ? '<value><int>' : '<value><i8>', v.toString(),
        v >= INT32_MIN && v <= INT32_MAX ? '</int></value>' : '</i8></value>');
      return;
    case 'object':
      break;
    default:
      throw new EncodeError(`cannot marshal ${typeof v} objects`);
  }
  if (v instanceof Float) {
    out.push('<value><double>', pyFloat(v.value), '</double></value>');
  } else if (Array.isArray(v)) {
    out.push('<value><array><data>');
    for (const item of v) encodeInto(out, item, depth + 1);
    out.push('</data></array></value>');
  } else if (v instanceof Binary) {
    out.push('<value><base64>', v.data.toString('base64'), '</base64></value>');
  } else if (v instanceof DateTime) {
    out.push('<value><dateTime.iso8601>', escapeXml(v.iso), '</dateTime.iso8601></value>');
  } else if (v instanceof Date) {
    out.push('<value><string>', v.toISOString(), '</string></value>');
  } else if (v instanceof Map) {
    throw new EncodeError('cannot marshal Map objects; use a plain object');
  } else {
    out.push('<value><struct>');
    for (const key of Object.keys(v)) {
      const item = (v as Record<string, XmlRpcValue>)[key];
      if (item === undefined) continue;
      out.push('<member><name>', escapeXml(key), '</name>');
      encodeInto(out, item, depth + 1);
      out.push('</member>');
    }
    out.push('</struct></value>');
  }
}

/** Python's repr of a float: always has a '.' or an exponent, so the peer reads a float. */
export function pyFloat(n: number): string {
  if (Number.isNaN(n)) return 'nan';
  if (!Number.isFinite(n)) return n > 0 ? 'inf' : '-inf';
  const s = String(n);
  return /[.e]/.test(s) ? s : `${s}.0`;
}

export function encodeValue(v: XmlRpcValue): string {
  const out: string[] = [];
  encodeInto(out, v, 0);
  return out.join('');
}

const HEAD = "<?xml version='1.0'?>\n";

export function encodeResponse(result: XmlRpcValue): string {
  const out: string[] = [HEAD, '<methodResponse><params><param>'];
  encodeInto(out, result, 0);
  out.push('</param></params></methodResponse>\n');
  return out.join('');
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
