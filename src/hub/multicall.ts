/**
 * `multiCall` (alias `system.multicall`): the calls run in order, in one transaction with a
 * savepoint each when any of them writes (a failing call rolls back alone, the rest commit),
 * each with a fresh event. Each result is encoded as soon as its call returns, into a spool
 * capped by MaxReplySize (reply-spool.ts); MaxMulticallCalls caps the number of calls. Over a
 * limit, or when the client has gone away, the whole multicall stops with a fault.
 */
import { Buffer } from 'node:buffer';
import type { Readable } from 'node:stream';
import { GenericError, ParameterError } from '../protocol/faults.ts';
import { isStruct, type XmlRpcValue } from '../protocol/values.ts';
import { encodeParts, ReplyTooLarge, RESPONSE_CLOSE, RESPONSE_OPEN } from '../protocol/encode.ts';
import { announceSessionChanges, decodeArgs, faultOf, flushIfChanged, Hooks, invoke, lookup, MULTICALL, recordCallnum, TrackedSql, type CallState } from './call.ts';
import { ReplySpool } from './reply-spool.ts';
import type { Hub } from './types.ts';

/** One multicall entry: `[result]` or a fault struct (with a traceback for non-Koji errors under KojiDebug). */
async function multicallEntry(state: CallState, call: XmlRpcValue, i: number, kept: Hooks): Promise<{ ok: boolean; entry: XmlRpcValue }> {
  const hooks = new Hooks();
  try {
    if (!isStruct(call) || typeof call.methodName !== 'string') throw new ParameterError('each multicall entry must be a struct with methodName and params');
    if (MULTICALL.has(call.methodName)) throw new GenericError('multicall cannot be nested');
    const m = lookup(state.hub, call.methodName);
    const p = call.params === undefined ? [] : call.params;
    if (!Array.isArray(p)) throw new ParameterError(`params of multicall entry ${i} must be a list`);
    const value = await invoke(state, m, p, hooks);
    kept.absorb(hooks);
    return { ok: true, entry: [value] };
  } catch (e) {
    // this call's changes are rolled back to its savepoint: undo its files too
    await hooks.run('rollback', state.hub.log);
    const f = faultOf(state.hub, e);
    const entry: Record<string, XmlRpcValue> = { faultCode: f.faultCode, faultString: f.faultString };
    // a stack names the hub's files: only when the admin asked for it (KojiDebug)
    if (f.faultCode === 1 && state.hub.options.KojiDebug) entry.traceback = String((e as Error)?.stack ?? e).split('\n');
    return { ok: false, entry };
  }
}

/** Does a multicall contain a method that writes? (Unknown names fail on their own later.) */
export function multicallWrites(hub: Hub, params: XmlRpcValue[]): boolean {
  const calls = decodeArgs(params).args[0];
  if (!Array.isArray(calls)) return false;
  return calls.some((c) => isStruct(c) && typeof c.methodName === 'string' && Boolean(hub.registry.get(c.methodName)?.writes));
}

/** Calls of a read-only multicall that run at the same time: their point lookups share queries (db/batch.ts). */
const READ_WINDOW = 100;

/**
 * Run the calls, spooling each encoded entry in order. Calls that may write run one by one, each
 * in its savepoint (`each`); a read-only multicall runs its calls in windows of READ_WINDOW.
 */
async function runCalls(state: CallState, calls: XmlRpcValue[], kept: Hooks, spool: ReplySpool, each?: { before(i: number): Promise<void>; after(i: number, ok: boolean): Promise<void> }): Promise<void> {
  const limit = state.hub.options.MaxReplySize;
  const window = each ? 1 : READ_WINDOW;
  for (let start = 0; start < calls.length; start += window) {
    if (state.request.signal?.aborted) throw new GenericError(`multicall stopped at call ${start + 1} of ${calls.length}: the client closed the connection`);
    const batch = calls.slice(start, start + window);
    const entries = await Promise.all(
      batch.map(async (call, j) => {
        const i = start + j + 1;
        await each?.before(i);
        const r = await multicallEntry(state, call, i, kept);
        await each?.after(i, r.ok);
        return r.entry;
      }),
    );
    for (const [j, entry] of entries.entries()) {
      try {
        await spool.add(encodeParts(entry, { limit: limit > 0 ? limit - spool.size : 0 }));
      } catch (e) {
        if (!(e instanceof ReplyTooLarge)) throw e;
        throw new GenericError(
          `multicall reply too large: the results of calls 1-${start + j + 1} pass the hub's limit of ${limit} bytes (MaxReplySize in hub.conf); split the multicall into smaller batches or ask for less (queryOpts limit)`,
        );
      }
    }
  }
}

/** The whole multicall; resolves to the encoded reply, ready to stream. */
export async function multiCall(state: CallState, params: XmlRpcValue[], writes: boolean): Promise<{ stream: Readable; size: number }> {
  const { args } = decodeArgs(params);
  if (args.length !== 1 || !Array.isArray(args[0])) throw new ParameterError('multiCall() takes exactly one argument: a list of {methodName, params} structs');
  const calls = args[0];
  const max = state.hub.options.MaxMulticallCalls;
  if (max > 0 && calls.length > max) {
    throw new GenericError(`multicall of ${calls.length} calls refused: the hub allows at most ${max} calls in one multicall (MaxMulticallCalls in hub.conf); split it into smaller batches`);
  }
  const spool = new ReplySpool(state.hub.options.MaxReplySize);
  const kept = new Hooks();
  try {
    if (!writes) {
      // only reads: nothing to roll back, so no transaction and no savepoints
      await runCalls(state, calls, kept, spool);
    } else {
      await state.hub.db.writeTransaction(async (tx) => {
        state.sql = new TrackedSql(tx);
        await runCalls(state, calls, kept, spool, {
          before: async (i) => void (await tx.rawQuery(`SAVEPOINT multicall_${i}`)),
          after: async (i, ok) => void (await tx.rawQuery(ok ? `RELEASE SAVEPOINT multicall_${i}` : `ROLLBACK TO SAVEPOINT multicall_${i}`)),
        });
        await recordCallnum(state);
        await announceSessionChanges(state, tx);
      });
    }
  } catch (e) {
    await kept.run('rollback', state.hub.log);
    await spool.discard();
    throw e;
  } finally {
    if (writes) flushIfChanged(state, state.sql);
  }
  await kept.run('commit', state.hub.log);
  return spool.stream(Buffer.from(RESPONSE_OPEN + '<value><array><data>'), Buffer.from('</data></array></value>' + RESPONSE_CLOSE));
}
