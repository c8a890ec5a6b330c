/**
 * The multilib rules (python-multilib's devel method) on candidates and on real packages' headers,
 * and the config's format and faults.
 */
import { describe, expect, it } from 'vitest';
import { candidateOf, develSelect, parseMultilibConf, runtimeSelect, type MultilibCandidate } from '../../src/builder/handlers/multilib.ts';
import { readRpmHeaders } from '../../src/rpm/index.ts';
import { buildFixture, SKIP_RPMBUILD_TESTS } from '../rpm/build-fixtures.ts';

/** python-multilib's lists, as its default config has them (fewer names). */
const DEFAULT_CONF = `# the runtime lists
[runtime]
white = libflashsupport
    valgrind
    wine
black = httpd
    php

[devel]
white =
black = dmraid-devel
    httpd-devel
`;

const conf = parseMultilibConf(DEFAULT_CONF, 'multilib.conf');
const pkg = (name: string, files: string[] = [], provides: string[] = [name], arch = 'x86_64'): MultilibCandidate => ({ name, arch, files, provides });

describe('multilib selection (devel method)', () => {
  it('reads white and black lists of whole names, one or more a line', () => {
    expect(conf.runtimeWhite).toEqual(new Set(['libflashsupport', 'valgrind', 'wine']));
    expect(conf.develWhite).toEqual(new Set());
    expect(parseMultilibConf('[runtime]\nwhite = a b\nblack = \n[devel]\nwhite=\nblack=c\n  d\n', 'x').develBlack).toEqual(new Set(['c', 'd']));
  });

  it('selects -devel and -static packages unless blacklisted', () => {
    expect(develSelect(conf, pkg('libfoo-devel', ['/usr/include/foo.h']))).toBe(true);
    expect(develSelect(conf, pkg('libfoo-static', ['/usr/lib64/libfoo.a']))).toBe(true);
    expect(develSelect(conf, pkg('httpd-devel'))).toBe(false);
    expect(develSelect(conf, pkg('dmraid-devel'))).toBe(false);
    // whole names: the list's httpd-devel does not blacklist "devel" or "httpd-dev"
    expect(develSelect(conf, pkg('httpd-dev', ['/usr/lib64/libhttpd.so.1']))).toBe(true);
  });

  it('selects runtime libraries by their paths', () => {
    expect(develSelect(conf, pkg('libfoo', ['/usr/lib64/libfoo.so.1']))).toBe(true);
    expect(develSelect(conf, pkg('nss-mdns', ['/lib64/libnss_mdns.so']))).toBe(true);
    expect(develSelect(conf, pkg('pam-x', ['/lib64/security/pam_x.so']))).toBe(true);
    expect(develSelect(conf, pkg('mysql-libs', ['/etc/ld.so.conf.d/mysql.conf']))).toBe(true);
    expect(develSelect(conf, pkg('gtk2-engines', ['/usr/lib64/gtk-2.0/2.10.0/engines/libclearlooks.so']))).toBe(true);
    expect(develSelect(conf, pkg('qt-x', ['/usr/lib64/qt5/plugins/styles/x.so']))).toBe(true);
    expect(develSelect(conf, pkg('gst-x', ['/usr/lib64/gstreamer-1.0/libx.so']))).toBe(true);
    expect(develSelect(conf, pkg('sane-backends', ['/usr/lib64/sane/libsane-x.so.1']))).toBe(true);
    expect(develSelect(conf, pkg('wine-x', ['/usr/lib64/wine/x.so']))).toBe(true);
    // a plain .so, a program, a library deeper down or in libexec: no
    expect(develSelect(conf, pkg('foo-plugin', ['/usr/lib64/libfoo.so']))).toBe(false);
    expect(develSelect(conf, pkg('foo-tool', ['/usr/bin', '/usr/bin/foo-tool']))).toBe(false);
    expect(develSelect(conf, pkg('foo-priv', ['/usr/lib64/foo/libpriv.so.1']))).toBe(false);
    expect(develSelect(conf, pkg('foo-exec', ['/usr/libexec/oprofile/x.so.1', '/usr/libexec/wine/x.so']))).toBe(false);
    // the runtime black list wins over the paths, the white list needs none
    expect(runtimeSelect(conf, pkg('php', ['/usr/lib64/libphp.so.5']))).toBe(false);
    expect(runtimeSelect(conf, pkg('valgrind', ['/usr/bin/valgrind']))).toBe(true);
  });

  it('selects 64-bit builds of gdb & co. and kernels by their provides; ghc- packages never by name', () => {
    expect(develSelect(conf, pkg('strace'))).toBe(true);
    expect(develSelect(conf, pkg('strace', [], ['strace'], 'i686'))).toBe(false);
    expect(develSelect(conf, pkg('kernel', ['/boot/vmlinuz'], ['kernel']))).toBe(true);
    expect(develSelect(conf, pkg('kernel-headers', ['/usr/include/linux/x.h'], ['kernel-headers', 'glibc-kernheaders-devel'], 's390x'))).toBe(true);
    expect(develSelect(conf, pkg('kernel-devel', [], ['kernel-devel'], 's390x'))).toBe(false);
    expect(develSelect(conf, pkg('ghc-foo-devel'))).toBe(false);
  });

  it('refuses a config without the sections and options the method reads', () => {
    expect(() => parseMultilibConf('[runtime]\nwhite = a\nblack = b\n', 'ml.conf')).toThrow('Bad multilib config ml.conf: no section [devel]');
    expect(() => parseMultilibConf('[runtime]\nwhite = a\n[devel]\nwhite=\nblack=\n', 'ml.conf')).toThrow('no option "black" in section [runtime]');
    expect(() => parseMultilibConf('white = a\n', 'ml.conf')).toThrow(/^Bad multilib config: ml.conf:1:/);
  });

  it.skipIf(SKIP_RPMBUILD_TESTS)('reads name, arch, provides and files from real headers (rpmbuild --target x86_64,i686)', async () => {
    const built = buildFixture('libfoo', 'x86_64,i686');
    const names = built.rpms.map((f) => f.slice(f.lastIndexOf('/') + 1)).sort();
    expect(names).toEqual(['foo-tool-1.0-1.i686.rpm', 'foo-tool-1.0-1.x86_64.rpm', 'libfoo-1.0-1.i686.rpm', 'libfoo-1.0-1.x86_64.rpm', 'libfoo-devel-1.0-1.i686.rpm', 'libfoo-devel-1.0-1.x86_64.rpm']);
    const cand = async (n: string) => candidateOf(await readRpmHeaders(built.rpms.find((f) => f.endsWith(`/${n}`))!));
    const lib = await cand('libfoo-1.0-1.x86_64.rpm');
    expect(lib).toEqual({ name: 'libfoo', arch: 'x86_64', provides: ['libfoo', 'libfoo(x86-64)'], files: ['/usr/lib64/libfoo.so.1'] });
    expect(develSelect(conf, lib)).toBe(true);
    expect(develSelect(conf, await cand('libfoo-devel-1.0-1.x86_64.rpm'))).toBe(true);
    expect(develSelect(conf, await cand('foo-tool-1.0-1.x86_64.rpm'))).toBe(false);
  });
});
