/**
 * Which rpms go into one arch of a dist repo — kojid's createDistRepoTask.get_rpms: the tag's
 * (latest, inherited) rpms at the repo's event for the arch and its compatible arches, each
 * taken from the signed copy of the first requested key it has (pick_key). Signed copies can be
 * written first (`write_signed_rpms`, host.writeSignedRPM). Rpms with none of the keys fall back
 * to the primary copy (`sigkey` null): refused unless `allow_missing_signatures`, left out with
 * `skip_missing_signatures`; the log missing_signatures.log names them. Copies missing on disk
 * fail the task with missing_files.log.
 */
import { existsSync } from 'node:fs';
import { appendFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { BuildError, GenericError } from '../../protocol/faults.ts';
import { pyRepr } from '../../protocol/pyrepr.ts';
import type { XmlRpcStruct, XmlRpcValue } from '../../protocol/values.ts';
import { PathInfo } from '../../util/pathinfo.ts';
import type { TaskContext } from '../task.ts';

/** createDistRepoTask.compat: the rpm arches that go into a repo of each (canonical) arch. */
export const DIST_COMPAT: Readonly<Record<string, readonly string[]>> = {
  i386: ['athlon', 'i686', 'i586', 'i486', 'i386', 'noarch'],
  x86_64: ['amd64', 'ia32e', 'x86_64', 'noarch'],
  ia64: ['ia64', 'noarch'],
  ppc: ['ppc', 'noarch'],
  ppc64: ['ppc64p7', 'ppc64pseries', 'ppc64iseries', 'ppc64', 'noarch'],
  ppc64le: ['ppc64le', 'noarch'],
  s390: ['s390', 'noarch'],
  s390x: ['s390x', 'noarch'],
  sparc: ['sparcv9v', 'sparcv9', 'sparcv8', 'sparc', 'noarch'],
  sparc64: ['sparc64v', 'sparc64', 'noarch'],
  alpha: ['alphaev6', 'alphaev56', 'alphaev5', 'alpha', 'noarch'],
  arm: ['arm', 'armv4l', 'armv4tl', 'armv5tel', 'armv5tejl', 'armv6l', 'armv7l', 'noarch'],
  armhfp: ['armv7hl', 'armv7hnl', 'noarch'],
  aarch64: ['aarch64', 'noarch'],
  riscv64: ['riscv64', 'noarch'],
  sw_64: ['sw_64', 'noarch'],
  loongarch64: ['loongarch64', 'noarch'],
  src: ['src'],
};

/** An rpm of the repo: listTaggedRPMS's row plus where the builder reads it (`_pkgpath`); `_multilib` marks a 32-bit one in a 64-bit arch. */
export type DistRpm = XmlRpcStruct & { _pkgpath?: string; _subrepo?: string; _multilib?: boolean };

/** createDistRepoTask.pick_key: of the keys the rpm has, the one earliest in `keys`. */
export function pickKey(keys: string[], avail: string[]): string | null {
  let best: string | null = null;
  let bestIdx = Infinity;
  for (const k of avail) {
    const idx = keys.indexOf(k);
    if (idx >= 0 && idx < bestIdx) [best, bestIdx] = [k, idx];
  }
  return best;
}

const nvra = (r: XmlRpcStruct) => `${String(r.name)}-${String(r.version)}-${String(r.release)}.${String(r.arch)}`;

/** The rpms for `arch` by file name (kojid's kojipkgs), or a fault as Koji's. */
export async function getDistRpms(task: TaskContext, tag: XmlRpcValue, arch: string, keysIn: string[], opts: XmlRpcStruct, uploadpath: string): Promise<Map<string, DistRpm>> {
  const keys = keysIn.map((k) => k.toLowerCase());
  const compat = DIST_COMPAT[arch];
  if (!compat) throw new GenericError(`Unknown dist repo arch: ${arch} (known: ${Object.keys(DIST_COMPAT).join(', ')})`);
  const pi = new PathInfo(task.options.topdir);
  const rpms: XmlRpcStruct[] = [];
  const builddirs = new Map<number, string>();
  for (const a of compat) {
    const [list, builds] = await task.session.call<[XmlRpcStruct[], XmlRpcStruct[]]>('listTaggedRPMS', [tag], {
      event: opts.event ?? null,
      arch: a,
      latest: opts.latest ?? true,
      inherit: opts.inherit ?? true,
      rpmsigs: true,
    });
    for (const b of builds) {
      if (b.draft) throw new BuildError(`Draft build: ${String(b.nvr)} is not allowed`);
      builddirs.set(b.id as number, pi.build(b as never));
    }
    rpms.push(...list);
  }
  // by rpm id, then by signature key ('' for the unsigned header) in the order listed
  const byId = new Map<number, Map<string, XmlRpcStruct>>();
  for (const r of rpms) {
    const sigs = byId.get(r.id as number) ?? new Map<string, XmlRpcStruct>();
    byId.set(r.id as number, sigs);
    sigs.set(String(r.sigkey ?? '').toLowerCase(), r);
  }
  const selected = new Map<number, DistRpm>();
  for (const [id, sigs] of byId) {
    const avail = [...sigs.keys()];
    const best = pickKey(keys, avail);
    if (best === null) selected.set(id, { ...sigs.get(avail[0])!, sigkey: null });
    else selected.set(id, { ...sigs.get(best)!, best_key: best });
  }
  if (opts.write_signed_rpms) await writeSigned(task, selected, uploadpath);

  const fsMissing: string[] = [];
  const sigMissing: number[] = [];
  const kojipkgs = new Map<string, DistRpm>();
  for (const [id, r] of selected) {
    let pkgpath: string;
    if (r.sigkey === null) {
      sigMissing.push(id);
      if (opts.skip_missing_signatures) continue;
      pkgpath = `${builddirs.get(r.build_id as number)}/${pi.rpm(r as never)}`;
    } else pkgpath = `${builddirs.get(r.build_id as number)}/${pi.signed(r as never, String(r.sigkey))}`;
    if (!existsSync(pkgpath)) fsMissing.push(pkgpath);
    else kojipkgs.set(basename(pkgpath), { ...r, _pkgpath: pkgpath });
  }
  if (fsMissing.length) {
    const log = join(task.workdir, 'missing_files.log');
    const head = 'Some rpm files were missing.\nMost likely, you want to create these signed copies.\n\nMissing files:\n';
    await writeFile(log, head + fsMissing.sort().map((p) => `${p}\n`).join(''));
    await task.session.uploadWrapper(log, uploadpath);
    throw new GenericError('Packages missing from the filesystem. See missing_files.log.');
  }
  if (sigMissing.length) {
    const log = join(task.workdir, 'missing_signatures.log');
    let text = 'Some rpms were missing requested signatures.\n';
    if (opts.skip_missing_signatures) text += 'The skip_missing_signatures option was specified, so these files were excluded.\n';
    text += `Requested keys: ${pyRepr(keys)}\n\n# RPM name: available keys\n`;
    const names = sigMissing.map((id) => [nvra(selected.get(id)!), id] as const).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] - b[1]));
    for (const [name, id] of names) text += `${name}: ${pyRepr([...(byId.get(id)?.keys() ?? [])])}\n`;
    await writeFile(log, text);
    await task.session.uploadWrapper(log, uploadpath);
    if (!opts.skip_missing_signatures && !opts.allow_missing_signatures) throw new GenericError('Unsigned packages found. See missing_signatures.log');
  }
  return kojipkgs;
}

/** The signed copies of the selected rpms written on the hub (host.writeSignedRPM), logged in written_signed_rpms.log. */
async function writeSigned(task: TaskContext, selected: Map<number, DistRpm>, uploadpath: string): Promise<void> {
  const withKey = [...selected].filter(([, r]) => r.best_key);
  const results = await task.session.multiCall(
    withKey.map(([id, r]) => ({ method: 'host.writeSignedRPM', args: [id, r.best_key as string] })),
    { batch: 1000 },
  );
  let out = '';
  withKey.forEach(([id, r], i) => {
    const res = results[i];
    if (Array.isArray(res)) out += `Signed RPM ${id} is written with ${String(r.best_key)} key.\n`;
    else out += `FAILED: Signed RPM ${id} is not written with ${String(r.best_key)} key, error: ${res.faultString}\n`;
  });
  if (!out) return;
  const log = join(task.workdir, 'written_signed_rpms.log');
  await appendFile(log, out);
  await task.session.uploadWrapper(log, uploadpath);
}
