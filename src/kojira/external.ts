/**
 * External repos as kojira follows them: for each external repo some tag uses, the newest
 * `<timestamp>` of its `repodata/repomd.xml` (per arch where the URL has `$arch`, over the hub's
 * arches), recorded with `repo.setExternalRepoData(id, {max_ts})` when it grew — which the hub
 * counts as a change of the tags using it. `file://` URLs are read from disk.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { SaxesParser } from 'saxes';
import type { ClientSession } from '../protocol/client.ts';
import type { XmlRpcStruct } from '../protocol/values.ts';
import type { LineLog } from '../util/line-log.ts';

const REPO_NS = 'http://linux.duke.edu/metadata/repo';

/** The largest timestamp (rounded) in a repomd.xml, or null when it has none. */
export function repomdMaxTimestamp(xml: string): number | null {
  const parser = new SaxesParser({ xmlns: true });
  let inTs = false;
  let text = '';
  let max: number | null = null;
  parser.on('opentag', (t) => {
    inTs = t.local === 'timestamp' && t.uri === REPO_NS;
    text = '';
  });
  parser.on('text', (t) => {
    if (inTs) text += t;
  });
  parser.on('closetag', () => {
    if (inTs) {
      const v = Math.round(Number(text.trim()));
      if (Number.isFinite(v)) max = Math.max(max ?? v, v);
    }
    inTs = false;
  });
  parser.write(xml).close();
  return max;
}

/** [status, body] of a URL (http(s) with a 5 s timeout, or file://). */
async function get(url: string): Promise<[number, string]> {
  if (url.startsWith('file://')) {
    try {
      return [200, await readFile(fileURLToPath(url), 'utf8')];
    } catch {
      return [404, ''];
    }
  }
  const r = await fetch(url, { signal: AbortSignal.timeout(5000) });
  return [r.status, r.ok ? await r.text() : ''];
}

/** One external repo: its newest timestamp over its (arch-expanded) URLs, recorded when newer. */
async function checkOne(session: ClientSession, log: LineLog, repo: { id: number; url: string }, arches: string[], cache: Map<string, number>): Promise<void> {
  let urls = [repo.url];
  if (repo.url.includes('$arch')) {
    if (!arches.length) return;
    urls = arches.map((a) => repo.url.replaceAll('$arch', a));
  }
  const data = (await session.call<XmlRpcStruct | null>('repo.getExternalRepoData', [repo.id])) ?? {};
  const orig = typeof data.max_ts === 'number' ? data.max_ts : 0;
  let newTs = 0;
  for (const u of urls) {
    const url = `${u.replace(/\/+$/, '')}/repodata/repomd.xml`;
    let ts = cache.get(url);
    if (ts === undefined) {
      ts = 0;
      try {
        const [status, body] = await get(url);
        if (status === 404) log.debug(`External repo url not found: ${url}`);
        else if (status !== 200) log.warn(`Error reading external repo url ${url}: HTTP ${status}`);
        else ts = repomdMaxTimestamp(body) ?? 0;
      } catch {
        log.warn(`Unable to read timestamp for external repo: ${url}`);
      }
      cache.set(url, ts);
    }
    newTs = Math.max(newTs, ts);
  }
  if (newTs === 0) log.warn(`Unable to determine timestamp for external repo: ${repo.url}`);
  else if (newTs > orig) {
    log.info(`Updating timestamp for external repo ${repo.id}: ${newTs}`);
    await session.call('repo.setExternalRepoData', [repo.id, { max_ts: newTs }]);
  }
}

/** RepoManager.checkExternalRepos: every external repo in use by some tag. */
export async function checkExternalRepos(session: ClientSession, log: LineLog): Promise<void> {
  const used = await session.call<XmlRpcStruct[]>('getTagExternalRepos');
  const repos = new Map<number, { id: number; url: string }>();
  for (const t of used) repos.set(t.external_repo_id as number, { id: t.external_repo_id as number, url: String(t.url) });
  const arches = await session.call<string[]>('getAllArches');
  if (!arches.length) log.warn('No arches reported by hub. Are any hosts enabled? Unable to check external repos containing $arch');
  const cache = new Map<string, number>();
  for (const id of [...repos.keys()].sort((a, b) => a - b)) await checkOne(session, log, repos.get(id) as { id: number; url: string }, arches, cache);
}
