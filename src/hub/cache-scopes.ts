/**
 * What each kind of write invalidates. Every table belongs to scopes: `sessions` (the session
 * cache, auth/cache.ts), `content` (the reply cache and the memo of inheritance walks —
 * listings of tags, builds, packages, RPMs) and `tasks` (tasks, hosts' check-ins, the
 * scheduler: no cache depends on them, so builders' heartbeats and task churn leave the
 * listing caches warm) and `repos` (what kojira makes repos from, and repos and their
 * requests: a change wakes kojits.repo.waitChanges, see signalChanges). A table not named here
 * counts as content, the safe default.
 *
 * A writing call collects the scopes of the tables its statements write (TrackedSql); writers
 * outside the dispatcher (the scheduler) say what they changed through `invalidate`. Other hub
 * processes hear of it by NOTIFY on CACHE_CHANNEL, delivered when the change commits.
 */
import type { RawQueryable } from '../db/types.ts';
import { CACHE_CHANNEL } from './auth/cache.ts';
import type { Hub } from './types.ts';

export type Scope = 'sessions' | 'content' | 'tasks' | 'repos';

/** Content kojira makes repos from: a committed change wakes kojits.repo.waitChanges. */
const REPO_INPUT: readonly Scope[] = ['content', 'repos'];

const TABLE_SCOPES: Readonly<Record<string, readonly Scope[]>> = {
  sessions: ['sessions'],
  users: ['sessions', 'content'],
  user_krb_principals: ['sessions', 'content'],
  task: ['tasks'],
  host: ['tasks'],
  scheduler_task_runs: ['tasks'],
  scheduler_task_refusals: ['tasks'],
  scheduler_host_data: ['tasks'],
  scheduler_sys_data: ['tasks'],
  scheduler_log_messages: ['tasks'],
  login_failures: [],
  tag_listing: REPO_INPUT,
  tag_inheritance: REPO_INPUT,
  tag_config: REPO_INPUT,
  tag_extra: REPO_INPUT,
  tag_packages: REPO_INPUT,
  tag_external_repos: REPO_INPUT,
  tag_updates: REPO_INPUT,
  group_config: REPO_INPUT,
  group_package_listing: REPO_INPUT,
  group_req_listing: REPO_INPUT,
  external_repo_config: REPO_INPUT,
  external_repo_data: REPO_INPUT,
  // no listing cache reads repos or requests
  repo: ['repos'],
  repo_queue: ['repos'],
};

const DML = /^\s*(INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+([a-z_][a-z0-9_]*)/i;

export interface Write {
  table: string;
  insert: boolean;
}

/** The table an INSERT/UPDATE/DELETE writes, or null for anything else. */
export function writtenTable(sql: string): Write | null {
  const m = DML.exec(sql);
  return m ? { table: m[2].toLowerCase(), insert: /^INSERT/i.test(m[1]) } : null;
}

/**
 * The scopes a write touches. A new session or user row cannot make a cached session stale
 * (a new Kerberos principal can: it changes what a cached row lists).
 */
export function scopesOf(w: Write): readonly Scope[] {
  const scopes = TABLE_SCOPES[w.table] ?? ['content'];
  if (w.insert && (w.table === 'sessions' || w.table === 'users')) return scopes.filter((s) => s !== 'sessions');
  return scopes;
}

/**
 * After a call's transaction: wake kojits.repo.waitChanges here and in the other hub processes
 * when the call changed repo inputs.
 */
export function signalChanges(hub: Hub, scopes: ReadonlySet<Scope>): void {
  if (scopes.has('repos')) hub.signals.reposChanged();
}

/** Drop this process's cached data of these scopes. */
export function invalidate(hub: Hub, scopes: Iterable<Scope>): void {
  for (const s of scopes) {
    if (s === 'sessions') hub.sessionCache.flush();
    else if (s === 'content') {
      hub.replyCache.flush();
      hub.memo.flush();
    }
  }
}

/** Inside the transaction: tell the other hub processes (delivered at commit). */
export async function announce(hub: Hub, tx: RawQueryable, scopes: Iterable<Scope>): Promise<void> {
  if (hub.db.kind !== 'postgres') return;
  for (const s of scopes) if (s === 'sessions' || s === 'content') await tx.rawQuery(`NOTIFY ${CACHE_CHANNEL}, '${s}'`);
}

/** What another hub announced. */
export function heard(hub: Hub, payload: string): void {
  invalidate(hub, payload === 'sessions' ? ['sessions'] : payload === 'content' ? ['content'] : ['sessions', 'content']);
}
