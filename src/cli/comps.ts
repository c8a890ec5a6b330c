/**
 * Reading a comps.xml for import-comps the way libcomps does (groups only: id, untranslated name
 * and description, default, uservisible, biarchonly, langonly, packagereqs with
 * type/requires/basearchonly; categories and environments ignored). Writing comps is
 * util/comps.ts.
 */
import { readFileSync } from 'node:fs';
import { SaxesParser } from 'saxes';
import { PyError } from './commands/common.ts';

export type CompsPackageType = 'mandatory' | 'default' | 'optional' | 'conditional' | 'unknown';

export interface CompsPackage {
  name: string;
  type: CompsPackageType;
  basearchonly: boolean;
  requires: string | null;
}

export interface CompsGroup {
  id: string | null;
  name: string | null;
  desc: string | null;
  default: boolean;
  uservisible: boolean;
  biarchonly: boolean;
  langOnly: string | null;
  packages: CompsPackage[];
}

function packageType(t: string | undefined): CompsPackageType {
  if (t === undefined || t === 'mandatory') return 'mandatory';
  if (t === 'default' || t === 'optional' || t === 'conditional') return t;
  return 'unknown';
}

/**
 * Text as libcomps keeps it: expat hands each newline over on its own and whitespace-only
 * pieces are dropped; an element with no other text has none.
 */
function elementText(raw: string): string | null {
  const kept = raw.split(/(\n)/).filter((piece) => piece !== '' && !/^\s+$/.test(piece));
  return kept.length ? kept.join('') : null;
}

const FLAGS = { default: 'default', uservisible: 'uservisible', biarchonly: 'biarchonly' } as const;

/** Read the groups of a comps document (libcomps' Comps.fromxml_str, groups part). */
export function parseComps(xml: string): CompsGroup[] {
  const parser = new SaxesParser({ xmlns: false, position: true });
  const groups: CompsGroup[] = [];
  const path: string[] = [];
  let text = '';
  let pkgAttrs: Record<string, string> | null = null;
  let fatal: Error | null = null;
  parser.on('error', (e) => {
    fatal ??= e;
  });
  parser.on('opentag', (tag) => {
    const parent = path[path.length - 1];
    path.push(tag.name);
    text = '';
    if (tag.name === 'group' && parent === 'comps') {
      groups.push({ id: null, name: null, desc: null, default: false, uservisible: true, biarchonly: false, langOnly: null, packages: [] });
    } else if (tag.name === 'packagereq' && parent === 'packagelist' && path[path.length - 3] === 'group') {
      pkgAttrs = tag.attributes as Record<string, string>;
    }
  });
  parser.on('text', (t) => {
    text += t;
  });
  parser.on('cdata', (t) => {
    text += t;
  });
  parser.on('closetag', (tag) => {
    path.pop();
    const parent = path[path.length - 1];
    const group = groups[groups.length - 1];
    const value = elementText(text);
    text = '';
    if (parent === 'group' && group && path[path.length - 2] === 'comps') {
      const lang = (tag.attributes as Record<string, string>)['xml:lang'];
      if (tag.name === 'id' && value !== null) group.id = value;
      else if (tag.name === 'name' && value !== null && lang === undefined) group.name = value;
      else if (tag.name === 'description' && value !== null && lang === undefined) group.desc = value;
      else if (tag.name === 'langonly') group.langOnly = value;
      else if (tag.name in FLAGS && (value === 'true' || value === 'false')) group[FLAGS[tag.name as keyof typeof FLAGS]] = value === 'true';
    } else if (tag.name === 'packagereq' && pkgAttrs && group) {
      if (value !== null) {
        group.packages.push({ name: value, type: packageType(pkgAttrs.type), basearchonly: pkgAttrs.basearchonly === 'true', requires: pkgAttrs.requires ?? null });
      }
      pkgAttrs = null;
    }
  });
  try {
    parser.write(xml).close();
  } catch (e) {
    fatal ??= e as Error;
  }
  if (fatal) throw new PyError('ParserError', 'Fatal parser error');
  return groups;
}

/** Read and parse a comps file, failing as the stock CLI (with libcomps) does. */
export function readCompsFile(path: string): CompsGroup[] {
  let xml: string;
  try {
    xml = readFileSync(path, 'utf8');
  } catch {
    throw new PyError('OSError', `Cannot open ${path} for reading`);
  }
  return parseComps(xml);
}
