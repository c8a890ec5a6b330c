/**
 * From a decoded XML-RPC call to a result or a fault, as Koji's kojixmlrpc does it:
 * method lookup (unknown → 1000 `Invalid method`), session check, lock-out, keyword struct,
 * argument binding (1019), permission, then the handler — in one transaction when the method
 * writes (rolled back on a fault), or straight on the pool when it only reads. Multicalls:
 * multicall.ts.
 *
 * Calls that write run in `writeTransaction`s: one at a time across all hubs, so events are
 * handed out in commit order and a handler's checks see every earlier write.
 */
import { CACHEABLE_METHODS } from './reply-cache.ts';
import { ServerOffline, AuthLockError } from '../protocol/faults.ts';
import type { XmlRpcValue } from '../protocol/values.ts';
import { Session } from './auth/session.ts';
import type { RegisteredMethod } from './registry.ts';
import { announceSessionChanges, faultOf, flushIfChanged, Hooks, invoke, lookup, MULTICALL, prepareCall, recordCallnum, TrackedSql, type CallOutcome, type CallState } from './call.ts';
import { multiCall, multicallWrites } from './multicall.ts';
import type { Hub, RequestInfo } from './types.ts';

const LOCKOUT_EXEMPT = new Set(['login', 'sslLogin', 'logout']);
const LOCKERROR_EXEMPT = new Set(['exclusiveSession', 'login', 'logout']);

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
    if (isMulti) return { ok: true, value: null, stream: await multiCall(state, params, writes) };
    const method = m as RegisteredMethod;
    // large listings: served from the reply cache once the session has been checked
    let cacheTicket: number | undefined;
    if (cacheKey && CACHEABLE_METHODS.has(methodName) && !method.writes) {
      const hit = hub.replyCache.get(cacheKey);
      if (hit) return { ok: true, value: null, stream: hit };
      cacheTicket = hub.replyCache.ticket();
    }
    const prepared = method.prepare ? await prepareCall(state, method, params) : undefined;
    const hooks = new Hooks();
    try {
      const value = !method.writes
        ? await invoke(state, method, params, hooks, prepared)
        : await hub.db.writeTransaction(async (tx) => {
            state.sql = new TrackedSql(tx);
            const v = await invoke(state, method, params, hooks, prepared);
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
