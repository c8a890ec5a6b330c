/**
 * Cached roots, one per (repo URL, repo id, group, arch): made once with dnf, then cloned per
 * build — `cp -al` (hard links: ~0.1 s for a few hundred MB) plus real copies of the rpm and
 * dnf databases, which dnf modifies in place. The clone is safe because builds run with the
 * root read-only but /builddir, and dnf (installing BuildRequires) replaces files by rename,
 * never writing through a shared inode. Layout under the cache folder:
 *   roots/<key>/root, roots/<key>/meta.json   a cached root and what it was made from
 *   roots/.new-*                              one being made (renamed into place when done)
 *   dnf/<key>                                 dnf's metadata cache of that repo
 *   clones/<name>                             the roots of running builds (removed after each)
 */
import { createHash } from 'node:crypto';
import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, statSync, statfsSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { dnfArgv, dnfEnv, installedRpms, missingFromOutput } from './dnf.ts';
import { repoView, sameView, type RepoView } from './seed.ts';
import type { RootLogs } from './run.ts';
import { BuildrootError, MissingDependencies } from './types.ts';

const run = promisify(execFile);

export interface RootKey {
  repoUrl: string;
  repoId: number;
  group: string;
  arch: string;
  /** the build tag: a root of its previous repo may seed the new one's (not part of the key) */
  tag?: string;
}

export interface RootMeta extends RootKey {
  created: string;
  seconds: number;
  /** the repo as the root's packages saw it (seed.ts), null when it could not be read */
  view?: RepoView | null;
  /** the cached root it was derived from, when seeded */
  seededFrom?: string;
}

/** Mount points bwrap needs in a read-only root (it cannot make them there). */
export const MOUNT_POINTS = ['builddir', 'srpm', 'proc', 'dev', 'sys', 'tmp', 'var/tmp', 'run'];

/** Free space a new root needs (a C build root is ~420 MB). */
export const ROOT_MB = 1024;

export function freeMb(dir: string): number {
  const s = statfsSync(dir);
  return Math.floor((s.bavail * s.bsize) / 2 ** 20);
}

export function checkFreeSpace(dir: string, needMb: number, what: string): void {
  const mb = freeMb(dir);
  if (mb < needMb) {
    throw new BuildrootError(`not enough free disk space for ${what}: ${dir} has ${mb} MB free, ${needMb} MB are needed; free some space there or set mockdir in kojid.conf to a larger file system`);
  }
}

/** An empty merged-/usr root (Debian 12's debs still ship /bin/x). */
function prepareEmptyRoot(root: string): void {
  for (const d of ['usr/bin', 'usr/sbin', 'usr/lib', 'usr/lib64']) mkdirSync(join(root, d), { recursive: true });
  for (const d of ['bin', 'sbin', 'lib', 'lib64']) symlinkSync(`usr/${d}`, join(root, d));
}

/** What dnf leaves that must not be shared by hard links, and the mount points. */
function finishRoot(root: string): void {
  for (const d of ['var/log/dnf.log', 'var/log/dnf.librepo.log', 'var/log/dnf.rpm.log', 'var/log/hawkey.log', 'var/cache/dnf']) rmSync(join(root, d), { recursive: true, force: true });
  for (const e of existsSync(join(root, 'tmp')) ? readdirSync(join(root, 'tmp')) : []) rmSync(join(root, 'tmp', e), { recursive: true, force: true });
  for (const d of MOUNT_POINTS) mkdirSync(join(root, d), { recursive: true });
}

export class RootCache {
  constructor(readonly dir: string) {}

  keyOf(k: RootKey): string {
    return createHash('sha256').update(JSON.stringify([k.repoUrl, k.repoId, k.group, k.arch])).digest('hex').slice(0, 20);
  }

  dnfCache(k: RootKey): string {
    return join(this.dir, 'dnf', this.keyOf(k));
  }

  /** The cached root of `k`, made now (logged to root.log) when there is none. */
  async get(k: RootKey, logs: RootLogs, signal?: AbortSignal): Promise<{ root: string; made: boolean }> {
    const base = join(this.dir, 'roots', this.keyOf(k));
    if (existsSync(join(base, 'meta.json'))) {
      const now = new Date();
      utimesSync(join(base, 'meta.json'), now, now);
      return { root: join(base, 'root'), made: false };
    }
    mkdirSync(join(this.dir, 'roots'), { recursive: true });
    checkFreeSpace(this.dir, ROOT_MB, `a new buildroot of ${k.group} from ${k.repoUrl}`);
    const t0 = Date.now();
    const tmp = mkdtempSync(join(this.dir, 'roots', '.new-'));
    chmodSync(tmp, 0o755);
    try {
      const root = join(tmp, 'root');
      const seeded = await this.fromSeed(k, tmp, logs);
      let view = seeded?.view ?? null;
      if (!seeded) {
        await this.install(k, root, tmp, logs, signal);
        view = await repoView(k.repoUrl, k.group, (await installedRpms(root)).map((p) => p.name)).catch((e: Error) => {
          logs.line('root.log', `the repo's package data could not be read (${e.message}): the next repo of ${k.tag} gets a new root`);
          return null;
        });
      }
      const meta: RootMeta = { ...k, created: new Date().toISOString(), seconds: (Date.now() - t0) / 1000, view, seededFrom: seeded?.from };
      writeFileSync(join(tmp, 'meta.json'), `${JSON.stringify(meta)}\n`);
      rmSync(join(tmp, 'dnf'), { recursive: true, force: true });
      try {
        renameSync(tmp, base);
      } catch (e) {
        // another build made it meanwhile: use that one
        if (!existsSync(join(base, 'meta.json'))) throw e;
      }
      return { root: join(base, 'root'), made: true };
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }

  /** `@group` installed by dnf into a new `root` (in the folder `tmp`). */
  private async install(k: RootKey, root: string, tmp: string, logs: RootLogs, signal?: AbortSignal): Promise<void> {
    prepareEmptyRoot(root);
    const place = { root, repoUrl: k.repoUrl, cacheDir: this.dnfCache(k), stateDir: join(tmp, 'dnf') };
    const before = existsSync(logs.file('root.log')) ? statSync(logs.file('root.log')).size : 0;
    const r = await logs.run(dnfArgv(place, ['install', `@${k.group}`]), 'root.log', { env: dnfEnv(place), signal });
    if (r.failure && signal?.aborted) throw new BuildrootError(`making the buildroot of ${k.group} for repo ${k.repoId} was cancelled`);
    if (r.failure) {
      const text = readFileSync(logs.file('root.log'), 'utf8').slice(before);
      const missing = missingFromOutput(text);
      const msg = `cannot install @${k.group} from ${k.repoUrl} (repo ${k.repoId}): ${missing.length ? `no package provides ${missing.join(', ')}` : `dnf exited with status ${r.code ?? r.signal}`}`;
      throw missing.length ? new MissingDependencies(missing, msg) : new BuildrootError(msg);
    }
    finishRoot(root);
  }

  /** The newest cached root of the same tag, group and arch with a view of its repo. */
  private seedOf(k: RootKey): { base: string; meta: RootMeta } | null {
    if (!k.tag) return null;
    let best: { base: string; meta: RootMeta } | null = null;
    const rootsDir = join(this.dir, 'roots');
    for (const e of readdirSync(rootsDir)) {
      const file = join(rootsDir, e, 'meta.json');
      if (e.startsWith('.') || !existsSync(file)) continue;
      const meta = JSON.parse(readFileSync(file, 'utf8')) as RootMeta;
      if (meta.tag !== k.tag || meta.group !== k.group || meta.arch !== k.arch || !meta.view) continue;
      if (!best || meta.created > best.meta.created) best = { base: join(rootsDir, e), meta };
    }
    return best;
  }

  /** `tmp`/root as a copy of a seed root when the new repo offers the same packages (seed.ts), else null. */
  private async fromSeed(k: RootKey, tmp: string, logs: RootLogs): Promise<{ view: RepoView; from: string } | null> {
    const seed = this.seedOf(k);
    if (!seed?.meta.view) return null;
    const view = await repoView(k.repoUrl, k.group, Object.keys(seed.meta.view.offers)).catch(() => null);
    if (!view || !sameView(view, seed.meta.view)) {
      logs.line('root.log', `repo ${k.repoId} changes the packages of the root of repo ${seed.meta.repoId}: a new root`);
      return null;
    }
    await this.copyRoot(join(seed.base, 'root'), join(tmp, 'root'));
    logs.line('root.log', `repo ${k.repoId} offers the packages of the root of repo ${seed.meta.repoId} unchanged: that root is reused`);
    return { view, from: seed.base };
  }

  /** A fresh folder for a clone. */
  newClonePath(label: string): string {
    mkdirSync(join(this.dir, 'clones'), { recursive: true });
    const dest = mkdtempSync(join(this.dir, 'clones', `${label.replace(/[^\w.-]/g, '_')}-`));
    // the build's unprivileged uid must reach the root
    chmodSync(dest, 0o755);
    return dest;
  }

  /** Clone `root` into the (new, empty) folder `dest`/root; returns that path. */
  async clone(root: string, dest: string): Promise<string> {
    checkFreeSpace(this.dir, 256, 'a buildroot clone');
    const target = join(dest, 'root');
    await this.copyRoot(root, target);
    return target;
  }

  /** Hard links of `root` at `target`, the databases dnf modifies in place copied. */
  private async copyRoot(root: string, target: string): Promise<void> {
    await run('cp', ['-al', root, target]);
    for (const d of ['var/lib/rpm', 'var/lib/dnf']) {
      if (!existsSync(join(root, d))) continue;
      rmSync(join(target, d), { recursive: true, force: true });
      await run('cp', ['-a', join(root, d), join(target, d)]);
    }
  }

  /**
   * Remove cached roots whose repo is gone (a file:// repo without repodata, or `gone(meta)`
   * says so) or unused for `maxAgeDays`, and what crashed builds left (.new-* and clones older
   * than a day). Returns the removed folders.
   */
  async prune(o: { gone?: (m: RootMeta) => boolean | Promise<boolean>; maxAgeDays?: number } = {}): Promise<string[]> {
    const removed: string[] = [];
    const rootsDir = join(this.dir, 'roots');
    const day = 86400_000;
    const old = (p: string, ms: number) => Date.now() - statSync(p).mtimeMs > ms;
    for (const e of existsSync(rootsDir) ? readdirSync(rootsDir) : []) {
      const base = join(rootsDir, e);
      let drop: boolean;
      if (e.startsWith('.new-')) drop = old(base, day);
      else {
        const metaFile = join(base, 'meta.json');
        if (!existsSync(metaFile)) drop = old(base, day);
        else {
          const meta = JSON.parse(readFileSync(metaFile, 'utf8')) as RootMeta;
          drop = repoGone(meta.repoUrl) || (o.gone ? await o.gone(meta) : false) || (o.maxAgeDays !== undefined && old(metaFile, o.maxAgeDays * day));
          if (drop) rmSync(join(this.dir, 'dnf', e), { recursive: true, force: true });
        }
      }
      if (drop) {
        rmSync(base, { recursive: true, force: true });
        removed.push(base);
      }
    }
    const clones = join(this.dir, 'clones');
    for (const e of existsSync(clones) ? readdirSync(clones) : []) {
      if (old(join(clones, e), day)) {
        rmSync(join(clones, e), { recursive: true, force: true });
        removed.push(join(clones, e));
      }
    }
    return removed;
  }
}

/** A file:// repo whose repodata is no longer there. */
function repoGone(url: string): boolean {
  if (!url.startsWith('file:')) return false;
  return !existsSync(join(fileURLToPath(url), 'repodata', 'repomd.xml'));
}
