/**
 * Reading RPM files of builds for the hub: where an rpm lives under KojiDir, header fields the
 * way Koji's get_header_fields returns them through rpm's Python bindings (scalars or lists by
 * the tag's definition, [] or None for missing tags, signature tags merged in, text with
 * non-printable characters removed), and checksums of signed copies (a signed file, or the rpm
 * with a cached signature header spliced in).
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readFileSync } from 'node:fs';
import { GenericError } from '../../protocol/faults.ts';
import { Binary, type XmlRpcValue } from '../../protocol/values.ts';
import { PathInfo } from '../../util/pathinfo.ts';
import { entryValue, fileNames, getEntry, readRpmHeaders, RPM_TYPE, tagName, tagNumber, type RpmHeader, type RpmPackage } from '../../rpm/index.ts';
import type { BuildInfo } from './build.ts';
import type { RpmRow } from './builds-query.ts';

/** Full path of an rpm of a build. */
export function rpmPath(kojiDir: string, build: BuildInfo, rpm: RpmRow): string {
  const pi = new PathInfo(kojiDir);
  return `${pi.build(build)}/${pi.rpm(rpm)}`;
}

/** Koji's removeNonprintable on every string of a value. */
export function printable<T>(v: T): T {
  if (typeof v === 'string') return v.replace(/[\x00-\x08\x0b\x0c\x0e-\x1f]/g, '') as T;
  if (Array.isArray(v)) return v.map(printable) as T;
  if (v && typeof v === 'object' && !(v instanceof Binary) && Object.getPrototypeOf(v) === Object.prototype) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, printable(x)])) as T;
  }
  return v;
}

/** Integer tags rpm defines as arrays (all STRING_ARRAY tags are arrays too). */
const ARRAY_INT = new Set(
  ('FILESIZES FILESTATES FILEMODES FILEUIDS FILEGIDS FILERDEVS FILEMTIMES FILEFLAGS REQUIREFLAGS NOSOURCE NOPATCH CONFLICTFLAGS ' +
    'TRIGGERFLAGS TRIGGERINDEX CHANGELOGTIME FILEVERIFYFLAGS FILEDEVICES FILEINODES PROVIDEFLAGS OBSOLETEFLAGS DIRINDEXES ' +
    'FILECOLORS FILECLASS FILEDEPENDSX FILEDEPENDSN DEPENDSDICT OLDSUGGESTSFLAGS OLDENHANCESFLAGS LONGFILESIZES ' +
    'TRIGGERSCRIPTFLAGS POLICYTYPESINDEXES POLICYFLAGS ORDERFLAGS RECOMMENDFLAGS SUGGESTFLAGS SUPPLEMENTFLAGS ENHANCEFLAGS ' +
    'FILETRIGGERSCRIPTFLAGS FILETRIGGERINDEX FILETRIGGERFLAGS TRANSFILETRIGGERSCRIPTFLAGS TRANSFILETRIGGERINDEX ' +
    'TRANSFILETRIGGERFLAGS FILETRIGGERPRIORITIES TRANSFILETRIGGERPRIORITIES').split(' '),
);

/** String-array tags (a missing one reads as []). */
const ARRAY_STR = new Set(
  ('PROVIDENAME REQUIRENAME REQUIREVERSION CONFLICTNAME CONFLICTVERSION EXCLUDEARCH EXCLUDEOS EXCLUSIVEARCH EXCLUSIVEOS ' +
    'TRIGGERSCRIPTS TRIGGERNAME TRIGGERVERSION CHANGELOGNAME CHANGELOGTEXT BUILDARCHS OBSOLETENAME TRIGGERSCRIPTPROG ' +
    'FILELANGS PREFIXES INSTPREFIXES PROVIDEVERSION OBSOLETEVERSION BASENAMES DIRNAMES OLDFILENAMES FILEDIGESTS FILELINKTOS ' +
    'FILEUSERNAME FILEGROUPNAME SOURCE PATCH CLASSDICT OLDSUGGESTSNAME OLDSUGGESTSVERSION OLDENHANCESNAME OLDENHANCESVERSION ' +
    'FILENAMES POLICYNAMES POLICYTYPES ORDERNAME ORDERVERSION RECOMMENDNAME RECOMMENDVERSION SUGGESTNAME SUGGESTVERSION ' +
    'SUPPLEMENTNAME SUPPLEMENTVERSION ENHANCENAME ENHANCEVERSION FILETRIGGERSCRIPTS FILETRIGGERSCRIPTPROG FILETRIGGERNAME ' +
    'FILETRIGGERVERSION TRANSFILETRIGGERSCRIPTS TRANSFILETRIGGERSCRIPTPROG TRANSFILETRIGGERNAME TRANSFILETRIGGERVERSION ' +
    'FILECAPS FILESIGNATURES PAYLOADDIGEST PAYLOADDIGESTALT VERITYSIGNATURES').split(' '),
);

/** Main-header tag → signature-header tag rpm merges in when reading a package. */
const MERGED_SIG: ReadonlyMap<number, number> = new Map([
  [257, 1000], // SIGSIZE ← SIZE
  [259, 1002], // SIGPGP ← PGP
  [261, 1004], // SIGMD5 ← MD5
  [262, 1005], // SIGGPG ← GPG
  [263, 1006], // SIGPGP5 ← PGP5
  [1046, 1007], // ARCHIVESIZE ← PAYLOADSIZE
  ...[267, 268, 269, 270, 271, 273, 274, 275, 276, 277].map((n) => [n, n] as [number, number]),
]);

const SIZE_TAGS = new Set(['SIZE', 'ARCHIVESIZE', 'FILESIZES', 'SIGSIZE']);

function rawValue(pkg: RpmPackage, tag: number, name: string): XmlRpcValue | undefined {
  let h: RpmHeader = pkg.header;
  let e = getEntry(h, tag);
  if (!e && MERGED_SIG.has(tag)) {
    h = pkg.signature;
    e = getEntry(h, MERGED_SIG.get(tag)!);
  }
  if (!e) return undefined;
  const v = entryValue(h, e);
  if (v === null) return null;
  if (Buffer.isBuffer(v)) {
    if (name.startsWith('SIG') || name.endsWith('HEADER')) return new Binary(Buffer.from(v));
    const text = v.toString('utf8');
    return Buffer.from(text, 'utf8').equals(v) ? text : new Binary(Buffer.from(v));
  }
  if (typeof v === 'string') return v;
  if (e.type === RPM_TYPE.STRING_ARRAY) return v as string[];
  if (e.type === RPM_TYPE.I18NSTRING) return (v as string[])[0] ?? '';
  const nums = (v as Array<number | bigint>).map((x) => (typeof x === 'bigint' ? Number(x) : x));
  return ARRAY_INT.has(name) ? nums : (nums[0] ?? null);
}

function missing(name: string): XmlRpcValue {
  return ARRAY_INT.has(name) || ARRAY_STR.has(name) ? [] : null;
}

/** Koji's get_header_field for one name (case-insensitive). */
export function headerField(pkg: RpmPackage, field: string): XmlRpcValue {
  const name = field.toUpperCase();
  const h = pkg.header;
  const str = (t: string) => {
    const v = rawValue(pkg, tagNumber(t)!, t);
    return typeof v === 'string' ? v : '';
  };
  const epoch = () => rawValue(pkg, tagNumber('EPOCH')!, 'EPOCH');
  switch (name) {
    case 'FILENAMES':
      return fileNames(h);
    case 'NVR':
      return `${str('NAME')}-${str('VERSION')}-${str('RELEASE')}`;
    case 'NVRA':
      return `${str('NAME')}-${str('VERSION')}-${str('RELEASE')}.${str('ARCH')}`;
    case 'EVR':
    case 'NEVR':
    case 'NEVRA': {
      const e = epoch();
      const evr = `${e === null || e === undefined ? '' : `${String(e)}:`}${str('VERSION')}-${str('RELEASE')}`;
      return name === 'EVR' ? evr : `${str('NAME')}-${evr}${name === 'NEVRA' ? `.${str('ARCH')}` : ''}`;
    }
    case 'EPOCHNUM':
      return (epoch() as number | null) ?? 0;
  }
  const tag = tagNumber(name);
  if (tag === undefined) throw new GenericError(`No such rpm header field: ${name}`);
  let result = rawValue(pkg, tag, name);
  if (name === 'NOSOURCE' || name === 'NOPATCH') {
    if (result === undefined || result === null) result = [];
    else if (typeof result === 'number') result = [result];
  }
  if (SIZE_TAGS.has(name) && (result === undefined || result === null || (Array.isArray(result) && result.length === 0))) {
    const long = rawValue(pkg, tagNumber(`LONG${name}`)!, `LONG${name}`);
    if (long !== undefined) result = long;
  }
  return result === undefined ? missing(name) : result;
}

/** Koji's get_header_fields: the named fields, or every tag of the header (upper-case names). */
export function headerFields(pkg: RpmPackage, fields: string[] | null): Record<string, XmlRpcValue> {
  const out: Record<string, XmlRpcValue> = {};
  if (fields === null) {
    const tags = new Set(pkg.header.entries.map((e) => e.tag).filter((t) => ![61, 62, 63, 64, 100].includes(t)));
    for (const [main, sig] of MERGED_SIG) if (getEntry(pkg.signature, sig)) tags.add(main);
    for (const t of [...tags].sort((a, b) => a - b)) {
      const n = tagName(t);
      if (n) out[n] = headerField(pkg, n);
    }
    return printable(out);
  }
  for (const f of fields) out[f] = headerField(pkg, f);
  return printable(out);
}

/** Hex digests of a file, or of an rpm with `sighdr` spliced in place of its signature header. */
export async function fileChecksums(path: string, types: string[], sighdr: Buffer | null = null): Promise<Record<string, string>> {
  const hashes = types.map((t) => createHash(t));
  const feed = (b: Buffer) => hashes.forEach((h) => h.update(b));
  const stream = (start: number, end?: number) =>
    new Promise<void>((resolve, reject) => {
      if (end !== undefined && end <= start) return resolve();
      createReadStream(path, { start, end: end === undefined ? undefined : end - 1 })
        .on('data', (c) => feed(c as Buffer))
        .on('end', () => resolve())
        .on('error', reject);
    });
  if (sighdr) {
    const pkg = await readRpmHeaders(path);
    const { start, length } = pkg.sigHeaderRange;
    await stream(0, start);
    feed(sighdr);
    await stream(start + length);
  } else await stream(0);
  return Object.fromEntries(types.map((t, i) => [t, hashes[i].digest('hex')]));
}

/** Checksums of the copy of an rpm signed with `sigkey`: the signed file if written, else the cached signature spliced in. */
export async function signedChecksums(kojiDir: string, build: BuildInfo, rpm: RpmRow, sigkey: string, types: string[]): Promise<Record<string, string>> {
  const pi = new PathInfo(kojiDir);
  const builddir = pi.build(build);
  const signed = `${builddir}/${pi.signed(rpm, sigkey)}`;
  if (existsSync(signed)) return fileChecksums(signed, types);
  const sigpath = `${builddir}/${pi.sighdr(rpm, sigkey)}`;
  let sighdr: Buffer;
  try {
    sighdr = readFileSync(sigpath);
  } catch (e) {
    throw new GenericError(`File ${sigpath} cannot be read -- ${(e as Error).message}`);
  }
  return fileChecksums(`${builddir}/${pi.rpm(rpm)}`, types, sighdr);
}
