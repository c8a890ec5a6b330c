/**
 * queryHistory: the rows of Koji's versioned tables, created and revoked, with their event
 * times, creators/revokers and the names Koji joins in. Filters follow Koji's query_history:
 * a filter that does not apply to a table leaves that table out of the result; an option Koji
 * does not know is ignored (the stock CLI sends `utc`); queryOpts applies to each table's query.
 */
import { GenericError, ParameterError } from '../../protocol/faults.ts';
import { Float, type XmlRpcValue } from '../../protocol/values.ts';
import { lookupName } from '../lookup.ts';
import { pyRepr } from '../../protocol/pyrepr.ts';
import { Select, type QueryOpts } from '../query.ts';
import { method, queryOptsSchema, truthy, type MethodDef } from '../registry.ts';
import { getBuild } from '../content/build.ts';
import { HISTORY_TABLES, HISTORY_TABLE_FIELDS, historyTable } from '../content/history-tables.ts';
import type { CallContext } from '../types.ts';
import { getUser } from './users.ts';

/** The `tables` argument as a list of names (a string iterates by character, as in Python). */
function tableList(tables: XmlRpcValue): string[] {
  if (tables === null || tables === undefined) return [...HISTORY_TABLES];
  const list = typeof tables === 'string' ? [...tables] : Array.isArray(tables) ? tables : null;
  if (!list) throw new ParameterError(`Invalid type for tables: expected a list, got ${pyRepr(tables)}`);
  for (const t of list) {
    if (typeof t !== 'string' || !Object.hasOwn(HISTORY_TABLE_FIELDS, t)) throw new GenericError(`No such history table: ${typeof t === 'string' ? t : pyRepr(t)}`);
  }
  return list as string[];
}

/** An event bound as SQL: an id (or any number: compared as such). */
function eventArg(q: Select, name: string, v: XmlRpcValue): string {
  const n = v instanceof Float ? v.value : typeof v === 'boolean' ? Number(v) : typeof v === 'string' && /^\s*-?\d+\s*$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isFinite(n)) throw new ParameterError(`Invalid value for ${name}: ${pyRepr(v)} (expected an event id)`);
  return Number.isInteger(n) ? q.p(n) : `${q.p(n)}::float8`;
}

/**
 * A time option: a string timestamp as given (PostgreSQL parses it; see badTime), or seconds
 * since the epoch. Returns SQL for the value.
 */
function timeArg(q: Select, name: string, v: XmlRpcValue): string {
  if (typeof v === 'string') return `${q.p(v)}::timestamptz`;
  const n = v instanceof Float ? v.value : typeof v === 'boolean' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isFinite(n)) throw new ParameterError(`Invalid type for ${name}: ${pyRepr(v)} (expected a timestamp)`);
  return `to_timestamp(${q.p(n)}::float8)`;
}

/** A fault for a time string PostgreSQL could not read (invalid_datetime_format / datetime_field_overflow). */
function badTime(e: unknown, kwargs: Record<string, XmlRpcValue>): Error | null {
  const code = (e as { code?: unknown })?.code;
  if (code !== '22007' && code !== '22008') return null;
  const given = ['before', 'after'].filter((k) => typeof kwargs[k] === 'string').map((k) => `${k}=${pyRepr(kwargs[k])}`);
  return new GenericError(`Invalid time: ${given.join(', ')} (${(e as Error).message})`);
}

/** Lookups by option, done at most once per call (Koji repeats them per table, to the same effect). */
class Lookups {
  private readonly cache = new Map<string, Promise<unknown>>();
  constructor(private readonly ctx: CallContext) {}

  get<T>(key: string, fn: () => Promise<T>): Promise<T> {
    let p = this.cache.get(key) as Promise<T> | undefined;
    if (!p) {
      p = fn();
      this.cache.set(key, p);
    }
    return p;
  }

  async id(table: string, value: XmlRpcValue, strict: boolean): Promise<number | null> {
    return this.get(`${table}`, async () => (await lookupName(this.ctx.sql, table, value, { strict }))?.id ?? null);
  }

  async user(key: string, value: XmlRpcValue): Promise<number> {
    return this.get(key, async () => (await getUser(this.ctx, value, { strict: true, krbPrincs: false }))!.id);
  }
}

/** One table's query; null when some filter does not apply to it. */
async function tableQuery(ctx: CallContext, table: string, kwargs: Record<string, XmlRpcValue>, look: Lookups): Promise<Select | null> {
  const meta = historyTable(table);
  const { joined } = meta;
  const q = new Select(table);
  for (const j of meta.joins) q.join(j);
  const columns = [...meta.columns];
  const clauses: string[] = [];
  for (const [arg, value] of Object.entries(kwargs)) {
    switch (arg) {
      case 'tag': {
        if (!joined.has('tag')) return null;
        const id = q.p(await look.id('tag', value, true));
        clauses.push(table === 'tag_inheritance' ? `${table}.tag_id = ${id} OR ${table}.parent_id = ${id}` : `${joined.get('tag')}.id = ${id}`);
        break;
      }
      case 'build': {
        if (!joined.has('build')) return null;
        const id = await look.get('build', async () => (await getBuild(ctx.sql, value, true))!.id);
        clauses.push(`build.id = ${q.p(id)}`);
        break;
      }
      case 'host':
        if (!joined.has('host')) return null;
        clauses.push(`host.id = ${q.p(await look.id('host', value, false))}`);
        break;
      case 'channel':
        if (!joined.has('channels')) return null;
        clauses.push(`channels.id = ${q.p(await look.id('channels', value, false))}`);
        break;
      case 'package':
        if (joined.has('package')) clauses.push(`package.id = ${q.p(await look.id('package', value, true))}`);
        else if (meta.fields.includes('package')) clauses.push(`${table}.package = ${q.p(typeof value === 'string' ? value : pyRepr(value))}`);
        else return null;
        break;
      case 'user':
        if (!joined.has('users')) return null;
        clauses.push(`${joined.get('users')}.id = ${q.p(await look.user('user', value))}`);
        break;
      case 'permission':
        if (!joined.has('permissions')) return null;
        clauses.push(`${joined.get('permissions')}.id = ${q.p(await look.id('permissions', value, true))}`);
        break;
      case 'cg':
        if (!joined.has('content_generator')) return null;
        clauses.push(`${joined.get('content_generator')}.id = ${q.p(await look.id('content_generator', value, true))}`);
        break;
      case 'external_repo':
        if (!joined.has('external_repo')) return null;
        clauses.push(`${joined.get('external_repo')}.id = ${q.p(await look.id('external_repo', value, true))}`);
        break;
      case 'build_target':
        if (!joined.has('build_target')) return null;
        clauses.push(`${joined.get('build_target')}.id = ${q.p(await look.id('build_target', value, true))}`);
        break;
      case 'group':
        if (!joined.has('groups')) return null;
        clauses.push(`${joined.get('groups')}.id = ${q.p(await look.id('groups', value, true))}`);
        break;
      case 'active':
        if (truthy(value)) clauses.push(`${table}.active = TRUE`);
        else if (value !== null && value !== undefined) clauses.push(`${table}.active IS NULL`);
        break;
      case 'editor': {
        const id = q.p(await look.user('editor', value));
        clauses.push(`creator.id = ${id} OR revoker.id = ${id}`);
        columns.push([`creator.id = ${id}`, '_created_by'], [`revoker.id = ${id}`, '_revoked_by']);
        break;
      }
      case 'after':
      case 'before': {
        const ts = timeArg(q, arg, value);
        const op = arg === 'after' ? '>' : '<';
        const word = arg === 'after' ? 'after' : 'before';
        clauses.push(`ev1.time ${op} ${ts} OR ev2.time ${op} ${ts}`);
        columns.push([`ev1.time ${op} ${ts}`, `_created_${word}`], [`ev2.time ${op} ${ts}`, `_revoked_${word}`]);
        break;
      }
      case 'afterEvent':
      case 'beforeEvent': {
        const e = eventArg(q, arg, value);
        const op = arg === 'afterEvent' ? '>' : '<';
        const word = arg === 'afterEvent' ? 'after' : 'before';
        clauses.push(`${table}.create_event ${op} ${e} OR ${table}.revoke_event ${op} ${e}`);
        columns.push([`${table}.create_event ${op} ${e}`, `_created_${word}_event`], [`${table}.revoke_event ${op} ${e}`, `_revoked_${word}_event`]);
        break;
      }
      case 'xkey':
        if (!meta.fields.includes('key')) return null;
        clauses.push(`${table}.key = ${q.p(typeof value === 'string' ? value : pyRepr(value))}`);
        break;
      default:
        // Koji ignores options it does not know (e.g. the CLI's `utc`)
        break;
    }
  }
  // result keys in Koji's (sorted) order
  columns.sort((a, b) => (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  // (Select writes `expr` bare when it equals the key: keep dotted keys such as tag.name whole)
  q.columns(...columns.map(([expr, key]): [string, string] => [expr === key && key.includes('.') ? `(${expr})` : expr, key]));
  for (const c of clauses) q.where(c);
  return q;
}

/** Koji's query_history. */
export async function queryHistory(ctx: CallContext, tables: XmlRpcValue, kwargsIn: Record<string, XmlRpcValue>): Promise<Record<string, XmlRpcValue>> {
  const list = tableList(tables);
  const kwargs = { ...kwargsIn };
  let queryOpts: QueryOpts | null = null;
  if ('queryOpts' in kwargs) {
    const parsed = queryOptsSchema.safeParse(kwargs.queryOpts);
    if (!parsed.success) throw new ParameterError(`Invalid queryOpts: ${pyRepr(kwargs.queryOpts)}`);
    queryOpts = parsed.data as QueryOpts | null;
    delete kwargs.queryOpts;
  }
  const look = new Lookups(ctx);
  const out: Record<string, XmlRpcValue> = {};
  for (const table of list) {
    const q = await tableQuery(ctx, table, kwargs, look);
    if (!q) continue;
    const order = [`create_event`, ...HISTORY_TABLE_FIELDS[table].filter((f) => !['data', 'value', 'description', 'comment'].includes(f))].join(',');
    try {
      out[table] = (await q.run(ctx.sql, queryOpts, order)) as XmlRpcValue;
    } catch (e) {
      throw badTime(e, kwargs) ?? e;
    }
  }
  return out;
}

export const historyMethods: MethodDef[] = [
  method({
    name: 'queryHistory',
    sig: '(tables=None, **kwargs)',
    doc:
      'History of the versioned tables: {table: [rows]}. Options: tag, build, package, user, permission, cg, external_repo, ' +
      'build_target, group, host, channel, xkey (filters; a table they do not apply to is left out), before/after (time ' +
      'string or seconds), beforeEvent/afterEvent, active, editor, queryOpts (for each table).',
    handler: (ctx, a) => queryHistory(ctx, a.tables, (a.kwargs ?? {}) as Record<string, XmlRpcValue>),
  }),
];
