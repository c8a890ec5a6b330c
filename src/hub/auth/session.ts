/**
 * The caller's session for one request (Koji's auth.Session): found from the Koji-Session-*
 * headers (or legacy query string), checked for key, client address, expiry, callnum order
 * and exclusivity. Permissions and groups are loaded on first use.
 *
 * Cost model: one query per authenticated call (session, user, exclusive holder and Kerberos
 * principals together). Koji also writes `update_time` and commits on every call; koji-ts writes
 * it at most every `SessionUpdateInterval` seconds per session, so reads stay read-only. The
 * callnum is stored inside the request transaction only when the call changed data — the same
 * rule Koji applies (replayed reads pass, replayed writes fail).
 */
import { AUTHTYPES, USER_STATUS } from '../../protocol/enums.ts';
import { ActionNotAllowed, AuthError, AuthExpired, RetryError, SequenceError } from '../../protocol/faults.ts';
import { Float } from '../../protocol/values.ts';
import type { Sql } from '../../db/types.ts';
import type { Hub, RequestInfo } from '../types.ts';
import { CACHE_CHANNEL } from './cache.ts';

/** Methods whose replay with the same callnum is harmless (Koji's RetryWhitelist). */
const RETRY_OK = new Set([
  'host.taskWait', 'host.taskUnwait', 'host.taskSetWait', 'host.updateHost', 'host.setBuildRootState',
  'repoExpire', 'repoDelete', 'repoProblem',
]);
export const AUTH_METHODS = new Set(['login', 'sslLogin']);

export interface SessionRow {
  id: number;
  user_id: number;
  expired: boolean;
  master: number | null;
  authtype: number | null;
  callnum: number | null;
  exclusive: boolean | null;
  hostip: string | null;
  start_time: string;
  update_time: string;
  renew_time: string | null;
  start_ts: Float;
  update_ts: Float;
  renew_ts: Float | null;
  name: string;
  status: number;
  usertype: number;
  excl_id: number | null;
  krb_principals: string[];
  [k: string]: unknown;
}

export const SESSION_QUERY = `
SELECT s.id, s.user_id, s.expired, s.master, s.authtype, s.callnum, s.exclusive, s.hostip,
       s.start_time, s.update_time, s.renew_time,
       date_part('epoch', s.start_time) AS start_ts,
       date_part('epoch', s.update_time) AS update_ts,
       date_part('epoch', s.renew_time) AS renew_ts,
       u.name, u.status, u.usertype,
       (SELECT x.id FROM sessions x
         WHERE x.user_id = s.user_id AND x.exclusive IS TRUE AND x.closed IS FALSE LIMIT 1) AS excl_id,
       ARRAY(SELECT k.krb_principal FROM user_krb_principals k
              WHERE k.user_id = s.user_id ORDER BY k.krb_principal) AS krb_principals
  FROM sessions s JOIN users u ON u.id = s.user_id
 WHERE s.id = $1 AND s.key = $2 AND s.hostip = $3 AND s.closed IS FALSE`;

function header(req: RequestInfo, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Client address as Koji records it ('-' when CheckClientIP is off). */
export function clientIp(hub: Hub, req: RequestInfo, override?: string | null): string {
  if (!hub.options.CheckClientIP) return '-';
  if (override) return override;
  return req.remoteAddr.replace(/^::ffff:/, '');
}

export class Session {
  loggedIn = false;
  id: number | null = null;
  key: string | null = null;
  master: number | null = null;
  userId: number | null = null;
  userName: string | null = null;
  usertype: number | null = null;
  authtype: number | null = null;
  hostip: string | null = null;
  /** callnum the client sent with this request */
  callnum: number | null = null;
  exclusive = false;
  lockerror: string | null = null;
  /** the session row as read at the start of the request */
  row: SessionRow | null = null;
  message = '';
  private perms: Map<string, Array<string | null>> | null = null;
  private groups: Map<number, string> | null = null;
  private hostIdCache: number | null | undefined = undefined;

  /** The queryable permission lookups use (the current request's). */
  sql: () => Sql;

  constructor(sql: () => Sql) {
    this.sql = sql;
  }

  /**
   * Read the session the request carries (if any) and check it. `method` decides the
   * exemptions (login methods may use an expired session to renew it).
   */
  static async load(hub: Hub, sql: () => Sql, req: RequestInfo, method: string, o: { cache?: boolean } = {}): Promise<Session> {
    const s = new Session(sql);
    let callnumRaw: string | undefined;
    const hid = header(req, 'koji-session-id');
    if (hid !== undefined) {
      if (!/^\d+$/.test(hid.trim())) throw new AuthError(`Invalid session id: ${JSON.stringify(hid)}`);
      s.id = Number(hid);
      s.key = header(req, 'koji-session-key') ?? '';
      callnumRaw = header(req, 'koji-session-callnum') ?? header(req, 'koji-callnum');
    } else if (!hub.options.DisableURLSessions && req.query.has('session-id')) {
      const qid = req.query.get('session-id') ?? '';
      if (!/^\d+$/.test(qid)) throw new AuthError(`Invalid session id: ${JSON.stringify(qid)}`);
      s.id = Number(qid);
      if (!req.query.has('session-key')) throw new AuthError("'session-key' not specified in session args");
      s.key = req.query.get('session-key') ?? '';
      callnumRaw = req.query.get('callnum') ?? undefined;
    } else {
      s.message = 'no Koji-Session-* headers';
      return s;
    }
    const hostip = clientIp(hub, req);
    let row = o.cache ? hub.sessionCache.get(s.id, s.key, hostip) : null;
    if (!row) {
      const ticket = hub.sessionCache.ticket();
      row = await sql().maybeOne<SessionRow>(SESSION_QUERY, [s.id, s.key, hostip]);
      if (!row) throw new AuthError('Invalid session or bad credentials');
      hub.sessionCache.put(ticket, s.id, s.key, hostip, row);
    }
    s.row = row;

    const timeout = hub.options.SessionRenewalTimeout;
    if (!row.expired && timeout !== 0) {
      const since = (row.renew_ts ?? row.start_ts).value;
      if (Date.now() / 1000 > since + timeout * 60) {
        row.expired = true;
        // committed at once, whatever happens to the request (as Koji does)
        await hub.db.rawQuery('UPDATE sessions SET expired = TRUE WHERE id = $1 OR master = $1', [s.id]);
        hub.sessionCache.flush();
        if (hub.db.kind === 'postgres') await hub.db.rawQuery(`NOTIFY ${CACHE_CHANNEL}, 'sessions'`);
      }
    }
    if (row.expired && !AUTH_METHODS.has(method)) throw new AuthExpired(`session "${s.id}" has expired`);

    let callnum: number | null = null;
    if (callnumRaw !== undefined && callnumRaw !== '') {
      if (!/^-?\d+$/.test(callnumRaw.trim())) throw new AuthError(`Invalid callnum: '${callnumRaw}'`);
      callnum = Number(callnumRaw);
      const last = row.callnum;
      if (last !== null) {
        if (last > callnum) throw new SequenceError(`${last} > ${callnum} (session ${s.id})`);
        if (last === callnum && !RETRY_OK.has(method)) {
          throw new RetryError(`unable to retry call ${callnum} (method ${method}) for session ${s.id}`);
        }
      }
    }
    s.master = row.master;
    s.userId = row.user_id;
    s.authtype = row.authtype;
    // only a login method (renewal) gets here; its callnum is not recorded (as in Koji)
    if (row.expired) return s;
    s.callnum = callnum;

    if (row.status !== USER_STATUS.byName.NORMAL) throw new AuthError(`logins by ${row.name} are not allowed`);
    if (row.exclusive) s.exclusive = true;
    else if (row.excl_id !== null) {
      if (row.excl_id === row.master) s.exclusive = true;
      else s.lockerror = 'User locked by another session';
    }
    if (Date.now() / 1000 - row.update_ts.value > hub.options.SessionUpdateInterval) {
      // last-activity stamp, coalesced; failures here must not fail the call
      hub.sessionCache.touch(s.id, { update_ts: new Float(Date.now() / 1000) });
      hub.db.rawQuery('UPDATE sessions SET update_time = NOW() WHERE id = $1', [s.id]).catch((e: Error) => {
        hub.log.warn({ err: e.message, session: s.id }, 'could not update session update_time');
      });
    }
    s.hostip = hostip;
    s.userName = row.name;
    s.usertype = row.usertype;
    s.loggedIn = true;
    return s;
  }

  private async loadPerms(): Promise<Map<string, Array<string | null>>> {
    if (this.perms) return this.perms;
    this.perms = this.userId === null || !this.loggedIn ? new Map() : await userPerms(this.sql(), this.userId, true);
    return this.perms;
  }

  async permNames(): Promise<string[]> {
    if (!this.loggedIn) return [];
    return [...(await this.loadPerms()).keys()];
  }

  async hasPerm(name: string): Promise<boolean> {
    if (!this.loggedIn) return false;
    return (await this.loadPerms()).has(name);
  }

  async assertPerm(name: string): Promise<void> {
    if ((await this.hasPerm(name)) || (await this.hasPerm('admin'))) return;
    throw new ActionNotAllowed(`${name} permission required${this.loggedIn ? ` (logged in as ${this.userName})` : ' (user not logged in)'}`);
  }

  assertLogin(): void {
    if (!this.loggedIn) throw new ActionNotAllowed('you must be logged in for this operation');
  }

  async groupMap(): Promise<Map<number, string>> {
    if (this.groups) return this.groups;
    this.groups = this.userId === null || !this.loggedIn ? new Map() : await userGroups(this.sql(), this.userId);
    return this.groups;
  }

  async isUser(userId: number): Promise<boolean> {
    if (!this.loggedIn) return false;
    return this.userId === userId || (await this.groupMap()).has(userId);
  }

  async assertUser(userId: number): Promise<void> {
    if (!(await this.isUser(userId)) && !(await this.hasPerm('admin'))) throw new ActionNotAllowed('not owner');
  }

  /** The host id of the logged-in user, if it is a build host. */
  async hostId(): Promise<number | null> {
    if (this.hostIdCache !== undefined) return this.hostIdCache;
    if (this.userId === null) return (this.hostIdCache = null);
    const v = await this.sql().value<number>('SELECT id FROM host WHERE user_id = $1', [this.userId]);
    return (this.hostIdCache = v ?? null);
  }

  /** Forget cached permissions (after grant/revoke in the same request). */
  invalidate(): void {
    this.perms = null;
    this.groups = null;
  }

  describe(): string {
    if (!this.loggedIn) return `session: not logged in${this.message ? ` (${this.message})` : ''}`;
    return `session ${this.id}: user ${this.userName} (id ${this.userId}), authtype ${AUTHTYPES.name(this.authtype ?? 0) ?? this.authtype}, master ${this.master ?? '-'}, exclusive ${this.exclusive}, hostip ${this.hostip}, callnum ${this.callnum ?? '-'}`;
  }
}

/** A user's permissions: name → sources (null = granted directly, else group names). */
export async function userPerms(sql: Sql, userId: number, withGroups: boolean): Promise<Map<string, Array<string | null>>> {
  const perms = new Map<string, Array<string | null>>();
  const direct = await sql.query<{ name: string }>(
    `SELECT p.name FROM user_perms up JOIN permissions p ON p.id = up.perm_id
      WHERE up.active IS TRUE AND up.user_id = $1 ORDER BY p.id`,
    [userId],
  );
  for (const r of direct) perms.set(r.name, [null]);
  if (withGroups) {
    const inherited = await sql.query<{ name: string; grp: string }>(
      `SELECT p.name, g.name AS grp FROM user_groups ug
         JOIN user_perms up ON up.user_id = ug.group_id AND up.active IS TRUE
         JOIN permissions p ON p.id = up.perm_id
         JOIN users g ON g.id = ug.group_id
        WHERE ug.active IS TRUE AND ug.user_id = $1 ORDER BY p.id, g.name`,
      [userId],
    );
    for (const r of inherited) {
      const list = perms.get(r.name) ?? [];
      list.push(r.grp);
      perms.set(r.name, list);
    }
  }
  return perms;
}

export async function userGroups(sql: Sql, userId: number): Promise<Map<number, string>> {
  const rows = await sql.query<{ group_id: number; name: string }>(
    `SELECT ug.group_id, u.name FROM user_groups ug JOIN users u ON u.id = ug.group_id
      WHERE ug.active IS TRUE AND u.usertype = 2 AND ug.user_id = $1 ORDER BY ug.group_id`,
    [userId],
  );
  return new Map(rows.map((r) => [r.group_id, r.name]));
}
