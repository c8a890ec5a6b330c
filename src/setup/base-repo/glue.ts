/**
 * The glue package of the base repo: what the Debian maintainer scripts (which the converted
 * RPMs do not run) would have made and a buildroot needs — users and groups (root, the build
 * user `mockbuild` with uid/gid 1000 as bwrap maps it, nobody), /etc/hosts, a files-only
 * nsswitch.conf, rpm macros (the database in the root, rpmbuild's tree under /builddir) and the
 * symlinks update-alternatives would have made.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cachedRpm, RPMBUILD_DEFINES, storeRpm, tool } from './convert.ts';

export const GLUE_NAME = 'koji-ts-buildroot';

const FILES: Record<string, string> = {
  '/etc/passwd': 'root:x:0:0:root:/root:/bin/bash\nmockbuild:x:1000:1000:build user:/builddir:/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n',
  '/etc/group': 'root:x:0:\nmock:x:135:mockbuild\nmockbuild:x:1000:\nnogroup:x:65534:\n',
  '/etc/hosts': '127.0.0.1 localhost\n::1 localhost\n',
  '/etc/nsswitch.conf': 'passwd: files\ngroup: files\nshadow: files\nhosts: files\nnetworks: files\nprotocols: files\nservices: files\n',
  '/etc/rpm/macros.koji-ts': '%_dbpath /var/lib/rpm\n%_topdir /builddir/build\n%_tmppath /var/tmp\n',
};

/** update-alternatives links: link → target (both in /usr/bin). */
const ALTERNATIVES: Record<string, string> = {
  awk: 'gawk',
  cc: 'gcc',
  c89: 'c89-gcc',
  c99: 'c99-gcc',
  which: 'which.debianutils',
  lzma: 'xz',
  unlzma: 'xz',
  lzcat: 'xz',
};

export function glueSpec(): string {
  const install: string[] = ['mkdir -p %{buildroot}/etc/rpm %{buildroot}/usr/bin %{buildroot}/var/lib/rpm %{buildroot}/var/tmp %{buildroot}/builddir'];
  for (const [path, text] of Object.entries(FILES)) install.push(`cat > %{buildroot}${path} <<'EOF'\n${text.replace(/%/g, '%%')}EOF`);
  for (const [link, target] of Object.entries(ALTERNATIVES)) install.push(`ln -s ${target} %{buildroot}/usr/bin/${link}`);
  return [
    `Name: ${GLUE_NAME}`,
    'Version: 1',
    'Release: 1',
    'Summary: Buildroot set-up the Debian maintainer scripts would have made',
    'License: MIT',
    'BuildArch: noarch',
    'AutoReqProv: no',
    '',
    '%description',
    'Users, groups, hosts, nsswitch.conf, rpm macros and alternatives symlinks for a buildroot',
    'made of RPMs converted from Debian packages (koji-ts base-repo).',
    '',
    '%install',
    ...install,
    '',
    '%files',
    '%defattr(-,root,root,-)',
    ...Object.keys(FILES).map((f) => `%config ${f}`),
    ...Object.keys(ALTERNATIVES).map((l) => `/usr/bin/${l}`),
    '%dir /var/lib/rpm',
    '%dir /builddir',
    '',
  ].join('\n');
}

/** The glue RPM, built once per spec text and cached. */
export async function glueRpm(cacheDir: string, work: string): Promise<string> {
  const spec = glueSpec();
  const key = `glue-${createHash('sha256').update(spec).digest('hex').slice(0, 24)}`;
  const hit = cachedRpm(cacheDir, key);
  if (hit) return hit;
  const tmp = mkdtempSync(join(work, 'glue-'));
  try {
    mkdirSync(join(tmp, 'out'));
    writeFileSync(join(tmp, `${GLUE_NAME}.spec`), spec);
    const defines = [...RPMBUILD_DEFINES, `_rpmdir ${join(tmp, 'out')}`, `_topdir ${join(tmp, 'top')}`, `_tmppath ${tmp}`];
    await tool('rpmbuild', ['-bb', '--quiet', ...defines.flatMap((d) => ['--define', d]), join(tmp, `${GLUE_NAME}.spec`)], tmp);
    const rpm = readdirSync(join(tmp, 'out')).find((f) => f.endsWith('.rpm'));
    if (!rpm) throw new Error('rpmbuild made no glue RPM');
    return storeRpm(cacheDir, key, join(tmp, 'out', rpm), tmp);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
