/**
 * The base repo of `kojits base-repo` for tests, made once per machine and shared by test files
 * and runs: under os.tmpdir()/koji-ts-base-repo, the converted-RPM cache in cache/ and the repo
 * in repo-<key>/ (key: a hash of the groups, the glue spec and the conversion version, so a
 * change to them makes a new repo). Parallel workers take a lock folder; the first makes it
 * (a few minutes when nothing is cached), the others wait. Also: which of the tools the real
 * buildroot tests need are missing (they skip outside CI, fail under CI=true).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { CONVERSION } from '../../src/setup/base-repo/convert.ts';
import { glueSpec } from '../../src/setup/base-repo/glue.ts';
import { groupsTxt } from '../../src/setup/base-repo/groups.ts';
import { makeBaseRepo } from '../../src/setup/base-repo/index.ts';
import { which } from '../rpm/build-fixtures.ts';

export const BASE_REPO_ROOT = join(tmpdir(), 'koji-ts-base-repo');
export const BASE_REPO_CACHE = join(BASE_REPO_ROOT, 'cache');

const TOOLS = ['apt-get', 'apt-cache', 'dpkg-deb', 'alien', 'rpmbuild', 'rpm', 'createrepo_c', 'dnf', 'bwrap', 'setpriv', 'cp'];

/** What the real base-repo and buildroot tests need and this machine lacks (tools, root). */
export function missingForBuildroots(): string[] {
  const missing = TOOLS.filter((t) => which(t) === null);
  if (process.getuid?.() !== 0) missing.push('root (dnf --installroot and setpriv)');
  return missing;
}

/** Skip outside CI when something is missing; under CI=true the tests run and fail naming it. */
export const SKIP_BUILDROOT_TESTS = missingForBuildroots().length > 0 && process.env.CI !== 'true';

export function baseRepoKey(): string {
  return createHash('sha256').update(groupsTxt()).update(glueSpec()).update(CONVERSION).digest('hex').slice(0, 16);
}

/** Holding `lock` (a folder; taken over when its pid is gone), run fn. */
async function withLock<T>(lock: string, fn: () => Promise<T>): Promise<T> {
  for (;;) {
    try {
      mkdirSync(lock);
      writeFileSync(join(lock, 'pid'), String(process.pid));
      break;
    } catch {
      const pid = Number(existsSync(join(lock, 'pid')) ? readFileSync(join(lock, 'pid'), 'utf8') : NaN);
      let alive = true;
      try {
        if (pid) process.kill(pid, 0);
      } catch {
        alive = false;
      }
      if (!alive) rmSync(lock, { recursive: true, force: true });
      else await delay(500);
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/** The shared base repo's folder and file:// URL, made if needed (`log`: progress). */
export async function testBaseRepo(log: (l: string) => void = () => {}): Promise<{ dir: string; url: string }> {
  const dir = join(BASE_REPO_ROOT, `repo-${baseRepoKey()}`);
  const done = () => ({ dir, url: pathToFileURL(dir).href });
  if (existsSync(join(dir, 'repodata', 'repomd.xml'))) return done();
  mkdirSync(BASE_REPO_ROOT, { recursive: true });
  return withLock(join(BASE_REPO_ROOT, '.lock'), async () => {
    if (existsSync(join(dir, 'repodata', 'repomd.xml'))) return done();
    const staging = `${dir}.new`;
    rmSync(staging, { recursive: true, force: true });
    await makeBaseRepo({ dir: staging, cacheDir: BASE_REPO_CACHE, log });
    // createrepo_c records no absolute paths: the folder can move
    renameSync(staging, dir);
    return done();
  });
}
