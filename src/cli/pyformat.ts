/**
 * Python's repr() and pprint.pprint() for decoded XML-RPC values, so `koji call` and other
 * commands print exactly what the stock (Python) CLI prints: dict keys sorted, strings in
 * single quotes unless they contain one, floats with a '.0', None/True/False, and pprint's
 * wrapping at 80 columns.
 */
import { Binary, DateTime, Float, isStruct } from '../protocol/values.ts';

export function pyStr(s: string): string {
  // Python picks single quotes unless the string contains ' and no "
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = '';
  for (const ch of s) {
    const code = ch.codePointAt(0) as number;
    if (ch === '\\') out += '\\\\';
    else if (ch === quote) out += '\\' + ch;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (code < 0x20 || code === 0x7f) out += '\\x' + code.toString(16).padStart(2, '0');
    else out += ch;
  }
  return quote + out + quote;
}

export function pyFloatRepr(n: number): string {
  if (Number.isNaN(n)) return 'nan';
  if (!Number.isFinite(n)) return n > 0 ? 'inf' : '-inf';
  if (Number.isInteger(n) && Math.abs(n) < 1e16) return `${n}.0`;
  const s = String(n);
  // JS "1e+21" → Python "1e+21"; JS "1.5e-7" → Python "1.5e-07"
  return s.replace(/e([+-])(\d)$/, 'e$10$2');
}

function sortedKeys(o: Record<string, unknown>): string[] {
  return Object.keys(o).sort();
}

export function pyRepr(v: unknown): string {
  if (v === null || v === undefined) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : pyFloatRepr(v);
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'string') return pyStr(v);
  if (v instanceof Float) return pyFloatRepr(v.value);
  if (v instanceof Binary) return `b'${v.data.toString('latin1')}'`;
  if (v instanceof DateTime) return `<DateTime '${v.iso}'>`;
  if (Array.isArray(v)) return `[${v.map(pyRepr).join(', ')}]`;
  if (isStruct(v)) return `{${sortedKeys(v).map((k) => `${pyStr(k)}: ${pyRepr(v[k])}`).join(', ')}}`;
  return pyStr(String(v));
}

/** pprint.pformat(obj) with the defaults (indent=1, width=80, sort_dicts=True). */
export function pformat(v: unknown, width = 80): string {
  return format(v, 0, width, 0);
}

function format(v: unknown, indent: number, width: number, allowance: number): string {
  const rep = pyRepr(v);
  if (rep.length <= width - indent - allowance) return rep;
  if (isStruct(v)) {
    const keys = sortedKeys(v);
    if (keys.length === 0) return rep;
    const parts: string[] = [];
    keys.forEach((k, i) => {
      const krep = pyStr(k);
      const last = i === keys.length - 1;
      const inner = format(v[k], indent + 1 + krep.length + 2, width, last ? allowance + 1 : 1);
      parts.push(`${krep}: ${inner}`);
    });
    return '{' + parts.join(',\n' + ' '.repeat(indent + 1)) + '}';
  }
  if (Array.isArray(v)) {
    if (v.length === 0) return rep;
    const parts = v.map((item, i) => format(item, indent + 1, width, i === v.length - 1 ? allowance + 1 : 1));
    return '[' + parts.join(',\n' + ' '.repeat(indent + 1)) + ']';
  }
  if (typeof v === 'string' && v.length > 0) {
    // pprint splits long strings into adjacent literals on word boundaries
    const chunks = v.split(/(?<=\s)/);
    const lines: string[] = [];
    let cur = '';
    const max = width - indent - 2;
    for (const c of chunks) {
      if (cur && pyStr(cur + c).length > max) {
        lines.push(cur);
        cur = c;
      } else cur += c;
    }
    if (cur) lines.push(cur);
    if (lines.length === 1) return rep;
    return '(' + lines.map(pyStr).join('\n' + ' '.repeat(indent + 1)) + ')';
  }
  return rep;
}

/** Python's `"%s" % value` for scalars (str() of the value). */
export function pyStrOf(v: unknown): string {
  if (typeof v === 'string') return v;
  return pyRepr(v);
}
