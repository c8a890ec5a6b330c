/**
 * What the build tasks read off a source RPM (kojid's readSRPMHeader and get_header_fields) and
 * the arch decisions made from it: BuildTask.getArchList and choose_taskarch.
 */
import { BuildError } from '../protocol/faults.ts';
import { getNumber, getString, getStrings, isSourcePackage, readRpmHeaders, RPMTAG, type RpmPackage } from '../rpm/index.ts';
import { canonArch } from '../util/arch.ts';
import { multiFnmatch } from '../util/fnmatch.ts';

export interface SrpmFields {
  name: string;
  version: string;
  release: string;
  epoch: number | null;
  buildarchs: string[];
  exclusivearch: string[];
  excludearch: string[];
  packager: string | null;
  vendor: string | null;
  distribution: string | null;
}

export function srpmFields(pkg: RpmPackage): SrpmFields {
  const h = pkg.header;
  return {
    name: getString(h, RPMTAG.NAME) ?? '',
    version: getString(h, RPMTAG.VERSION) ?? '',
    release: getString(h, RPMTAG.RELEASE) ?? '',
    epoch: getNumber(h, RPMTAG.EPOCH),
    buildarchs: getStrings(h, RPMTAG.BUILDARCHS),
    exclusivearch: getStrings(h, RPMTAG.EXCLUSIVEARCH),
    excludearch: getStrings(h, RPMTAG.EXCLUDEARCH),
    packager: getString(h, RPMTAG.PACKAGER),
    vendor: getString(h, RPMTAG.VENDOR),
    distribution: getString(h, RPMTAG.DISTRIBUTION),
  };
}

/** The header fields of a local source RPM; BuildError when the file is no RPM or no source package. */
export async function readSrpm(path: string, label = path): Promise<SrpmFields> {
  let pkg: RpmPackage;
  try {
    pkg = await readRpmHeaders(path);
  } catch (e) {
    throw new BuildError(`${label} is not a valid RPM: ${(e as Error).message}`);
  }
  if (!isSourcePackage(pkg)) throw new BuildError(`${label} is not a source package`);
  return srpmFields(pkg);
}

/**
 * BuildTask.getArchList: the tag's arches (plus the package's extra_arches), narrowed by the
 * SRPM's BuildArch / ExclusiveArch / ExcludeArch, noarch kept when the spec asks for it, the
 * scratch-only arch override, and only arches the tag can build.
 */
export function buildArchList(tagArches: string | null, h: SrpmFields, o: { extra?: string | null; override?: string | null; scratch?: boolean; tagName?: string; tagId?: number }): string[] {
  if (!tagArches) throw new BuildError(`No arches for tag ${o.tagName ?? ''} [${o.tagId ?? ''}]`);
  const tagArchlist = tagArches.split(/\s+/).filter(Boolean).map(canonArch);
  let archlist = `${tagArches} ${o.extra ?? ''}`.split(/\s+/).filter(Boolean);
  if (h.buildarchs.length) archlist = [...h.buildarchs];
  if (h.exclusivearch.length) archlist = archlist.filter((a) => h.exclusivearch.includes(a));
  if (h.excludearch.length) archlist = archlist.filter((a) => !h.excludearch.includes(a));
  if (!h.excludearch.includes('noarch') && (h.buildarchs.includes('noarch') || h.exclusivearch.includes('noarch'))) archlist.push('noarch');
  if (o.scratch && o.override) archlist = o.override.split(/\s+/).filter(Boolean);
  const out: string[] = [];
  for (const a of archlist) if ((a === 'noarch' || tagArchlist.includes(canonArch(a))) && !out.includes(a)) out.push(a);
  if (!out.length) throw new BuildError('No matching arches were found');
  return out;
}

/**
 * BuildTask.choose_taskarch: the arch of a buildArch (or SRPM) subtask. Literal task arches and
 * real arches stay (canonical); noarch stays noarch unless ExclusiveArch/ExcludeArch or the tag's
 * `noarch_arches` rule out some of the tag's arches — then one allowed arch, at random, as kojid does.
 */
export function chooseTaskArch(arch: string, h: SrpmFields | null, tagArches: string, noarchArches: string | null, literal: string[]): string {
  if (multiFnmatch(arch, literal)) return arch;
  if (arch !== 'noarch') return canonArch(arch);
  const exclusive = (h?.exclusivearch ?? []).map(canonArch);
  const exclude = (h?.excludearch ?? []).map(canonArch);
  if (!exclusive.length && !exclude.length && !noarchArches) return 'noarch';
  const tagArchlist = tagArches.split(/\s+/).filter(Boolean).map(canonArch);
  let list = noarchArches ? noarchArches.split(/\s+/).filter(Boolean).map(canonArch).filter((a) => tagArchlist.includes(a)) : [...tagArchlist];
  if (exclusive.length) list = list.filter((a) => exclusive.includes(a));
  if (exclude.length) list = list.filter((a) => !exclude.includes(a));
  if (!list.length) throw new BuildError(`No valid arches were found. tag ${JSON.stringify(tagArchlist)}, extra ${JSON.stringify(noarchArches)},exclusive ${JSON.stringify(exclusive)}, exclude ${JSON.stringify(exclude)}`);
  const same = list.length === new Set(tagArchlist).size && tagArchlist.every((a) => list.includes(a));
  return same ? 'noarch' : list[Math.floor(Math.random() * list.length)];
}
