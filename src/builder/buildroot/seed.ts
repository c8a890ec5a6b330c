/**
 * Reusing the root of a tag's previous repo: kojira makes a new repo after every build tagged
 * into the tag, so each build would otherwise start with a new root made by dnf (5–8 s). A
 * cached root of the same tag, group and arch can stand for the new repo's when, in the new
 * repo, the group lists the same packages and every package installed in the root is offered
 * exactly as in the repo the root was made from (same name, epoch, version, release, arch, and
 * no other version beside it) — then dnf, asked for the group, would install the same set.
 * The repo is read from its repodata (file:// or http(s)://, primary and group data as gzip
 * or plain XML).
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

/** What a root's packages look like in one repo: per installed name, the offers sorted ("name-e:v-r.arch"). */
export interface RepoView {
  group: string[];
  offers: Record<string, string[]>;
}

async function fetchBytes(base: string, rel: string): Promise<Buffer> {
  const url = `${base.replace(/\/+$/, '')}/${rel}`;
  if (url.startsWith('file:')) return readFile(fileURLToPath(url));
  const r = await fetch(url, { signal: AbortSignal.timeout(60_000) });
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return Buffer.from(await r.arrayBuffer());
}

async function repodataText(base: string, repomd: string, type: string): Promise<string | null> {
  const m = new RegExp(`<data type="${type}">[\\s\\S]*?<location href="([^"]+)"`).exec(repomd);
  if (!m) return null;
  if (!/\.(gz|xml)$/.test(m[1])) throw new Error(`${m[1]}: only gzip or plain repodata is read`);
  const raw = await fetchBytes(base, m[1]);
  return (m[1].endsWith('.gz') ? gunzipSync(raw) : raw).toString('utf8');
}

const unescape = (s: string) => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&');

/** The package names of `group` in a comps document (null: no such group). */
export function compsGroupPackages(comps: string, group: string): string[] | null {
  for (const g of comps.matchAll(/<group>([\s\S]*?)<\/group>/g)) {
    if (unescape(/<id>([^<]*)<\/id>/.exec(g[1])?.[1] ?? '') !== group) continue;
    return [...g[1].matchAll(/<packagereq[^>]*>([^<]*)<\/packagereq>/g)].map((m) => unescape(m[1])).sort();
  }
  return null;
}

/** Offers of the packages named `names` in a primary.xml document. */
export function primaryOffers(primary: string, names: Set<string>): Record<string, string[]> {
  const offers: Record<string, string[]> = {};
  for (const n of names) offers[n] = [];
  for (const p of primary.matchAll(/<package type="rpm">([\s\S]*?)<\/package>/g)) {
    const name = unescape(/<name>([^<]*)<\/name>/.exec(p[1])?.[1] ?? '');
    if (!names.has(name)) continue;
    const arch = /<arch>([^<]*)<\/arch>/.exec(p[1])?.[1];
    const v = /<version epoch="([^"]*)" ver="([^"]*)" rel="([^"]*)"\/>/.exec(p[1]);
    if (arch && v) offers[name].push(`${name}-${v[1] || 0}:${unescape(v[2])}-${unescape(v[3])}.${arch}`);
  }
  for (const n of names) offers[n].sort();
  return offers;
}

/** The view of the repo at `repoUrl` for a root made from `group` holding packages named `names`. */
export async function repoView(repoUrl: string, group: string, names: string[]): Promise<RepoView | null> {
  const repomd = (await fetchBytes(repoUrl, 'repodata/repomd.xml')).toString('utf8');
  const [primary, comps] = await Promise.all([repodataText(repoUrl, repomd, 'primary'), repodataText(repoUrl, repomd, 'group')]);
  const pkgs = comps === null ? null : compsGroupPackages(comps, group);
  if (primary === null || pkgs === null) return null;
  return { group: pkgs, offers: primaryOffers(primary, new Set(names)) };
}

/** Whether two views would give the same root. */
export function sameView(a: RepoView, b: RepoView): boolean {
  const same = (x: string[], y: string[] | undefined) => y !== undefined && x.length === y.length && x.every((v, i) => v === y[i]);
  const names = Object.keys(a.offers);
  return same(a.group, b.group) && names.length === Object.keys(b.offers).length && names.every((n) => same(a.offers[n], b.offers[n]));
}
