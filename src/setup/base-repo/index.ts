/**
 * `kojits base-repo DIR`: a createrepo_c'd repo of real RPMs converted from this machine's
 * Debian packages, able to populate a buildroot (buildroots.md), with DIR/groups.txt and the
 * groups as the repo's comps. Converted RPMs are cached by the .deb's sha256 under `cacheDir`,
 * so a re-run asks apt for the closure and checksums, downloads and converts nothing, and
 * takes seconds. Runs as root or not (apt-get download, alien --generate and rpmbuild need no
 * root; file ownership is set to root by the specs).
 */
import { copyFileSync, linkSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { closureRecords, downloadDebs, type DebRef } from './apt.ts';
import { cachedRpm, convertDeb, debKey, tool } from './convert.ts';
import { glueRpm } from './glue.ts';
import { compsXml, debianPackages, groupsTxt } from './groups.ts';
import { sha256File } from './hash.ts';

export interface BaseRepoOptions {
  dir: string;
  /** where converted RPMs are kept (default: defaultCacheDir()) */
  cacheDir?: string;
  /** conversions run at once (default 2) */
  jobs?: number;
  log?: (line: string) => void;
}

export interface BaseRepoResult {
  dir: string;
  rpms: number;
  converted: number;
  seconds: number;
}

/** $XDG_CACHE_HOME/koji-ts/base-repo, else ~/.cache/koji-ts/base-repo. */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'koji-ts', 'base-repo');
}

const MIN_FREE_MB = 1024;

function checkFreeSpace(dir: string, what: string): void {
  const s = statfsSync(dir);
  const mb = Math.floor((s.bavail * s.bsize) / 2 ** 20);
  if (mb < MIN_FREE_MB) throw new Error(`${what} ${dir} has ${mb} MB free; making the base repo needs about ${MIN_FREE_MB} MB: free some space or pass another --cache-dir`);
}

async function pool<T>(items: T[], jobs: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.max(1, jobs) }, worker));
}

/** Download and convert the .debs that have no cached RPM. */
async function convertMissing(missing: DebRef[], cacheDir: string, work: string, jobs: number, log: (l: string) => void): Promise<void> {
  const debDir = join(work, 'debs');
  mkdirSync(debDir);
  log(`downloading ${missing.length} .debs`);
  const debs = await downloadDebs(missing, debDir);
  const t0 = Date.now();
  let done = 0;
  await pool(
    missing.map((ref, i) => ({ ref, deb: debs[i] })),
    jobs,
    async ({ ref, deb }) => {
      const sha = await sha256File(deb);
      if (sha !== ref.sha256) throw new Error(`${basename(deb)}: sha256 ${sha} differs from the package index's ${ref.sha256}: run apt-get update and try again`);
      await convertDeb(deb, sha, cacheDir, work);
      rmSync(deb);
      if (++done % 10 === 0 || done === missing.length) log(`converted ${done} of ${missing.length} (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
    },
  );
}

/** Hard-link (or copy, across file systems) `file` into `dir`. */
function place(file: string, dir: string): void {
  const dest = join(dir, basename(file));
  try {
    linkSync(file, dest);
  } catch {
    copyFileSync(file, dest);
  }
}

export async function makeBaseRepo(o: BaseRepoOptions): Promise<BaseRepoResult> {
  const t0 = Date.now();
  const log = o.log ?? (() => {});
  const dir = resolve(o.dir);
  const cacheDir = resolve(o.cacheDir ?? defaultCacheDir());
  mkdirSync(cacheDir, { recursive: true });
  mkdirSync(dir, { recursive: true });
  log(`resolving the closure of ${debianPackages().length} Debian packages`);
  const { refs } = await closureRecords(debianPackages(), cacheDir);
  const missing = refs.filter((r) => !cachedRpm(cacheDir, debKey(r.sha256)));
  log(`${refs.length} packages, ${refs.length - missing.length} converted already (cache ${cacheDir})`);
  const work = mkdtempSync(join(cacheDir, '.work-'));
  try {
    if (missing.length) {
      checkFreeSpace(cacheDir, 'the cache folder');
      await convertMissing(missing, cacheDir, work, o.jobs ?? 2, log);
    }
    const rpms = refs.map((r) => cachedRpm(cacheDir, debKey(r.sha256)) as string);
    rpms.push(await glueRpm(cacheDir, work));
    for (const f of readdirSync(dir)) if (f.endsWith('.rpm') || f === 'repodata') rmSync(join(dir, f), { recursive: true, force: true });
    for (const f of rpms) place(f, dir);
    writeFileSync(join(dir, 'groups.txt'), groupsTxt());
    writeFileSync(join(dir, 'comps.xml'), compsXml());
    log(`createrepo_c ${dir}`);
    await tool('createrepo_c', ['--quiet', '--no-database', '-g', join(dir, 'comps.xml'), dir]);
    const seconds = (Date.now() - t0) / 1000;
    log(`${dir}: ${rpms.length} RPMs (${missing.length} converted now) in ${seconds.toFixed(1)} s; groups in ${join(dir, 'groups.txt')}`);
    return { dir, rpms: rpms.length, converted: missing.length, seconds };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

