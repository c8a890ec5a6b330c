/**
 * src/rpm against rpm itself: packages built by rpmbuild from test/fixtures/rpm/specs are read
 * with rpmInfo and every field is compared with what `rpm -qp` reports for the same file
 * (queryformat tags, --requires/--provides/…, --dump, -l, --changelog), plus the byte ranges
 * (header digests equal rpm's SHA1/SHA256 header tags, MD5 of header+payload equals SIGMD5).
 */
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  computeSigmd5,
  getNumbers,
  getString,
  getTag,
  headerDigest,
  packageInfo,
  parseRpmBuffer,
  readRpmHeaders,
  RPMTAG,
  rpmInfo,
  type RpmDependency,
  type RpmInfo,
} from '../../src/rpm/index.ts';
import { buildFixture, SKIP_RPMBUILD_TESTS, rpmQuery, type BuiltFixture } from './build-fixtures.ts';

const SEP = '@@';
const QF_TAGS = [
  'NAME', 'EPOCH', 'VERSION', 'RELEASE', 'ARCH', 'SOURCERPM', 'BUILDTIME', 'SIGMD5', 'SUMMARY', 'LICENSE', 'URL', 'VENDOR',
  'PACKAGER', 'DISTRIBUTION', 'BUILDHOST', 'GROUP', 'COOKIE', 'PAYLOADFORMAT', 'PAYLOADCOMPRESSOR', 'PAYLOADFLAGS',
  'RPMVERSION', 'SOURCEPACKAGE', 'SIZE', 'FILEDIGESTALGO', 'SHA1HEADER', 'SHA256HEADER', 'SIGSIZE',
  'SIGPGP:pgpsig', 'RSAHEADER:pgpsig', 'SIGGPG:pgpsig', 'DSAHEADER:pgpsig',
];

function queryTags(file: string): Record<string, string | null> {
  const out = rpmQuery(file, '--queryformat', QF_TAGS.map((t) => `%{${t}}`).join(SEP));
  const values = out.split(SEP);
  expect(values).toHaveLength(QF_TAGS.length);
  return Object.fromEntries(QF_TAGS.map((t, i) => [t, values[i] === '(none)' ? null : values[i]]));
}

/** A dependency the way rpm prints it (rpmdsDNEVR without the type letter). */
function depString(d: RpmDependency): string {
  const op = (d.flags & 2 ? '<' : '') + (d.flags & 4 ? '>' : '') + (d.flags & 8 ? '=' : '');
  return op && d.version ? `${d.name} ${op} ${d.version}` : d.name;
}

function lines(s: string): string[] {
  return s.split('\n').filter((l) => l !== '');
}

/** `rpm --dump` line for one of our file entries. */
function dumpLine(f: RpmInfo['files'][number], digestHexLen: number): string {
  return [
    f.name, f.size, f.mtime, f.digest || '0'.repeat(digestHexLen), `0${f.mode.toString(8)}`, f.user, f.group,
    f.flags & 1 ? 1 : 0, f.flags & 2 ? 1 : 0, f.rdev, f.linkto || 'X',
  ].join(' ');
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
function changelogDay(t: number): string {
  const d = new Date(t * 1000);
  return `${DAYS[d.getUTCDay()]} ${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, '0')} ${d.getUTCFullYear()}`;
}

const DEP_OPTIONS = ['requires', 'provides', 'obsoletes', 'conflicts', 'recommends', 'suggests', 'supplements', 'enhances'] as const;
const DIGEST_HEX = { md5: 32, sha1: 40, sha256: 64, sha512: 128 } as Record<string, number>;

describe.skipIf(SKIP_RPMBUILD_TESTS)('rpmInfo agrees with rpm -qp on packages built by rpmbuild', () => {
  const built: Record<string, BuiltFixture> = {};
  const packages: string[] = [];

  beforeAll(() => {
    for (const name of ['hello', 'arched', 'empty']) {
      built[name] = buildFixture(name);
      packages.push(...built[name].rpms, built[name].srpm);
    }
    expect(packages).toHaveLength(6);
  });

  it('reports the fields of every package as rpm does', async () => {
    for (const file of packages) {
      const info = await rpmInfo(file);
      const q = queryTags(file);
      const ctx = basename(file);
      expect(info.name, ctx).toBe(q.NAME);
      expect(info.epoch, ctx).toBe(q.EPOCH === null ? null : Number(q.EPOCH));
      expect(info.version, ctx).toBe(q.VERSION);
      expect(info.release, ctx).toBe(q.RELEASE);
      expect(info.sourcepackage, ctx).toBe(q.SOURCEPACKAGE === '1');
      expect(info.arch, ctx).toBe(info.sourcepackage ? 'src' : q.ARCH);
      expect(info.sourcerpm, ctx).toBe(q.SOURCERPM);
      // Koji's import_rpm insists on this file name
      expect(ctx).toBe(`${info.name}-${info.version}-${info.release}.${info.arch}.rpm`);
      expect(info.buildtime, ctx).toBe(Number(q.BUILDTIME));
      expect(info.payloadhash, ctx).toBe(q.SIGMD5);
      expect(info.size, ctx).toBe(statSync(file).size);
      expect(info.installedsize, ctx).toBe(Number(q.SIZE));
      for (const [field, tag] of [
        ['summary', 'SUMMARY'], ['license', 'LICENSE'], ['url', 'URL'], ['vendor', 'VENDOR'], ['packager', 'PACKAGER'],
        ['distribution', 'DISTRIBUTION'], ['buildhost', 'BUILDHOST'], ['group', 'GROUP'], ['cookie', 'COOKIE'],
        ['payloadformat', 'PAYLOADFORMAT'], ['payloadcompressor', 'PAYLOADCOMPRESSOR'], ['payloadflags', 'PAYLOADFLAGS'],
        ['rpmversion', 'RPMVERSION'],
      ] as const) {
        expect(info[field], `${ctx} ${field}`).toBe(q[tag]);
      }
      expect(info.description, ctx).toBe(rpmQuery(file, '--queryformat', '%{DESCRIPTION}'));
      expect(info.digestAlgoId, ctx).toBe(q.FILEDIGESTALGO === null ? null : Number(q.FILEDIGESTALGO));
      // unsigned
      expect(info.sigkey, ctx).toBe('');
      expect(info.signature, ctx).toBeNull();
      expect([q['SIGPGP:pgpsig'], q['RSAHEADER:pgpsig'], q['SIGGPG:pgpsig'], q['DSAHEADER:pgpsig']]).toEqual([null, null, null, null]);
      expect(info.headerSigs, ctx).toEqual(['sha1', 'sha256', 'md5']);
      expect(info.payloadOffset + info.payloadSize, ctx).toBe(info.size);
      expect(info.payloadSize, ctx).toBe(Number(q.SIGSIZE) - info.headerRange.length);
    }
  });

  it('lists the dependencies of every kind as rpm --requires, --provides … do', async () => {
    for (const file of packages) {
      const info = await rpmInfo(file);
      for (const kind of DEP_OPTIONS) {
        expect(info[kind].map(depString), `${basename(file)} --${kind}`).toEqual(lines(rpmQuery(file, `--${kind}`)));
      }
      const flags = lines(rpmQuery(file, '--queryformat', '[%{REQUIREFLAGS}\n]')).map(Number);
      expect(info.requires.map((d) => d.flags)).toEqual(flags);
    }
  });

  it('has the dependencies the hello spec declares, with rpm sense flags', async () => {
    const info = await rpmInfo(built.hello.rpms[0]);
    expect(info.requires).toContainEqual({ name: 'bash', version: '4.0', flags: 4 | 8 });
    expect(info.provides).toEqual(expect.arrayContaining([
      { name: 'greeting', version: '1.0', flags: 8 },
      { name: 'hello', version: '2:1.2-3', flags: 8 },
    ]));
    expect(info.obsoletes).toEqual([{ name: 'oldhello', version: '1.0', flags: 2 }]);
    expect(info.conflicts).toEqual([{ name: 'badhello', version: '0.9', flags: 2 | 8 }]);
    expect(info.recommends).toEqual([{ name: 'cowsay', version: '2', flags: 4 }]);
    expect(info.suggests).toEqual([{ name: 'fortune', version: '', flags: 0 }]);
    expect(info.supplements).toEqual([{ name: '(hello-extras and bash)', version: '', flags: 0 }]);
    expect(info.enhances).toEqual([{ name: 'shell', version: '5', flags: 8 }]);
    // the C-locale summary, not the German one stored next to it
    expect(info.summary).toBe('A tiny test package');
    expect(info.group).toBe('Development/Tools');
    expect(info.epoch).toBe(2);
  });

  it('lists the files as rpm -l and rpm --dump do', async () => {
    for (const file of packages) {
      const info = await rpmInfo(file);
      const ctx = basename(file);
      const list = rpmQuery(file, '-l');
      if (info.files.length === 0) {
        expect(list.trim(), ctx).toBe('(contains no files)');
        continue;
      }
      expect(info.files.map((f) => f.name), ctx).toEqual(lines(list));
      const hexLen = DIGEST_HEX[info.digestAlgo];
      expect(info.files.map((f) => dumpLine(f, hexLen)), ctx).toEqual(lines(rpmQuery(file, '--dump')));
      for (const f of info.files) {
        expect(f.md5).toBe(f.digest);
        expect(f.digestAlgo).toBe(info.digestAlgo);
      }
    }
  });

  it('reads the arch-specific package: symlink, directories, ghost, SHA-512 digests, xz payload', async () => {
    const [file] = built.arched.rpms;
    const info = await rpmInfo(file);
    expect(info.arch).toBe(rpmQuery(file, '--queryformat', '%{ARCH}'));
    expect(info.arch).not.toBe('noarch');
    expect(info.epoch).toBeNull();
    expect(info.digestAlgo).toBe('sha512');
    expect(info.payloadcompressor).toBe('xz');
    const byName = Object.fromEntries(info.files.map((f) => [f.name, f]));
    expect(byName['/usr/share/arched/link'].linkto).toBe('../../bin/arched');
    expect(byName['/usr/share/arched/link'].mode & 0o170000).toBe(0o120000);
    expect(byName['/usr/share/arched'].mode & 0o170000).toBe(0o040000);
    expect(byName['/usr/bin/arched'].mode & 0o7777).toBe(0o755);
    expect(byName['/usr/share/arched/sub/big.txt'].size).toBe(70000);
    expect(byName['/usr/share/arched/sub/big.txt'].digest).toBe(createHash('sha512').update('x'.repeat(70000)).digest('hex'));
    expect(byName['/var/lib/arched/state'].flags & 64).toBe(64);
    expect(byName['/usr/share/arched/grüße.txt'].size).toBe(8);
  });

  it('reads the %config and %doc flags of the hello files', async () => {
    const info = await rpmInfo(built.hello.rpms[0]);
    expect(info.files.map((f) => [f.name, f.flags])).toEqual([
      ['/etc/hello/hello.conf', 1 | 16],
      ['/usr/share/hello/README', 2],
    ]);
    expect(info.files[1].size).toBe(12);
    expect(info.files[1].digest).toBe(createHash('sha256').update('hello\nworld\n').digest('hex'));
  });

  it('reads the changelog as rpm --changelog shows it', async () => {
    for (const file of packages) {
      const info = await rpmInfo(file);
      const raw = rpmQuery(file, '--queryformat', `[%{CHANGELOGTIME}${SEP}%{CHANGELOGNAME}${SEP}%{CHANGELOGTEXT}${SEP}${SEP}]`);
      const expected = raw.split(SEP + SEP).filter(Boolean).map((r) => {
        const [time, author, text] = r.split(SEP);
        return { time: Number(time), author, text };
      });
      expect(info.changelog, basename(file)).toEqual(expected);
      const shown = info.changelog.map((c) => `* ${changelogDay(c.time)} ${c.author}\n${c.text}\n\n`).join('');
      expect(shown, basename(file)).toBe(rpmQuery(file, '--changelog'));
    }
    const hello = await rpmInfo(built.hello.rpms[0]);
    expect(hello.changelog).toEqual([
      { time: Date.UTC(2024, 0, 2, 12) / 1000, author: 'Alice Example <alice@example.com> - 2:1.2-3', text: '- second entry\n- with two lines' },
      { time: Date.UTC(2024, 0, 1, 12) / 1000, author: 'Bob Example <bob@example.com> - 2:1.2-2', text: '- first entry' },
    ]);
  });

  it('locates the headers and payload exactly', async () => {
    for (const file of packages) {
      const pkg = await readRpmHeaders(file);
      const bytes = readFileSync(file);
      const q = queryTags(file);
      expect(pkg.sigHeaderRange.start).toBe(96);
      expect(pkg.sigHeaderRange.length % 8).toBe(0);
      expect(pkg.sigHeaderBytes.equals(bytes.subarray(96, 96 + pkg.sigHeaderRange.length))).toBe(true);
      expect(pkg.headerRange.start).toBe(96 + pkg.sigHeaderRange.length);
      expect(pkg.header.bytes.equals(bytes.subarray(pkg.headerRange.start, pkg.headerRange.start + pkg.headerRange.length))).toBe(true);
      // rpm's header digests are over exactly these bytes
      expect(headerDigest(pkg, 'sha1')).toBe(q.SHA1HEADER);
      expect(headerDigest(pkg, 'sha256')).toBe(q.SHA256HEADER);
      expect(headerDigest(pkg, 'md5')).toBe(createHash('md5').update(pkg.header.bytes).digest('hex'));
      // and the payload starts right after the main header
      expect(await computeSigmd5(pkg)).toBe(q.SIGMD5);
      expect(await computeSigmd5(parseRpmBuffer(bytes), bytes)).toBe(q.SIGMD5);
      const magic = bytes.subarray(pkg.payloadOffset, pkg.payloadOffset + 4).toString('hex');
      const expectedMagic = ({ gzip: '1f8b', xz: 'fd377a58', zstd: '28b52ffd' } as Record<string, string>)[q.PAYLOADCOMPRESSOR ?? ''];
      expect(magic.startsWith(expectedMagic), `${basename(file)} payload starts ${magic}`).toBe(true);
      expect(pkg.lead.major).toBe(3);
      expect(pkg.lead.type).toBe(file.endsWith('.src.rpm') ? 1 : 0);
      expect(pkg.lead.signatureType).toBe(5);
      // rpm writes the NEVR into the lead
      const info = packageInfo(pkg);
      expect(pkg.lead.name).toBe(`${info.name}-${info.epoch === null ? '' : `${info.epoch}:`}${info.version}-${info.release}`);
    }
  });

  it('gives the same result from memory as from the file', async () => {
    for (const file of packages) {
      const fromFile = await readRpmHeaders(file);
      const fromBuf = parseRpmBuffer(new Uint8Array(readFileSync(file)));
      expect(fromBuf.path).toBeNull();
      expect(packageInfo(fromBuf)).toEqual(packageInfo(fromFile));
      expect(fromBuf.sigHeaderBytes.equals(fromFile.sigHeaderBytes)).toBe(true);
    }
  });

  it('gives raw tag access by number and by name', async () => {
    const pkg = await readRpmHeaders(built.hello.rpms[0]);
    expect(getTag(pkg.header, 1000)).toBe('hello');
    expect(getTag(pkg.header, 'NAME')).toBe('hello');
    expect(getTag(pkg.header, 'rpmtag_name')).toBe('hello');
    expect(getTag(pkg.header, RPMTAG.EPOCH)).toEqual([2]);
    expect(getTag(pkg.header, 'SUMMARY')).toBe('A tiny test package');
    expect(getTag(pkg.header, 'HEADERI18NTABLE')).toEqual(['C', 'de']);
    expect(getTag(pkg.header, 'PROVIDES')).toEqual(['config(hello)', 'greeting', 'hello']);
    expect(getTag(pkg.header, 'FILEMD5S')).toHaveLength(2);
    expect(getTag(pkg.header, 'FILESIZES')).toEqual([12, 12]);
    expect(getTag(pkg.header, 'VCS')).toBeUndefined();
    expect(Buffer.isBuffer(getTag(pkg.header, 'HEADERIMMUTABLE'))).toBe(true);
    // signature header names resolve to RPMSIGTAG numbers
    expect((getTag(pkg.signature, 'MD5') as Buffer).toString('hex')).toBe(rpmQuery(built.hello.rpms[0], '--queryformat', '%{SIGMD5}'));
    expect(getNumbers(pkg.signature, 'SIZE')).toEqual([pkg.headerRange.length + pkg.payloadSize]);
    expect(getString(pkg.signature, 'SHA256')).toBe(headerDigest(pkg));
    expect(() => getTag(pkg.header, 'NO_SUCH_TAG')).toThrow(/unknown RPM tag name/);
    expect(() => getString(pkg.header, 'EPOCH')).toThrow(/has type INT32; expected a string/);
  });
});
