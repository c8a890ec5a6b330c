/**
 * count, filterResults and countAndFilterResults: Koji's wrappers that call another (read-only)
 * method and count its result, or sort and page a list of maps it returns (filterOpts: order
 * with '-' for descending, offset, limit, noneGreatest).
 */
import { GenericError, ParameterError } from '../../protocol/faults.ts';
import { isStruct, type XmlRpcValue } from '../../protocol/values.ts';
import { Hooks, invoke, invokePaged, TrackedSql, type CallState } from '../call.ts';
import { method, type MethodDef, type ResultFilter } from '../registry.ts';
import type { CallContext } from '../types.ts';

function inner(ctx: CallContext, name: unknown, args: XmlRpcValue[], kw: Record<string, XmlRpcValue>) {
  const m = typeof name === 'string' ? ctx.hub.registry.get(name) : undefined;
  if (!m) throw new GenericError(`method ${String(name)} doesn't exist`);
  if (m.writes) throw new ParameterError(`${m.name} changes data: count and filterResults take read-only methods`);
  const state: CallState = { hub: ctx.hub, request: ctx.request, session: ctx.session, sql: ctx.sql as TrackedSql };
  const params = Object.keys(kw).length ? [...args, { ...kw, __starstar: true }] : args;
  return { m, state, params };
}

async function callInner(ctx: CallContext, name: unknown, args: XmlRpcValue[], kw: Record<string, XmlRpcValue>): Promise<XmlRpcValue> {
  const { m, state, params } = inner(ctx, name, args, kw);
  return invoke(state, m, params, new Hooks());
}

/** The method's own count and page (MethodDef.paged) when it has one for this filter, else null. */
async function pagedInner(ctx: CallContext, name: unknown, args: XmlRpcValue[], kw: Record<string, XmlRpcValue>, f: ResultFilter | null) {
  const { m, state, params } = inner(ctx, name, args, kw);
  return invokePaged(state, m, params, f);
}

/** filterOpts as a ResultFilter, or null when the generic sort must handle it (odd types). */
function resultFilter(fo: Record<string, XmlRpcValue>): ResultFilter | null {
  const num = (v: XmlRpcValue | undefined) => (v === undefined || v === null ? null : typeof v === 'number' ? v : undefined);
  const offset = num(fo.offset);
  const limit = num(fo.limit);
  if (offset === undefined || limit === undefined) return null;
  if (fo.order !== undefined && fo.order !== null && typeof fo.order !== 'string') return null;
  return { order: fo.order || null, noneGreatest: fo.noneGreatest === undefined ? true : Boolean(fo.noneGreatest), offset, limit };
}

function compare(a: XmlRpcValue, b: XmlRpcValue, noneGreatest: boolean): number {
  const an = a === null || a === undefined;
  const bn = b === null || b === undefined;
  if (an || bn) return an && bn ? 0 : (an ? 1 : -1) * (noneGreatest ? 1 : -1);
  const x = typeof a === 'object' ? Number(a) : a;
  const y = typeof b === 'object' ? Number(b) : b;
  return (x as number) < (y as number) ? -1 : (x as number) > (y as number) ? 1 : 0;
}

async function countAndFilter(ctx: CallContext, name: unknown, args: XmlRpcValue[], kw: Record<string, XmlRpcValue>): Promise<[number, XmlRpcValue]> {
  const { filterOpts, ...rest } = kw;
  const fo = isStruct(filterOpts) ? filterOpts : {};
  let results: XmlRpcValue;
  try {
    const f = resultFilter(fo);
    const page = f ? await pagedInner(ctx, name, args, rest, f) : null;
    if (page) return [page.total, page.rows];
    results = await callInner(ctx, name, args, rest);
  } catch (e) {
    throw new GenericError(`method ${String(name)} raised an exception (${(e as Error).message})`);
  }
  if (results === null || results === undefined) return [0, null];
  if (!Array.isArray(results)) throw new GenericError(`${String(name)}() did not return a list`);
  let out = results.slice();
  if (typeof fo.order === 'string' && fo.order) {
    const desc = fo.order.startsWith('-');
    const key = desc ? fo.order.slice(1) : fo.order;
    const noneGreatest = fo.noneGreatest === undefined ? true : Boolean(fo.noneGreatest);
    out.sort((p, q) => (desc ? -1 : 1) * compare(isStruct(p) ? p[key] : null, isStruct(q) ? q[key] : null, noneGreatest));
  }
  if (typeof fo.offset === 'number') out = out.slice(fo.offset);
  if (typeof fo.limit === 'number') out = out.slice(0, fo.limit);
  return [results.length, out];
}

export const metaMethods: MethodDef[] = [
  method({
    name: 'count',
    sig: '(methodName, *args, **kw)',
    doc: 'Call a read-only method and count its result: 0 for None, the length of a list or struct, else 1.',
    async handler(ctx, a) {
      const page = await pagedInner(ctx, a.methodName, a.args as XmlRpcValue[], a.kw as Record<string, XmlRpcValue>, null);
      if (page) return page.total;
      const r = await callInner(ctx, a.methodName, a.args as XmlRpcValue[], a.kw as Record<string, XmlRpcValue>);
      if (r === null || r === undefined) return 0;
      if (Array.isArray(r)) return r.length;
      if (isStruct(r)) return Object.keys(r).length;
      return 1;
    },
  }),
  method({
    name: 'filterResults',
    sig: '(methodName, *args, **kw)',
    doc: 'Call a read-only method returning a list of maps, then sort and page it with filterOpts (order, offset, limit, noneGreatest).',
    handler: async (ctx, a) => (await countAndFilter(ctx, a.methodName, a.args as XmlRpcValue[], a.kw as Record<string, XmlRpcValue>))[1],
  }),
  method({
    name: 'countAndFilterResults',
    sig: '(methodName, *args, **kw)',
    doc: 'As filterResults, returning [total count, filtered list].',
    handler: (ctx, a) => countAndFilter(ctx, a.methodName, a.args as XmlRpcValue[], a.kw as Record<string, XmlRpcValue>),
  }),
];
