/**
 * The Debian side of the base repo: which .debs a set of packages needs, as apt would install
 * them on an empty system (`apt-get -s install` with an empty dpkg status, no recommends), their
 * checksums from the package index (`apt-cache show`, so a warm re-run downloads nothing) and
 * their download (`apt-get download`, which works without root).
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const APT_ENV = { ...process.env, LC_ALL: 'C', DEBIAN_FRONTEND: 'noninteractive' };

export interface DebRef {
  name: string;
  version: string;
  /** Debian architecture (amd64, all, …) */
  arch: string;
  sha256: string;
}

async function apt(cmd: string, args: string[], cwd?: string): Promise<string> {
  try {
    return (await run(cmd, args, { env: APT_ENV, cwd, maxBuffer: 256 << 20 })).stdout;
  } catch (e) {
    const err = e as Error & { stderr?: string };
    const text = (err.stderr || err.message).trim().split('\n').slice(-5).join('\n');
    const hint = /Unable to locate package|has no installation candidate|404\s+Not Found/.test(text) ? '\n(apt\'s package lists may be missing or stale: run apt-get update)' : '';
    throw new Error(`${cmd} ${args.slice(0, 6).join(' ')} … failed: ${text}${hint}`, { cause: e });
  }
}

/** Name and version of every package `apt-get install pkgs` would install on an empty system. */
export async function resolveClosure(pkgs: string[]): Promise<{ name: string; version: string }[]> {
  const dir = mkdtempSync(join(tmpdir(), 'kojits-apt-'));
  try {
    const status = join(dir, 'status');
    writeFileSync(status, '');
    const out = await apt('apt-get', ['-s', '-o', `Dir::State::status=${status}`, '-o', 'APT::Install-Recommends=false', '-o', 'APT::Install-Suggests=false', 'install', ...pkgs]);
    const found: { name: string; version: string }[] = [];
    for (const m of out.matchAll(/^Inst (\S+) \((\S+) /gm)) found.push({ name: m[1].replace(/:\w+$/, ''), version: m[2] });
    if (!found.length) throw new Error(`apt-get -s install ${pkgs.join(' ')} names no package to install:\n${out.slice(-2000)}`);
    return found;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The index records (SHA256, file name, arch) of exact package versions. */
export async function indexRecords(pkgs: { name: string; version: string }[]): Promise<DebRef[]> {
  const out = await apt('apt-cache', ['show', ...pkgs.map((p) => `${p.name}=${p.version}`)]);
  const byKey = new Map<string, DebRef>();
  for (const rec of out.split(/\n\n+/)) {
    const f = (k: string) => new RegExp(`^${k}: (.*)$`, 'm').exec(rec)?.[1].trim() ?? '';
    const ref = { name: f('Package'), version: f('Version'), arch: f('Architecture'), sha256: f('SHA256') };
    if (ref.name && ref.sha256 && !byKey.has(`${ref.name}=${ref.version}`)) byKey.set(`${ref.name}=${ref.version}`, ref);
  }
  return pkgs.map((p) => {
    const r = byKey.get(`${p.name}=${p.version}`);
    if (!r) throw new Error(`apt-cache show ${p.name}=${p.version} gave no record with a SHA256: run apt-get update`);
    return r;
  });
}

/** Download the .debs into `dir`; returns their paths in the order given. */
export async function downloadDebs(refs: DebRef[], dir: string): Promise<string[]> {
  if (refs.length) await apt('apt-get', ['download', ...refs.map((r) => `${r.name}=${r.version}`)], dir);
  // apt-get download names a file NAME_VERSION_ARCH.deb with the epoch's colon as %3a
  return refs.map((r) => join(dir, `${r.name}_${r.version.replace(/:/g, '%3a')}_${r.arch}.deb`));
}

const LISTS = '/var/lib/apt/lists';

/** A fingerprint of apt's package lists (names, sizes, times): the closure changes only with them. */
function listsFingerprint(): string {
  const h = createHash('sha256');
  for (const f of existsSync(LISTS) ? readdirSync(LISTS).sort() : []) {
    const st = statSync(`${LISTS}/${f}`);
    if (st.isFile()) h.update(`${f}\0${st.size}\0${st.mtimeMs}\0`);
  }
  return h.digest('hex');
}

/**
 * The closure's index records, remembered in `cacheDir` until apt's lists change (apt-get -s
 * with an empty status rebuilds apt's cache: ~5 s).
 */
export async function closureRecords(pkgs: string[], cacheDir: string): Promise<{ refs: DebRef[]; cached: boolean }> {
  const key = createHash('sha256').update(listsFingerprint()).update(pkgs.join(' ')).digest('hex').slice(0, 24);
  const file = join(cacheDir, `closure-${key}.json`);
  if (existsSync(file)) return { refs: JSON.parse(readFileSync(file, 'utf8')) as DebRef[], cached: true };
  const refs = await indexRecords(await resolveClosure(pkgs));
  for (const f of readdirSync(cacheDir)) if (f.startsWith('closure-')) rmSync(join(cacheDir, f), { force: true });
  writeFileSync(file, JSON.stringify(refs));
  return { refs, cached: false };
}
