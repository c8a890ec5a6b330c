/**
 * Koji's repo_init (host.repoInit): a repo row in INIT and its skeleton under
 * KojiDir/repos/<tag>/<repo_id>/ — repo.json, groups/comps.xml and per arch a `toplink`
 * (relative symlink to KojiDir), `pkglist` (paths relative to the arch dir through toplink),
 * `rpmlist.jsonl` (one rpm row per line) and `blocklist` (blocked package names). Content: the
 * latest builds of the tag with inheritance (every tagged build with tag extra
 * repo_include_all), noarch rpms in every arch, src per the src/separate_src options,
 * debuginfo only with the debuginfo option. The files go when the call's transaction fails.
 */
import { promises as fsp } from 'node:fs';
import { relative } from 'node:path';
import { GenericError } from '../../protocol/faults.ts';
import type { XmlRpcValue } from '../../protocol/values.ts';
import { canonArch } from '../../util/arch.ts';
import { generateComps } from '../../util/comps.ts';
import { PathInfo } from '../../util/pathinfo.ts';
import { getTag, type TagInfo } from '../content/tag.ts';
import { readTaggedRPMS, type TaggedBuild } from '../content/tagged.ts';
import { readTagGroups } from '../content/groups.ts';
import { readPackageList } from '../content/pkglist.ts';
import { tagChangeEvent } from '../content/changes.ts';
import { encodeStoredJson } from '../content/stored-json.ts';
import type { CallContext } from '../types.ts';
import { repoOptsFor, type RepoOpts } from './opts.ts';
import { RS } from './views.ts';
import { isDebuginfo } from '../../util/nvr.ts';

/** The event a repo is made at: the given one (which must exist) or this call's. */
async function repoEvent(ctx: CallContext, event: number | null): Promise<number> {
  if (event === null) return ctx.event();
  if ((await ctx.sql.value('SELECT time FROM events WHERE id = $1', [event])) === null) throw new GenericError('query returned no rows');
  return event;
}

/** Insert the repo row (INIT); Koji's begin/end events bound the tag's unchanged span. */
async function insertRepo(ctx: CallContext, tag: TagInfo, eventId: number, taskId: number | null, opts: RepoOpts, custom: RepoOpts): Promise<number> {
  const begin = (await tagChangeEvent(ctx, tag.id, { last: true, bound: eventId, inherit: true })) ?? eventId;
  const end = await tagChangeEvent(ctx, tag.id, { last: false, bound: eventId, inherit: true });
  return (await ctx.sql.value<number>(
    `INSERT INTO repo (create_event, begin_event, end_event, tag_id, state, task_id, opts, custom_opts)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
    [eventId, begin, end, tag.id, RS.INIT, taskId, JSON.stringify(opts), JSON.stringify(custom)],
  )) as number;
}

/**
 * Lines of a file gathered as UTF-8 bytes (10,000 rpms make a 3.5 MB rpmlist.jsonl): about
 * half the time of an array of strings joined and then encoded, and fewer strings for the GC.
 */
class LineBuffer {
  private buf = Buffer.allocUnsafe(1 << 16);
  private len = 0;

  add(line: string): void {
    // room for the worst case (3 bytes per UTF-16 unit) without measuring the line first
    const need = this.len + line.length * 3 + 1;
    if (need > this.buf.length) {
      const next = Buffer.allocUnsafe(Math.max(need, this.buf.length * 2));
      this.buf.copy(next, 0, 0, this.len);
      this.buf = next;
    }
    this.len += this.buf.write(line, this.len, 'utf8');
    this.buf[this.len++] = 0x0a;
  }

  bytes(): Buffer {
    return this.buf.subarray(0, this.len);
  }
}

interface ArchFiles {
  pkglist: LineBuffer;
  rpmlist: LineBuffer;
}

/** Per repo arch: the pkglist and rpmlist.jsonl lines. */
function sortRpms(rpms: Array<Record<string, XmlRpcValue>>, builds: TaggedBuild[], arches: string[], opts: RepoOpts): Map<string, ArchFiles> {
  const rel = new PathInfo('toplink');
  const buildDirs = new Map(builds.map((b) => [b.build_id, rel.build(b as never)]));
  const out = new Map(arches.map((a) => [a, { pkglist: new LineBuffer(), rpmlist: new LineBuffer() } as ArchFiles]));
  const add = (arch: string, path: string, json: string) => {
    const f = out.get(arch);
    if (!f) return;
    f.pkglist.add(path);
    f.rpmlist.add(json);
  };
  for (const r of rpms) {
    const name = String(r.name);
    if (!opts.debuginfo && isDebuginfo(name)) continue;
    const path = `${buildDirs.get(r.build_id as number)}/${rel.rpm(r as never)}`;
    const json = encodeStoredJson(r, `rpm ${name}`);
    const arch = String(r.arch);
    if (arch === 'src') {
      if (opts.src) for (const a of arches) add(a, path, json);
      if (opts.separate_src) add('src', path, json);
    } else if (arch === 'noarch') {
      for (const a of arches) if (a !== 'src') add(a, path, json);
    } else add(canonArch(arch), path, json);
  }
  return out;
}

const lines = (l: string[]) => (l.length ? `${l.join('\n')}\n` : '');

/** Koji's repo_init; returns [repo_id, event_id]. */
export async function initRepo(ctx: CallContext, tagInfo: unknown, taskId: number | null, event: number | null, override: unknown): Promise<[number, number]> {
  const tag = (await getTag(ctx, tagInfo, { strict: true, event }))!;
  const [opts, custom] = repoOptsFor(tag, ctx.hub.options, override);
  if (opts.maven && !ctx.hub.options.EnableMaven) throw new GenericError('Maven support not enabled');
  const arches: string[] = [];
  if (opts.separate_src) arches.push('src');
  for (const a of (tag.arches ?? '').split(/\s+/).filter(Boolean)) {
    const c = canonArch(a);
    if (c !== 'src' && c !== 'noarch' && !arches.includes(c)) arches.push(c);
  }
  const eventId = await repoEvent(ctx, event);
  const repoId = await insertRepo(ctx, tag, eventId, taskId, opts, custom);
  const latest = !tag.extra.repo_include_all;
  const [rpms, builds] = await readTaggedRPMS(ctx.sql, { tagId: tag.id, event: eventId, inherit: true, latest });
  const groups = await readTagGroups(ctx.sql, tag.id, { event: eventId, inherit: true });
  const pkgs = await readPackageList(ctx.sql, { tagId: tag.id, event: eventId, inherit: true, withOwners: false });
  const blocked = pkgs.filter((p) => p.blocked).map((p) => p.package_name);

  const pi = new PathInfo(ctx.hub.kojiDir);
  const repoDir = pi.repo(repoId, tag.name);
  await fsp.mkdir(pi.repo('', tag.name), { recursive: true });
  await fsp.mkdir(repoDir);
  ctx.onRollback(() => fsp.rm(repoDir, { recursive: true, force: true }));
  await fsp.mkdir(`${repoDir}/groups`);
  await fsp.writeFile(`${repoDir}/groups/comps.xml`, generateComps(groups as never, true));
  const repoJson = {
    id: repoId,
    tag: tag.name,
    tag_id: tag.id,
    task_id: taskId,
    event_id: eventId,
    opts,
    custom_opts: custom,
    with_src: opts.src,
    with_separate_src: opts.separate_src,
    with_debuginfo: opts.debuginfo,
  };
  await fsp.writeFile(`${repoDir}/repo.json`, JSON.stringify(repoJson, null, 2));
  for (const [arch, files] of sortRpms(rpms, builds, arches, opts)) {
    const dir = `${repoDir}/${arch}`;
    await fsp.mkdir(dir);
    await fsp.symlink(relative(dir, ctx.hub.kojiDir), `${dir}/toplink`);
    await Promise.all([
      fsp.writeFile(`${dir}/pkglist`, files.pkglist.bytes()),
      fsp.writeFile(`${dir}/rpmlist.jsonl`, files.rpmlist.bytes()),
      fsp.writeFile(`${dir}/blocklist`, lines(blocked)),
    ]);
  }
  if (opts.maven) throw new GenericError('maven repos are not supported by koji-ts yet');
  return [repoId, eventId];
}
