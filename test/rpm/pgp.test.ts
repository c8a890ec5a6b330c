/**
 * The OpenPGP signature-packet parser on hand-built packets: version 3 packets, version 4 (and 6)
 * packets with the issuer in hashed or unhashed subpackets or only as an issuer fingerprint, all
 * packet and subpacket length encodings, and malformed packets (each an RpmFormatError).
 */
import { describe, expect, it } from 'vitest';
import { parseSignaturePacket, RpmFormatError, sigpacketKeyId } from '../../src/rpm/index.ts';

const KEYID = Buffer.from('0123456789abcdef', 'hex');
const FPR_V4 = Buffer.from('00112233445566778899aabbccddeeff01234567', 'hex');
const MPI = Buffer.from([0x00, 0x08, 0xff]);

/** New-format packet header (RFC 4880 4.2.2) around `body`. */
function newPacket(tag: number, body: Buffer, forceFive = false): Buffer {
  const n = body.length;
  let len: Buffer;
  if (forceFive || n >= 8384) len = Buffer.from([255, n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]);
  else if (n >= 192) len = Buffer.from([((n - 192) >> 8) + 192, (n - 192) & 0xff]);
  else len = Buffer.from([n]);
  return Buffer.concat([Buffer.from([0xc0 | tag]), len, body]);
}

/** Old-format packet header with length type 0 (1 byte), 1 (2), 2 (4) or 3 (indeterminate). */
function oldPacket(tag: number, body: Buffer, lenType: 0 | 1 | 2 | 3): Buffer {
  const first = 0x80 | (tag << 2) | lenType;
  const len = lenType === 3 ? Buffer.alloc(0) : Buffer.alloc([1, 2, 4][lenType]);
  if (lenType === 0) len.writeUInt8(body.length);
  if (lenType === 1) len.writeUInt16BE(body.length);
  if (lenType === 2) len.writeUInt32BE(body.length);
  return Buffer.concat([Buffer.from([first]), len, body]);
}

function sub(type: number, data: Buffer, lengthForm: 1 | 2 | 5 = 1): Buffer {
  const n = data.length + 1;
  let len: Buffer;
  if (lengthForm === 5) len = Buffer.from([255, n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]);
  else if (lengthForm === 2) len = Buffer.from([((n - 192) >> 8) + 192, (n - 192) & 0xff]);
  else len = Buffer.from([n]);
  return Buffer.concat([len, Buffer.from([type]), data]);
}

const created = (t: number) => sub(2, Buffer.from([t >>> 24, (t >>> 16) & 0xff, (t >>> 8) & 0xff, t & 0xff]));
const issuer = (id: Buffer, critical = false) => sub(critical ? 0x80 | 16 : 16, id);
const issuerFpr = (version: number, fpr: Buffer) => sub(33, Buffer.concat([Buffer.from([version]), fpr]));

function v4Body(hashed: Buffer[], unhashed: Buffer[], pk = 1, hash = 8): Buffer {
  const h = Buffer.concat(hashed);
  const u = Buffer.concat(unhashed);
  const hl = Buffer.alloc(2);
  hl.writeUInt16BE(h.length);
  const ul = Buffer.alloc(2);
  ul.writeUInt16BE(u.length);
  return Buffer.concat([Buffer.from([4, 0, pk, hash]), hl, h, ul, u, Buffer.from([0xab, 0xcd]), MPI]);
}

function v3Body(time: number, keyId: Buffer): Buffer {
  const t = Buffer.alloc(4);
  t.writeUInt32BE(time);
  return Buffer.concat([Buffer.from([3, 5, 0]), t, keyId, Buffer.from([1, 2, 0xab, 0xcd]), MPI]);
}

function expectFormatError(f: () => unknown, message: RegExp): void {
  let err: unknown;
  try {
    f();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(RpmFormatError);
  expect((err as Error).message).toMatch(message);
}

describe('OpenPGP signature packets', () => {
  it('reads the key id of a version 3 packet (all old-format length types)', () => {
    for (const lenType of [0, 1, 2, 3] as const) {
      const p = oldPacket(2, v3Body(1_700_000_000, KEYID), lenType);
      expect(parseSignaturePacket(p)).toEqual({
        version: 3, sigType: 0, created: 1_700_000_000, keyId: '0123456789abcdef', pubkeyAlgo: 1, hashAlgo: 2, fingerprint: null,
      });
      // Koji takes bytes 11..15 of the body: the last 4 bytes of the key id
      expect(sigpacketKeyId(p)).toBe('89abcdef');
    }
  });

  it('reads the issuer of a version 4 packet from the unhashed or the hashed area', () => {
    const unhashed = newPacket(2, v4Body([created(1_600_000_000)], [issuer(KEYID)]));
    expect(parseSignaturePacket(unhashed)).toMatchObject({ version: 4, keyId: '0123456789abcdef', created: 1_600_000_000, pubkeyAlgo: 1, hashAlgo: 8 });
    const hashed = newPacket(2, v4Body([issuer(KEYID, true), created(5)], []));
    expect(sigpacketKeyId(hashed)).toBe('89abcdef');
    expect(sigpacketKeyId(oldPacket(2, v4Body([], [issuer(KEYID)]), 1))).toBe('89abcdef');
  });

  it('derives the key id from an issuer fingerprint subpacket', () => {
    const onlyFpr = newPacket(2, v4Body([issuerFpr(4, FPR_V4)], []));
    expect(parseSignaturePacket(onlyFpr)).toMatchObject({ keyId: 'ccddeeff01234567', fingerprint: FPR_V4.toString('hex') });
    expect(sigpacketKeyId(onlyFpr)).toBe('01234567');
    // as GnuPG 2.2 writes it: fingerprint hashed, issuer unhashed, same key
    const both = newPacket(2, v4Body([issuerFpr(4, FPR_V4), created(1)], [issuer(FPR_V4.subarray(12))]));
    expect(sigpacketKeyId(both)).toBe('01234567');
    // a version 6 key's id is the start of its 32-byte fingerprint
    const fpr6 = Buffer.alloc(32, 0x5a);
    fpr6.write('fedcba9876543210', 'hex');
    expect(parseSignaturePacket(newPacket(2, v4Body([issuerFpr(6, fpr6)], []))).keyId).toBe('fedcba9876543210');
  });

  it('reads version 6 packets (4-byte subpacket area lengths)', () => {
    const h = Buffer.concat([issuerFpr(4, FPR_V4), created(42)]);
    const hl = Buffer.alloc(4);
    hl.writeUInt32BE(h.length);
    const body = Buffer.concat([Buffer.from([6, 0, 27, 10]), hl, h, Buffer.alloc(4), Buffer.from([0xab, 0xcd, 16]), Buffer.alloc(16 + 64)]);
    expect(parseSignaturePacket(newPacket(2, body))).toMatchObject({ version: 6, keyId: 'ccddeeff01234567', created: 42, pubkeyAlgo: 27, hashAlgo: 10 });
  });

  it('handles every packet and subpacket length encoding', () => {
    const notation = sub(20, Buffer.alloc(300, 0x41), 2);
    const twoByte = newPacket(2, v4Body([notation], [issuer(KEYID)]));
    expect(twoByte[1]).toBeGreaterThanOrEqual(192);
    expect(sigpacketKeyId(twoByte)).toBe('89abcdef');
    const fiveByte = newPacket(2, v4Body([sub(20, Buffer.alloc(10), 5)], [sub(16, KEYID, 5)]), true);
    expect(fiveByte[1]).toBe(255);
    expect(sigpacketKeyId(fiveByte)).toBe('89abcdef');
  });

  it('returns no key id when the packet names no issuer, which sigpacketKeyId refuses', () => {
    const p = newPacket(2, v4Body([created(1)], []));
    expect(parseSignaturePacket(p).keyId).toBeNull();
    expectFormatError(() => sigpacketKeyId(p), /names no issuer/);
  });

  it('rejects malformed packets with RpmFormatError', () => {
    const good = newPacket(2, v4Body([], [issuer(KEYID)]));
    expectFormatError(() => parseSignaturePacket(Buffer.alloc(0)), /too short/);
    expectFormatError(() => parseSignaturePacket(Buffer.from('hello world')), /not an OpenPGP packet/);
    expectFormatError(() => parseSignaturePacket(newPacket(6, v4Body([], [issuer(KEYID)]))), /tag 6, not 2/);
    expectFormatError(() => parseSignaturePacket(Buffer.concat([good, Buffer.from([0])])), /does not match the \d+ bytes stored/);
    expectFormatError(() => parseSignaturePacket(good.subarray(0, good.length - 1)), /does not match/);
    expectFormatError(() => parseSignaturePacket(Buffer.from([0xc2, 0xe1, 1, 2])), /partial body lengths/);
    expectFormatError(() => parseSignaturePacket(Buffer.from([0xc2, 0xff, 0, 0])), /header is truncated/);
    expectFormatError(() => parseSignaturePacket(newPacket(2, Buffer.from([5, 0, 1, 8, 0, 0, 0, 0]))), /unsupported signature packet version 5/);
    expectFormatError(() => parseSignaturePacket(newPacket(2, Buffer.from([4, 0, 1]))), /only 3 bytes/);
    expectFormatError(() => parseSignaturePacket(oldPacket(2, v3Body(1, KEYID).subarray(0, 12), 0)), /version 3 signature packet is only 12 bytes/);
    // hashed area longer than the packet
    const lying = v4Body([issuer(KEYID)], []);
    lying.writeUInt16BE(0x7fff, 4);
    expectFormatError(() => parseSignaturePacket(newPacket(2, lying)), /hashed subpacket area \(32767 bytes\) runs past the end/);
    // a subpacket longer than its area
    const longSub = v4Body([Buffer.from([40, 16, 1, 2])], []);
    expectFormatError(() => parseSignaturePacket(newPacket(2, longSub)), /hashed subpacket at offset 0 \(length 40\) runs past the end of its 4-byte area/);
    expectFormatError(() => parseSignaturePacket(newPacket(2, v4Body([], [sub(16, Buffer.alloc(4))]))), /issuer subpacket holds 4 bytes/);
    expectFormatError(() => parseSignaturePacket(newPacket(2, v4Body([issuerFpr(4, Buffer.alloc(7))], []))), /fingerprint subpacket for a version 4 key holds 7 bytes/);
    const twoKeys = newPacket(2, v4Body([issuer(KEYID)], [issuer(Buffer.alloc(8, 1))]));
    expectFormatError(() => parseSignaturePacket(twoKeys), /2 different issuer key ids/);
  });
});
