/**
 * src/rpm on hand-built RPM files, for what rpmbuild on this machine does not produce: every
 * header data type (NULL, CHAR, INT8, INT16, INT64, I18NSTRING with translations), old-style
 * OLDFILENAMES with 64-bit LONGFILESIZES, source packages recognised by the lead type or a
 * missing SOURCERPM, nosrc packages, a version 3 PGP signature, no MD5, a missing NAME.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { getNumbers, getTag, packageInfo, parseRpmBuffer, RPM_TYPE, RpmFormatError, RPMSIGTAG, RPMTAG } from '../../src/rpm/index.ts';

interface Entry {
  tag: number;
  type: number;
  value?: null | number[] | bigint[] | string | string[] | Buffer;
}

/** Serialise a header structure (entries in the order given, values aligned as rpm aligns them). */
function header(entries: Entry[]): Buffer {
  const index: Buffer[] = [];
  const store: Buffer[] = [];
  let size = 0;
  const put = (b: Buffer) => {
    store.push(b);
    size += b.length;
  };
  for (const e of entries) {
    const align = [0, 1, 1, 2, 4, 8, 1, 1, 1, 1][e.type];
    if (align > 1 && size % align) put(Buffer.alloc(align - (size % align)));
    const offset = size;
    let count = 1;
    const v = e.value;
    if (e.type === RPM_TYPE.CHAR || e.type === RPM_TYPE.INT8) {
      put(Buffer.from(v as number[]));
      count = (v as number[]).length;
    } else if (e.type === RPM_TYPE.INT16 || e.type === RPM_TYPE.INT32) {
      const nums = v as number[];
      const w = e.type === RPM_TYPE.INT16 ? 2 : 4;
      const b = Buffer.alloc(nums.length * w);
      nums.forEach((n, i) => (w === 2 ? b.writeUInt16BE(n, i * 2) : b.writeUInt32BE(n, i * 4)));
      put(b);
      count = nums.length;
    } else if (e.type === RPM_TYPE.INT64) {
      const nums = v as bigint[];
      const b = Buffer.alloc(nums.length * 8);
      nums.forEach((n, i) => b.writeBigUInt64BE(n, i * 8));
      put(b);
      count = nums.length;
    } else if (e.type === RPM_TYPE.STRING) {
      put(Buffer.from(`${v as string}\0`));
    } else if (e.type === RPM_TYPE.BIN) {
      put(v as Buffer);
      count = (v as Buffer).length;
    } else if (e.type === RPM_TYPE.STRING_ARRAY || e.type === RPM_TYPE.I18NSTRING) {
      const list = v as string[];
      put(Buffer.from(list.map((s) => `${s}\0`).join('')));
      count = list.length;
    }
    const ie = Buffer.alloc(16);
    ie.writeUInt32BE(e.tag, 0);
    ie.writeUInt32BE(e.type, 4);
    ie.writeUInt32BE(offset, 8);
    ie.writeUInt32BE(count, 12);
    index.push(ie);
  }
  const pre = Buffer.alloc(16);
  pre.writeUInt32BE(0x8eade801, 0);
  pre.writeUInt32BE(entries.length, 8);
  pre.writeUInt32BE(size, 12);
  return Buffer.concat([pre, ...index, ...store]);
}

function lead(type: number, name: string): Buffer {
  const b = Buffer.alloc(96);
  b.writeUInt32BE(0xedabeedb, 0);
  b[4] = 3;
  b.writeUInt16BE(type, 6);
  b.writeUInt16BE(1, 8);
  b.write(name, 10, 65);
  b.writeUInt16BE(1, 76);
  b.writeUInt16BE(5, 78);
  return b;
}

/** A whole package: lead, signature header (SIZE, MD5 unless left out, extra tags), main header, payload. */
function rpmFile(main: Entry[], opts: { leadType?: number; sig?: Entry[]; md5?: boolean } = {}): Buffer {
  const h = header(main);
  const payload = Buffer.from('not really a cpio archive');
  const sigEntries: Entry[] = [{ tag: RPMSIGTAG.SIZE, type: RPM_TYPE.INT32, value: [h.length + payload.length] }, ...(opts.sig ?? [])];
  if (opts.md5 !== false) sigEntries.push({ tag: RPMSIGTAG.MD5, type: RPM_TYPE.BIN, value: createHash('md5').update(h).update(payload).digest() });
  const sig = header(sigEntries);
  const pad = Buffer.alloc((8 - (sig.length % 8)) % 8);
  return Buffer.concat([lead(opts.leadType ?? 0, 'synthetic-1-1'), sig, pad, h, payload]);
}

const NVR: Entry[] = [
  { tag: RPMTAG.NAME, type: RPM_TYPE.STRING, value: 'synthetic' },
  { tag: RPMTAG.VERSION, type: RPM_TYPE.STRING, value: '1' },
  { tag: RPMTAG.RELEASE, type: RPM_TYPE.STRING, value: '1' },
  { tag: RPMTAG.BUILDTIME, type: RPM_TYPE.INT32, value: [1_700_000_000] },
];
const BINARY: Entry[] = [...NVR, { tag: RPMTAG.ARCH, type: RPM_TYPE.STRING, value: 'x86_64' }, { tag: RPMTAG.SOURCERPM, type: RPM_TYPE.STRING, value: 'synthetic-1-1.src.rpm' }];

function formatError(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(RpmFormatError);
    return (e as Error).message;
  }
  throw new Error('expected an RpmFormatError');
}

describe('hand-built RPM files', () => {
  it('decodes every header data type', () => {
    const pkg = parseRpmBuffer(rpmFile([
      ...BINARY,
      { tag: 100, type: RPM_TYPE.STRING_ARRAY, value: ['C', 'de', 'fr'] },
      { tag: RPMTAG.SUMMARY, type: RPM_TYPE.I18NSTRING, value: ['plain summary', 'deutsch', 'français'] },
      { tag: 6000, type: RPM_TYPE.NULL, value: null },
      { tag: 6001, type: RPM_TYPE.CHAR, value: [65, 0] },
      { tag: 6002, type: RPM_TYPE.INT8, value: [1, 255] },
      { tag: 6003, type: RPM_TYPE.INT16, value: [1, 65535] },
      { tag: 6004, type: RPM_TYPE.INT32, value: [0, 4294967295] },
      { tag: 6005, type: RPM_TYPE.INT64, value: [2n ** 40n, 2n ** 64n - 1n] },
      { tag: 6006, type: RPM_TYPE.BIN, value: Buffer.from([0, 1, 2]) },
      { tag: 6007, type: RPM_TYPE.STRING_ARRAY, value: ['', 'ü', 'x y'] },
    ]));
    const h = pkg.header;
    expect(getTag(h, 6000)).toBeNull();
    expect(getTag(h, 6001)).toEqual([65, 0]);
    expect(getTag(h, 6002)).toEqual([1, 255]);
    expect(getTag(h, 6003)).toEqual([1, 65535]);
    expect(getTag(h, 6004)).toEqual([0, 4294967295]);
    expect(getTag(h, 6005)).toEqual([2n ** 40n, 2n ** 64n - 1n]);
    expect(getTag(h, 6006)).toEqual(Buffer.from([0, 1, 2]));
    expect(getTag(h, 6007)).toEqual(['', 'ü', 'x y']);
    expect(getTag(h, 'SUMMARY')).toBe('plain summary');
    expect(packageInfo(pkg).summary).toBe('plain summary');
    expect(formatError(() => getNumbers(h, 6005))).toMatch(/index entry \d+ \(tag 6005\) holds 18446744073709551615, too large for a number/);
  });

  it('reads old-style file names with 64-bit sizes', () => {
    const info = packageInfo(parseRpmBuffer(rpmFile([
      ...BINARY,
      { tag: RPMTAG.OLDFILENAMES, type: RPM_TYPE.STRING_ARRAY, value: ['/big', '/small'] },
      { tag: RPMTAG.LONGFILESIZES, type: RPM_TYPE.INT64, value: [5n * 2n ** 32n, 7n] },
      { tag: RPMTAG.FILEMODES, type: RPM_TYPE.INT16, value: [0o100644, 0o100600] },
      { tag: RPMTAG.FILEDIGESTS, type: RPM_TYPE.STRING_ARRAY, value: ['aa', 'bb'] },
    ])));
    expect(info.files.map((f) => [f.name, f.size, f.mode, f.digest, f.digestAlgo, f.user])).toEqual([
      ['/big', 5 * 2 ** 32, 0o100644, 'aa', 'md5', ''],
      ['/small', 7, 0o100600, 'bb', 'md5', ''],
    ]);
    expect(info.digestAlgoId).toBeNull();
  });

  it('tells source packages apart as Koji does', () => {
    const src = (entries: Entry[], leadType: number) => packageInfo(parseRpmBuffer(rpmFile(entries, { leadType })));
    const arch: Entry = { tag: RPMTAG.ARCH, type: RPM_TYPE.STRING, value: 'x86_64' };
    // no SOURCEPACKAGE tag: the lead type, or a missing SOURCERPM, says source
    expect(src([...NVR, arch], 1)).toMatchObject({ arch: 'src', sourcepackage: true, sourcerpm: null, nosrc: false });
    expect(src([...NVR, arch], 0)).toMatchObject({ arch: 'src', sourcepackage: true });
    expect(src(BINARY, 0)).toMatchObject({ arch: 'x86_64', sourcepackage: false, sourcerpm: 'synthetic-1-1.src.rpm' });
    // the SOURCEPACKAGE tag wins over the lead
    expect(src([...BINARY, { tag: RPMTAG.SOURCEPACKAGE, type: RPM_TYPE.INT32, value: [1] }], 0)).toMatchObject({ arch: 'src', sourcepackage: true, sourcerpm: null });
    expect(src([...NVR, arch, { tag: RPMTAG.SOURCEPACKAGE, type: RPM_TYPE.INT32, value: [1] }, { tag: RPMTAG.NOSOURCE, type: RPM_TYPE.INT32, value: [0] }], 1)).toMatchObject({
      arch: 'src', nosrc: true,
    });
  });

  it('takes the sigkey from a version 3 PGP signature in the signature header', () => {
    const body = Buffer.concat([Buffer.from([3, 5, 0, 0x65, 0, 0, 0]), Buffer.from('1122334455667788', 'hex'), Buffer.from([1, 2, 0xab, 0xcd, 0, 8, 0xff])]);
    const packet = Buffer.concat([Buffer.from([0x89, 0, body.length]), body]);
    const info = packageInfo(parseRpmBuffer(rpmFile(BINARY, { sig: [{ tag: RPMSIGTAG.PGP, type: RPM_TYPE.BIN, value: packet }] })));
    expect(info.sigkey).toBe('55667788');
    expect(info.signature).toMatchObject({ version: 3, tagName: 'pgp', keyId: '1122334455667788' });
    expect(info.headerSigs).toEqual(['pgp', 'md5']);
  });

  it('reports a missing MD5 as a null payloadhash, and a missing NAME as an error', () => {
    expect(packageInfo(parseRpmBuffer(rpmFile(BINARY, { md5: false }))).payloadhash).toBeNull();
    const file = rpmFile(BINARY.slice(1));
    expect(formatError(() => packageInfo(parseRpmBuffer(file)))).toBe('main header at offset 168 has no NAME tag');
  });

  it('rejects a string that runs off the end of the data store', () => {
    const file = rpmFile(BINARY);
    const pkg = parseRpmBuffer(file);
    // the last string in the store is SOURCERPM: overwrite its terminating NUL
    file[pkg.header.start + pkg.header.length - 1] = 0x41;
    expect(formatError(() => parseRpmBuffer(file))).toBe(
      `main header at offset ${pkg.header.start}: index entry 5 (tag 1044 SOURCERPM) points outside the data store ` +
        `(string 1 of 1 at offset ${pkg.header.dataSize - 22} has no terminating NUL; the data store is ${pkg.header.dataSize} bytes)`,
    );
  });
});
