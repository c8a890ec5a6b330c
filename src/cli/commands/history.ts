/**
 * list-history and search. list-history prints the stock CLI's timeline: one line per create or
 * revoke ("Thu Jan  1 00:00:00 2026 f40-build-1-1 tagged into f40 by kojiadmin"), a revoke and a
 * create of the same key in one event merged into one "edit" line followed by the changed
 * fields; times as Python's time.asctime of the local (or, with --utc, UTC) time.
 */
import { Float, isStruct, type XmlRpcStruct, type XmlRpcValue } from '../../protocol/values.ts';
import { CliError, UsageError, type CliContext, type Command, type Options } from '../command.ts';
import { pformat } from '../pyformat.ts';
import { pyRepr, pyStr, pyStrOf } from '../../protocol/pyrepr.ts';
import { asctime, toNum } from './common.ts';

/** The stock CLI's _table_keys: what identifies a row's subject (for grouping edits). */
const TABLE_KEYS: Record<string, string[]> = {
  user_perms: ['user_id', 'perm_id'],
  user_groups: ['user_id', 'group_id'],
  cg_users: ['user_id', 'cg_id'],
  tag_inheritance: ['tag_id', 'parent_id'],
  tag_config: ['tag_id'],
  tag_extra: ['tag_id', 'key'],
  build_target_config: ['build_target_id'],
  external_repo_config: ['external_repo_id'],
  external_repo_data: ['external_repo_id'],
  host_config: ['host_id'],
  host_channels: ['host_id', 'channel_id'],
  tag_external_repos: ['tag_id', 'external_repo_id'],
  tag_listing: ['build_id', 'tag_id'],
  tag_packages: ['package_id', 'tag_id'],
  tag_package_owners: ['package_id', 'tag_id'],
  group_config: ['group_id', 'tag_id'],
  group_req_listing: ['group_id', 'tag_id', 'req_id'],
  group_package_listing: ['group_id', 'tag_id', 'package'],
};

/** Line formats by table: [edit, create, revoke] (edit null: the create/revoke format is used). */
const FORMATS: Record<string, [string | null, string, string]> = {
  tag_listing: ['%(name)s-%(version)s-%(release)s re-tagged into %(tag.name)s', '%(name)s-%(version)s-%(release)s tagged into %(tag.name)s', '%(name)s-%(version)s-%(release)s untagged from %(tag.name)s'],
  user_perms: ['permission %(permission.name)s re-granted to %(user.name)s', 'permission %(permission.name)s granted to %(user.name)s', 'permission %(permission.name)s revoked for %(user.name)s'],
  user_groups: ['user %(user.name)s re-added to group %(group.name)s', 'user %(user.name)s added to group %(group.name)s', 'user %(user.name)s removed from group %(group.name)s'],
  cg_users: ['user %(user.name)s re-added to content generator %(content_generator.name)s', 'user %(user.name)s added to content generator %(content_generator.name)s', 'user %(user.name)s removed from content generator %(content_generator.name)s'],
  tag_packages: ['package list entry for %(package.name)s in %(tag.name)s updated', 'package list entry created: %(package.name)s in %(tag.name)s', 'package list entry revoked: %(package.name)s in %(tag.name)s'],
  tag_package_owners: ['package owner changed for %(package.name)s in %(tag.name)s', 'package owner %(owner.name)s set for %(package.name)s in %(tag.name)s', 'package owner %(owner.name)s revoked for %(package.name)s in %(tag.name)s'],
  tag_inheritance: ['inheritance line %(tag.name)s->%(parent.name)s updated', 'inheritance line %(tag.name)s->%(parent.name)s added', 'inheritance line %(tag.name)s->%(parent.name)s removed'],
  tag_config: ['tag configuration for %(tag.name)s altered', 'new tag: %(tag.name)s', 'tag deleted: %(tag.name)s'],
  tag_extra: ['tag option %(key)s for tag %(tag.name)s altered', 'added tag option %(key)s for tag %(tag.name)s', 'tag option %(key)s removed for %(tag.name)s'],
  host_config: ['host configuration for %(host.name)s altered', 'new host: %(host.name)s', 'host deleted: %(host.name)s'],
  host_channels: [null, 'host %(host.name)s added to channel %(channels.name)s', 'host %(host.name)s removed from channel %(channels.name)s'],
  build_target_config: ['build target configuration for %(build_target.name)s updated', 'new build target: %(build_target.name)s', 'build target deleted: %(build_target.name)s'],
  external_repo_config: ['external repo configuration for %(external_repo.name)s altered', 'new external repo: %(external_repo.name)s', 'external repo deleted: %(external_repo.name)s'],
  external_repo_data: ['tracking data for external repo %(external_repo.name)s altered', 'new tracking data for external repo %(external_repo.name)s', 'deleted tracking data for external repo %(external_repo.name)s'],
  tag_external_repos: ['external repo entry for %(external_repo.name)s in tag %(tag.name)s updated', 'external repo entry for %(external_repo.name)s added to tag %(tag.name)s', 'external repo entry for %(external_repo.name)s removed from tag %(tag.name)s'],
  group_config: ['group %(group.name)s configuration for tag %(tag.name)s updated', 'group %(group.name)s added to tag %(tag.name)s', 'group %(group.name)s removed from tag %(tag.name)s'],
  group_req_listing: ['group dependency %(group.name)s->%(req.name)s updated in tag %(tag.name)s', 'group dependency %(group.name)s->%(req.name)s added in tag %(tag.name)s', 'group dependency %(group.name)s->%(req.name)s dropped from tag %(tag.name)s'],
  group_package_listing: ['package entry %(package)s in group %(group.name)s, tag %(tag.name)s updated', 'package %(package)s added to group %(group.name)s in tag %(tag.name)s', 'package %(package)s removed from group %(group.name)s in tag %(tag.name)s'],
};

function histFormat(table: string, edit: boolean, create: boolean): string {
  const f = FORMATS[table];
  if (!f) return `${table} entry ${edit ? 'updated' : create ? 'created' : 'revoked'}`;
  if (edit && f[0] !== null) return f[0];
  return create ? f[1] : f[2];
}

const MONTH_NAMES = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];
const SKIP = /^(at|on|and|of|ad|mon(day)?|tue(s|sday)?|wed(nesday)?|thu(rs|rsday)?|fri(day)?|sat(urday)?|sun(day)?|utc|gmt|z|[+-]\d{2}:?\d{2})$/;

/**
 * The stock CLI's "time" option type: a number of seconds, or a date/time (a practical subset of
 * what dateutil.parser reads: ISO dates and times, "Dec 31 2020", "December 31st 12:35",
 * M/D/Y, am/pm), missing parts taken from today at midnight, read as local time (a zone in the
 * text is ignored, as time.mktime ignores it).
 */
export function parseTimeSpec(value: string, opt: string): number {
  if (/^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/.test(value)) return Number(value);
  const bad = () => new UsageError(`option ${opt}: invalid time specification: ${pyStr(value)}`);
  const now = new Date();
  let [y, mo, d, h, mi, sec]: Array<number | null> = [null, null, null, null, null, null];
  let pm: boolean | null = null;
  const fullYear = (n: number) => {
    if (n >= 100) return n;
    let year = n + Math.floor(now.getFullYear() / 100) * 100;
    if (year >= now.getFullYear() + 50) year -= 100;
    else if (year < now.getFullYear() - 50) year += 100;
    return year;
  };
  const tokens = value.toLowerCase().replace(/(\d)t(\d)/g, '$1 $2').split(/[\s,;]+/).filter(Boolean);
  if (!tokens.length) throw bad();
  for (const tok of tokens) {
    let m: RegExpExecArray | null;
    const word = tok.replace(/\.$/, '');
    const month = MONTH_NAMES.findIndex((n) => word === n || word === n.slice(0, 3) || (n === 'september' && word === 'sept'));
    if (month >= 0) mo = month + 1;
    else if (SKIP.test(tok)) continue;
    else if ((m = /^(\d{4})[-/.](\d{1,2})(?:[-/.](\d{1,2}))?$/.exec(tok))) [y, mo, d] = [Number(m[1]), Number(m[2]), m[3] ? Number(m[3]) : d];
    else if ((m = /^(\d{1,2})[-/.](\d{1,2})[-/.](\d{2,4})$/.exec(tok))) [mo, d, y] = [Number(m[1]), Number(m[2]), fullYear(Number(m[3]))];
    else if ((m = /^(\d{4})(\d{2})(\d{2})$/.exec(tok))) [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
    else if ((m = /^(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?(?:z|[+-]\d{2}:?\d{2})?(am|pm)?$/.exec(tok))) {
      [h, mi, sec] = [Number(m[1]), Number(m[2]), m[3] ? Number(m[3]) : 0];
      if (m[4]) pm = m[4] === 'pm';
    } else if (/^(am|pm|a\.m\.|p\.m\.)$/.test(tok)) pm = tok.startsWith('p');
    else if ((m = /^(\d{1,2})(st|nd|rd|th)?$/.exec(tok))) {
      if (d === null) d = Number(m[1]);
      else if (y === null) y = fullYear(Number(m[1]));
      else throw bad();
    } else if (/^\d{4}$/.test(tok) && y === null) y = Number(tok);
    else throw bad();
  }
  if ([y, mo, d, h].every((v) => v === null)) throw bad();
  if (pm !== null && h !== null) {
    if (h > 12 || h === 0) throw bad();
    h = (h % 12) + (pm ? 12 : 0);
  }
  const [Y, M, D] = [y ?? now.getFullYear(), mo ?? now.getMonth() + 1, d ?? now.getDate()];
  const [H, MI, S] = [h ?? 0, mi ?? 0, sec ?? 0];
  const date = new Date(Y, M - 1, D, H, MI, S);
  if (M < 1 || M > 12 || date.getDate() !== D || H > 23 || MI > 59 || S > 59) throw bad();
  return date.getTime() / 1000;
}

type Row = XmlRpcStruct & { '.related'?: Entry[] };

/** The stock CLI's timeline entry tuple (event_id, table, create, x). */
class Entry {
  constructor(readonly event: number, readonly table: string, readonly create: 0 | 1, readonly x: Row) {}
}


/** Python's repr, with dicts in their own key order and entries as tuples (for --debug). */
function reprPy(v: unknown): string {
  if (v instanceof Entry) return `(${[v.event, v.table, v.create, v.x].map(reprPy).join(', ')})`;
  if (Array.isArray(v)) return `[${v.map(reprPy).join(', ')}]`;
  if (isStruct(v as XmlRpcValue)) return `{${Object.entries(v as object).map(([k, x]) => `${pyStr(k)}: ${reprPy(x)}`).join(', ')}}`;
  return pyRepr(v);
}

/** pprint.pprint of an entry (tuple) or a list of entries, as the stock CLI's unusual-edit report. */
function pprintPy(v: Entry | Entry[]): string {
  const plain = (e: Entry) => [e.event, e.table, e.create, e.x] as XmlRpcValue[];
  if (v instanceof Entry) return pformat(plain(v)).replace(/^\[/, '(').replace(/\]$/, ')');
  return pformat(v.map(plain));
}

/** Python ==, for the changed-field lines of an edit. */
function pyEq(a: unknown, b: unknown): boolean {
  if (a instanceof Float || b instanceof Float || typeof a === 'number' || typeof b === 'number') {
    if ((typeof a === 'number' || a instanceof Float || typeof a === 'boolean') && (typeof b === 'number' || b instanceof Float || typeof b === 'boolean')) return toNum(a) === toNum(b);
    return false;
  }
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => pyEq(x, b[i]));
  if (isStruct(a as XmlRpcValue) && isStruct(b as XmlRpcValue)) {
    const ka = Object.keys(a as object);
    const kb = Object.keys(b as object);
    return ka.length === kb.length && ka.every((k) => k in (b as object) && pyEq((a as XmlRpcStruct)[k], (b as XmlRpcStruct)[k]));
  }
  return a === b || ((a === null || a === undefined) && (b === null || b === undefined));
}

const HIDDEN = ['active', 'create_event', 'revoke_event', 'creator_id', 'revoker_id', 'creator_name', 'revoker_name', 'create_ts', 'revoke_ts'];

function nameKey(key: string): string {
  if (key === 'perm_id') return 'permission.name';
  if (key.endsWith('_id')) return `${key.slice(0, -3)}.name`;
  return `${key}.name`;
}

const sortedKeys = (x: object) => Object.keys(x).sort();

/** The stock CLI's _print_histline: lines to `out`, warnings to `warn`. */
function printHistline(entry: Entry, o: Options, out: string[], warn: (m: string) => void): void {
  const { event, table, create, x } = entry;
  const edit = x['.related'];
  let other: Entry | null = null;
  if (edit) {
    delete x['.related'];
    let bad: string | null = null;
    if (edit.length !== 1) bad = `${edit.length + 1} elements`;
    other = edit[0];
    if (create || !other.create) bad = 'out of order';
    if (event !== other.event) bad = 'non-matching';
    if (bad) {
      warn(`Unusual edit at event ${event} in table ${table} (${bad})`);
      out.push(pprintPy(entry), pprintPy(edit));
      printHistline(entry, o, out, warn);
      // (the stock CLI prints the entry once more for each related one)
      for (let i = 0; i < edit.length; i++) printHistline(entry, o, out, warn);
      return;
    }
  }
  const ts = create ? x.create_ts : x.revoke_ts;
  const who = create ? ('creator_name' in x ? `by ${pyStrOf(x.creator_name)}` : null) : 'revoker_name' in x ? `by ${pyStrOf(x.revoker_name)}` : null;
  const fmt = histFormat(table, Boolean(edit), Boolean(create));
  const parts = [asctime(toNum(ts), Boolean(o.utc)), fmt.replace(/%\(([^)]+)\)s/g, (_, k: string) => pyStrOf(x[k]))];
  if (o.events || o.verbose) parts.splice(1, 0, `(eid ${event})`);
  if (who) parts.push(who);
  if ((create && truthy(x.active)) || (other && truthy(other.x.active))) parts.push('[still active]');
  out.push(parts.join(' '));
  if (other) {
    const y = other.x;
    for (const key of sortedKeys(x)) {
      if (HIDDEN.includes(key) || pyEq(x[key], y[key]) || key.startsWith('_')) continue;
      const nkey = nameKey(key);
      if (nkey in x && nkey in y) continue;
      out.push(`    ${key}: ${pyStrOf(x[key])} -> ${pyStrOf(y[key])}`);
    }
  } else if (create && o.verbose && table !== 'tag_listing') {
    const alsoHidden = [...TABLE_KEYS[table]];
    alsoHidden.push(...alsoHidden.map(nameKey));
    for (const key of sortedKeys(x)) {
      if (HIDDEN.includes(key) || alsoHidden.includes(key)) continue;
      if (nameKey(key) in x || key.startsWith('_')) continue;
      if (truthy(x.blocked) && key !== 'blocked') continue;
      out.push(`    ${key.endsWith('.name') ? key.slice(0, -5) : key}: ${pyStrOf(x[key])}`);
    }
  }
}

function truthy(v: unknown): boolean {
  if (v instanceof Float) return v.value !== 0;
  if (Array.isArray(v)) return v.length > 0;
  if (isStruct(v as XmlRpcValue)) return Object.keys(v as object).length > 0;
  return Boolean(v);
}

/** One round of list-history: query, build the timeline, print it. Returns the last event seen. */
async function historyRound(ctx: CliContext, o: Options, tables: string[] | null, kwargs: Record<string, XmlRpcValue>, out: string[]): Promise<number | null> {
  const histdata = await ctx.session.call<Record<string, Row[]>>('queryHistory', [], { tables, ...kwargs });
  // did the create (or revoke) side of a row match the time/event filters?
  const matched = (x: Row, side: string) => {
    if (o.context) return true;
    let ret: unknown = true;
    for (const k of Object.keys(x)) if (k.startsWith(`_${side}`)) ret = truthy(ret) ? x[k] : ret;
    return truthy(ret);
  };
  const timeline: Entry[] = [];
  for (const [table, rows] of Object.entries(histdata)) {
    for (const x of rows) {
      if (x.revoke_event !== null && x.revoke_event !== undefined && matched(x, 'revoked')) timeline.push(new Entry(toNum(x.revoke_event), table, 0, { ...x }));
      if (matched(x, 'created')) timeline.push(new Entry(toNum(x.create_event), table, 1, x));
    }
  }
  timeline.sort((a, b) => a.event - b.event || (a.table < b.table ? -1 : a.table > b.table ? 1 : 0) || a.create - b.create);
  // a revoke and a create of the same key in one event is an edit
  const merged: Entry[] = [];
  let last: number | null = null;
  let index = new Map<string, Entry>();
  for (const entry of timeline) {
    if (entry.event !== last) {
      index = new Map();
      last = entry.event;
    }
    const key = JSON.stringify([entry.table, ...(TABLE_KEYS[entry.table] ?? []).map((k) => entry.x[k] ?? null)]);
    const prev = index.get(key);
    if (prev) (prev.x['.related'] ??= []).push(entry);
    else {
      index.set(key, entry);
      merged.push(entry);
    }
  }
  for (const entry of merged) {
    if (o.debug || ctx.global.debug) out.push(reprPy([entry.event, entry.table, entry.create, entry.x]));
    printHistline(entry, o, out, (m) => ctx.warn(m));
  }
  return last;
}

const LIMITS = ['package', 'tag', 'build', 'editor', 'user', 'permission', 'cg', 'external_repo', 'build_target', 'group', 'before', 'after', 'host', 'channel', 'xkey'];

const TIME_HELP = 'time is specified as timestamp or date/time in any format which can be parsed by dateutil.parser. e.g. "2020-12-31 12:35" or "December 31st 12:35"';
const SEARCH_TYPES = ['package', 'build', 'tag', 'target', 'user', 'host', 'rpm', 'maven', 'win'];

export const historyCommands: Command[] = [
  {
    name: 'list-history',
    category: 'info',
    summary: 'Display historical data',
    usage: 'list-history [options]',
    anon: true,
    options: [
      { name: 'debug', type: 'bool', help: '', hidden: true },
      { name: 'build', type: 'string', help: 'Only show data for a specific build' },
      { name: 'package', type: 'string', help: 'Only show data for a specific package' },
      { name: 'tag', type: 'string', help: 'Only show data for a specific tag' },
      { name: 'editor', type: 'string', metavar: 'USER', help: 'Only show entries modified by user' },
      { name: 'by', type: 'string', dest: 'editor', metavar: 'USER', help: '', hidden: true },
      { name: 'user', type: 'string', help: 'Only show entries affecting a user' },
      { name: 'permission', type: 'string', help: 'Only show entries relating to a given permission' },
      { name: 'cg', type: 'string', help: 'Only show entries relating to a given content generator' },
      { name: 'external-repo', type: 'string', help: 'Only show entries relating to a given external repo' },
      { name: 'erepo', type: 'string', dest: 'external_repo', help: '', hidden: true },
      { name: 'build-target', type: 'string', help: 'Only show entries relating to a given build target' },
      { name: 'target', type: 'string', dest: 'build_target', help: '', hidden: true },
      { name: 'group', type: 'string', help: 'Only show entries relating to a given group' },
      { name: 'host', type: 'string', help: 'Only show entries related to given host' },
      { name: 'channel', type: 'string', help: 'Only show entries related to given channel' },
      { name: 'xkey', type: 'string', help: 'Only show entries related to given tag extra key' },
      { name: 'before', type: 'string', help: `Only show entries before this time, ${TIME_HELP}` },
      { name: 'after', type: 'string', help: 'Only show entries after timestamp (same format as for --before)' },
      { name: 'before-event', type: 'int', metavar: 'EVENT_ID', help: 'Only show entries before event' },
      { name: 'after-event', type: 'int', metavar: 'EVENT_ID', help: 'Only show entries after event' },
      { name: 'watch', type: 'bool', help: 'Monitor history data' },
      { name: 'active', type: 'bool', help: 'Only show entries that are currently active' },
      { name: 'revoked', type: 'bool', dest: 'active', value: false, help: 'Only show entries that are currently revoked' },
      { name: 'context', type: 'bool', help: 'Show related entries' },
      { name: 'show', short: 's', type: 'append', help: 'Show data from selected tables' },
      { name: 'verbose', short: 'v', type: 'bool', help: 'Show more detail' },
      { name: 'events', short: 'e', type: 'bool', help: 'Show event ids' },
      { name: 'all', type: 'bool', help: 'Allows listing the entire global history' },
      { name: 'utc', type: 'bool', help: 'Shows time in UTC timezone' },
    ],
    async handler(ctx, o, args) {
      if (args.length !== 0) throw new UsageError('This command takes no arguments');
      for (const opt of ['before', 'after']) {
        if (o[opt] !== null) o[opt] = parseTimeSpec(String(o[opt]), `--${opt}`);
      }
      const kwargs: Record<string, XmlRpcValue> = {};
      let limited = false;
      for (const opt of LIMITS) {
        const v = o[opt];
        if (v) {
          kwargs[opt] = typeof v === 'number' ? new Float(v) : (v as XmlRpcValue);
          limited = true;
        }
      }
      if (o.before_event) kwargs.beforeEvent = o.before_event as number;
      if (o.after_event) kwargs.afterEvent = o.after_event as number;
      if (o.active !== null) kwargs.active = o.active as boolean;
      if (o.host && !(await ctx.session.call('getHost', [o.host as string]))) throw new CliError(`No such host: ${String(o.host)}`);
      if (o.channel && !(await ctx.session.call('getChannel', [o.channel as string]))) throw new CliError(`No such channel: ${String(o.channel)}`);
      if (o.utc) kwargs.utc = true;
      let tables: string[] | null = null;
      if ((o.show as string[]).length) tables = (o.show as string[]).flatMap((s) => s.split(','));
      if (!limited && !o.all) throw new UsageError('Please specify an option to limit the query');
      if (o.watch && !kwargs.afterEvent && !kwargs.after) {
        kwargs.afterEvent = (await ctx.session.call<{ id: number }>('getLastEvent')).id;
      }
      const out: string[] = [];
      for (;;) {
        const last = await historyRound(ctx, o, tables, kwargs, out);
        if (!o.watch) break;
        // --watch runs until interrupted: print as we go
        if (out.length) process.stdout.write(out.join('\n') + '\n');
        out.length = 0;
        await new Promise((r) => setTimeout(r, ctx.config.poll_interval * 1000));
        if (last) kwargs.afterEvent = last;
      }
      return out.length ? out.join('\n') + '\n' : '';
    },
  },
  {
    name: 'search',
    category: 'search',
    summary: 'Search the system',
    usage: `search [options] <search_type> <pattern>\nAvailable search types: ${SEARCH_TYPES.join(', ')}`,
    anon: true,
    options: [
      { name: 'regex', short: 'r', type: 'bool', help: 'treat pattern as regex' },
      { name: 'exact', type: 'bool', help: 'exact matches only' },
    ],
    async handler(ctx, o, args) {
      if (args.length < 1) throw new UsageError('Please specify search type');
      if (args.length < 2) throw new UsageError('Please specify search pattern');
      const [type, pattern] = args;
      if (!SEARCH_TYPES.includes(type)) throw new UsageError(`No such search type: ${type}`);
      const matchType = o.regex ? 'regexp' : o.exact ? 'exact' : 'glob';
      const rows = await ctx.session.call<Array<{ name: XmlRpcValue }>>('search', [pattern, type, matchType]);
      return rows.map((r) => `${pyStrOf(r.name)}\n`).join('');
    },
  },
];
