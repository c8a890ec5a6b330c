/** N-V-R and N-V-R.A strings (Koji's parse_NVR / parse_NVRA), with optional "epoch:" prefix. */
import { GenericError } from '../protocol/faults.ts';

export interface NVR {
  name: string;
  version: string;
  release: string;
  epoch: string | null;
}

export interface NVRA extends NVR {
  arch: string;
}

export function parseNVR(nvr: string): NVR {
  const p2 = nvr.lastIndexOf('-');
  const p1 = p2 > 0 ? nvr.lastIndexOf('-', p2 - 1) : -1;
  if (p1 <= 0 || p2 <= p1 + 1 || p2 === nvr.length - 1) throw new GenericError(`invalid format: ${nvr}`);
  let name = nvr.slice(0, p1);
  let epoch: string | null = null;
  const colon = name.indexOf(':');
  if (colon !== -1) {
    epoch = name.slice(0, colon);
    name = name.slice(colon + 1);
  }
  return { name, version: nvr.slice(p1 + 1, p2), release: nvr.slice(p2 + 1), epoch };
}

export function parseNVRA(nvra: string): NVRA {
  const s = nvra.endsWith('.rpm') ? nvra.slice(0, -4) : nvra;
  const dot = s.lastIndexOf('.');
  if (dot <= 0 || dot === s.length - 1) throw new GenericError(`invalid format: ${nvra}`);
  return { ...parseNVR(s.slice(0, dot)), arch: s.slice(dot + 1) };
}

/** koji.is_debuginfo: a debuginfo (or debugsource) package, by its name. */
export function isDebuginfo(name: string): boolean {
  return name.endsWith('-debuginfo') || name.endsWith('-debugsource') || name.includes('-debuginfo-');
}
