/**
 * Bad input for src/rpm: empty, non-RPM and truncated files, headers whose index count or data
 * size lies, corrupted index entries and tag values, and random corruption. Each must give an
 * RpmFormatError with a message saying what is wrong and where — never another exception, a
 * hang or a huge allocation. Also a 3 GB (sparse) package, which must be cheap to inspect.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageInfo, parseRpmBuffer, readRpmHeaders, RPM_TYPE, RpmFormatError, rpmInfo, RPMTAG, RPMSIGTAG, type RpmHeader, type RpmPackage } from '../../src/rpm/index.ts';
import { buildFixture, SKIP_RPMBUILD_TESTS, scratchFile } from './build-fixtures.ts';

let work = '';
let counter = 0;

async function formatErrorOf(bytes: Buffer): Promise<string> {
  const path = scratchFile(work, `case-${counter++}.rpm`, bytes);
  let fileErr: unknown;
  try {
    await rpmInfo(path);
  } catch (e) {
    fileErr = e;
  }
  let bufErr: unknown;
  try {
    packageInfo(parseRpmBuffer(bytes));
  } catch (e) {
    bufErr = e;
  }
  expect(fileErr, 'rpmInfo must throw').toBeInstanceOf(RpmFormatError);
  expect(bufErr, 'parseRpmBuffer must throw').toBeInstanceOf(RpmFormatError);
  const msg = (bufErr as Error).message;
  // same message either way, prefixed by the path when read from a file
  expect((fileErr as Error).message).toBe(`${path}: ${msg}`);
  expect((fileErr as RpmFormatError).path).toBe(path);
  return msg;
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'kts-rpm-bad-'));
});
afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('files that are not RPMs', () => {
  it('rejects an empty file', async () => {
    expect(await formatErrorOf(Buffer.alloc(0))).toBe('empty file (0 bytes): not an RPM package');
  });

  it('rejects text and zip files by their lead magic', async () => {
    expect(await formatErrorOf(Buffer.from('Hello, this is not an RPM package at all.\n'.repeat(10)))).toBe(
      'not an RPM package: bad lead magic 48656c6c at offset 0 (expected edabeedb)',
    );
    // an empty zip archive: just the end-of-central-directory record
    const zip = Buffer.concat([Buffer.from('PK\x05\x06'), Buffer.alloc(18)]);
    expect(await formatErrorOf(zip)).toBe('not an RPM package: bad lead magic 504b0506 at offset 0 (expected edabeedb)');
    expect(await formatErrorOf(Buffer.from([0x1f]))).toBe('not an RPM package: bad lead magic 1f at offset 0 (expected edabeedb)');
  });

  it('rejects a directory', async () => {
    await expect(readRpmHeaders(work)).rejects.toThrow(/not a regular file/);
  });
});

describe.skipIf(SKIP_RPMBUILD_TESTS)('damaged packages', () => {
  let good: Buffer;
  let pkg: RpmPackage;

  beforeAll(() => {
    good = readFileSync(buildFixture('hello').rpms[0]);
    pkg = parseRpmBuffer(good);
  });

  function patched(edit: (b: Buffer) => void): Buffer {
    const b = Buffer.from(good);
    edit(b);
    return b;
  }
  /** File offset of field `field` (0 tag, 4 type, 8 offset, 12 count) of index entry `i`. */
  const entryField = (h: RpmHeader, i: number, field: number) => h.start + 16 + 16 * i + field;
  const entryOf = (h: RpmHeader, tag: number) => h.entries.find((e) => e.tag === tag)!;
  /** File offset of byte `offset` of a header's data store. */
  const storeAt = (h: RpmHeader, offset: number) => h.start + 16 + 16 * h.indexCount + offset;

  it('reports a truncated lead', async () => {
    expect(await formatErrorOf(good.subarray(0, 2))).toBe('file is truncated: lead needs 96 bytes at offset 0, only 2 left');
    for (const cut of [10, 50, 95]) {
      expect(await formatErrorOf(good.subarray(0, cut))).toBe(`file is truncated: lead needs 96 bytes at offset 0, only ${cut} left`);
    }
  });

  it('reports a truncated signature header', async () => {
    const sig = pkg.signature;
    const need = `signature header needs ${sig.length} bytes at offset 96 (${sig.indexCount} index entries, ${sig.dataSize} bytes of data)`;
    expect(await formatErrorOf(good.subarray(0, 96))).toBe('file is truncated: signature header needs 16 bytes at offset 96, only 0 left');
    expect(await formatErrorOf(good.subarray(0, 104))).toBe('file is truncated: signature header needs 16 bytes at offset 96, only 8 left');
    for (const cut of [96 + 16, 96 + 40, 96 + 16 + 16 * sig.indexCount + 3, 96 + sig.length - 1]) {
      expect(await formatErrorOf(good.subarray(0, cut))).toBe(`file is truncated: ${need}, only ${cut - 96} left`);
    }
    const pad = pkg.sigHeaderRange.length - sig.length;
    if (pad > 0) {
      const end = 96 + sig.length;
      expect(await formatErrorOf(good.subarray(0, end))).toBe(`file is truncated: signature header padding needs ${pad} bytes at offset ${end}, only 0 left`);
    }
  });

  it('reports a truncated main header', async () => {
    const h = pkg.header;
    const need = `main header needs ${h.length} bytes at offset ${h.start} (${h.indexCount} index entries, ${h.dataSize} bytes of data)`;
    expect(await formatErrorOf(good.subarray(0, h.start))).toBe(`file is truncated: main header needs 16 bytes at offset ${h.start}, only 0 left`);
    expect(await formatErrorOf(good.subarray(0, h.start + 5))).toBe(`file is truncated: main header needs 16 bytes at offset ${h.start}, only 5 left`);
    for (const cut of [h.start + 16, h.start + 100, h.start + h.length - 1]) {
      expect(await formatErrorOf(good.subarray(0, cut))).toBe(`file is truncated: ${need}, only ${cut - h.start} left`);
    }
  });

  it('reports a truncated payload, from the size the signature header states', async () => {
    const stated = pkg.header.length + pkg.payloadSize;
    for (const cut of [pkg.payloadOffset, pkg.payloadOffset + 10, good.length - 1]) {
      expect(await formatErrorOf(good.subarray(0, cut))).toBe(
        `file is truncated: the signature header says main header and payload take ${stated} bytes from offset ${pkg.header.start}, ` +
          `only ${cut - pkg.header.start} left (payload ends at ${good.length}, file at ${cut})`,
      );
    }
  });

  it('rejects index counts and data sizes that lie', async () => {
    const sig = pkg.signature;
    const h = pkg.header;
    expect(await formatErrorOf(patched((b) => b.writeUInt32BE(0xffffffff, 96 + 8)))).toBe(
      'signature header at offset 96: index entry count 4294967295 exceeds the limit of 1000000',
    );
    expect(await formatErrorOf(patched((b) => b.writeUInt32BE(0xfffffff0, h.start + 12)))).toBe(
      `main header at offset ${h.start}: data store size 4294967280 exceeds the limit of 268435456 bytes`,
    );
    expect(await formatErrorOf(patched((b) => b.writeUInt32BE(0, h.start + 8)))).toBe(`main header at offset ${h.start}: header has no index entries`);
    // plausible but beyond the end of the file
    expect(await formatErrorOf(patched((b) => b.writeUInt32BE(50_000, 96 + 8)))).toBe(
      `file is truncated: signature header needs ${16 + 16 * 50_000 + sig.dataSize} bytes at offset 96 (50000 index entries, ${sig.dataSize} bytes of data), only ${good.length - 96} left`,
    );
    expect(await formatErrorOf(patched((b) => b.writeUInt32BE(h.dataSize + 4096, h.start + 12)))).toMatch(
      new RegExp(`^file is truncated: main header needs ${h.length + 4096} bytes at offset ${h.start} `),
    );
    // a data store smaller than the entries need
    expect(await formatErrorOf(patched((b) => b.writeUInt32BE(h.dataSize - 200, h.start + 12)))).toMatch(
      new RegExp(`^main header at offset ${h.start}: index entry \\d+ \\(tag \\d+( \\w+)?\\) points outside the data store`),
    );
  });

  it('rejects corrupted index entries', async () => {
    const h = pkg.header;
    const at = `main header at offset ${h.start}`;
    const name = entryOf(h, RPMTAG.NAME);
    expect(await formatErrorOf(patched((b) => b.writeUInt32BE(0x7fff0000, entryField(h, name.index, 8))))).toBe(
      `${at}: index entry ${name.index} (tag 1000 NAME) points outside the data store (offset 2147418112; the data store is ${h.dataSize} bytes)`,
    );
    expect(await formatErrorOf(patched((b) => b.writeUInt32BE(0xffffffff, entryField(h, name.index, 8))))).toBe(
      `${at}: index entry ${name.index} (tag 1000 NAME) points outside the data store (negative offset -1)`,
    );
    expect(await formatErrorOf(patched((b) => b.writeUInt32BE(42, entryField(h, name.index, 4))))).toBe(`${at}: index entry ${name.index} (tag 1000 NAME) has unknown data type 42`);
    expect(await formatErrorOf(patched((b) => b.writeUInt32BE(2, entryField(h, name.index, 12))))).toBe(`${at}: index entry ${name.index} (tag 1000 NAME) is a STRING with count 2 (expected 1)`);
    const sizes = entryOf(h, RPMTAG.FILESIZES);
    expect(await formatErrorOf(patched((b) => b.writeUInt32BE(sizes.offset + 1, entryField(h, sizes.index, 8))))).toBe(
      `${at}: index entry ${sizes.index} (tag 1028 FILESIZES) is misaligned: offset ${sizes.offset + 1} of INT32 data is not a multiple of 4`,
    );
    expect(await formatErrorOf(patched((b) => b.writeUInt32BE(0x40000000, entryField(h, sizes.index, 12))))).toBe(
      `${at}: index entry ${sizes.index} (tag 1028 FILESIZES) points outside the data store (offset ${sizes.offset} + 1073741824 × 4 bytes; the data store is ${h.dataSize} bytes)`,
    );
    const base = entryOf(h, RPMTAG.BASENAMES);
    expect(await formatErrorOf(patched((b) => b.writeUInt32BE(0x7fffffff, entryField(h, base.index, 12))))).toBe(
      `${at}: index entry ${base.index} (tag 1117 BASENAMES) points outside the data store (offset ${base.offset}, 2147483647 strings; the data store is ${h.dataSize} bytes)`,
    );
    const md5 = entryOf(pkg.signature, RPMSIGTAG.MD5);
    expect(await formatErrorOf(patched((b) => b.writeUInt32BE(pkg.signature.dataSize - 4, entryField(pkg.signature, md5.index, 8))))).toBe(
      `signature header at offset 96: index entry ${md5.index} (tag 1004 MD5) points outside the data store (offset ${pkg.signature.dataSize - 4} + 16 × 1 bytes; the data store is ${pkg.signature.dataSize} bytes)`,
    );
  });

  it('rejects bad magic and unsupported leads', async () => {
    expect(await formatErrorOf(patched((b) => (b[96] = 0)))).toBe('signature header at offset 96: bad header magic 00ade801 (expected 8eade801)');
    expect(await formatErrorOf(patched((b) => (b[pkg.header.start + 3] = 2)))).toBe(`main header at offset ${pkg.header.start}: bad header magic 8eade802 (expected 8eade801)`);
    expect(await formatErrorOf(patched((b) => (b[4] = 9)))).toBe('lead at offset 0: unsupported RPM file format version 9.0 (expected 3 or 4)');
    expect(await formatErrorOf(patched((b) => b.writeUInt16BE(1, 78)))).toBe('lead at offset 0: unsupported signature type 1 (expected 5, a header-style signature)');
  });

  it('rejects tag values rpmInfo cannot use', async () => {
    const h = pkg.header;
    const at = `main header at offset ${h.start}`;
    const name = entryOf(h, RPMTAG.NAME);
    expect(await formatErrorOf(patched((b) => b.writeUInt32BE(RPM_TYPE.BIN, entryField(h, name.index, 4))))).toBe(`${at}: index entry ${name.index} (tag 1000 NAME) has type BIN; expected a string`);
    const sizes = entryOf(h, RPMTAG.FILESIZES);
    expect(await formatErrorOf(patched((b) => b.writeUInt32BE(1, entryField(h, sizes.index, 12))))).toBe(`${at}: FILESIZES has 1 entries but the file list has 2`);
    const dirIndexes = entryOf(h, RPMTAG.DIRINDEXES);
    expect(await formatErrorOf(patched((b) => b.writeUInt32BE(99, storeAt(h, dirIndexes.offset))))).toMatch(
      new RegExp(`^${at}: file 0 \\(hello.conf\\) has directory index 99 but DIRNAMES has \\d+ entries$`),
    );
    const reqFlags = entryOf(h, RPMTAG.REQUIREFLAGS);
    const nreq = entryOf(h, RPMTAG.REQUIRENAME).count;
    expect(await formatErrorOf(patched((b) => b.writeUInt32BE(nreq - 1, entryField(h, reqFlags.index, 12))))).toBe(`${at}: REQUIRENAME has ${nreq} entries but REQUIREFLAGS has ${nreq - 1}`);
    // the MD5 digest relabelled as an RSA signature: not an OpenPGP packet
    const md5 = entryOf(pkg.signature, RPMSIGTAG.MD5);
    expect(await formatErrorOf(patched((b) => b.writeUInt32BE(RPMSIGTAG.RSA, entryField(pkg.signature, md5.index, 0))))).toMatch(
      /^signature header at offset 96: RSA tag 268: OpenPGP signature: /,
    );
  });

  it('survives random corruption with RpmFormatError or a result, nothing else', () => {
    let seed = 0x6b6f6a69;
    const rand = () => {
      // mulberry32
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    const headersEnd = pkg.payloadOffset;
    let failures = 0;
    for (let i = 0; i < 3000; i++) {
      const b = Buffer.from(good);
      const flips = 1 + Math.floor(rand() * 4);
      for (let f = 0; f < flips; f++) b[Math.floor(rand() * headersEnd)] = Math.floor(rand() * 256);
      const data = rand() < 0.1 ? b.subarray(0, Math.floor(rand() * b.length)) : b;
      try {
        packageInfo(parseRpmBuffer(data));
      } catch (e) {
        if (!(e instanceof RpmFormatError)) throw new Error(`iteration ${i}: ${(e as Error).stack}`, { cause: e });
        failures++;
      }
    }
    expect(failures).toBeGreaterThan(0);
  });

  it('inspects a 3 GB package without reading its payload', async () => {
    const dir = join(work, 'big');
    mkdirSync(dir, { recursive: true });
    const path = join(dir, 'hello-big.rpm');
    copyFileSync(buildFixture('hello').rpms[0], path);
    truncateSync(path, 3 * 1024 ** 3); // sparse: the file system allocates nothing
    const before = process.memoryUsage().arrayBuffers;
    const t0 = performance.now();
    const info = await rpmInfo(path);
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(16 * 1024 * 1024);
    expect(info.size).toBe(3 * 1024 ** 3);
    expect(info.payloadSize).toBe(3 * 1024 ** 3 - info.payloadOffset);
    expect(info.name).toBe('hello');
    rmSync(path);
  });
});
