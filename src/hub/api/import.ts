/**
 * Uploads (legacy uploadFile, checkUpload) and imports: importRPM, addExternalRPM, and RPM
 * signatures (addRPMSig, queryRPMSigs, deleteRPMSig). The octet-stream upload is in ../uploads.ts.
 */
import { promises as fsp, constants } from 'node:fs';
import { dirname, join } from 'node:path';
import { createHash } from 'node:crypto';
import { GenericError, ParameterError } from '../../protocol/faults.ts';
import { Binary, Float, type XmlRpcValue } from '../../protocol/values.ts';
import { parseHeader } from '../../rpm/header.ts';
import { getBinary, readRpmHeaders, RpmFormatError, RPMSIGTAG, sigpacketKeyId } from '../../rpm/index.ts';
import { PathInfo } from '../../util/pathinfo.ts';
import { crashPoint } from '../../util/crash-point.ts';
import { lookupName } from '../lookup.ts';
import { pyRepr, pyStrOf } from '../../protocol/pyrepr.ts';
import { method, queryOptsSchema, t, type MethodDef } from '../registry.ts';
import { Select } from '../query.ts';
import type { CallContext } from '../types.ts';
import { addRpmSig, importRpmFile } from '../content/rpmimport.ts';
import { checksumFile, checkUploadOffset, uploadPath, verifier, type ChecksumLimits } from '../content/uploads.ts';
import { getBuild } from '../content/build.ts';
import { getRpm, type RpmRow } from '../content/builds-query.ts';
import { addExternalRpm } from '../builds/buildroot.ts';

/** An rpm by id, N-V-R.A[@repo] or struct (Koji's get_rpm). */
async function findRpm(ctx: CallContext, info: unknown, strict = false): Promise<RpmRow | null> {
  return (await getRpm(ctx.sql, info, strict)) as RpmRow | null;
}

function toInt(v: unknown, what: string): number | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number' && Number.isSafeInteger(v)) return v;
  if (typeof v === 'string' && /^\s*-?\d{1,20}\s*$/.test(v) && Number.isSafeInteger(Number(v))) return Number(v);
  throw new GenericError(`Invalid ${what}: ${pyStrOf(v)}`);
}

function limits(ctx: CallContext): ChecksumLimits {
  return { maxBytes: ctx.hub.options.MaxChecksumBytes, signal: ctx.request.signal };
}

async function legacyUpload(ctx: CallContext, a: Record<string, unknown>): Promise<boolean> {
  ctx.session.assertLogin();
  if (typeof a.data !== 'string') throw new GenericError('uploadFile: data must be base64 text');
  const contents = Buffer.from(a.data, 'base64');
  const offset = toInt(a.offset, 'offset') ?? 0;
  const size = toInt(a.size, 'size');
  const checksum = a.checksum ?? a.md5sum ?? null;
  let verify: string | null = null;
  let digest: string | null = null;
  if (typeof checksum === 'string') {
    verify = 'md5';
    digest = checksum;
  } else if (Array.isArray(checksum) && checksum.length === 2 && checksum.every((x) => typeof x === 'string')) {
    [verify, digest] = checksum as string[];
  } else if (checksum !== null) throw new ParameterError(`uploadFile: invalid checksum ${pyRepr(checksum)}: expected a hex string or [type, hex]`);
  if (offset !== -1) {
    if (size !== null && size !== contents.length) return false;
    if (verify) {
      const v = verifier(verify)!;
      v.update(contents);
      if (v.hexdigest() !== digest) return false;
    }
  }
  const fn = await uploadPath({ kojiDir: ctx.hub.kojiDir, sql: ctx.sql, session: ctx.session }, a.path as string, a.name as string, { create: true, volume: a.volume as string | null });
  const st = await fsp.lstat(fn).catch(() => null);
  if (st) {
    if (!st.isFile()) throw new GenericError(`destination not a file: ${fn}`);
    if (offset === 0 && !fn.endsWith('.log')) throw new GenericError(`file already exists: ${fn}`);
  }
  const maxChunk = ctx.hub.options.MaxUploadChunk;
  checkUploadOffset(offset, st?.size ?? 0, maxChunk, a.name as string);
  if (offset === -1 && size !== null && size < 0) throw new GenericError(`Invalid size: ${size}`);
  const fh = await fsp.open(fn, constants.O_RDWR | constants.O_CREAT, 0o666);
  try {
    if (offset === 0 || (offset === -1 && size === contents.length)) await fh.truncate(0);
    const pos = offset === -1 ? (await fh.stat()).size : offset;
    await fh.write(contents, 0, contents.length, pos);
    if (offset === -1 && size !== null) {
      // finalising: the file is cut (or extended, by one chunk at most) to its announced size
      checkUploadOffset(size, (await fh.stat()).size, maxChunk, a.name as string, 'size');
      await fh.truncate(size);
    }
  } finally {
    await fh.close();
  }
  if (offset === -1 && verify) {
    const { hexdigest } = await checksumFile(fn, verify, 0, 'uploadFile', limits(ctx));
    if (hexdigest !== digest) return false;
  }
  return true;
}

async function checkUpload(ctx: CallContext, a: Record<string, unknown>): Promise<XmlRpcValue> {
  const fn = await uploadPath({ kojiDir: ctx.hub.kojiDir, sql: ctx.sql, session: ctx.session }, a.path as string, a.name as string, { volume: a.volume as string | null });
  const st = await fsp.stat(fn).catch(() => null);
  if (!st) return null;
  if (!st.isFile()) throw new GenericError(`Not a regular file: ${fn}`);
  const out: Record<string, XmlRpcValue> = { size: st.size, mtime: st.mtimeMs / 1000 };
  if (a.verify) {
    let start = 0;
    if (a.tail !== null && a.tail !== undefined) {
      const tail = a.tail instanceof Float ? a.tail.value : a.tail;
      if (typeof tail !== 'number' || !Number.isInteger(tail) || tail < 0) throw new GenericError(`Invalid tail value: ${pyStrOf(a.tail)}`);
      start = Math.max(st.size - tail, 0);
    }
    const sum = await checksumFile(fn, a.verify as string, start, 'checkUpload', limits(ctx));
    out.sumlength = sum.length;
    out.hexdigest = sum.hexdigest;
  }
  return out;
}

async function writeSignedRpm(ctx: CallContext, anRpm: unknown, sigkeyIn: string, force: boolean): Promise<null> {
  const rpm = (await findRpm(ctx, anRpm, true)) as RpmRow;
  const nvra = `${rpm.name}-${rpm.version}-${rpm.release}.${rpm.arch}`;
  if (rpm.external_repo_id) throw new GenericError(`Not an internal rpm: ${nvra} (from ${rpm.external_repo_name})`);
  const build = (await getBuild(ctx.sql, rpm.build_id, true))!;
  const pi = new PathInfo(ctx.hub.kojiDir);
  const builddir = pi.build(build);
  const rpmPath = join(builddir, pi.rpm(rpm));
  const st = await fsp.stat(rpmPath).catch(() => null);
  if (!st) throw new GenericError(`No such path: ${rpmPath}`);
  if (!st.isFile()) throw new GenericError(`Not a regular file: ${rpmPath}`);
  const key = sigkeyIn.toLowerCase();
  if ((await ctx.sql.value('SELECT rpm_id FROM rpmsigs WHERE rpm_id = $1 AND sigkey = $2', [rpm.id, key])) === null) {
    throw new GenericError(`No cached signature for package ${nvra}, key ${key}`);
  }
  const signed = join(builddir, pi.signed(rpm, key));
  if (await fsp.stat(signed).catch(() => null)) {
    // without its checksum rows the file is debris of a call that died before committing
    const recorded = await ctx.sql.value('SELECT 1 FROM rpm_checksum WHERE rpm_id = $1 AND sigkey = $2 LIMIT 1', [rpm.id, key]);
    if (!force && recorded !== null) return null;
    await fsp.rm(signed);
  }
  const sighdr = await fsp.readFile(join(builddir, pi.sighdr(rpm, key)));
  const sums = await spliceSigHeader(rpmPath, sighdr, signed);
  ctx.onRollback(() => fsp.rm(signed, { force: true }));
  crashPoint('sign:placed');
  for (const [type, name] of [[0, 'md5'], [2, 'sha256']] as const) {
    const sum = sums[name];
    await ctx.sql.execute('INSERT INTO rpm_checksum (rpm_id, sigkey, checksum, checksum_type) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING', [rpm.id, key, sum, type]);
  }
  return null;
}

/** A copy of an rpm with another signature header in place of its own; streamed, with its md5 and sha256. */
async function spliceSigHeader(src: string, sighdr: Buffer, dst: string): Promise<{ md5: string; sha256: string }> {
  const pkg = await readRpmHeaders(src);
  const start = pkg.sigHeaderRange.start;
  await fsp.mkdir(dirname(dst), { recursive: true });
  const tmp = `${dst}.tmp-${process.pid}`;
  const md5 = createHash('md5');
  const sha256 = createHash('sha256');
  const out = await fsp.open(tmp, 'w');
  try {
    const write = async (b: Buffer) => {
      md5.update(b);
      sha256.update(b);
      await out.write(b);
    };
    const inp = await fsp.open(src, 'r');
    try {
      const lead = Buffer.alloc(start);
      await inp.read(lead, 0, start, 0);
      await write(lead);
      await write(sighdr);
      const buf = Buffer.alloc(1 << 20);
      for (let pos = start + pkg.sigHeaderRange.length; ; ) {
        const { bytesRead } = await inp.read(buf, 0, buf.length, pos);
        if (bytesRead === 0) break;
        await write(buf.subarray(0, bytesRead));
        pos += bytesRead;
      }
    } finally {
      await inp.close();
    }
  } finally {
    await out.close();
  }
  await fsp.rename(tmp, dst);
  return { md5: md5.digest('hex'), sha256: sha256.digest('hex') };
}

/** Signature tags Koji takes the key id from, in its order. */
const SIG_TAGS = [RPMSIGTAG.GPG, RPMSIGTAG.PGP, RPMSIGTAG.DSA, RPMSIGTAG.RSA];

function parseSigHeader(bytes: Buffer): { sigmd5: string | null; sigkey: string } {
  let hdr;
  try {
    // the stored header may carry its padding to 8 bytes
    if (bytes.length < 16) throw new RpmFormatError(`signature header is only ${bytes.length} bytes`);
    const length = 16 + bytes.readUInt32BE(8) * 16 + bytes.readUInt32BE(12);
    if (length > bytes.length) throw new RpmFormatError(`signature header says it is ${length} bytes, got ${bytes.length}`);
    hdr = parseHeader('signature', 0, bytes.subarray(0, length));
  } catch (e) {
    if (e instanceof RpmFormatError) throw new GenericError(`not an RPM signature header: ${e.message}`);
    throw e;
  }
  const md5 = getBinary(hdr, RPMSIGTAG.MD5);
  let key = '';
  for (const tag of SIG_TAGS) {
    const packet = getBinary(hdr, tag);
    if (packet && packet.length) {
      key = (sigpacketKeyId(packet) ?? '').slice(-8);
      break;
    }
  }
  return { sigmd5: md5 ? md5.toString('hex') : null, sigkey: key.toLowerCase() };
}

export const importMethods: MethodDef[] = [
  method({
    name: 'uploadFile',
    sig: '(path, name, size, md5sum, offset, data, volume=None, checksum=None)',
    requires: 'login',
    writes: true,
    doc: 'Upload a chunk of a file (base64 text) to work/<path>/<name>; offset -1 finalises. The octet-stream upload is faster.',
    // size and offset: 64-bit, and the CLI may send them as text (checked by the handler)
    args: { path: t.str, name: t.str, volume: t.str.nullable(), size: t.any, offset: t.any },
    handler: (ctx, a) => legacyUpload(ctx, a),
  }),
  method({
    name: 'checkUpload',
    sig: '(path, name, verify=None, tail=None, volume=None)',
    doc: 'Size, mtime (and with verify a checksum, over the last `tail` bytes) of an uploaded file, or None.',
    args: { path: t.str, name: t.str, volume: t.str.nullable(), verify: t.str.nullable(), tail: t.any },
    handler: (ctx, a) => checkUpload(ctx, a),
  }),
  method({
    name: 'importRPM',
    sig: '(path, basename)',
    requires: { perm: 'admin' },
    writes: true,
    doc: 'Import an uploaded RPM (work/<path>/<basename>) into the database and packages/.',
    args: { path: t.str, basename: t.str },
    async handler(ctx, a) {
      if (a.basename.includes('/') || a.path.split('/').includes('..')) throw new GenericError(`Invalid path: ${a.path}/${a.basename}`);
      const fn = join(new PathInfo(ctx.hub.kojiDir).work(), a.path, a.basename);
      if (!(await fsp.stat(fn).catch(() => null))) throw new GenericError(`No such file: ${fn}`);
      return (await importRpmFile(ctx, fn)) as XmlRpcValue;
    },
  }),
  method({
    name: 'addExternalRPM',
    sig: '(rpminfo, external_repo, strict=True)',
    requires: { perm: 'admin' },
    writes: true,
    doc: 'Record an RPM from an external repo (name, version, release, epoch, arch, payloadhash, size, buildtime).',
    args: { rpminfo: t.struct, strict: t.flag },
    async handler(ctx, a) {
      const repo = await lookupName(ctx.sql, 'external_repo', a.external_repo, { strict: true });
      if (repo!.id === 0) throw new GenericError('external_repo cannot be INTERNAL');
      await addExternalRpm(ctx, a.rpminfo, repo!.id, a.strict);
      return null;
    },
  }),
  method({
    name: 'addRPMSig',
    sig: '(an_rpm, data)',
    requires: { perm: 'sign' },
    writes: true,
    doc: 'Store a signature header (base64) for an rpm; it must belong to the same payload (sigmd5).',
    async handler(ctx, a) {
      const rpm = (await findRpm(ctx, a.an_rpm, true)) as RpmRow;
      const bytes = a.data instanceof Binary ? a.data.data : typeof a.data === 'string' ? Buffer.from(a.data, 'base64') : null;
      if (!bytes) throw new GenericError('addRPMSig: data must be the signature header in base64');
      const { sigmd5, sigkey } = parseSigHeader(bytes);
      await addRpmSig(ctx, rpm, bytes, sigmd5 ?? rpm.payloadhash, sigkey);
      return null;
    },
  }),
  method({
    name: 'queryRPMSigs',
    sig: '(rpm_id=None, sigkey=None, queryOpts=None)',
    doc: 'Signatures stored for rpms: [{rpm_id, sigkey, sighash}].',
    args: { queryOpts: queryOptsSchema, sigkey: t.str.nullable() },
    async handler(ctx, a) {
      let rpmId = a.rpm_id;
      if (rpmId !== null && typeof rpmId !== 'number') {
        const r = await findRpm(ctx, rpmId);
        if (!r) return [];
        rpmId = r.id;
      }
      const q = new Select('rpmsigs').columns(['rpm_id', 'rpm_id'], ['sigkey', 'sigkey'], ['sighash', 'sighash']);
      if (rpmId !== null) q.where(`rpm_id = ${q.p(rpmId)}`);
      if (a.sigkey !== null) q.where(`sigkey = ${q.p(a.sigkey.toLowerCase())}`);
      return (await q.run(ctx.sql, a.queryOpts)) as XmlRpcValue;
    },
  }),
  method({
    name: 'writeSignedRPM',
    sig: '(an_rpm, sigkey, force=False)',
    requires: { perm: 'sign' },
    writes: true,
    doc: 'Write data/signed/<key>/… : a copy of the rpm with its stored signature header spliced in.',
    args: { sigkey: t.str, force: t.flag },
    handler: (ctx, a) => writeSignedRpm(ctx, a.an_rpm, a.sigkey, a.force),
  }),
  method({
    name: 'host.writeSignedRPM',
    sig: '(an_rpm, sigkey, force=False)',
    requires: 'hostSession',
    writes: true,
    doc: 'writeSignedRPM for builders (dist repos with write_signed_rpms).',
    args: { sigkey: t.str, force: t.flag },
    handler: (ctx, a) => writeSignedRpm(ctx, a.an_rpm, a.sigkey, a.force),
  }),
  method({
    name: 'deleteRPMSig',
    sig: '(rpminfo, sigkey=None, all_sigs=False)',
    requires: { perm: 'admin' },
    writes: true,
    doc: 'Delete stored signature(s) of an rpm and their cached files (goes against immutability; use rarely).',
    args: { sigkey: t.str.nullable(), all_sigs: t.flag },
    async handler(ctx, a) {
      if (!a.all_sigs && !a.sigkey) throw new GenericError('No signature specified');
      const rpm = (await findRpm(ctx, a.rpminfo, true)) as RpmRow;
      const nvra = `${rpm.name}-${rpm.version}-${rpm.release}.${rpm.arch}`;
      if (rpm.external_repo_id) throw new GenericError(`Not an internal rpm: ${pyStrOf(a.rpminfo)} (from ${rpm.external_repo_name})`);
      const sigs = await ctx.sql.query<{ sigkey: string }>(`SELECT sigkey FROM rpmsigs WHERE rpm_id = $1${a.all_sigs ? '' : ' AND sigkey = $2'}`, a.all_sigs ? [rpm.id] : [rpm.id, a.sigkey!.toLowerCase()]);
      if (!sigs.length) throw new GenericError(`${nvra} has no matching signatures to delete`);
      const build = await getBuild(ctx.sql, rpm.build_id, true);
      const pi = new PathInfo(ctx.hub.kojiDir);
      for (const s of sigs) {
        await ctx.sql.execute('DELETE FROM rpmsigs WHERE rpm_id = $1 AND sigkey = $2', [rpm.id, s.sigkey]);
        await ctx.sql.execute('DELETE FROM rpm_checksum WHERE rpm_id = $1 AND sigkey = $2', [rpm.id, s.sigkey]);
        const files = [join(pi.build(build!), pi.sighdr(rpm, s.sigkey)), join(pi.build(build!), pi.signed(rpm, s.sigkey))];
        ctx.onCommit(async () => {
          for (const f of files) await fsp.rm(f, { force: true });
        });
      }
      return null;
    },
  }),
];
