/**
 * A mock root seen from the host: its installed rpms (kojid's BuildRoot.getPackageList, read
 * with the host's rpm) and the mounts a crashed mock may leave in it.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { BuildrootError } from '../../protocol/faults.ts';
import type { InstalledRpm } from './types.ts';

const run = promisify(execFile);

const QUERY = ['%{NAME}', '%{VERSION}', '%{RELEASE}', '%{EPOCH}', '%{ARCH}', '%{SIGMD5}', '%{SIZE}', '%{BUILDTIME}'].join('\\t') + '\\n';

/** The packages in the root's rpmdb (usr/lib/sysimage/rpm, else the older var/lib/rpm), without kojid's skipped names. */
export async function readRpmdb(root: string): Promise<InstalledRpm[]> {
  let dbpath = join(root, 'usr/lib/sysimage/rpm');
  if (!existsSync(dbpath)) dbpath = join(root, 'var/lib/rpm');
  if (!existsSync(dbpath)) throw new BuildrootError(`Can't get list of installed rpms: no rpmdb in ${root}`);
  const { stdout } = await run('rpm', ['--dbpath', dbpath, '-qa', '--qf', QUERY], { maxBuffer: 64 << 20, env: { ...process.env, LC_ALL: 'C' } }).catch((e: Error) => {
    throw new BuildrootError(`Can't get list of installed rpms in ${root}: ${e.message}`);
  });
  const out: InstalledRpm[] = [];
  for (const line of stdout.split('\n')) {
    if (!line) continue;
    const [name, version, release, epoch, arch, sigmd5, size, buildtime] = line.split('\t');
    if (name === 'buildsys-build' || name === 'gpg-pubkey') continue;
    const num = (s: string) => (s === '(none)' ? undefined : Number(s));
    out.push({ name, version, release, epoch: epoch === '(none)' ? null : Number(epoch), arch, payloadhash: sigmd5 === '(none)' ? undefined : sigmd5, size: num(size), buildtime: num(buildtime) });
  }
  return out;
}

/** Unmount (lazily, deepest first) whatever is mounted under `dir`, so removing it cannot reach the host. */
export async function unmountUnder(dir: string): Promise<void> {
  const prefix = dir.endsWith('/') ? dir : `${dir}/`;
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4])
    // mountinfo escapes spaces and the like as \NNN
    .map((p) => p?.replace(/\\(\d{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))))
    .filter((p): p is string => Boolean(p) && (p === dir || p.startsWith(prefix)))
    .sort((a, b) => b.length - a.length);
  for (const m of mounts) await run('umount', ['-l', m]).catch((e: Error) => {
    throw new BuildrootError(`cannot unmount ${m} in the mock root ${dir}: ${e.message}`);
  });
}
