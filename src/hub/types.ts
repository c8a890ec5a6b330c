/**
 * The shapes every hub module shares: the hub's long-lived state and the per-call context.
 * Handlers get everything through `ctx` — no globals, no thread-locals.
 */
import type { Logger } from 'pino';
import type { HubOptions } from '../config/hub.ts';
import type { Driver } from '../db/types.ts';
import type { Sql } from '../db/types.ts';
import type { Session } from './auth/session.ts';
import type { Registry } from './registry.ts';
import type { PeerIdentity } from './auth/peer.ts';
import type { SessionCache } from './auth/cache.ts';
import type { PolicySet } from './policy/index.ts';
import type { ReplyCache } from './reply-cache.ts';
import type { Memo } from './memo.ts';
import type { TaskSignals } from './tasks/signals.ts';
import type { SchedulerService } from './tasks/service.ts';

export interface Hub {
  options: HubOptions;
  /** [policy] rules from hub.conf */
  policy: Map<string, string>;
  db: Driver;
  registry: Registry;
  log: Logger;
  /** Absolute KojiDir */
  kojiDir: string;
  /** session rows for read-only calls (see auth/cache.ts) */
  sessionCache: SessionCache;
  /** hub.conf [policy] over Koji's defaults, parsed at start-up */
  policies: PolicySet;
  /** large listing replies kept for reuse until anything changes (see reply-cache.ts) */
  replyCache: ReplyCache;
  /** derived data for read-only calls, flushed with the reply cache (see memo.ts) */
  memo: Memo;
  /** wake-ups of the task system, within and across hub processes (tasks/signals.ts) */
  signals: TaskSignals;
  /** the task scheduler (runs where this process leads; tasks/service.ts) */
  scheduler: SchedulerService;
}

/** What the HTTP layer knows about the caller. */
export interface RequestInfo {
  remoteAddr: string;
  headers: Record<string, string | string[] | undefined>;
  query: URLSearchParams;
  /** set on HTTPS connections */
  peer: PeerIdentity | null;
  /** the request came in at …/ssllogin */
  sslLoginPath: boolean;
  /** the Kerberos principal whose Negotiate token the front verified at …/ssllogin */
  remoteUser?: string | null;
  /** aborted when the client closes the connection before its reply was sent */
  signal?: AbortSignal;
}

export interface CallContext {
  hub: Hub;
  /** queryable for this call: the request transaction (or a savepoint in it), or the pool */
  sql: Sql;
  session: Session;
  request: RequestInfo;
  /** the method being called (inside a multicall: the inner method) */
  method: string;
  /** the event of this call's changes, allocated on first use */
  event(): Promise<number>;
  /** make the next change use a new event (to keep an order, as massTag does) */
  nextEvent(): void;
  /**
   * File-system work tied to this call's transaction: `onCommit` runs after the data is
   * committed, `onRollback` when the call fails (to remove files it placed). Outside a
   * transaction they run when the call ends.
   */
  onCommit(fn: () => Promise<void> | void): void;
  onRollback(fn: () => Promise<void> | void): void;
  /** mark that this call changed data (so its callnum is recorded) */
  markChanged(): void;
  /** what the method's `prepare` step returned (see MethodDef.prepare) */
  prepared?: unknown;
}
