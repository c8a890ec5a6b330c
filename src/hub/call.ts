/**
 * What a single call needs, alone or inside a multicall: the method lookup, Koji's keyword
 * struct, argument binding and permission checks (`invoke`), the per-call context, file hooks
 * tied to the transaction, change tracking (callnum, cache flushes), and faults from errors.
 *
 * Rule for handlers: inside a transaction use only `ctx.sql`, never `hub.db` (PGlite has a single
 * connection, so a second query path would wait for the transaction forever).
 */
import type { Readable } from 'node:stream';
import { GenericError, KojiError, AuthError, Fault } from '../protocol/faults.ts';
import { isStruct, type XmlRpcValue } from '../protocol/values.ts';
import { Sql, type RawQueryable } from '../db/types.ts';
import type { Session } from './auth/session.ts';
import { announce, invalidate, scopesOf, signalChanges, writtenTable, type Scope } from './cache-scopes.ts';
import { checkArgTypes, type RegisteredMethod, type ResultFilter } from './registry.ts';
import { bindArgs } from '../protocol/signature.ts';
import { databaseFault } from './db-errors.ts';
import { scrubPaths } from './fault-text.ts';
import type { CallContext, Hub, RequestInfo } from './types.ts';

export const MULTICALL = new Set(['multiCall', 'system.multicall']);

export type CallOutcome =
  | { ok: true; value: XmlRpcValue; stream?: { stream: Readable; size: number }; cacheTicket?: number }
  | { ok: false; faultCode: number; faultString: string; traceback?: string[] };

/**
 * Sql that notices data changes: whether the call changed anything (its callnum is stored only
 * then, Koji's rule) and which cache scopes the written tables feed (cache-scopes.ts).
 */
export class TrackedSql extends Sql {
  changed = false;
  readonly scopes = new Set<Scope>();
  constructor(raw: RawQueryable) {
    super(raw);
  }
  private note(sql: string): void {
    const w = writtenTable(sql);
    if (w === null) return;
    this.changed = true;
    for (const s of scopesOf(w)) this.scopes.add(s);
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
export async function announceSessionChanges(state: CallState, tx: RawQueryable): Promise<void> {
  await announce(state.hub, tx, state.sql.scopes);
}

/** After commit (or rollback): drop what this process cached of the data the call changed. */
export function flushIfChanged(state: CallState, sql: TrackedSql): void {
  invalidate(state.hub, sql.scopes);
  signalChanges(state.hub, sql.scopes);
}

export function lookup(hub: Hub, name: string): RegisteredMethod {
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
    return { ok: false, faultCode: e.faultCode, faultString: hub.options.KojiDebug ? (e.stack ?? e.message) : scrubPaths(e.message, hub.kojiDir, false) };
  }
  // a fault a builder reported (getTaskResult, host.taskWaitResults re-raise it): code and text as
  // stored, whatever the code — kojid reports a Python exception as fault 1 with its traceback
  if (e instanceof Fault) return { ok: false, faultCode: e.faultCode, faultString: scrubPaths(e.faultString, hub.kojiDir, false) };
  const mapped = databaseFault(e);
  if (mapped) return faultOf(hub, mapped);
  const err = e instanceof Error ? e : new Error(String(e));
  hub.log.error({ err }, 'unexpected error in hub call');
  const text = `<class '${err.name}'>: ${err.message}`;
  return { ok: false, faultCode: 1, faultString: hub.options.KojiDebug ? text : scrubPaths(text, hub.kojiDir, true) };
}

export interface CallState {
  hub: Hub;
  request: RequestInfo;
  session: Session;
  sql: TrackedSql;
}

/** File-system work registered by calls (ctx.onCommit / ctx.onRollback). */
export class Hooks {
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

function bind(m: RegisteredMethod, params: XmlRpcValue[]) {
  const { args, kwargs } = decodeArgs(params);
  return checkArgTypes(m, bindArgs(m.name, m.binding, args, kwargs));
}

/**
 * A method's `prepare` step, before its transaction, on the pool (see MethodDef.prepare). Its
 * result goes to `invoke` as `prepared`. Not available inside a multicall.
 */
export async function prepareCall(state: CallState, m: RegisteredMethod, params: XmlRpcValue[]): Promise<{ value: unknown }> {
  const ctx = callContext(state, m, new Hooks(), undefined);
  return { value: await m.prepare?.(ctx, bind(m, params)) };
}

export async function invoke(state: CallState, m: RegisteredMethod, params: XmlRpcValue[], hooks: Hooks, prepared?: { value: unknown }): Promise<XmlRpcValue> {
  if (m.prepare && !prepared) throw new GenericError(`${m.name} cannot be called inside a multicall; call it on its own`);
  const { bound, ctx } = await admit(state, m, params, hooks, prepared);
  return await m.handler(ctx, bound);
}

/** A read-only method's `paged` answer (see MethodDef.paged), or null when it has none for this filter. */
export async function invokePaged(state: CallState, m: RegisteredMethod, params: XmlRpcValue[], f: ResultFilter | null): Promise<{ total: number; rows: XmlRpcValue[] } | null> {
  if (!m.paged || m.prepare || m.writes) return null;
  const { bound, ctx } = await admit(state, m, params, new Hooks(), undefined);
  return m.paged(ctx, bound, f);
}

/** Bind a call's arguments and check who may make it. */
async function admit(state: CallState, m: RegisteredMethod, params: XmlRpcValue[], hooks: Hooks, prepared: { value: unknown } | undefined) {
  const bound = bind(m, params);
  const ctx = callContext(state, m, hooks, prepared?.value);
  const req = m.requires;
  if (req === 'login') state.session.assertLogin();
  else if (req === 'hostSession') {
    // Koji's Host() and Host.verify()
    const s = state.session;
    if (!s.loggedIn) throw new AuthError('Not logged-in');
    if ((await s.hostId()) === null) throw new AuthError(`User ${s.userId} is not a host`);
    if (!s.exclusive) throw new AuthError('This method requires an exclusive session');
  } else if (req && 'perm' in req) await state.session.assertPerm(req.perm);
  else if (req && 'anyPerm' in req) {
    let ok = false;
    for (const p of req.anyPerm) if (await state.session.hasPerm(p)) ok = true;
    if (!ok) await state.session.assertPerm(req.anyPerm[0]);
  }
  return { bound, ctx };
}

function callContext(state: CallState, m: RegisteredMethod, hooks: Hooks, prepared: unknown): CallContext {
  let eventId: number | null = null;
  return {
    hub: state.hub,
    sql: state.sql,
    session: state.session,
    request: state.request,
    method: m.name,
    prepared,
    async event() {
      if (eventId === null) {
        eventId = (await state.sql.value<number>('SELECT get_event()')) as number;
        state.sql.changed = true;
      }
      return eventId;
    },
    markChanged() {
      state.sql.changed = true;
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
}

export async function recordCallnum(state: CallState): Promise<void> {
  const s = state.session;
  if (state.sql.changed && s.id !== null && s.callnum !== null) {
    await state.sql.raw.rawQuery('UPDATE sessions SET callnum = $1 WHERE id = $2', [s.callnum, s.id]);
  }
}
