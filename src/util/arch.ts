/** Architecture names: normalising user input and Koji's "canonical" arch mapping. */
import { GenericError } from '../protocol/faults.ts';

/** Comma/space separated text or a list → list of arch names, each [a-zA-Z0-9_-]. */
export function parseArches(arches: string | string[], strict = false): string[] {
  const list = Array.isArray(arches) ? arches : (strict ? arches : arches.replace(/,/g, ' ')).split(/\s+/).filter(Boolean);
  for (const a of list) {
    if (typeof a !== 'string' || !/^[a-zA-Z0-9_-]*$/.test(a)) throw new GenericError('Architecture can be only [a-zA-Z0-9_-]');
  }
  return list;
}

/** Koji's canonArch: i686 → i386, ppc64p7 → ppc64, armv7hl → armhfp … */
export function canonArch(arch: string): string {
  if (/^i.86$/.test(arch) || arch === 'athlon') return 'i386';
  if (arch === 'ia32e') return 'x86_64';
  if (arch === 'ppc64le') return 'ppc64le';
  if (arch.startsWith('ppc64')) return 'ppc64';
  if (arch.startsWith('sparc64')) return 'sparc64';
  if (arch.startsWith('sparc')) return 'sparc';
  if (arch.startsWith('alpha')) return 'alpha';
  if (/^arm.*h/.test(arch)) return 'armhfp';
  if (arch.startsWith('arm')) return 'arm';
  return arch;
}
