/**
 * Python's pprint.pformat() for decoded XML-RPC values, so `koji call` and other commands print
 * exactly what the stock (Python) CLI prints: the repr of src/protocol/pyrepr.ts with dict keys
 * sorted, wrapped at 80 columns as pprint does.
 */
import { isStruct } from '../protocol/values.ts';
import { pyRepr, pyStr } from '../protocol/pyrepr.ts';

const sorted = { sortDicts: true };

/** pprint.pformat(obj) with the defaults (indent=1, width=80, sort_dicts=True). */
export function pformat(v: unknown, width = 80): string {
  return format(v, 0, width, 0);
}

function format(v: unknown, indent: number, width: number, allowance: number): string {
  const rep = pyRepr(v, sorted);
  if (rep.length <= width - indent - allowance) return rep;
  if (isStruct(v)) {
    const keys = Object.keys(v).sort();
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
