/**
 * The base repo's package groups, by Debian package name (the converted RPMs keep the names):
 * `build` can rebuild a C package (gcc, libc6-dev, binutils, make), `srpm-build` can make an
 * SRPM from a spec and sources. Written as DIR/groups.txt (`group: pkg pkg …`, for
 * `koji add-group-pkg`) and as the repo's comps.xml.
 */
import { generateComps } from '../../util/comps.ts';
import { GLUE_NAME } from './glue.ts';

const SRPM_BUILD = ['bash', 'dash', 'coreutils', 'sed', 'grep', 'gawk', 'findutils', 'diffutils', 'tar', 'gzip', 'xz-utils', 'bzip2', 'cpio', 'rpm', 'rpm-common', 'perl-base', 'base-files', 'base-passwd'];

export const GROUPS: Record<string, string[]> = {
  build: [...SRPM_BUILD, 'file', 'patch', 'util-linux', 'debugedit', 'gcc', 'libc6-dev', 'binutils', 'make', GLUE_NAME],
  'srpm-build': [...SRPM_BUILD, GLUE_NAME],
};

/** Every Debian package the groups name (the glue package is made, not converted). */
export function debianPackages(): string[] {
  return [...new Set(Object.values(GROUPS).flat())].filter((p) => p !== GLUE_NAME).sort();
}

export function groupsTxt(): string {
  return Object.entries(GROUPS)
    .map(([g, pkgs]) => `${g}: ${pkgs.join(' ')}\n`)
    .join('');
}

export function compsXml(): string {
  return generateComps(
    Object.entries(GROUPS).map(([name, pkgs]) => ({
      name,
      display_name: name,
      description: `koji-ts base repo: ${name}`,
      is_default: true,
      uservisible: true,
      grouplist: [],
      packagelist: pkgs.map((p) => ({ package: p, type: 'mandatory', basearchonly: false, requires: null })),
    })),
  );
}
