/** Users, groups and Kerberos principals (getUser, listUsers, createUser, groups …). */
import { USERTYPES, USER_STATUS } from '../../protocol/enums.ts';
import { AuthError, GenericError, ParameterError, ActionNotAllowed } from '../../protocol/faults.ts';
import { isStruct, type XmlRpcValue } from '../../protocol/values.ts';
import { userGroups } from '../auth/session.ts';
import { hashPassword } from '../auth/password.ts';
import { lookupName } from '../lookup.ts';
import { pyRepr, pyStrOf } from '../../protocol/pyrepr.ts';
import { Select, type QueryOpts } from '../query.ts';
import { method, queryOptsSchema, t, type MethodDef } from '../registry.ts';
import { insertVersioned, revokeRows } from '../versioned.ts';
import type { CallContext } from '../types.ts';
import { verifyNameInternal, verifyNameUser } from '../names.ts';
import { checkRealm, insertUser } from '../auth/users.ts';

export interface UserInfo {
  id: number;
  name: string;
  status: number;
  usertype: number;
  krb_principals?: string[];
  groups?: string[];
  [k: string]: XmlRpcValue;
}

/** Koji's get_user: by id, name-or-principal string, or {id, name, krb_principal} struct. */
export async function getUser(
  ctx: CallContext,
  userInfo: unknown,
  o: { strict?: boolean; krbPrincs?: boolean; groups?: boolean } = {},
): Promise<UserInfo | null> {
  let info = userInfo;
  if (info === null || info === undefined) {
    info = ctx.session.userId;
    if (info === null) throw new GenericError('No user provided');
  }
  const q = new Select('users').columns(['users.id', 'id'], ['users.name', 'name'], ['users.status', 'status'], ['users.usertype', 'usertype']);
  let krbJoin = false;
  if (typeof info === 'number' && Number.isInteger(info)) q.where(`users.id = ${q.p(info)}`);
  else if (typeof info === 'string') {
    const p = q.p(info);
    q.where(`user_krb_principals.krb_principal = ${p} OR users.name = ${p}`);
    krbJoin = true;
  } else if (isStruct(info)) {
    if (info.id !== undefined && info.id !== null) {
      if (typeof info.id !== 'number') throw new GenericError(`Invalid type for userid: ${typeof info.id}`);
      q.where(`users.id = ${q.p(info.id)}`);
    }
    if (info.name) {
      if (typeof info.name !== 'string') throw new GenericError(`Invalid type for username: ${typeof info.name}`);
      q.where(`users.name = ${q.p(info.name)}`);
    }
    if (info.krb_principal) {
      if (typeof info.krb_principal !== 'string') throw new GenericError(`Invalid type for krb_principal: ${typeof info.krb_principal}`);
      q.where(`user_krb_principals.krb_principal = ${q.p(info.krb_principal)}`);
      krbJoin = true;
    }
  } else throw new GenericError(`Invalid type for userInfo: ${typeof info}`);
  if (krbJoin) q.join('LEFT JOIN user_krb_principals ON users.id = user_krb_principals.user_id');
  if (o.krbPrincs !== false) {
    q.columns(['ARRAY(SELECT k.krb_principal FROM user_krb_principals k WHERE k.user_id = users.id ORDER BY k.krb_principal)', 'krb_principals']);
  }
  const rows = await q.rows<UserInfo>(ctx.sql, { limit: 2 }, 'id');
  const ids = new Set(rows.map((r) => r.id));
  if (ids.size > 1) throw new GenericError(`${pyRepr(userInfo)} matches more than one user (a name and another user's Kerberos principal)`);
  const user = rows[0] ?? null;
  if (!user) {
    if (o.strict) throw new GenericError(`No such user: ${pyRepr(userInfo)}`);
    return null;
  }
  if (o.groups) user.groups = [...(await userGroups(ctx.sql, user.id)).values()];
  return user;
}

async function addPrincipal(ctx: CallContext, userId: number, principal: string): Promise<void> {
  checkRealm(ctx, principal);
  const taken = await ctx.sql.value('SELECT user_id FROM user_krb_principals WHERE krb_principal = $1', [principal]);
  if (taken !== null) throw new GenericError(`user with this Kerberos principal already exists: ${principal}`);
  await ctx.sql.execute('INSERT INTO user_krb_principals (user_id, krb_principal) VALUES ($1, $2)', [userId, principal]);
}

async function setStatus(ctx: CallContext, username: unknown, status: number): Promise<null> {
  const user = await getUser(ctx, username);
  if (!user) throw new GenericError(`No such user: ${pyStrOf(username)}`);
  if (user.status !== status) await ctx.sql.execute('UPDATE users SET status = $1 WHERE id = $2', [status, user.id]);
  return null;
}

async function groupOf(ctx: CallContext, group: unknown, message: string): Promise<UserInfo> {
  const g = await getUser(ctx, group);
  if (!g || g.usertype !== USERTYPES.byName.GROUP) throw new GenericError(`${message}: ${pyStrOf(group)}`);
  return g;
}

async function groupMembers(ctx: CallContext, group: unknown): Promise<XmlRpcValue[]> {
  const g = await groupOf(ctx, group, 'No such group');
  const rows = await ctx.sql.query<{ id: number; name: string; usertype: number; krb_principals: Array<string | null> }>(
    `SELECT u.id, u.name, u.usertype, array_agg(k.krb_principal ORDER BY k.krb_principal) AS krb_principals
       FROM user_groups ug JOIN users u ON u.id = ug.user_id
       LEFT JOIN user_krb_principals k ON k.user_id = u.id
      WHERE ug.active IS TRUE AND ug.group_id = $1
      GROUP BY u.id ORDER BY u.id`,
    [g.id],
  );
  return rows.map((r) => ({ ...r, krb_principals: r.krb_principals.filter((x) => x !== null) }));
}

async function listUsers(ctx: CallContext, a: { userType: unknown; prefix: unknown; queryOpts: QueryOpts | null; perm: unknown; inherited_perm: boolean }) {
  if (a.inherited_perm && !a.perm) throw new GenericError('inherited_perm option must be used with perm option');
  const q = new Select('users').columns(
    ['users.id', 'id'],
    ['users.name', 'name'],
    ['users.status', 'status'],
    ['users.usertype', 'usertype'],
    ['array_remove(array_agg(DISTINCT user_krb_principals.krb_principal), NULL)', 'krb_principals'],
  );
  if (a.userType !== null && a.userType !== undefined) {
    if (typeof a.userType !== 'number' || !Number.isInteger(a.userType)) throw new ParameterError('userType must be integer or None');
    q.where(`users.usertype = ${q.p(a.userType)}`);
  }
  if (a.perm) {
    const perm = await lookupName(ctx.sql, 'permissions', a.perm, { strict: true });
    const pid = q.p(perm?.id);
    if (a.inherited_perm) {
      q.where(`users.id IN (SELECT up.user_id FROM user_perms up WHERE up.active IS TRUE AND up.perm_id = ${pid}
        UNION SELECT ug.user_id FROM user_groups ug JOIN user_perms gp ON gp.user_id = ug.group_id AND gp.active IS TRUE
         WHERE ug.active IS TRUE AND gp.perm_id = ${pid})`);
    } else {
      q.where(`users.id IN (SELECT up.user_id FROM user_perms up WHERE up.active IS TRUE AND up.perm_id = ${pid})`);
    }
  }
  if (typeof a.prefix === 'string' && a.prefix) q.where(`users.name ILIKE ${q.p(a.prefix.replace(/[\\%_]/g, '\\$&') + '%')}`);
  if (a.queryOpts?.group) throw new GenericError('queryOpts.group is not available for this API');
  q.join('LEFT JOIN user_krb_principals ON users.id = user_krb_principals.user_id').group('users.id');
  return (await q.run(ctx.sql, a.queryOpts, 'id')) as XmlRpcValue;
}

export const userMethods: MethodDef[] = [
  method({
    name: 'getUser',
    sig: '(userInfo=None, strict=False, krb_princs=True, groups=False)',
    doc: 'Return information about a user: id, name, status, usertype, krb_principals (and groups).',
    args: { strict: t.flag, krb_princs: t.flag, groups: t.flag },
    handler: async (ctx, a) => (await getUser(ctx, a.userInfo, { strict: a.strict, krbPrincs: a.krb_princs, groups: a.groups })) as XmlRpcValue,
  }),
  method({
    name: 'listUsers',
    sig: '(userType=0, prefix=None, queryOpts=None, perm=None, inherited_perm=False)',
    doc: 'List users in the system, optionally by type, name prefix or permission.',
    args: { queryOpts: queryOptsSchema, inherited_perm: t.flag },
    handler: (ctx, a) => listUsers(ctx, a as never),
  }),
  method({
    name: 'createUser',
    sig: '(username, status=None, krb_principal=None)',
    requires: { perm: 'admin' },
    writes: true,
    doc: 'Add a user to the database; returns its id.',
    args: { username: t.str, status: t.int.nullable(), krb_principal: t.str.nullable() },
    async handler(ctx, a) {
      verifyNameUser(ctx, a.username, a.krb_principal);
      if (await getUser(ctx, a.username)) throw new GenericError(`user already exists: ${a.username}`);
      if (a.krb_principal && (await getUser(ctx, { krb_principal: a.krb_principal }))) {
        throw new GenericError(`user with this Kerberos principal already exists: ${a.krb_principal}`);
      }
      checkRealm(ctx, a.krb_principal);
      return insertUser(ctx, a.username, USERTYPES.byName.NORMAL, a.status, a.krb_principal);
    },
  }),
  method({
    name: 'editUser',
    sig: '(userInfo, name=None, krb_principal_mappings=None)',
    requires: { perm: 'admin' },
    writes: true,
    doc: 'Rename a user and/or add, remove or change Kerberos principals ([{old, new}, …]).',
    args: { name: t.str.nullable(), krb_principal_mappings: t.list.nullable() },
    async handler(ctx, a) {
      const user = (await getUser(ctx, a.userInfo, { strict: true })) as UserInfo;
      if (a.name && a.name !== user.name) {
        verifyNameUser(ctx, a.name);
        const taken = await ctx.sql.value<number>('SELECT id FROM users WHERE name = $1', [a.name]);
        if (taken !== null) throw new GenericError(`Name ${a.name} already taken by user ${taken}`);
        await ctx.sql.execute('UPDATE users SET name = $1 WHERE id = $2', [a.name, user.id]);
      }
      if (a.krb_principal_mappings && a.krb_principal_mappings.length) {
        const added = new Set<string>();
        const removed = new Set<string>();
        for (const pair of a.krb_principal_mappings) {
          if (!isStruct(pair)) throw new ParameterError('krb_principal_mappings entries must be {old, new} structs');
          if (pair.old) removed.add(String(pair.old));
          if (pair.new) {
            verifyNameUser(ctx, undefined, pair.new);
            added.add(String(pair.new));
          }
        }
        const both = [...added].filter((x) => removed.has(x));
        if (both.length) throw new GenericError(`There are some conflicts between added and removed Kerberos principals: ${both.join(', ')}`);
        const current = new Set(user.krb_principals ?? []);
        const dup = [...added].filter((x) => current.has(x));
        if (dup.length) throw new GenericError(`Cannot add existing Kerberos principals: ${dup.join(', ')}`);
        const missing = [...removed].filter((x) => !current.has(x));
        if (missing.length) throw new GenericError(`Cannot remove non-existent Kerberos principals: ${missing.join(', ')}`);
        for (const r of removed) await ctx.sql.execute('DELETE FROM user_krb_principals WHERE user_id = $1 AND krb_principal = $2', [user.id, r]);
        for (const n of added) await addPrincipal(ctx, user.id, n);
      }
      return null;
    },
  }),
  method({ name: 'enableUser', sig: '(username)', requires: { perm: 'admin' }, writes: true, doc: 'Enable logins by the specified user', handler: (ctx, a) => setStatus(ctx, a.username, USER_STATUS.byName.NORMAL) }),
  method({ name: 'disableUser', sig: '(username)', requires: { perm: 'admin' }, writes: true, doc: 'Disable logins by the specified user', handler: (ctx, a) => setStatus(ctx, a.username, USER_STATUS.byName.BLOCKED) }),
  method({
    name: 'addUserKrbPrincipal',
    sig: '(user, krb_principal)',
    requires: { perm: 'admin' },
    writes: true,
    doc: 'Add a Kerberos principal for user',
    args: { krb_principal: t.str },
    async handler(ctx, a) {
      const user = (await getUser(ctx, a.user, { strict: true })) as UserInfo;
      verifyNameUser(ctx, undefined, a.krb_principal);
      await addPrincipal(ctx, user.id, a.krb_principal);
      return user.id;
    },
  }),
  method({
    name: 'removeUserKrbPrincipal',
    sig: '(user, krb_principal)',
    requires: { perm: 'admin' },
    writes: true,
    doc: 'remove a Kerberos principal for user',
    async handler(ctx, a) {
      const user = (await getUser(ctx, a.user, { strict: true })) as UserInfo;
      if (!a.krb_principal) throw new GenericError('krb_principal must be specified');
      const n = await ctx.sql.execute('DELETE FROM user_krb_principals WHERE user_id = $1 AND krb_principal = $2', [user.id, a.krb_principal]);
      if (!n) throw new AuthError(`cannot remove Kerberos Principal: ${pyStrOf(a.krb_principal)} with user ${user.name}`);
      return user.id;
    },
  }),
  method({
    name: 'getUserGroups',
    sig: '(user)',
    doc: 'The groups associated with the given user: [{id, name}]',
    async handler(ctx, a) {
      const user = (await getUser(ctx, a.user, { strict: true })) as UserInfo;
      return [...(await userGroups(ctx.sql, user.id))].map(([id, name]) => ({ id, name }));
    },
  }),
  method({
    name: 'newGroup',
    sig: '(name)',
    requires: { perm: 'admin' },
    writes: true,
    doc: 'Add a user group to the database',
    async handler(ctx, a) {
      verifyNameInternal(ctx, a.name);
      if (await getUser(ctx, a.name)) throw new GenericError(`user/group already exists: ${a.name}`);
      return insertUser(ctx, a.name, USERTYPES.byName.GROUP, null, null);
    },
  }),
  method({
    name: 'addGroupMember',
    sig: '(group, user, strict=True)',
    requires: { perm: 'admin' },
    writes: true,
    doc: 'Add user to group',
    args: { strict: t.flag },
    async handler(ctx, a) {
      const g = await groupOf(ctx, a.group, 'Not a group');
      const u = await getUser(ctx, a.user);
      if (!u) throw new GenericError(`Not a user: ${pyStrOf(a.user)}`);
      if (u.usertype === USERTYPES.byName.GROUP) throw new GenericError('Groups cannot be members of other groups');
      const member = await ctx.sql.value('SELECT user_id FROM user_groups WHERE active IS TRUE AND user_id = $1 AND group_id = $2 FOR UPDATE', [u.id, g.id]);
      if (member !== null) {
        if (!a.strict) return null;
        throw new GenericError('User already in group');
      }
      await insertVersioned(ctx, 'user_groups', { user_id: u.id, group_id: g.id });
      return null;
    },
  }),
  method({
    name: 'dropGroupMember',
    sig: '(group, user)',
    requires: { perm: 'admin' },
    writes: true,
    doc: 'Drop user from group',
    async handler(ctx, a) {
      const u = (await getUser(ctx, a.user, { strict: true })) as UserInfo;
      const g = await groupOf(ctx, a.group, 'Not a group');
      if (!(await revokeRows(ctx, 'user_groups', { user_id: u.id, group_id: g.id }))) throw new GenericError(`No such user in group: ${pyStrOf(a.group)}`);
      return null;
    },
  }),
  method({ name: 'getGroupMembers', sig: '(group)', doc: 'Get the members of a group', handler: (ctx, a) => groupMembers(ctx, a.group) }),
  method({
    name: 'kojits.setPassword',
    sig: '(user, password)',
    requires: 'login',
    writes: true,
    doc: 'koji-ts extension: set the password used by `login` (admins: any user; others: their own). Stored as a scrypt hash.',
    args: { password: t.str },
    async handler(ctx, a) {
      const user = (await getUser(ctx, a.user, { strict: true })) as UserInfo;
      if (user.id !== ctx.session.userId && !(await ctx.session.hasPerm('admin'))) throw new ActionNotAllowed('only admins may set the password of another user');
      if (a.password.length < 8) throw new GenericError('password too short: use at least 8 characters');
      await ctx.sql.execute('UPDATE users SET password = $1 WHERE id = $2', [await hashPassword(a.password), user.id]);
      return true;
    },
  }),
];
