/**
 * Reading the structure of an RPM file: the 96-byte lead, the signature header (padded to a
 * multiple of 8 bytes), the main header, and where the payload lies (left untouched). One parser
 * drives both entry points: readRpmHeaders(path) reads only the lead and headers with positioned
 * reads on a file handle (so a 2 GB package is cheap to inspect), parseRpmBuffer(buf) works on
 * bytes in memory. Also digests of the main header and the payload MD5 Koji calls payloadhash.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { formatError, getNumber, HEADER_PREAMBLE_SIZE, parseHeader, parsePreamble, RpmFormatError, type RpmHeader } from './header.ts';
import { RPMSIGTAG } from './tags.ts';

export const LEAD_SIZE = 96;
export const LEAD_MAGIC = Buffer.from([0xed, 0xab, 0xee, 0xdb]);
/** The only signature type rpm ≥ 2.1 writes (a header-structured signature). */
export const RPMSIGTYPE_HEADERSIG = 5;

export interface RpmLead {
  major: number;
  minor: number;
  /** 0 binary, 1 source. */
  type: number;
  archnum: number;
  /** The NVR written into the lead (at most 65 bytes, may be cut short). */
  name: string;
  osnum: number;
  signatureType: number;
}

export interface ByteRange {
  start: number;
  length: number;
}

export interface RpmPackage {
  /** The file read, or null for parseRpmBuffer. */
  path: string | null;
  fileSize: number;
  lead: RpmLead;
  signature: RpmHeader;
  /** The signature header with its padding to 8 bytes: what Koji's rip_rpm_sighdr returns and
   * what is spliced in place of the old one when writing a signed copy. */
  sigHeaderBytes: Buffer;
  /** Byte range of sigHeaderBytes in the file (starts at 96). */
  sigHeaderRange: ByteRange;
  header: RpmHeader;
  /** Byte range of the main header in the file (its bytes are header.bytes). */
  headerRange: ByteRange;
  payloadOffset: number;
  payloadSize: number;
}

interface Need {
  offset: number;
  length: number;
  what: string;
}

function truncated(what: string, offset: number, length: number, fileSize: number): RpmFormatError {
  return formatError(`file is truncated: ${what} needs ${length} bytes at offset ${offset}, only ${Math.max(0, fileSize - offset)} left`);
}

export function parseLead(b: Buffer): RpmLead {
  const nameEnd = b.indexOf(0, 10);
  const lead: RpmLead = {
    major: b[4],
    minor: b[5],
    type: b.readUInt16BE(6),
    archnum: b.readUInt16BE(8),
    name: b.toString('utf8', 10, nameEnd >= 0 && nameEnd < 76 ? nameEnd : 76),
    osnum: b.readUInt16BE(76),
    signatureType: b.readUInt16BE(78),
  };
  if (lead.major < 3 || lead.major > 4) throw formatError(`lead at offset 0: unsupported RPM file format version ${lead.major}.${lead.minor} (expected 3 or 4)`);
  if (lead.signatureType !== RPMSIGTYPE_HEADERSIG) {
    throw formatError(`lead at offset 0: unsupported signature type ${lead.signatureType} (expected ${RPMSIGTYPE_HEADERSIG}, a header-style signature)`);
  }
  return lead;
}

/**
 * The parser, as a generator that asks its driver for byte ranges (always inside the file: the
 * driver checks) and returns the package structure; it never asks for more than the headers.
 */
function* parseSteps(fileSize: number): Generator<Need, Omit<RpmPackage, 'path'>, Buffer> {
  if (fileSize === 0) throw formatError('empty file (0 bytes): not an RPM package');
  const head = yield { offset: 0, length: Math.min(LEAD_SIZE, fileSize), what: 'lead' };
  const magicLen = Math.min(4, head.length);
  if (!head.subarray(0, magicLen).equals(LEAD_MAGIC.subarray(0, magicLen))) {
    throw formatError(`not an RPM package: bad lead magic ${head.subarray(0, 4).toString('hex')} at offset 0 (expected ${LEAD_MAGIC.toString('hex')})`);
  }
  if (head.length < LEAD_SIZE) throw truncated('lead', 0, LEAD_SIZE, fileSize);
  const lead = parseLead(head);

  const sig = yield* readHeader('signature', LEAD_SIZE, fileSize);
  const sigEnd = sig.start + sig.length;
  const pad = (8 - (sigEnd % 8)) % 8;
  if (sigEnd + pad > fileSize) throw truncated('signature header padding', sigEnd, pad, fileSize);
  const mainStart = sigEnd + pad;
  const sigHeaderBytes = pad === 0 ? sig.bytes : Buffer.concat([sig.bytes, yield { offset: sigEnd, length: pad, what: 'signature header padding' }]);

  const header = yield* readHeader('main', mainStart, fileSize);
  const payloadOffset = header.start + header.length;
  // the signature header states the size of main header + payload: a shorter file lost its tail
  const stated = getNumber(sig, RPMSIGTAG.LONGSIZE) ?? getNumber(sig, RPMSIGTAG.SIZE);
  if (stated !== null && mainStart + stated > fileSize) {
    throw formatError(
      `file is truncated: the signature header says main header and payload take ${stated} bytes from offset ${mainStart}, ` +
        `only ${fileSize - mainStart} left (payload ends at ${mainStart + stated}, file at ${fileSize})`,
    );
  }
  return {
    fileSize,
    lead,
    signature: sig,
    sigHeaderBytes,
    sigHeaderRange: { start: LEAD_SIZE, length: sigHeaderBytes.length },
    header,
    headerRange: { start: header.start, length: header.length },
    payloadOffset,
    payloadSize: fileSize - payloadOffset,
  };
}

function* readHeader(kind: 'signature' | 'main', start: number, fileSize: number): Generator<Need, RpmHeader, Buffer> {
  const what = `${kind} header`;
  if (start + HEADER_PREAMBLE_SIZE > fileSize) throw truncated(what, start, HEADER_PREAMBLE_SIZE, fileSize);
  const pre = yield { offset: start, length: HEADER_PREAMBLE_SIZE, what };
  const { length } = parsePreamble(kind, start, pre, fileSize - start);
  const rest = yield { offset: start + HEADER_PREAMBLE_SIZE, length: length - HEADER_PREAMBLE_SIZE, what };
  return parseHeader(kind, start, Buffer.concat([pre, rest], length));
}

function withPath<E>(e: E, path: string): E {
  if (e instanceof RpmFormatError && e.path === undefined) {
    e.path = path;
    e.message = `${path}: ${e.message}`;
  }
  return e;
}

/** Parse an RPM held in memory. Header buffers are copies, so `buf` may be reused afterwards. */
export function parseRpmBuffer(buf: Buffer | Uint8Array): RpmPackage {
  const data = Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  const gen = parseSteps(data.length);
  let step = gen.next();
  while (!step.done) {
    const { offset, length, what } = step.value;
    if (offset + length > data.length) throw truncated(what, offset, length, data.length);
    step = gen.next(data.subarray(offset, offset + length));
  }
  return { path: null, ...step.value };
}

/** Read the lead and both headers of an RPM file, without touching the payload. */
export async function readRpmHeaders(path: string): Promise<RpmPackage> {
  const fh = await open(path, 'r');
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw formatError('not a regular file');
    const gen = parseSteps(st.size);
    let step = gen.next();
    while (!step.done) {
      const { offset, length, what } = step.value;
      if (offset + length > st.size) throw truncated(what, offset, length, st.size);
      const buf = Buffer.alloc(length);
      let got = 0;
      while (got < length) {
        const { bytesRead } = await fh.read(buf, got, length - got, offset + got);
        if (bytesRead === 0) throw truncated(what, offset, length, offset + got);
        got += bytesRead;
      }
      step = gen.next(buf);
    }
    return { path, ...step.value };
  } catch (e) {
    throw withPath(e, path);
  } finally {
    await fh.close();
  }
}

/** Hex digest (sha256, md5, sha1 …) of the main header's bytes, as rpm's SHA1/SHA256 header
 * digests are computed; used for signature caches. */
export function headerDigest(pkg: RpmPackage, algorithm = 'sha256'): string {
  return createHash(algorithm).update(pkg.header.bytes).digest('hex');
}

/**
 * MD5 of the main header and the payload, i.e. what the signature header's MD5 tag (Koji's
 * sigmd5 / payloadhash) should hold. Streams the payload from the file (or the given bytes)
 * without decompressing it.
 */
export async function computeSigmd5(pkg: RpmPackage, data?: Buffer): Promise<string> {
  const h = createHash('md5').update(pkg.header.bytes);
  if (data) {
    h.update(data.subarray(pkg.payloadOffset));
  } else {
    if (pkg.path === null) throw new Error('computeSigmd5: a package parsed from memory needs its bytes');
    for await (const chunk of createReadStream(pkg.path, { start: pkg.payloadOffset })) h.update(chunk as Buffer);
  }
  return h.digest('hex');
}
