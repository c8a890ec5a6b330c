/**
 * What a page handler gets (the request's parameters, the hub as the visitor sees it, the
 * configuration) and what it returns (a template and its data, or a redirect).
 */
import type { ClientSession } from '../protocol/client.ts';
import type { HubMethod } from '../protocol/api.ts';
import type { XmlRpcStruct, XmlRpcValue } from '../protocol/values.ts';
import type { WebOptions } from '../config/web.ts';
import { HttpError, notFound } from './errors.ts';
import type { Logins, WebLogin } from './logins.ts';
import { PAGE_SIZE, type Params } from './params.ts';

export type Row = XmlRpcStruct;

export interface PageView {
  template: string;
  title: string;
  /** which tab of the header is highlighted */
  pageID?: string;
  data: Record<string, unknown>;
  status?: number;
  /** extra reply headers (WWW-Authenticate) */
  headers?: Record<string, string>;
}
/** A response the handler writes itself (server-sent events); `signal` aborts when the browser goes. */
export interface PageStream {
  stream(res: import('node:http').ServerResponse, signal: AbortSignal): Promise<void>;
}
export type PageResult = PageView | PageStream | { redirect: string; cookie?: string; headers?: Record<string, string> };
export type PageHandler = (ctx: PageContext) => Promise<PageResult>;

export interface Pager {
  rows: Row[];
  total: number;
  start: number;
  /** the last row's number (1-based) */
  end: number;
  size: number;
  order: string;
  /** page links: number (1-based), the offset, whether it is this page */
  pages: Array<{ n: number; start: number; current: boolean }>;
  /** the parameter names used for this list (kojiweb prefixes them when a page has two lists) */
  startParam: string;
  orderParam: string;
}

/** What a request brings besides its query: the form of a POST, the login, the browser's certificate. */
export interface RequestFacts {
  method: string;
  /** the fields of a POSTed form */
  form: URLSearchParams | null;
  login: WebLogin | null;
  /** the CN of a client certificate the hub's TLS layer verified (only through the hub's proxy) */
  clientCN: string | null;
  /** whether the browser talks HTTPS (cookies get Secure) */
  secure: boolean;
  /** request headers (lower-case names) */
  headers: Record<string, string | string[] | undefined>;
  logins: Logins;
}

/** One call of a multicall. */
export interface HubCall {
  method: HubMethod;
  args?: XmlRpcValue[];
  kwargs?: Record<string, XmlRpcValue>;
}

/** A list's offset and sort order, and the parameter names they came from. */
export interface ListParams {
  start: number;
  order: string;
  startParam: string;
  orderParam: string;
}

export class PageContext {
  /** the hub as this visitor: their login's session, or anonymous */
  readonly hub: ClientSession;

  constructor(
    readonly params: Params,
    anonymous: ClientSession,
    readonly opts: WebOptions,
    /** the page name, e.g. "taskinfo" */
    readonly page: string,
    readonly req: RequestFacts,
  ) {
    this.hub = req.login?.hub ?? anonymous;
  }

  get login(): WebLogin | null {
    return this.req.login;
  }

  /** An action: a POST from a logged-in user carrying this login's CSRF token; the form. */
  action(): { login: WebLogin; form: URLSearchParams } {
    if (this.req.method !== 'POST' || !this.req.form) throw new HttpError(405, `${this.page} changes something: send it as a POST form from the page that offers it`);
    const login = this.req.login;
    if (!login) throw new HttpError(401, 'Log in first: this action needs a login');
    this.req.logins.checkCsrf(login, this.req.form.get('csrf_token'));
    return { login, form: this.req.form };
  }

  call<T = XmlRpcValue>(method: HubMethod, args: XmlRpcValue[] = [], kwargs?: Record<string, XmlRpcValue>): Promise<T> {
    return this.hub.call(method, args, kwargs) as Promise<T>;
  }

  /** `method(args)` when it names an object, else a 404 "No such <what>: <id>". */
  async need(method: HubMethod, args: XmlRpcValue[], what: string, kwargs?: Record<string, XmlRpcValue>): Promise<Row> {
    const row = await this.call<Row | null>(method, args, kwargs);
    if (!row) throw notFound(`No such ${what}: ${String(args[0])}`);
    return row;
  }

  /** This page's URL with some parameters changed (null removes one). */
  link(changes: Record<string, string | number | null>): string {
    const q = new URLSearchParams(this.params.search);
    for (const [k, v] of Object.entries(changes)) {
      if (v === null) q.delete(k);
      else q.set(k, String(v));
    }
    const s = q.toString();
    return s ? `${this.page}?${s}` : this.page;
  }

  /** Several hub calls in one multicall; each call's value in order (the first fault is thrown). */
  async multi<V = XmlRpcValue>(calls: HubCall[]): Promise<V[]> {
    if (!calls.length) return [];
    const res = await this.hub.multiCall(calls, { strict: true });
    return res.map((r) => (r as [XmlRpcValue])[0] as V);
  }

  /** A list's `start` and `order` parameters (`<prefix>Start`/`<prefix>Order` when a page has several lists). */
  listParams(o: { orders: readonly string[]; dflt: string; prefix?: string }): ListParams {
    const startParam = o.prefix ? `${o.prefix}Start` : 'start';
    const orderParam = o.prefix ? `${o.prefix}Order` : 'order';
    return { start: this.params.start(startParam), order: this.params.order(orderParam, o.orders, o.dflt), startParam, orderParam };
  }

  /**
   * kojiweb's paginateMethod: one page of a listing the hub sorts and cuts (queryOpts order,
   * offset, limit) and its total (countOnly), in one multicall.
   */
  async paginate(method: HubMethod, args: XmlRpcValue[], kwargs: Record<string, XmlRpcValue>, o: { orders: readonly string[]; dflt: string; prefix?: string }): Promise<Pager> {
    const l = this.listParams(o);
    const [total, rows] = await this.multi([
      { method, args, kwargs: { ...kwargs, queryOpts: { countOnly: true } } },
      { method, args, kwargs: { ...kwargs, queryOpts: { order: l.order, offset: l.start, limit: PAGE_SIZE } } },
    ]);
    return pager(rows as Row[], Number(total), l);
  }

  /**
   * kojiweb's paginateResults, for calls without queryOpts (listTagged, …): the hub sorts and
   * cuts the result with countAndFilterResults.
   */
  async paginateResults(method: HubMethod, args: XmlRpcValue[], kwargs: Record<string, XmlRpcValue>, o: { orders: readonly string[]; dflt: string; prefix?: string }): Promise<Pager> {
    const l = this.listParams(o);
    const [total, rows] = await this.call<[number, Row[]]>('countAndFilterResults', [method, ...args], { ...kwargs, filterOpts: { order: l.order, offset: l.start, limit: PAGE_SIZE } });
    return pager(rows, total, l);
  }

  /** A Pager for rows a handler fetched itself with `l` (from listParams). */
  pageOf(rows: Row[], total: number, l: ListParams): Pager {
    return pager(rows, total, l);
  }

  /** The same for a list already in memory (kojiweb's paginateList). */
  paginateList(all: Row[], o: { orders: readonly string[]; dflt: string; prefix?: string }): Pager {
    const l = this.listParams(o);
    const key = l.order.replace(/^-/, '');
    const dir = l.order.startsWith('-') ? -1 : 1;
    const sorted = [...all].sort((a, b) => {
      const x = a[key] as never;
      const y = b[key] as never;
      // None sorts last, as kojiweb's noneGreatest
      if (x === null || x === undefined) return y === null || y === undefined ? 0 : 1;
      if (y === null || y === undefined) return -1;
      return (x < y ? -1 : x > y ? 1 : 0) * dir;
    });
    return pager(sorted.slice(l.start, l.start + PAGE_SIZE), all.length, l);
  }
}

function pager(rows: Row[], total: number, { start, order, startParam, orderParam }: ListParams): Pager {
  const count = Math.ceil(total / PAGE_SIZE);
  const current = Math.floor(start / PAGE_SIZE);
  // at most 11 page links around the current one, plus the first and the last
  const shown = new Set<number>([0, count - 1]);
  for (let i = Math.max(0, current - 5); i <= Math.min(count - 1, current + 5); i++) shown.add(i);
  const pages = [...shown].filter((i) => i >= 0).sort((a, b) => a - b).map((i) => ({ n: i + 1, start: i * PAGE_SIZE, current: i === current }));
  return { rows, total, start, end: Math.min(start + PAGE_SIZE, total), size: PAGE_SIZE, order, pages, startParam, orderParam };
}
