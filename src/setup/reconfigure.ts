/**
 * Carry a change of ports or listen address (`kojits up --https-port N` on an existing data
 * folder) into the config files that mention them, so that where the hub listens, what the
 * client profiles, the builder, kojira and the web are told, and DIR/etc/kojits.json agree.
 *
 * Files are edited, not rewritten: each key whose rendered value differs between the old and
 * the new settings is replaced where the file still holds the old value; a key (or section) the
 * new settings add — Kerberos keys when a realm is given — is appended to its section. A value
 * edited by hand is left alone (and reported); everything else in the file — comments, other
 * keys, policies — stays as it is.
 */
import { existsSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { parseIni } from '../config/ini.ts';

export interface ValueEdit {
  section: string;
  /** lower-case key */
  key: string;
  /** null: the key is new (added to the section) */
  from: string | null;
  to: string;
  /** a new key as spelt in the new text (the parser lower-cases keys) */
  name?: string;
}

/** How `key` (lower case) is spelt in INI `text`. */
function spelling(text: string, key: string): string {
  for (const line of text.split('\n')) {
    const m = /^([^=:\s#;[][^=:]*?)\s*[=:]/.exec(line);
    if (m && m[1].trim().toLowerCase() === key) return m[1].trim();
  }
  return key;
}

/** Keys whose values differ between two renderings of the same file. */
export function valueEdits(oldText: string, newText: string): ValueEdit[] {
  const before = parseIni(oldText);
  const edits: ValueEdit[] = [];
  for (const [name, sec] of parseIni(newText)) {
    for (const [key, to] of sec.values) {
      const from = before.get(name)?.values.get(key);
      if (from !== to) edits.push({ section: name, key, from: from ?? null, to, ...(from === undefined ? { name: spelling(newText, key) } : {}) });
    }
  }
  return edits;
}

/**
 * Apply `edits` to INI text (configparser syntax): returns the new text and the edits that
 * found another value (or no such key) and were skipped.
 */
export function applyEdits(text: string, edits: ValueEdit[]): { text: string; skipped: Array<ValueEdit & { current: string | null }> } {
  const done = new Set<ValueEdit>();
  const seen = new Map<ValueEdit, string>();
  let section: string | null = null;
  const lines = text.split('\n').map((line) => {
    const sm = /^\[([^\]]+)\]\s*$/.exec(line.trim());
    if (sm && !/^\s/.test(line)) {
      section = sm[1];
      return line;
    }
    if (/^\s/.test(line) || /^[#;]/.test(line)) return line;
    const km = /^([^=:\s][^=:]*?)(\s*[=:]\s*)(.*?)(\r?)$/.exec(line);
    if (!km) return line;
    const e = edits.find((x) => x.section === section && x.key === km[1].trim().toLowerCase());
    if (!e) return line;
    seen.set(e, km[3].trim());
    if (e.from === null && km[3].trim() === e.to) done.add(e);
    if (km[3].trim() !== e.from) return line;
    done.add(e);
    return `${km[1]}${km[2]}${e.to}${km[4]}`;
  });
  // new keys: at the end of their section (or in a new section at the end of the file)
  for (const e of edits) {
    if (e.from !== null || seen.has(e)) continue;
    const at = sectionEnd(lines, e.section);
    const line = `${e.name ?? e.key} = ${e.to}`;
    if (at === null) lines.push('', `[${e.section}]`, line);
    else lines.splice(at, 0, line);
    done.add(e);
  }
  const skipped = edits.filter((e) => !done.has(e)).map((e) => ({ ...e, current: seen.get(e) ?? null }));
  return { text: lines.join('\n'), skipped };
}

/** Index after the last key line of `section` (before its trailing blank and comment lines), or null. */
function sectionEnd(lines: string[], section: string): number | null {
  let inSection = false;
  let last: number | null = null;
  for (let i = 0; i < lines.length; i++) {
    const sm = /^\[([^\]]+)\]\s*$/.exec(lines[i].trim());
    if (sm && !/^\s/.test(lines[i])) {
      if (inSection) break;
      inSection = sm[1] === section;
      if (inSection) last = i + 1;
      continue;
    }
    if (inSection && lines[i].trim() !== '' && !/^[#;]/.test(lines[i])) last = i + 1;
  }
  return last;
}

/**
 * Edit `file` from its old rendering to its new one (see the module comment). Returns whether
 * the file changed, and a message for each value left alone.
 */
export function updateConfigFile(file: string, oldText: string, newText: string): { changed: boolean; notes: string[] } {
  if (!existsSync(file)) return { changed: false, notes: [] };
  const edits = valueEdits(oldText, newText);
  if (edits.length === 0) return { changed: false, notes: [] };
  const current = readFileSync(file, 'utf8');
  const { text, skipped } = applyEdits(current, edits);
  const notes = skipped.map((s) =>
    s.current === null
      ? `${file}: no ${s.key} in [${s.section}] to change from ${s.from} to ${s.to}; left as it is`
      : s.from === null
        ? `${file}: [${s.section}] ${s.key} is already set to ${s.current}; left alone (init would set ${s.to})`
        : `${file}: [${s.section}] ${s.key} reads ${s.current}, not ${s.from} as written by init; left alone (the new value would be ${s.to})`,
  );
  if (text === current) return { changed: false, notes };
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text, { mode: statSync(file).mode & 0o777 });
  renameSync(tmp, file);
  return { changed: true, notes };
}
