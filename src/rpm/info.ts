/**
 * A summary of an RPM package under the names Koji uses (name, version, release, epoch, arch,
 * sourcerpm, buildtime, size, payloadhash, sigkey …), plus its dependencies (Koji's DEP_* kinds),
 * file list (as Koji's listRPMFiles reports it), changelog and signatures. Built from the parsed
 * headers only; the payload is never read.
 */
import { formatError, getBinary, RpmFormatError, getNumber, getNumbers, getString, getStrings, hasTag, type RpmHeader } from './header.ts';
import { parseSignaturePacket, type PgpSignatureInfo } from './pgp.ts';
import { readRpmHeaders, type ByteRange, type RpmPackage } from './reader.ts';
import { DEP_TYPES, DIGEST_ALGO_NAMES, RPMSIGTAG, RPMTAG, SIGNATURE_PACKET_TAGS, type DependencyKind } from './tags.ts';

export interface RpmDependency {
  name: string;
  version: string;
  /** rpm sense flags: LESS 2, GREATER 4, EQUAL 8, plus rpm's other RPMSENSE_* bits. */
  flags: number;
}

export interface RpmFileEntry {
  /** Full path. */
  name: string;
  size: number;
  /** Hex digest of the file's content ('' for directories, links and ghosts). */
  digest: string;
  /** Koji's alias for digest (whatever the algorithm). */
  md5: string;
  /** Koji's name of the digest algorithm: 'md5', 'sha256' … */
  digestAlgo: string;
  mode: number;
  flags: number;
  user: string;
  group: string;
  mtime: number;
  /** Symlink target, '' when not a symlink. */
  linkto: string;
  rdev: number;
  verifyflags: number;
  lang: string;
}

export interface RpmChangelogEntry {
  time: number;
  author: string;
  text: string;
}

export interface RpmSignature extends PgpSignatureInfo {
  /** Signature-header tag the packet came from (268 RSA, 267 DSA, 1002 PGP, 1005 GPG). */
  tag: number;
  tagName: string;
}

export interface RpmInfo {
  name: string;
  version: string;
  release: string;
  epoch: number | null;
  /** 'src' for a source package, else the ARCH tag. */
  arch: string;
  /** Whether this is a source package (SOURCEPACKAGE tag, else lead type / no SOURCERPM). */
  sourcepackage: boolean;
  /** A source package that leaves out sources or patches (rpm names it .nosrc.rpm). */
  nosrc: boolean;
  sourcerpm: string | null;
  buildtime: number;
  /** Size of the file in bytes. */
  size: number;
  /** Installed size (SIZE / LONGSIZE), if stated. */
  installedsize: number | null;
  /** Hex of the signature header's MD5 (Koji's sigmd5 / payloadhash); null if absent. */
  payloadhash: string | null;
  /** Last 8 hex digits of the signing key id, '' when unsigned. */
  sigkey: string;
  /** The signature Koji takes the sigkey from (first of GPG, PGP, DSA, RSA), null when unsigned. */
  signature: RpmSignature | null;
  /** Lower-case RPMSIGTAG names of the signatures and digests present: 'rsa', 'md5', 'sha256' … */
  headerSigs: string[];
  summary: string | null;
  description: string | null;
  license: string | null;
  url: string | null;
  vendor: string | null;
  packager: string | null;
  distribution: string | null;
  buildhost: string | null;
  group: string | null;
  cookie: string | null;
  payloadformat: string | null;
  payloadcompressor: string | null;
  payloadflags: string | null;
  rpmversion: string | null;
  requires: RpmDependency[];
  provides: RpmDependency[];
  obsoletes: RpmDependency[];
  conflicts: RpmDependency[];
  suggests: RpmDependency[];
  enhances: RpmDependency[];
  supplements: RpmDependency[];
  recommends: RpmDependency[];
  files: RpmFileEntry[];
  /** Numeric FILEDIGESTALGO (null when absent, meaning md5) and Koji's name for it. */
  digestAlgoId: number | null;
  digestAlgo: string;
  changelog: RpmChangelogEntry[];
  sigHeaderRange: ByteRange;
  headerRange: ByteRange;
  payloadOffset: number;
  payloadSize: number;
}

/** Signature-header tags reported in headerSigs, in this order. */
const REPORTED_SIGS = ['RSA', 'DSA', 'PGP', 'GPG', 'PGP5', 'SHA1', 'SHA256', 'MD5', 'LEMD5_1', 'LEMD5_2', 'FILESIGNATURES', 'VERITYSIGNATURES'];

function required(h: RpmHeader, tag: string): string {
  const v = getString(h, tag);
  if (v === null) throw formatError(`main header at offset ${h.start} has no ${tag} tag`);
  return v;
}

function mismatch(h: RpmHeader, a: string, na: number, b: string, nb: number): Error {
  return formatError(`main header at offset ${h.start}: ${a} has ${na} entries but ${b} has ${nb}`);
}

/** Dependencies of one kind, e.g. dependencies(h, 'requires'). */
export function dependencies(h: RpmHeader, kind: DependencyKind): RpmDependency[] {
  const t = DEP_TYPES.find((d) => d.key === kind);
  if (!t) throw new Error(`unknown dependency kind ${kind}`);
  const [nameTag, versionTag, flagsTag] = [`${t.prefix}NAME`, `${t.prefix}VERSION`, `${t.prefix}FLAGS`];
  const names = getStrings(h, nameTag);
  const versions = hasTag(h, versionTag) ? getStrings(h, versionTag) : names.map(() => '');
  const flags = hasTag(h, flagsTag) ? getNumbers(h, flagsTag) : names.map(() => 0);
  if (versions.length !== names.length) throw mismatch(h, nameTag, names.length, versionTag, versions.length);
  if (flags.length !== names.length) throw mismatch(h, nameTag, names.length, flagsTag, flags.length);
  return names.map((name, i) => ({ name, version: versions[i], flags: flags[i] }));
}

/** Full paths of the files: DIRNAMES[DIRINDEXES] + BASENAMES, or old-style OLDFILENAMES. */
export function fileNames(h: RpmHeader): string[] {
  if (hasTag(h, RPMTAG.BASENAMES)) {
    const base = getStrings(h, RPMTAG.BASENAMES);
    const dirs = getStrings(h, RPMTAG.DIRNAMES);
    const idx = getNumbers(h, RPMTAG.DIRINDEXES);
    if (idx.length !== base.length) throw mismatch(h, 'BASENAMES', base.length, 'DIRINDEXES', idx.length);
    return base.map((b, i) => {
      if (idx[i] >= dirs.length) throw formatError(`main header at offset ${h.start}: file ${i} (${b}) has directory index ${idx[i]} but DIRNAMES has ${dirs.length} entries`);
      return dirs[idx[i]] + b;
    });
  }
  return getStrings(h, RPMTAG.OLDFILENAMES);
}

/** The FILEDIGESTALGO id (null when absent) and Koji's lower-case name for it. */
export function fileDigestAlgo(h: RpmHeader): { id: number | null; name: string } {
  const id = getNumber(h, RPMTAG.FILEDIGESTALGO);
  return { id, name: id === null || id === 0 ? 'md5' : (DIGEST_ALGO_NAMES[id] ?? 'unknown') };
}

/** The file list, one entry per file with the fields Koji's listRPMFiles reports and a few more. */
export function fileList(h: RpmHeader): RpmFileEntry[] {
  const names = fileNames(h);
  const n = names.length;
  const column = <T>(tag: string, read: (t: string) => T[], dflt: T): T[] => {
    if (!hasTag(h, tag)) return names.map(() => dflt);
    const v = read(tag);
    if (v.length !== n) throw mismatch(h, tag, v.length, 'the file list', n);
    return v;
  };
  const nums = (t: string) => getNumbers(h, t);
  const strs = (t: string) => getStrings(h, t);
  const sizes = hasTag(h, 'FILESIZES') ? column('FILESIZES', nums, 0) : column('LONGFILESIZES', nums, 0);
  const digests = column('FILEDIGESTS', strs, '');
  const modes = column('FILEMODES', nums, 0);
  const flags = column('FILEFLAGS', nums, 0);
  const users = column('FILEUSERNAME', strs, '');
  const groups = column('FILEGROUPNAME', strs, '');
  const mtimes = column('FILEMTIMES', nums, 0);
  const links = column('FILELINKTOS', strs, '');
  const rdevs = column('FILERDEVS', nums, 0);
  const vflags = column('FILEVERIFYFLAGS', nums, 0);
  const langs = column('FILELANGS', strs, '');
  const algo = fileDigestAlgo(h).name;
  return names.map((name, i) => ({
    name,
    size: sizes[i],
    digest: digests[i],
    md5: digests[i],
    digestAlgo: algo,
    mode: modes[i],
    flags: flags[i],
    user: users[i],
    group: groups[i],
    mtime: mtimes[i],
    linkto: links[i],
    rdev: rdevs[i],
    verifyflags: vflags[i],
    lang: langs[i],
  }));
}

/** Changelog entries, newest first as stored. */
export function changelog(h: RpmHeader): RpmChangelogEntry[] {
  const times = getNumbers(h, RPMTAG.CHANGELOGTIME);
  const names = getStrings(h, RPMTAG.CHANGELOGNAME);
  const texts = getStrings(h, RPMTAG.CHANGELOGTEXT);
  if (names.length !== times.length) throw mismatch(h, 'CHANGELOGTIME', times.length, 'CHANGELOGNAME', names.length);
  if (texts.length !== times.length) throw mismatch(h, 'CHANGELOGTIME', times.length, 'CHANGELOGTEXT', texts.length);
  return times.map((time, i) => ({ time, author: names[i], text: texts[i] }));
}

/** Lower-case names of the signature/digest tags present in the signature header. */
export function headerSigs(pkg: RpmPackage): string[] {
  return REPORTED_SIGS.filter((n) => hasTag(pkg.signature, RPMSIGTAG[n])).map((n) => n.toLowerCase());
}

/** The signature Koji's get_sighdr_key uses (GPG, then PGP, DSA, RSA), parsed; null if unsigned. */
export function packageSignature(pkg: RpmPackage): RpmSignature | null {
  for (const { tag, name } of SIGNATURE_PACKET_TAGS) {
    const packet = getBinary(pkg.signature, tag);
    if (!packet || packet.length === 0) continue;
    try {
      return { ...parseSignaturePacket(packet), tag, tagName: name };
    } catch (e) {
      throw formatError(`signature header at offset ${pkg.signature.start}: ${name.toUpperCase()} tag ${tag}: ${(e as Error).message}`);
    }
  }
  return null;
}

/** Koji's sigkey: last 8 hex digits (lower-case) of the signing key id; '' when unsigned. */
export function sigkey(pkg: RpmPackage): string {
  const sig = packageSignature(pkg);
  if (!sig) return '';
  if (sig.keyId === null) throw formatError(`signature header at offset ${pkg.signature.start}: ${sig.tagName.toUpperCase()} signature names no issuer key id`);
  return sig.keyId.slice(-8);
}

/** Hex of the signature header's MD5 (or the main header's SIGMD5), null when neither exists. */
export function payloadhash(pkg: RpmPackage): string | null {
  const md5 = getBinary(pkg.signature, RPMSIGTAG.MD5) ?? getBinary(pkg.header, RPMTAG.SIGMD5);
  return md5 ? md5.toString('hex') : null;
}

/** Whether a package is a source package, as Koji decides it (see RpmInfo.sourcepackage). */
export function isSourcePackage(pkg: RpmPackage): boolean {
  const flag = getNumber(pkg.header, RPMTAG.SOURCEPACKAGE);
  if (flag !== null) return flag === 1;
  return pkg.lead.type === 1 || !hasTag(pkg.header, RPMTAG.SOURCERPM);
}

/** Summarise parsed headers. */
export function packageInfo(pkg: RpmPackage): RpmInfo {
  const h = pkg.header;
  const source = isSourcePackage(pkg);
  const deps = Object.fromEntries(DEP_TYPES.map((d) => [d.key, dependencies(h, d.key)])) as Record<DependencyKind, RpmDependency[]>;
  const signature = packageSignature(pkg);
  const algo = fileDigestAlgo(h);
  const buildtime = getNumber(h, RPMTAG.BUILDTIME);
  if (buildtime === null) throw formatError(`main header at offset ${h.start} has no BUILDTIME tag`);
  return {
    name: required(h, 'NAME'),
    version: required(h, 'VERSION'),
    release: required(h, 'RELEASE'),
    epoch: getNumber(h, RPMTAG.EPOCH),
    arch: source ? 'src' : required(h, 'ARCH'),
    sourcepackage: source,
    nosrc: source && (hasTag(h, RPMTAG.NOSOURCE) || hasTag(h, RPMTAG.NOPATCH)),
    sourcerpm: source ? null : getString(h, RPMTAG.SOURCERPM),
    buildtime,
    size: pkg.fileSize,
    installedsize: getNumber(h, RPMTAG.SIZE) ?? getNumber(h, RPMTAG.LONGSIZE),
    payloadhash: payloadhash(pkg),
    sigkey: sigkey(pkg),
    signature,
    headerSigs: headerSigs(pkg),
    summary: getString(h, RPMTAG.SUMMARY),
    description: getString(h, RPMTAG.DESCRIPTION),
    license: getString(h, RPMTAG.LICENSE),
    url: getString(h, RPMTAG.URL),
    vendor: getString(h, RPMTAG.VENDOR),
    packager: getString(h, RPMTAG.PACKAGER),
    distribution: getString(h, RPMTAG.DISTRIBUTION),
    buildhost: getString(h, RPMTAG.BUILDHOST),
    group: getString(h, RPMTAG.GROUP),
    cookie: getString(h, RPMTAG.COOKIE),
    payloadformat: getString(h, RPMTAG.PAYLOADFORMAT),
    payloadcompressor: getString(h, RPMTAG.PAYLOADCOMPRESSOR),
    payloadflags: getString(h, RPMTAG.PAYLOADFLAGS),
    rpmversion: getString(h, RPMTAG.RPMVERSION),
    ...deps,
    files: fileList(h),
    digestAlgoId: algo.id,
    digestAlgo: algo.name,
    changelog: changelog(h),
    sigHeaderRange: pkg.sigHeaderRange,
    headerRange: pkg.headerRange,
    payloadOffset: pkg.payloadOffset,
    payloadSize: pkg.payloadSize,
  };
}

/** Read an RPM file's headers and summarise them. */
export async function rpmInfo(path: string): Promise<RpmInfo> {
  const pkg = await readRpmHeaders(path);
  try {
    return packageInfo(pkg);
  } catch (e) {
    if (e instanceof RpmFormatError && e.path === undefined) {
      e.message = `${path}: ${e.message}`;
      e.path = path;
    }
    throw e;
  }
}
