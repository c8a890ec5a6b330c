/**
 * Repo test content: a build host session and tags with packages, builds, blocks and groups;
 * what a made repo holds (its primary.xml) and what dnf installs from it.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { ClientSession } from '../../src/protocol/client.ts';
import type { TestHub } from './hub.ts';
import { addBuild, addRpms } from './content.ts';

const run = promisify(execFile);

/** A build host logged in with an exclusive session, as kojid does. */
export async function hostSession(hub: TestHub, admin: ClientSession, name: string): Promise<ClientSession> {
  await admin.call('addHost', [name, ['x86_64']]);
  await admin.call('kojits.setPassword', [name, `${name}-pass-1`]);
  const c = await hub.login(name, `${name}-pass-1`);
  await c.call('exclusiveSession');
  return c;
}

/** Tags base ← build (both x86_64 i686), packages and builds with noarch, src, debuginfo and a block. */
export async function repoContent(hub: TestHub, admin: ClientSession, prefix: string): Promise<{ base: string; build: string }> {
  const base = `${prefix}-base`;
  const build = `${prefix}-build`;
  await admin.call('createTag', [base], { arches: 'x86_64 i686' });
  // repos are made for the tag's own arches
  await admin.call('createTag', [build], { parent: base, arches: 'x86_64 i686' });
  for (const p of ['foo', 'common', 'gone']) await admin.call('packageListAdd', [base, p, 'kojiadmin']);
  await admin.call('packageListBlock', [build, 'gone']);
  const foo = await addBuild(hub, `foo-1.0-1`);
  await addRpms(hub, foo, ['x86_64', 'i686', 'src']);
  await addRpms(hub, foo, ['x86_64'], 'foo-debuginfo');
  const common = await addBuild(hub, `common-2.0-1`);
  await addRpms(hub, common, ['noarch']);
  const gone = await addBuild(hub, `gone-3.0-1`);
  await addRpms(hub, gone, ['x86_64']);
  for (const b of [foo, common, gone]) await admin.call('tagBuildBypass', [base, b]);
  await admin.call('groupListAdd', [base, 'build']);
  await admin.call('groupPackageListAdd', [base, 'build', 'bash']);
  return { base, build };
}

/** Package names in a repo's primary.xml.gz for `arch`. */
export function repoPackages(repoDir: string, arch: string): string[] {
  const repomd = readFileSync(join(repoDir, arch, 'repodata', 'repomd.xml'), 'utf8');
  const href = /<data type="primary">[\s\S]*?<location href="([^"]+)"/.exec(repomd)?.[1];
  if (!href) throw new Error(`no primary in ${repoDir}/${arch}`);
  const xml = gunzipSync(readFileSync(join(repoDir, arch, href))).toString('utf8');
  return [...xml.matchAll(/<name>([^<]+)<\/name>/g)].map((m) => m[1]).sort();
}

/**
 * dnf installs `pkg` into an empty root from the repo URL; the packages installed. dnf runs
 * asynchronously: a synchronous child would stop this process's event loop, and with it a test
 * hub serving the repo over HTTP (dnf then skips the unreachable repo).
 */
export async function dnfInstall(repoUrl: string, pkg: string): Promise<string[]> {
  const root = mkdtempSync(join(tmpdir(), 'kojits-dnf-'));
  try {
    await run('dnf', ['-y', '-q', '--setopt=skip_if_unavailable=False', '--installroot', join(root, 'root'), '--releasever', '1', '--setopt=reposdir=/dev/null', `--setopt=cachedir=${join(root, 'cache')}`, '--nogpgcheck', `--repofrompath=r,${repoUrl}`, '--repo=r', 'install', pkg]);
    return (await run('rpm', ['--root', join(root, 'root'), '-qa', '--qf', '%{NAME}\\n'])).stdout.split('\n').filter(Boolean).sort();
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
