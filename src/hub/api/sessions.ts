/**
 * Logins and sessions: login (password), sslLogin (client certificate, optionally proxying
 * another user), logout, subsessions, exclusive sessions, renewal with renew=True, and the
 * session introspection calls. GSSAPI logins are sslLogin calls whose Negotiate token the HTTP
 * front verified (src/hub/auth/negotiate.ts).
 */
import { randomInt } from 'node:crypto';
import { AUTHTYPES, USER_STATUS } from '../../protocol/enums.ts';
import { ActionNotAllowed, AuthError, AuthLockError, GenericError } from '../../protocol/faults.ts';
import { isStruct, type XmlRpcValue } from '../../protocol/values.ts';
import { clientIp } from '../auth/session.ts';
import { randomBytes } from 'node:crypto';
import { hashPassword, verifyPassword } from '../auth/password.ts';
import { checkThrottle, recordFailure, recordSuccess } from '../auth/throttle.ts';
import { pyRepr } from '../../protocol/pyrepr.ts';
import { loginUserId } from '../auth/users.ts';
import { method, t, type MethodDef } from '../registry.ts';
import type { CallContext } from '../types.ts';
import { getUser } from './users.ts';

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

export interface SessionInfo {
  'session-id': number;
  'session-key': string;
  'header-auth': boolean;
  [k: string]: XmlRpcValue;
}

/** Create a session (or, with renew, give the expired one a new key). */
async function createSession(ctx: CallContext, userId: number, hostip: string, authtype: number, opts: { master?: number | null; renew?: boolean } = {}): Promise<SessionInfo | null> {
  let key = `${userId}-`;
  for (let i = 0; i < 19; i++) key += ALNUM[randomInt(ALNUM.length)];
  const s = ctx.session;
  if (opts.renew && s.id !== null && s.userId === userId) {
    if (s.master !== null) {
      const open = await ctx.sql.value<number>('SELECT count(*)::int FROM sessions WHERE id = $1 AND closed IS FALSE', [s.master]);
      if (!open) return null;
    }
    await ctx.sql.execute(
      // a new key starts a new callnum sequence (the client counts from 0 again)
      `UPDATE sessions SET key = $1, expired = FALSE, callnum = NULL, update_time = NOW(), renew_time = NOW() WHERE id = $2`,
      [key, s.id],
    );
    s.key = key;
    return { 'session-id': s.id, 'session-key': key, 'header-auth': true };
  }
  const id = await ctx.sql.value<number>(
    `INSERT INTO sessions (user_id, key, hostip, authtype, master) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
    [userId, key, hostip, authtype, opts.master ?? null],
  );
  return { 'session-id': id as number, 'session-key': key, 'header-auth': true };
}

async function checkLoginAllowed(ctx: CallContext, userId: number): Promise<void> {
  const u = await ctx.sql.maybeOne<{ name: string; status: number }>('SELECT name, status FROM users WHERE id = $1', [userId]);
  if (!u) throw new AuthError(`invalid user_id: ${userId}`);
  if (u.status !== USER_STATUS.byName.NORMAL) throw new AuthError(`logins by ${u.name} are not allowed`);
}

/** Make the caller's session exclusive (kojid and kojira do this right after login). */
async function makeExclusive(ctx: CallContext, sessionId: number, userId: number, master: number | null, force: boolean): Promise<void> {
  if (master !== null) throw new GenericError('subsessions cannot become exclusive');
  await ctx.sql.query('SELECT id FROM users WHERE id = $1 FOR UPDATE', [userId]);
  const other = await ctx.sql.value<number>(
    'SELECT id FROM sessions WHERE user_id = $1 AND closed IS FALSE AND exclusive IS TRUE FOR UPDATE',
    [userId],
  );
  if (other !== null && other === sessionId) return; // a renewed exclusive session keeps its lock
  if (other !== null) {
    if (!force) throw new AuthLockError('Cannot get exclusive session');
    await ctx.sql.execute('UPDATE sessions SET expired = TRUE, exclusive = NULL, closed = TRUE WHERE id = $1', [other]);
  }
  await ctx.sql.execute('UPDATE sessions SET exclusive = TRUE WHERE id = $1', [sessionId]);
}

async function finishLogin(ctx: CallContext, sinfo: SessionInfo | null, userId: number, exclusive: boolean): Promise<SessionInfo | null> {
  if (sinfo && exclusive && !ctx.session.exclusive) await makeExclusive(ctx, sinfo['session-id'], userId, null, false);
  return sinfo;
}

/**
 * Who the caller is: the Kerberos principal the hub verified at /ssllogin (Koji's REMOTE_USER
 * from mod_auth_gssapi), else what the TLS layer says of its certificate (mod_ssl's
 * SSL_CLIENT_VERIFY / S_DN terms).
 */
function identityOf(ctx: CallContext): { username: string; clientDn: string; authtype: number } {
  const principal = ctx.request.remoteUser;
  if (principal) return { username: principal, clientDn: principal, authtype: AUTHTYPES.byName.GSSAPI };
  const peer = ctx.request.peer;
  if (!peer || peer.verify !== 'SUCCESS') {
    throw new AuthError(`could not verify client: ${peer ? peer.verify : 'None'}`);
  }
  const comp = ctx.hub.options.DNUsernameComponent;
  const username = peer.components[comp];
  if (!username) throw new AuthError(`unable to get user information (${comp}) from client certificate`);
  return { username, clientDn: peer.dn ?? '', authtype: AUTHTYPES.byName.SSL };
}

async function sslLogin(ctx: CallContext, proxyuser: string | null, proxyauthtype: number | null, renew: boolean, exclusive: boolean) {
  if (ctx.session.loggedIn) throw new AuthError('Already logged in');
  const id = identityOf(ctx);
  const clientDn = id.clientDn;
  let { username, authtype } = id;
  if (proxyuser) {
    const gssapi = authtype === AUTHTYPES.byName.GSSAPI;
    const allowed = (gssapi ? ctx.hub.options.ProxyPrincipals.split(',') : ctx.hub.options.ProxyDNs.split('|')).map((d) => d.trim());
    if (!allowed.includes(clientDn)) throw new AuthError(`${clientDn} is not authorized to login other users`);
    username = proxyuser;
    if (proxyauthtype !== null) {
      if (!ctx.hub.options.AllowProxyAuthType && authtype !== proxyauthtype) {
        throw new AuthError('Proxy must use same auth mechanism as hub (behaviour can be overriden via AllowProxyAuthType hub option)');
      }
      if (proxyauthtype !== AUTHTYPES.byName.GSSAPI && proxyauthtype !== AUTHTYPES.byName.SSL) {
        throw new AuthError(`Proxied authtype ${proxyauthtype} is not valid for sslLogin`);
      }
      authtype = proxyauthtype;
    }
  }
  const userId = await loginUserId(ctx, username, authtype);
  await checkLoginAllowed(ctx, userId);
  const sinfo = await createSession(ctx, userId, clientIp(ctx.hub, ctx.request), authtype, { renew });
  return finishLogin(ctx, sinfo, userId, exclusive);
}

/** A hash to check wrong names against, so that every refusal costs the same time. */
let decoy: Promise<string> | null = null;

/**
 * login's prepare step, before the transaction: the throttle, then the password (scrypt takes
 * ~40 ms of CPU: it must not hold the write lock). The same work whether the user exists, has
 * no password (certificate-only) or gave a wrong one. Resolves to the user's id.
 */
async function checkPassword(ctx: CallContext, user: unknown, password: unknown): Promise<number> {
  if (ctx.session.loggedIn) throw new AuthError('Already logged in');
  const keys = { user: typeof user === 'string' ? user : pyRepr(user), address: ctx.request.remoteAddr.replace(/^::ffff:/, '') };
  await checkThrottle(ctx.hub.db, ctx.hub.options, keys);
  const row = typeof user === 'string' ? await ctx.sql.maybeOne<{ id: number; password: string | null }>('SELECT id, password FROM users WHERE name = $1', [user]) : null;
  decoy ??= hashPassword(randomBytes(24).toString('base64'));
  const stored = row?.password ?? (await decoy);
  const ok = typeof password === 'string' && password.length > 0 && (await verifyPassword(password, stored)) && Boolean(row?.password);
  if (!ok || !row) {
    await recordFailure(ctx.hub.db, ctx.hub.options, keys);
    throw new AuthError('invalid username or password');
  }
  await recordSuccess(ctx.hub.db, keys);
  return row.id;
}

async function passwordLogin(ctx: CallContext, userId: number, opts: unknown, renew: boolean, exclusive: boolean) {
  if (ctx.session.loggedIn) throw new AuthError('Already logged in');
  const hostipOverride = isStruct(opts) && typeof opts.hostip === 'string' ? opts.hostip : null;
  const hostip = clientIp(ctx.hub, ctx.request, hostipOverride);
  await checkLoginAllowed(ctx, userId);
  const sinfo = await createSession(ctx, userId, hostip, AUTHTYPES.byName.NORMAL, { renew });
  return finishLogin(ctx, sinfo, userId, exclusive);
}

const SESSION_INFO_KEYS = ['authtype', 'callnum', 'exclusive', 'expired', 'master', 'start_time', 'update_time', 'start_ts', 'update_ts', 'user_id', 'renew_time', 'renew_ts'] as const;

export const sessionMethods: MethodDef[] = [
  method({
    name: 'login',
    sig: '(*args, **opts)',
    bindSig: '(user, password, opts=None, renew=False, exclusive=False)',
    writes: true,
    doc: 'Create a login session with plain user/password credentials.',
    args: { renew: t.flag, exclusive: t.flag },
    prepare: (ctx, a) => checkPassword(ctx, a.user, a.password),
    handler: (ctx, a) => passwordLogin(ctx, ctx.prepared as number, a.opts, a.renew, a.exclusive) as Promise<XmlRpcValue>,
  }),
  method({
    name: 'sslLogin',
    sig: '(*args, **opts)',
    bindSig: '(proxyuser=None, proxyauthtype=None, renew=False, exclusive=None)',
    writes: true,
    doc: 'Login via SSL certificate',
    args: { proxyuser: t.str.nullable(), proxyauthtype: t.int.nullable(), renew: t.flag, exclusive: t.flag },
    handler: (ctx, a) => sslLogin(ctx, a.proxyuser, a.proxyauthtype, a.renew, a.exclusive) as Promise<XmlRpcValue>,
  }),
  method({
    name: 'logout',
    sig: '(session_id=None)',
    writes: true,
    doc: 'expire a login session',
    args: { session_id: t.int.nullable() },
    async handler(ctx, a) {
      const s = ctx.session;
      if (!s.loggedIn) throw new AuthError('Not logged in');
      let target = s.id as number;
      if (a.session_id) {
        if (!(await s.hasPerm('admin'))) {
          const own = await ctx.sql.value('SELECT id FROM sessions WHERE user_id = $1 AND id = $2', [s.userId, a.session_id]);
          if (own === null) throw new ActionNotAllowed('only admins or owner may logout other session');
        }
        target = a.session_id;
      }
      await ctx.sql.execute('UPDATE sessions SET expired = TRUE, exclusive = NULL, closed = TRUE WHERE id = $1 OR master = $1', [target]);
      return null;
    },
  }),
  method({
    name: 'subsession',
    sig: '()',
    writes: true,
    doc: 'Create a subsession',
    async handler(ctx) {
      const s = ctx.session;
      if (!s.loggedIn) throw new AuthError('Not logged in');
      return (await createSession(ctx, s.userId as number, s.hostip as string, s.authtype as number, { master: s.master ?? s.id })) as XmlRpcValue;
    },
  }),
  method({
    name: 'logoutChild',
    sig: '(session_id)',
    writes: true,
    doc: 'expire a subsession',
    args: { session_id: t.int },
    async handler(ctx, a) {
      if (!ctx.session.loggedIn) throw new AuthError('Not logged in');
      await ctx.sql.execute(
        'UPDATE sessions SET expired = TRUE, exclusive = NULL, closed = TRUE WHERE id = $1 AND master = $2',
        [a.session_id, ctx.session.id],
      );
      return null;
    },
  }),
  method({
    name: 'exclusiveSession',
    sig: '(*args, **opts)',
    bindSig: '(force=False)',
    writes: true,
    doc: 'Make this session exclusive',
    args: { force: t.flag },
    async handler(ctx, a) {
      const s = ctx.session;
      if (!s.loggedIn) throw new AuthError('Not logged in');
      if (s.exclusive) throw new GenericError('session is already exclusive');
      await makeExclusive(ctx, s.id as number, s.userId as number, s.master, a.force);
      return null;
    },
  }),
  method({
    name: 'sharedSession',
    sig: '()',
    writes: true,
    doc: 'Drop out of exclusive mode',
    async handler(ctx) {
      if (!ctx.session.loggedIn) throw new AuthError('Not logged in');
      await ctx.sql.execute('UPDATE sessions SET exclusive = NULL WHERE id = $1', [ctx.session.id]);
      return null;
    },
  }),
  method({
    name: 'getLoggedInUser',
    sig: '()',
    doc: 'Return information about the currently logged-in user (getUser fields plus authtype), or None.',
    handler(ctx) {
      const s = ctx.session;
      if (!s.loggedIn || !s.row) return null;
      const r = s.row;
      return {
        id: r.user_id,
        name: r.name,
        status: r.status,
        usertype: r.usertype,
        krb_principals: r.krb_principals,
        authtype: s.authtype,
        krb_principal: r.krb_principals[0] ?? null,
      };
    },
  }),
  method({
    name: 'getSessionInfo',
    sig: '(details=False, user_id=None)',
    doc: 'Return session info for current user or all not expired sessions to specific user',
    args: { details: t.flag },
    async handler(ctx, a) {
      const s = ctx.session;
      if (!s.loggedIn || !s.row) return null;
      const cols = `user_id, expired, master, authtype, callnum, start_time, date_part('epoch', start_time) AS start_ts,
        update_time, date_part('epoch', update_time) AS update_ts, renew_time, date_part('epoch', renew_time) AS renew_ts,
        exclusive${a.details ? ', hostip, id' : ''}`;
      if (a.user_id !== null && a.user_id !== undefined && a.user_id !== false && a.user_id !== 0 && a.user_id !== '') {
        const u = await getUser(ctx, a.user_id, { strict: true });
        if (!(await s.hasPerm('admin')) && u?.id !== s.userId) throw new ActionNotAllowed('only admins or owners may see all active sessions');
        return (await ctx.sql.query(`SELECT ${cols} FROM sessions WHERE expired IS FALSE AND user_id = $1 ORDER BY id`, [u?.id])) as XmlRpcValue;
      }
      const out: Record<string, XmlRpcValue> = {};
      for (const k of SESSION_INFO_KEYS) out[k] = s.row[k] as XmlRpcValue;
      if (a.details) {
        out.hostip = s.row.hostip;
        out.id = s.id;
      }
      return out;
    },
  }),
  method({ name: 'showSession', sig: '()', doc: 'Return string representation of session for current user', handler: (ctx) => ctx.session.describe() }),
];
