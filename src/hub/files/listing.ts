/**
 * Directory listings of /kojifiles/, in the spirit of Apache's autoindex (what a Koji
 * installation shows there): "Index of PATH", a parent link, then one line per entry sorted
 * by name (byte order), directories with a trailing slash, each a relative link, with its last
 * modification time (UTC) and size in bytes ("-" for directories and for links that cannot be
 * followed).
 */
import { opendir, stat } from 'node:fs/promises';
import { join } from 'node:path';

const NAME_WIDTH = 50;
const TIME_WIDTH = 19;

interface Entry {
  name: string;
  dir: boolean;
  size: number | null;
  mtime: Date | null;
}

const escapeHtml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function when(d: Date | null): string {
  return (d ? d.toISOString().slice(0, 16).replace('T', ' ') : '-').padEnd(TIME_WIDTH);
}

async function entries(dir: string): Promise<Entry[]> {
  const out: Entry[] = [];
  // one entry at a time: a folder like packages/ may hold very many
  for await (const d of await opendir(dir)) {
    try {
      const st = await stat(join(dir, d.name));
      out.push({ name: d.name, dir: st.isDirectory(), size: st.isDirectory() ? null : st.size, mtime: st.mtime });
    } catch {
      // a dangling link: listed, not followed
      out.push({ name: d.name, dir: false, size: null, mtime: null });
    }
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** The HTML listing of `dir`, shown as `urlPath` (ending in '/'). */
export async function renderListing(dir: string, urlPath: string, withParent: boolean): Promise<string> {
  const title = `Index of ${escapeHtml(urlPath)}`;
  const lines = [`${'Name'.padEnd(NAME_WIDTH)} ${'Last modified (UTC)'.padEnd(TIME_WIDTH)}  ${'Size'.padStart(12)}`, '<hr>'];
  if (withParent) lines.push(`<a href="../">Parent Directory</a>${' '.repeat(NAME_WIDTH - 16)} ${when(null)}  ${'-'.padStart(12)}`);
  for (const e of await entries(dir)) {
    const shown = e.name + (e.dir ? '/' : '');
    const href = encodeURIComponent(e.name) + (e.dir ? '/' : '');
    const pad = ' '.repeat(Math.max(1, NAME_WIDTH - [...shown].length));
    lines.push(`<a href="${href}">${escapeHtml(shown)}</a>${pad} ${when(e.mtime)}  ${(e.size === null ? '-' : String(e.size)).padStart(12)}`);
  }
  return [
    '<!DOCTYPE html>',
    '<html>',
    ` <head><meta charset="utf-8"><title>${title}</title></head>`,
    ' <body>',
    `<h1>${title}</h1>`,
    `<pre>${lines.join('\n')}\n<hr></pre>`,
    ' </body>',
    '</html>',
    '',
  ].join('\n');
}
