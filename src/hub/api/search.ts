/**
 * search(terms, type, matchType): find packages, builds, tags, targets, users, hosts, rpms and
 * maven/win archives by name, as Koji's RootExports.search does — matchType 'glob' is a
 * case-insensitive glob (ILIKE), 'regexp' a case-insensitive POSIX regexp (~*), anything else an
 * exact match. Returns [{id, name}]; type 'file' is no longer supported by Koji and gives [].
 */
import { GenericError, ParameterError } from '../../protocol/faults.ts';
import type { XmlRpcValue } from '../../protocol/values.ts';
import { pyRepr } from '../../protocol/pyrepr.ts';
import { applyQueryOpts, Select, type QueryOpts } from '../query.ts';
import { method, queryOptsSchema, truthy, type MethodDef } from '../registry.ts';
import type { CallContext } from '../types.ts';

/** search type → table */
export const SEARCH_TABLES: Readonly<Record<string, string>> = {
  package: 'package',
  build: 'build',
  tag: 'tag',
  target: 'build_target',
  user: 'users',
  host: 'host',
  rpm: 'rpminfo',
  maven: 'archiveinfo',
  win: 'archiveinfo',
};

/**
 * A glob as a LIKE pattern: `*` → `%`, `?` → `_`; backslash, `_` and `%` stand for themselves.
 * (Koji leaves `%` unescaped, so it acts as a wildcard there.)
 */
export function globToLike(glob: string): string {
  return glob.replace(/[\\_%]/g, '\\$&').replace(/\?/g, '_').replace(/\*/g, '%');
}

const NVR = "package.name || '-' || build.version || '-' || build.release";
const NVRA = "rpminfo.name || '-' || rpminfo.version || '-' || rpminfo.release || '.' || rpminfo.arch || '.rpm'";
const WIN_PATH = "win_archives.relpath || '/' || archiveinfo.filename";

/** The literal start of a LIKE pattern (up to its first wildcard), unescaped. */
function likeLiteralStart(like: string): string {
  let out = '';
  for (let i = 0; i < like.length; i++) {
    const c = like[i];
    if (c === '%' || c === '_') break;
    if (c === '\\' && i + 1 < like.length) out += like[++i];
    else out += c;
  }
  return out;
}

const escapeLike = (s: string) => s.replace(/[\\_%]/g, '\\$&');

/**
 * A condition on package.name implied by "N-V-R starts with `start`" (case-insensitive, as
 * ILIKE): the name starts with it, or the name is the part of it before one of its dashes. It
 * selects the few packages a pattern can match, so the builds come by their package index
 * instead of a scan of every build; null when it would not narrow anything.
 */
function nvrPackageCond(q: Select, start: string): string | null {
  if (!start) return null;
  const alts = [`package.name ILIKE ${q.p(escapeLike(start) + '%')}`];
  for (let i = start.indexOf('-'); i > 0; i = start.indexOf('-', i + 1)) alts.push(`package.name ILIKE ${q.p(escapeLike(start.slice(0, i)))}`);
  return alts.join(' OR ');
}

async function search(ctx: CallContext, terms: XmlRpcValue, type: XmlRpcValue, matchType: XmlRpcValue, queryOpts: QueryOpts | null): Promise<XmlRpcValue> {
  if (!truthy(terms)) throw new GenericError('empty search terms');
  if (typeof terms !== 'string') throw new ParameterError(`Invalid type for search terms: ${pyRepr(terms)} (expected a string)`);
  if (type === 'file') return applyQueryOpts([], queryOpts) as XmlRpcValue; // searching by filename is no longer supported
  const table = typeof type === 'string' && Object.hasOwn(SEARCH_TABLES, type) ? SEARCH_TABLES[type] : null;
  if (!table) throw new GenericError(`No such search type: ${typeof type === 'string' ? type : pyRepr(type)}`);
  const oper = matchType === 'glob' ? 'ILIKE' : matchType === 'regexp' ? '~*' : '=';
  const q = new Select(table);
  const p = q.p(matchType === 'glob' ? globToLike(terms) : terms);
  switch (type) {
    case 'build':
    {
      q.join('package ON build.pkg_id = package.id').columns(['build.id', 'id'], [NVR, 'name']).where(`${NVR} ${oper} ${p}`);
      // implied by the match: narrows the packages first (a glob by its literal start, an exact name whole)
      const start = matchType === 'glob' ? likeLiteralStart(globToLike(terms)) : matchType === 'regexp' ? '' : terms;
      const cond = nvrPackageCond(q, start);
      if (cond) q.where(cond);
      break;
    }
    case 'rpm':
      q.columns(['rpminfo.id', 'id'], [NVRA, 'name']).where(`${NVRA} ${oper} ${p}`);
      break;
    case 'tag':
      q.join('tag_config ON tag.id = tag_config.tag_id').columns(['tag.id', 'id'], ['tag.name', 'name']).where(`tag_config.active = TRUE AND tag.name ${oper} ${p}`);
      break;
    case 'target':
      q.join('build_target_config ON build_target.id = build_target_config.build_target_id')
        .columns(['build_target.id', 'id'], ['build_target.name', 'name'])
        .where(`build_target_config.active = TRUE AND build_target.name ${oper} ${p}`);
      break;
    case 'maven':
      q.join('maven_archives ON archiveinfo.id = maven_archives.archive_id')
        .columns(['archiveinfo.id', 'id'], ['archiveinfo.filename', 'name'])
        .where(`archiveinfo.filename ${oper} ${p} OR maven_archives.group_id || '-' || maven_archives.artifact_id || '-' || maven_archives.version ${oper} ${p}`);
      break;
    case 'win':
      q.join('win_archives ON archiveinfo.id = win_archives.archive_id')
        .columns(['archiveinfo.id', 'id'], [`trim(leading '/' from ${WIN_PATH})`, 'name'])
        .where(`archiveinfo.filename ${oper} ${p} OR ${WIN_PATH} ${oper} ${p}`);
      break;
    default:
      q.columns([`${table}.id`, 'id'], [`${table}.name`, 'name']).where(`${table}.name ${oper} ${p}`);
  }
  try {
    return (await q.run(ctx.sql, queryOpts, 'id')) as XmlRpcValue;
  } catch (e) {
    // invalid_regular_expression: say so instead of passing on a database error
    if ((e as { code?: unknown })?.code === '2201B') throw new GenericError(`Invalid regular expression ${pyRepr(terms)}: ${(e as Error).message}`);
    throw e;
  }
}

export const searchMethods: MethodDef[] = [
  method({
    name: 'search',
    sig: '(terms, type, matchType, queryOpts=None)',
    doc:
      'Search for packages, builds, tags, targets, users, hosts, rpms, maven or win archives whose name matches terms: ' +
      "matchType 'glob' (case-insensitive glob), 'regexp' (case-insensitive regular expression) or anything else (exact). " +
      'Returns a list of {id, name}.',
    args: { queryOpts: queryOptsSchema },
    handler: (ctx, a) => search(ctx, a.terms, a.type, a.matchType, a.queryOpts as QueryOpts | null),
  }),
];
