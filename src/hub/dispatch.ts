/**
 * From a decoded XML-RPC call to a result or a fault, as Koji's kojixmlrpc does it:
 * method lookup (unknown → 1000 `Invalid method`), session check, lock-out, keyword struct,
 * argument binding (1019), permission, then the handler — in one transaction when the method
 * writes (rolled back on a fault), or straight on the pool when it only reads.
 * `multiCall` runs its calls in one transaction with a savepoint and a fresh event each.
 *
 * Rule for handlers: inside a transaction use only `ctx.sql`, never `hub.db` (PGlite has a single
 * connection, so a second query path would wait for the transaction forever).
 */
import type { Readable } from 'node:stream';
import { CACHEABLE_METHODS } from './reply-cache.ts';
import { GenericError, KojiError, ServerOffline, ActionNotAllowed, AuthLockError, ParameterError } from '../protocol/faults.ts';
import { isStruct, type XmlRpcValue } from '../protocol/values.ts';
import { Sql, type RawQueryable } from '../db/types.ts';
import { Session } from './auth/session.ts';
import { CACHE_CHANNEL, touchesSessionData } from './auth/cache.ts';
import { checkArgTypes, type RegisteredMethod } from './registry.ts';
import { bindArgs } from './signature.ts';
import type { CallContext, Hub, RequestInfo } from './types.ts';

const MULTICALL = new Set(['multiCall', 'system.multicall']);
const LOCKOUT_EXEMPT = new Set(['login', 'sslLogin', 'logout']);
const LOCKERROR_EXEMPT = new Set(['exclusiveSession', 'login', 'logout']);
/** calls of a read-only multicall that run at the same time */
const READ_WINDOW = 100;

export type CallOutcome =
  | { ok: true; value: XmlRpcValue; cached?: { stream: Readable; size: number }; cacheTicket?: number }
  | { ok: false; faultCode: number; faultString: string; traceback?: string[] };

/** Sql that notices data changes, so the session's callnum is stored only then (Koji's rule). */
class TrackedSql extends Sql {
  changed = false;
  /** a statement changed sessions/users/principals: cached sessions must go (auth/cache.ts) */
  sessionDataChanged = false;
  /** a statement changed anything but sessions: cached listing replies must go (reply-cache.ts) */
  contentChanged = false;
  constructor(raw: RawQueryable) {
    super(raw);
  }
  private note(sql: string): void {
    if (/^\s*(INSERT|UPDATE|DELETE)\b/i.test(sql)) this.changed = true;
    if (touchesSessionData(sql)) this.sessionDataChanged = true;
    if (/^\s*(INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+(?!sessions\b)\w+/i.test(sql)) this.contentChanged = true;
  }
  override async query<T extends Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<T[]> {
    this.note(sql);
    return super.query<T>(sql, params);
  }
  override async execute(sql: string, params?: readonly unknown[]): Promise<number> {
    this.note(sql);
    return super.execute(sql, params);
  }
}

/** Inside the transaction: tell other hubs (delivered at commit). */
async function announceSessionChanges(state: CallState, tx: RawQueryable): Promise<void> {
  if (state.hub.db.kind !== 'postgres') return;
  if (state.sql.sessionDataChanged) await tx.rawQuery(`NOTIFY ${CACHE_CHANNEL}, 'sessions'`);
  if (state.sql.contentChanged) await tx.rawQuery(`NOTIFY ${CACHE_CHANNEL}, 'content'`);
}

/** After commit (or rollback): forget our own cached sessions if the call changed them. */
function flushIfChanged(state: CallState, sql: TrackedSql): void {
  if (sql.sessionDataChanged) state.hub.sessionCache.flush();
  if (sql.contentChanged) {
    state.hub.replyCache.flush();
    state.hub.memo.flush();
  }
}

function lookup(hub: Hub, name: string): RegisteredMethod {
  const m = hub.registry.get(name);
  if (!m) throw new GenericError(`Invalid method: ${name}`);
  return m;
}

/** Split Koji's keyword struct off the positional parameters. */
export function decodeArgs(params: XmlRpcValue[]): { args: XmlRpcValue[]; kwargs: Record<string, XmlRpcValue> } {
  const last = params[params.length - 1];
  if (params.length > 0 && isStruct(last) && last.__starstar) {
    const kwargs = { ...last };
    delete kwargs.__starstar;
    return { args: params.slice(0, -1), kwargs };
  }
  return { args: params, kwargs: {} };
}

export function faultOf(hub: Hub, e: unknown): CallOutcome & { ok: false } {
  if (e instanceof KojiError) {
    return { ok: false, faultCode: e.faultCode, faultString: hub.options.KojiDebug ? (e.stack ?? e.message) : e.message };
  }
  const err = e instanceof Error ? e : new Error(String(e));
  hub.log.error({ err }, 'unexpected error in hub call');
  return { ok: false, faultCode: 1, faultString: `<class '${err.name}'>: ${err.message}` };
}

interface CallState {
  hub: Hub;
  request: RequestInfo;
  session: Session;
  sql: TrackedSql;
}

/** File-system work registered by calls (ctx.onCommit / ctx.onRollback). */
class Hooks {
  commit: Array<() => Promise<void> | void> = [];
  rollback: Array<() => Promise<void> | void> = [];
  async run(which: 'commit' | 'rollback', log: Hub['log']): Promise<void> {
    const list = which === 'commit' ? this.commit : this.rollback;
    this.commit = [];
    this.rollback = [];
    for (const fn of list) {
      try {
        await fn();
      } catch (e) {
        log.error({ err: e }, `${which} hook failed`);
      }
    }
  }
  absorb(other: Hooks): void {
    this.commit.push(...other.commit);
    this.rollback.push(...other.rollback);
  }
}

async function invoke(state: CallState, m: RegisteredMethod, params: XmlRpcValue[], hooks: Hooks): Promise<XmlRpcValue> {
  const { args, kwargs } = decodeArgs(params);
  const bound = checkArgTypes(m, bindArgs(m.name, m.binding, args, kwargs));
  let eventId: number | null = null;
  const ctx: CallContext = {
    hub: state.hub,
    sql: state.sql,
    session: state.session,
    request: state.request,
    method: m.name,
    async event() {
      if (eventId === null) {
        eventId = (await state.sql.value<number>('SELECT get_event()')) as number;
        state.sql.changed = true;
      }
      return eventId;
    },
    markChanged() {
      state.sql.changed = true;
      state.sql.contentChanged = true;
    },
    nextEvent() {
      eventId = null;
    },
    onCommit(fn) {
      hooks.commit.push(fn);
    },
    onRollback(fn) {
      hooks.rollback.push(fn);
    },
  };
  const req = m.requires;
  if (req === 'login') state.session.assertLogin();
  else if (req === 'hostSession') {
    state.session.assertLogin();
    if ((await state.session.hostId()) === null) throw new ActionNotAllowed('host not found');
    if (!state.session.exclusive) throw new ActionNotAllowed('This method requires an exclusive session');
  } else if (req && 'perm' in req) await state.session.assertPerm(req.perm);
  else if (req && 'anyPerm' in req) {
    let ok = false;
    for (const p of req.anyPerm) if (await state.session.hasPerm(p)) ok = true;
    if (!ok) await state.session.assertPerm(req.anyPerm[0]);
  }
  return await m.handler(ctx, bound);
}

/** Handle one XML-RPC methodCall (possibly a multicall); never throws, returns the outcome. */
export async function handleCall(hub: Hub, request: RequestInfo, methodName: string, params: XmlRpcValue[], cacheKey?: string): Promise<CallOutcome> {
  if (hub.options.ServerOffline) {
    return { ok: false, faultCode: ServerOffline.faultCode, faultString: hub.options.OfflineMessage ?? 'server is offline' };
  }
  try {
    const isMulti = MULTICALL.has(methodName);
    const m = isMulti ? null : lookup(hub, methodName);
    const pool = new TrackedSql(hub.db);
    pool.memo = hub.memo;
    const state: CallState = { hub, request, session: null as unknown as Session, sql: pool };
    // calls that write read their session from the database; reads may use the cache
    const writes = isMulti ? multicallWrites(hub, params) : Boolean(m?.writes);
    state.session = await Session.load(hub, () => state.sql, request, methodName, { cache: !writes });
    if (state.session.lockerror && !LOCKERROR_EXEMPT.has(methodName)) throw new AuthLockError(state.session.lockerror);
    if (hub.options.LockOut && !LOCKOUT_EXEMPT.has(methodName) && !(await state.session.hasPerm('admin'))) {
      throw new ServerOffline('Server disabled for maintenance');
    }
    if (isMulti) return { ok: true, value: await multiCall(state, params, writes) };
    const method = m as RegisteredMethod;
    // large listings: served from the reply cache once the session has been checked
    let cacheTicket: number | undefined;
    if (cacheKey && CACHEABLE_METHODS.has(methodName) && !method.writes) {
      const hit = hub.replyCache.get(cacheKey);
      if (hit) return { ok: true, value: null, cached: hit };
      cacheTicket = hub.replyCache.ticket();
    }
    const hooks = new Hooks();
    try {
      const value = !method.writes
        ? await invoke(state, method, params, hooks)
        : await hub.db.transaction(async (tx) => {
            state.sql = new TrackedSql(tx);
            const v = await invoke(state, method, params, hooks);
            await recordCallnum(state);
            await announceSessionChanges(state, tx);
            return v;
          });
      await hooks.run('commit', hub.log);
      return { ok: true, value, cacheTicket };
    } catch (e) {
      await hooks.run('rollback', hub.log);
      throw e;
    } finally {
      flushIfChanged(state, state.sql);
    }
  } catch (e) {
    return faultOf(hub, e);
  }
}

async function recordCallnum(state: CallState): Promise<void> {
  const s = state.session;
  if (state.sql.changed && s.id !== null && s.callnum !== null) {
    await state.sql.raw.rawQuery('UPDATE sessions SET callnum = $1 WHERE id = $2', [s.callnum, s.id]);
  }
}

/** One multicall entry: `[result]` or a fault struct (with a traceback for non-Koji errors). */
async function multicallEntry(state: CallState, call: XmlRpcValue, i: number, kept: Hooks): Promise<XmlRpcValue> {
  const hooks = new Hooks();
  try {
    if (!isStruct(call) || typeof call.methodName !== 'string') throw new ParameterError('each multicall entry must be a struct with methodName and params');
    if (MULTICALL.has(call.methodName)) throw new GenericError('multicall cannot be nested');
    const m = lookup(state.hub, call.methodName);
    const p = call.params === undefined ? [] : call.params;
    if (!Array.isArray(p)) throw new ParameterError(`params of multicall entry ${i} must be a list`);
    const value = await invoke(state, m, p, hooks);
    kept.absorb(hooks);
    return [value];
  } catch (e) {
    // this call's changes are rolled back to its savepoint: undo its files too
    await hooks.run('rollback', state.hub.log);
    const f = faultOf(state.hub, e);
    const entry: Record<string, XmlRpcValue> = { faultCode: f.faultCode, faultString: f.faultString };
    if (!(e instanceof KojiError)) entry.traceback = String((e as Error)?.stack ?? e).split('\n');
    return entry;
  }
}

/** Does a multicall contain a method that writes? (Unknown names fail on their own later.) */
function multicallWrites(hub: Hub, params: XmlRpcValue[]): boolean {
  const calls = decodeArgs(params).args[0];
  if (!Array.isArray(calls)) return false;
  return calls.some((c) => isStruct(c) && typeof c.methodName === 'string' && Boolean(hub.registry.get(c.methodName)?.writes));
}

async function multiCall(state: CallState, params: XmlRpcValue[], writes: boolean): Promise<XmlRpcValue[]> {
  const { args } = decodeArgs(params);
  if (args.length !== 1 || !Array.isArray(args[0])) throw new ParameterError('multiCall() takes exactly one argument: a list of {methodName, params} structs');
  const calls = args[0];
  const kept = new Hooks();
  // only reads: nothing to roll back, so no transaction and no savepoints; and nothing to order,
  // so the calls of a window run together and their point lookups share queries (db/batch.ts)
  if (!writes) {
    const results: XmlRpcValue[] = [];
    for (let start = 0; start < calls.length; start += READ_WINDOW) {
      const window = calls.slice(start, start + READ_WINDOW);
      results.push(...(await Promise.all(window.map((call, j) => multicallEntry(state, call, start + j + 1, kept)))));
    }
    await kept.run('commit', state.hub.log);
    return results;
  }
  try {
    const results = await multiCallTx(state, calls, kept);
    await kept.run('commit', state.hub.log);
    return results;
  } catch (e) {
    await kept.run('rollback', state.hub.log);
    throw e;
  } finally {
    flushIfChanged(state, state.sql);
  }
}

async function multiCallTx(state: CallState, calls: XmlRpcValue[], kept: Hooks): Promise<XmlRpcValue[]> {
  return state.hub.db.transaction(async (tx) => {
    const sql = new TrackedSql(tx);
    state.sql = sql;
    const results: XmlRpcValue[] = [];
    let i = 0;
    for (const call of calls) {
      i += 1;
      const sp = `multicall_${i}`;
      await tx.rawQuery(`SAVEPOINT ${sp}`);
      const entry = await multicallEntry(state, call, i, kept);
      await tx.rawQuery(Array.isArray(entry) ? `RELEASE SAVEPOINT ${sp}` : `ROLLBACK TO SAVEPOINT ${sp}`);
      results.push(entry);
    }
    await recordCallnum(state);
    await announceSessionChanges(state, tx);
    return results;
  });
}
