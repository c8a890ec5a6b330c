/**
 * Reader for Koji's INI files with Python configparser semantics, which Koji's formats rely on
 * and the npm `ini` package does not implement: option names are case-insensitive, `=` or `:`
 * separates, whole-line `#`/`;` comments, indented lines continue the previous value (hub.conf's
 * [policy] rules are multi-line values), and [DEFAULT] feeds every section. Hand-written because
 * no maintained npm package implements these rules; it is small and fully tested.
 */
export interface IniSection {
  /** Section name as written. */
  name: string;
  /** Lower-cased option name → value. */
  values: Map<string, string>;
  /** Lower-cased option name → the name as written (for messages). */
  spelled: Map<string, string>;
  /** Lower-cased option name → "file:line" where it was set. */
  where: Map<string, string>;
}

export type IniFile = Map<string, IniSection>;

export class IniError extends Error {}

export function parseIni(text: string, source = '<string>', into: IniFile = new Map()): IniFile {
  let section: IniSection | null = null;
  let lastKey: string | null = null;
  let pendingBlank = 0;
  const lines = text.split(/\r?\n/);
  lines.forEach((line, i) => {
    const lineNo = i + 1;
    if (/^\s*$/.test(line)) {
      if (lastKey) pendingBlank += 1;
      return;
    }
    if (/^[#;]/.test(line.trimStart())) return; // whole-line comment, indented or not
    if (/^\s/.test(line) && section && lastKey) {
      const prev = section.values.get(lastKey) ?? '';
      section.values.set(lastKey, prev + '\n'.repeat(pendingBlank + 1) + line.trim());
      pendingBlank = 0;
      return;
    }
    pendingBlank = 0;
    const sm = /^\[([^\]]+)\]\s*$/.exec(line.trim());
    if (sm) {
      const name = sm[1];
      section = into.get(name) ?? { name, values: new Map(), spelled: new Map(), where: new Map() };
      into.set(name, section);
      lastKey = null;
      return;
    }
    const km = /^([^=:\s][^=:]*?)\s*[=:]\s*(.*)$/.exec(line);
    if (!km) {
      throw new IniError(`${source}:${lineNo}: cannot parse line ${JSON.stringify(line.trim())} (expected "key = value" or "[section]")`);
    }
    if (!section) throw new IniError(`${source}:${lineNo}: option ${JSON.stringify(km[1])} appears before any [section] header`);
    const key = km[1].trim().toLowerCase();
    section.values.set(key, km[2].trim());
    section.spelled.set(key, km[1].trim());
    section.where.set(key, `${source}:${lineNo}`);
    lastKey = key;
  });
  // [DEFAULT] provides values to every other section
  const defaults = into.get('DEFAULT');
  if (defaults) {
    for (const s of into.values()) {
      if (s === defaults) continue;
      for (const [k, v] of defaults.values) {
        if (!s.values.has(k)) {
          s.values.set(k, v);
          s.spelled.set(k, defaults.spelled.get(k) ?? k);
          s.where.set(k, defaults.where.get(k) ?? source);
        }
      }
    }
  }
  return into;
}

const TRUE = new Set(['1', 'yes', 'true', 'on']);
const FALSE = new Set(['0', 'no', 'false', 'off']);

/** configparser.getboolean */
export function parseBool(value: string): boolean | undefined {
  const v = value.trim().toLowerCase();
  if (TRUE.has(v)) return true;
  if (FALSE.has(v)) return false;
  return undefined;
}

/** Render sections back to text (used by `kojits init` to write config files). */
export function formatIni(sections: Array<{ name: string; comment?: string; entries: Array<[string, string | number | boolean] | string> }>): string {
  const out: string[] = [];
  for (const s of sections) {
    if (s.comment) out.push(...s.comment.split('\n').map((l) => `# ${l}`.trimEnd()));
    out.push(`[${s.name}]`);
    for (const e of s.entries) {
      if (typeof e === 'string') out.push(e === '' ? '' : `# ${e}`);
      else {
        const v = typeof e[1] === 'boolean' ? (e[1] ? 'True' : 'False') : String(e[1]);
        out.push(`${e[0]} = ${v.replace(/\n/g, '\n    ')}`);
      }
    }
    out.push('');
  }
  return out.join('\n');
}
