/**
 * Carry a change of ports or listen address (`kojits up --https-port N` on an existing data
 * folder) into the config files that mention them, so that where the hub listens, what the
 * client profiles, the builder, kojira and the web are told, and DIR/etc/kojits.json agree.
 *
 * Files are edited, not rewritten: each key whose rendered value differs between the old and
 * the new settings is replaced where the file still holds the old value. A value edited by
 * hand is left alone (and reported); everything else in the file — comments, other keys,
 * policies — stays as it is.
 */
import { existsSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { parseIni } from '../config/ini.ts';

export interface ValueEdit {
  section: string;
  /** lower-case key */
  key: string;
  from: string;
  to: string;
}

/** Keys whose values differ between two renderings of the same file. */
export function valueEdits(oldText: string, newText: string): ValueEdit[] {
  const before = parseIni(oldText);
  const edits: ValueEdit[] = [];
  for (const [name, sec] of parseIni(newText)) {
    for (const [key, to] of sec.values) {
      const from = before.get(name)?.values.get(key);
      if (from !== undefined && from !== to) edits.push({ section: name, key, from, to });
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
    if (km[3].trim() !== e.from) return line;
    done.add(e);
    return `${km[1]}${km[2]}${e.to}${km[4]}`;
  });
  const skipped = edits.filter((e) => !done.has(e)).map((e) => ({ ...e, current: seen.get(e) ?? null }));
  return { text: lines.join('\n'), skipped };
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
      : `${file}: [${s.section}] ${s.key} reads ${s.current}, not ${s.from} as written by init; left alone (the new value would be ${s.to})`,
  );
  if (text === current) return { changed: false, notes };
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text, { mode: statSync(file).mode & 0o777 });
  renameSync(tmp, file);
  return { changed: true, notes };
}
