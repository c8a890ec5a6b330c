/**
 * Repo options (Koji 1.35): src, debuginfo, separate_src, maven — all booleans. A tag's defaults
 * come from the hub's SourceTags/DebuginfoTags/SeparateSourceTags globs, the tag extra `repo.opts`
 * (or the legacy `with_debuginfo`) and maven_support; `custom` is what an override changed.
 */
import { ParameterError } from '../../protocol/faults.ts';
import { isStruct } from '../../protocol/values.ts';
import { multiFnmatch } from '../../util/fnmatch.ts';
import { truthy } from '../registry.ts';
import type { TagInfo } from '../content/tag.ts';
import type { HubOptions } from '../../config/hub.ts';

export type RepoOpts = Record<string, boolean>;

export const REPO_OPTION_NAMES = ['src', 'debuginfo', 'separate_src', 'maven'] as const;

/** Koji's convert_repo_opts: known keys as booleans, None values dropped; strict faults on bad input. */
export function convertRepoOpts(opts: unknown, strict = false): RepoOpts {
  if (opts === null || opts === undefined) return {};
  if (!isStruct(opts)) {
    if (strict) throw new ParameterError('Repo opts must be a dictionary');
    return {};
  }
  const out: RepoOpts = {};
  for (const [key, value] of Object.entries(opts)) {
    if (!(REPO_OPTION_NAMES as readonly string[]).includes(key)) {
      if (strict) throw new ParameterError(`Invalid repo option: ${key}`);
      continue;
    }
    if (value === null || value === undefined) continue;
    out[key] = truthy(value);
  }
  return out;
}

/** Koji's get_repo_opts: [opts with the override applied, the override's effective changes]. */
export function repoOptsFor(tag: TagInfo, options: Pick<HubOptions, 'DebuginfoTags' | 'SourceTags' | 'SeparateSourceTags' | 'EnableMaven'>, override: unknown = null): [RepoOpts, RepoOpts] {
  const opts: RepoOpts = { src: false, debuginfo: false, separate_src: false, maven: false };
  const globs = (s: string) => s.split(/\s+/).filter(Boolean);
  if (multiFnmatch(tag.name, globs(options.DebuginfoTags))) opts.debuginfo = true;
  if (multiFnmatch(tag.name, globs(options.SourceTags))) opts.src = true;
  if (multiFnmatch(tag.name, globs(options.SeparateSourceTags))) opts.separate_src = true;
  const tagOpts: Record<string, unknown> = isStruct(tag.extra['repo.opts']) ? { ...tag.extra['repo.opts'] } : {};
  if ('with_debuginfo' in tag.extra && !('repo.opts' in tag.extra)) tagOpts.debuginfo = truthy(tag.extra.with_debuginfo);
  Object.assign(opts, convertRepoOpts(tagOpts as never, false));
  if (!options.EnableMaven) opts.maven = false;
  else if (tag.maven_support) opts.maven = true;
  let custom: RepoOpts = {};
  if (override !== null && override !== undefined) {
    const o = convertRepoOpts(override, false);
    custom = Object.fromEntries(Object.entries(o).filter(([k, v]) => v !== opts[k]));
    Object.assign(opts, custom);
  }
  return [opts, custom];
}
