/**
 * No fault text shows where the hub keeps its files or its code: paths under KojiDir are given
 * relative to it; in errors that are not Koji's, other absolute paths are cut to their last
 * component. (With KojiDebug the admin asked for the whole story: faultOf leaves text alone.)
 */

/** Absolute paths: a '/' not preceded by a word, '.', '~', ':' or '/', followed by a path. */
const ABSOLUTE_PATH = /(?<![\w.~:/-])\/(?:[^\s'"`/:,;()<>[\]{}]+\/)*[^\s'"`/:,;()<>[\]{}]*/g;

/**
 * Fault text without server paths: KojiDir's own paths become relative to it; with `all` (errors
 * that are not Koji's, whose text nobody wrote for callers) any other absolute path is cut too.
 */
export function scrubPaths(text: string, kojiDir: string, all: boolean): string {
  const top = kojiDir.replace(/\/+$/, '');
  let out = text;
  if (top) out = out.split(`${top}/`).join('').split(top).join('.');
  if (!all) return out;
  return out.replace(ABSOLUTE_PATH, (p) => {
    const parts = p.split('/').filter(Boolean);
    return parts.length <= 1 ? p : `…/${parts[parts.length - 1]}`;
  });
}
