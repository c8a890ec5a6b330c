/**
 * Just enough OpenPGP (RFC 4880 / RFC 9580) to identify who signed an RPM: parse the signature
 * packet stored in the RSA/DSA header-signature tags or the PGP/GPG header+payload tags and find
 * the issuer key id, from a version 3 packet or from the issuer (type 16) or issuer fingerprint
 * (type 33) subpackets of a version 4 (or 6) packet. The signature itself is not verified.
 */
import { formatError } from './header.ts';

export interface PgpSignatureInfo {
  /** Packet version: 3, 4 or 6. */
  version: number;
  /** Signature type (0x00 binary document …). */
  sigType: number;
  /** Public-key algorithm id (1 RSA, 17 DSA, 19 ECDSA, 22 EdDSA …). */
  pubkeyAlgo: number;
  /** Hash algorithm id (2 SHA1, 8 SHA256, 10 SHA512 …). */
  hashAlgo: number;
  /** Signature creation time (seconds since the epoch), if stated. */
  created: number | null;
  /** The issuer key id, 16 lower-case hex digits, or null when the packet names none. */
  keyId: string | null;
  /** The issuer fingerprint (lower-case hex) from a type 33 subpacket, if any. */
  fingerprint: string | null;
}

const SUBPACKET_CREATED = 2;
const SUBPACKET_ISSUER = 16;
const SUBPACKET_ISSUER_FPR = 33;

function bad(message: string): Error {
  return formatError(`OpenPGP signature: ${message}`);
}

/** Strip the packet header; returns the packet tag and body. The packet must fill `buf` exactly. */
export function parsePacketHeader(buf: Buffer): { tag: number; body: Buffer } {
  if (buf.length < 2) throw bad(`${buf.length} bytes is too short for a packet`);
  const b0 = buf[0];
  if ((b0 & 0x80) === 0) throw bad(`not an OpenPGP packet (first byte 0x${b0.toString(16).padStart(2, '0')})`);
  let tag: number;
  let hdr: number;
  let len: number;
  if ((b0 & 0x40) === 0) {
    // old format: tag in bits 5-2, length type in bits 1-0
    tag = (b0 >> 2) & 0x0f;
    const lenType = b0 & 0x03;
    if (lenType === 3) {
      hdr = 1;
      len = buf.length - 1;
    } else {
      hdr = 1 + [1, 2, 4][lenType];
      if (buf.length < hdr) throw bad('packet header is truncated');
      len = lenType === 0 ? buf[1] : lenType === 1 ? buf.readUInt16BE(1) : buf.readUInt32BE(1);
    }
  } else {
    tag = b0 & 0x3f;
    const b1 = buf[1];
    if (b1 < 192) {
      hdr = 2;
      len = b1;
    } else if (b1 < 224) {
      if (buf.length < 3) throw bad('packet header is truncated');
      hdr = 3;
      len = ((b1 - 192) << 8) + buf[2] + 192;
    } else if (b1 === 255) {
      if (buf.length < 6) throw bad('packet header is truncated');
      hdr = 6;
      len = buf.readUInt32BE(2);
    } else {
      throw bad('packet uses partial body lengths, which a signature packet cannot');
    }
  }
  if (hdr + len !== buf.length) throw bad(`packet length ${len} (+${hdr} header bytes) does not match the ${buf.length} bytes stored`);
  return { tag, body: buf.subarray(hdr) };
}

interface Subpacket {
  type: number;
  data: Buffer;
}

function parseSubpackets(area: Buffer, which: string): Subpacket[] {
  const out: Subpacket[] = [];
  let pos = 0;
  while (pos < area.length) {
    const b0 = area[pos];
    let len: number;
    let off: number;
    if (b0 < 192) {
      len = b0;
      off = 1;
    } else if (b0 < 255) {
      if (pos + 2 > area.length) throw bad(`${which} subpacket length at offset ${pos} is truncated`);
      len = ((b0 - 192) << 8) + area[pos + 1] + 192;
      off = 2;
    } else {
      if (pos + 5 > area.length) throw bad(`${which} subpacket length at offset ${pos} is truncated`);
      len = area.readUInt32BE(pos + 1);
      off = 5;
    }
    if (len === 0) throw bad(`${which} subpacket at offset ${pos} has length 0`);
    if (pos + off + len > area.length) throw bad(`${which} subpacket at offset ${pos} (length ${len}) runs past the end of its ${area.length}-byte area`);
    out.push({ type: area[pos + off] & 0x7f, data: area.subarray(pos + off + 1, pos + off + len) });
    pos += off + len;
  }
  return out;
}

/** Parse a signature packet (as stored in an RPM signature tag). */
export function parseSignaturePacket(packet: Buffer): PgpSignatureInfo {
  const { tag, body } = parsePacketHeader(packet);
  if (tag !== 2) throw bad(`packet has tag ${tag}, not 2 (a signature packet)`);
  if (body.length < 1) throw bad('signature packet is empty');
  const version = body[0];
  if (version === 3 || version === 2) {
    if (body.length < 19) throw bad(`version 3 signature packet is only ${body.length} bytes`);
    if (body[1] !== 5) throw bad(`version 3 signature packet has hashed length ${body[1]} (expected 5)`);
    return {
      version: 3,
      sigType: body[2],
      created: body.readUInt32BE(3),
      keyId: body.toString('hex', 7, 15),
      pubkeyAlgo: body[15],
      hashAlgo: body[16],
      fingerprint: null,
    };
  }
  if (version !== 4 && version !== 6) throw bad(`unsupported signature packet version ${version}`);
  // v4: 2-byte subpacket area lengths; v6: 4-byte ones
  const lenSize = version === 4 ? 2 : 4;
  const readLen = (at: number, which: string): number => {
    if (at + lenSize > body.length) throw bad(`${which} subpacket area length at offset ${at} is past the end of the ${body.length}-byte packet`);
    return lenSize === 2 ? body.readUInt16BE(at) : body.readUInt32BE(at);
  };
  if (body.length < 4) throw bad(`version ${version} signature packet is only ${body.length} bytes`);
  let pos = 4;
  const hashedLen = readLen(pos, 'hashed');
  pos += lenSize;
  if (pos + hashedLen > body.length) throw bad(`hashed subpacket area (${hashedLen} bytes) runs past the end of the ${body.length}-byte packet`);
  const hashed = parseSubpackets(body.subarray(pos, pos + hashedLen), 'hashed');
  pos += hashedLen;
  const unhashedLen = readLen(pos, 'unhashed');
  pos += lenSize;
  if (pos + unhashedLen > body.length) throw bad(`unhashed subpacket area (${unhashedLen} bytes) runs past the end of the ${body.length}-byte packet`);
  const unhashed = parseSubpackets(body.subarray(pos, pos + unhashedLen), 'unhashed');

  let created: number | null = null;
  let fingerprint: string | null = null;
  const ids = new Set<string>();
  for (const sp of [...hashed, ...unhashed]) {
    if (sp.type === SUBPACKET_CREATED && sp.data.length === 4 && created === null) created = sp.data.readUInt32BE(0);
    if (sp.type === SUBPACKET_ISSUER) {
      if (sp.data.length !== 8) throw bad(`issuer subpacket holds ${sp.data.length} bytes (expected 8)`);
      ids.add(sp.data.toString('hex'));
    }
    if (sp.type === SUBPACKET_ISSUER_FPR) {
      const keyVersion = sp.data[0];
      const fpr = sp.data.subarray(1);
      if (keyVersion === 4 && fpr.length === 20) ids.add(fpr.toString('hex', 12, 20));
      else if ((keyVersion === 5 || keyVersion === 6) && fpr.length === 32) ids.add(fpr.toString('hex', 0, 8));
      else throw bad(`issuer fingerprint subpacket for a version ${keyVersion} key holds ${fpr.length} bytes`);
      fingerprint ??= fpr.toString('hex');
    }
  }
  if (ids.size > 1) throw bad(`signature names ${ids.size} different issuer key ids (${[...ids].join(', ')})`);
  return {
    version,
    sigType: body[1],
    pubkeyAlgo: body[2],
    hashAlgo: body[3],
    created,
    keyId: ids.size === 1 ? [...ids][0] : null,
    fingerprint,
  };
}

/**
 * Koji's get_sigpacket_key_id: the last 8 hex digits (lower-case) of the issuer key id of a
 * signature packet — the "sigkey" Koji files signed copies under.
 */
export function sigpacketKeyId(packet: Buffer): string {
  const info = parseSignaturePacket(packet);
  if (info.keyId === null) throw bad('signature packet names no issuer key id');
  return info.keyId.slice(-8);
}
