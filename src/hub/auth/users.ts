/**
 * User rows and Kerberos principals, shared by the user, host and login calls: creating a user,
 * the AllowedKrbRealms check, and finding (or, with LoginCreatesUser, making) the user a
 * certificate name or a Kerberos principal logs in as — Koji's getUserIdFromKerberos and
 * createUserFromKerberos rules.
 */
import { AUTHTYPES, USERTYPES, USER_STATUS } from '../../protocol/enums.ts';
import { AuthError, GenericError } from '../../protocol/faults.ts';
import { verifyNameUser } from '../names.ts';
import type { CallContext } from '../types.ts';

/** Create a user row (and principal); the caller has checked names and duplicates. */
export async function insertUser(ctx: CallContext, name: string, usertype: number, status: number | null, krbPrincipal: string | null): Promise<number> {
  if (!name) throw new GenericError('a user must have a non-empty name');
  const st = status ?? USER_STATUS.byName.NORMAL;
  if (USER_STATUS.name(st) === undefined) throw new GenericError(`invalid status: ${st}`);
  const id = (await ctx.sql.value<number>('INSERT INTO users (name, usertype, status) VALUES ($1, $2, $3) RETURNING id', [name, usertype, st])) as number;
  if (krbPrincipal) await ctx.sql.execute('INSERT INTO user_krb_principals (user_id, krb_principal) VALUES ($1, $2)', [id, krbPrincipal]);
  return id;
}

/** AllowedKrbRealms check (Koji's checkKrbPrincipal). */
export function checkRealm(ctx: CallContext, principal: string | null): void {
  if (!principal) return;
  const allowed = ctx.hub.options.AllowedKrbRealms;
  if (allowed === '*') return;
  const at = principal.indexOf('@');
  if (at === -1 || at === principal.length - 1) throw new AuthError(`invalid Kerberos principal: ${principal}`);
  const realm = principal.slice(at + 1);
  if (!allowed.split(/\s*,\s*/).includes(realm)) throw new AuthError(`Kerberos principal's realm: ${realm} is not allowed`);
}

function shorten(s: string): string {
  return s.length > 100 ? `${s.slice(0, 100)}…` : s;
}

/**
 * The user a login names: a Kerberos principal (GSSAPI, with an @) by its krb_principal, else a
 * user name. Unknown ones are created when LoginCreatesUser is on — a principal's user is named
 * by the part before the @, and an existing user of that name gets the principal added.
 */
export async function loginUserId(ctx: CallContext, username: string, authtype: number): Promise<number> {
  const principal = authtype === AUTHTYPES.byName.GSSAPI && username.includes('@');
  if (principal) checkRealm(ctx, username);
  let userId = principal
    ? await ctx.sql.value<number>('SELECT user_id FROM user_krb_principals WHERE krb_principal = $1', [username])
    : await ctx.sql.value<number>('SELECT id FROM users WHERE name = $1', [username]);
  if (userId !== null) return userId;
  if (!ctx.hub.options.LoginCreatesUser) throw new AuthError(`Unknown user: ${shorten(username)}`);
  const name = principal ? username.slice(0, username.indexOf('@')) : username;
  // the same rules as createUser: a certificate, a ticket or a proxy cannot bring in a name it would refuse
  verifyNameUser(ctx, name);
  if (principal) {
    userId = await ctx.sql.value<number>('SELECT id FROM users WHERE name = $1', [name]);
    if (userId !== null) {
      await ctx.sql.execute('INSERT INTO user_krb_principals (user_id, krb_principal) VALUES ($1, $2)', [userId, username]);
      return userId;
    }
  }
  return insertUser(ctx, name, USERTYPES.byName.NORMAL, null, principal ? username : null);
}
