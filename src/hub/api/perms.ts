/** Permissions: who has what, granting and revoking (versioned in user_perms). */
import { GenericError } from '../../protocol/faults.ts';
import type { XmlRpcValue } from '../../protocol/values.ts';
import { userPerms } from '../auth/session.ts';
import { checkString, lookupName } from '../lookup.ts';
import { method, t, type MethodDef } from '../registry.ts';
import { insertVersioned, revokeRows } from '../versioned.ts';
import { getUser, type UserInfo } from './users.ts';
import { verifyNameInternal } from '../names.ts';
import { pyStrOf } from '../../protocol/pyrepr.ts';

export const permMethods: MethodDef[] = [
  method({
    name: 'getAllPerms',
    sig: '()',
    doc: 'Get a list of all permissions in the system: [{id, name, description}]',
    handler: async (ctx) => (await ctx.sql.query('SELECT id, name, description FROM permissions ORDER BY id')) as XmlRpcValue,
  }),
  method({
    name: 'getPerms',
    sig: '()',
    doc: 'Get a list of the permissions granted to the currently logged-in user.',
    handler: (ctx) => ctx.session.permNames(),
  }),
  method({
    name: 'hasPerm',
    sig: '(perm, strict=False)',
    doc: 'Check if the logged-in user has the given permission.',
    args: { strict: t.flag },
    async handler(ctx, a) {
      if (a.strict && !(await lookupName(ctx.sql, 'permissions', a.perm))) throw new GenericError(`No such permission ${pyStrOf(a.perm)} defined`);
      checkString(a.perm, 'perm', false);
      return ctx.session.hasPerm(a.perm as string);
    },
  }),
  method({
    name: 'getUserPerms',
    sig: '(userID=None, with_groups=True)',
    doc: 'Get the permission names granted to a user (by id or name; default: the caller).',
    args: { with_groups: t.flag },
    async handler(ctx, a) {
      const user = (await getUser(ctx, a.userID, { strict: true })) as UserInfo;
      return [...(await userPerms(ctx.sql, user.id, a.with_groups)).keys()];
    },
  }),
  method({
    name: 'getUserPermsInheritance',
    sig: '(userID)',
    doc: 'Permissions of a user with their sources: {perm: [None (direct) or group name, …]}',
    async handler(ctx, a) {
      const user = (await getUser(ctx, a.userID, { strict: true })) as UserInfo;
      return Object.fromEntries(await userPerms(ctx.sql, user.id, true));
    },
  }),
  method({
    name: 'grantPermission',
    sig: '(userinfo, permission, create=False, description=None)',
    requires: { perm: 'admin' },
    writes: true,
    doc: 'Grant a permission to a user (create=True makes a new permission).',
    args: { create: t.flag },
    async handler(ctx, a) {
      if (a.create) verifyNameInternal(ctx, a.permission);
      if (a.description !== null && !a.create) throw new GenericError('Description should be specified only with create.');
      checkString(a.description, 'description');
      const user = (await getUser(ctx, a.userinfo, { strict: true })) as UserInfo;
      const perm = await lookupName(ctx.sql, 'permissions', a.permission, { strict: !a.create, create: a.create });
      if (!perm) throw new GenericError(`No such permission: ${pyStrOf(a.permission)}`);
      if (a.create && a.description !== null) await ctx.sql.execute('UPDATE permissions SET description = $1 WHERE id = $2', [a.description, perm.id]);
      if ((await userPerms(ctx.sql, user.id, false)).has(perm.name)) {
        throw new GenericError(`user ${pyStrOf(a.userinfo)} already has permission: ${perm.name}`);
      }
      await insertVersioned(ctx, 'user_perms', { user_id: user.id, perm_id: perm.id });
      ctx.session.invalidate();
      return null;
    },
  }),
  method({
    name: 'revokePermission',
    sig: '(userinfo, permission)',
    requires: { perm: 'admin' },
    writes: true,
    doc: 'Revoke a permission from a user',
    async handler(ctx, a) {
      const user = (await getUser(ctx, a.userinfo, { strict: true })) as UserInfo;
      const perm = await lookupName(ctx.sql, 'permissions', a.permission, { strict: true });
      if (!perm || !(await userPerms(ctx.sql, user.id, false)).has(perm.name)) {
        throw new GenericError(`user ${pyStrOf(a.userinfo)} does not have permission: ${perm?.name ?? String(a.permission)}`);
      }
      await revokeRows(ctx, 'user_perms', { user_id: user.id, perm_id: perm.id });
      ctx.session.invalidate();
      return null;
    },
  }),
  method({
    name: 'editPermission',
    sig: '(permission, description)',
    requires: { perm: 'admin' },
    writes: true,
    doc: 'Edit a permission description',
    async handler(ctx, a) {
      checkString(a.description, 'description', false);
      const perm = await lookupName(ctx.sql, 'permissions', a.permission, { strict: true });
      await ctx.sql.execute('UPDATE permissions SET description = $1 WHERE id = $2', [a.description, perm?.id]);
      return null;
    },
  }),
];
