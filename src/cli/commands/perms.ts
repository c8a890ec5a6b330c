/** Permission commands: grant-permission, revoke-permission, edit-permission, list-permissions. */
import { KojiError } from '../../protocol/faults.ts';
import type { XmlRpcStruct, XmlRpcValue } from '../../protocol/values.ts';
import { CliError, UsageError, type CliContext, type Command } from '../command.ts';
import { PyError, ljust, pyLen } from './common.ts';

/** Look every named user up first; an unknown one is a usage error (as in the stock CLI). */
async function usersOrUsageError(ctx: CliContext, names: string[]): Promise<XmlRpcStruct[]> {
  const users: XmlRpcStruct[] = [];
  for (const n of names) {
    const user = await ctx.session.call<XmlRpcStruct | null>('getUser', [n]);
    if (user === null) throw new UsageError(`No such user: ${n}`);
    users.push(user);
  }
  return users;
}

interface PermRow {
  name: string;
  description?: string | null;
}

export const permCommands: Command[] = [
  {
    name: 'grant-permission',
    category: 'admin',
    summary: 'Grant a permission to a user',
    usage: 'grant-permission [options] <permission> <user> [<user> ...]',
    options: [
      { name: 'new', type: 'bool', help: 'Create this permission if the permission does not exist' },
      { name: 'description', type: 'string', help: 'Add description about new permission' },
    ],
    async handler(ctx, o, args) {
      if (args.length < 2) throw new UsageError('Please specify a permission and at least one user');
      const [perm, ...names] = args;
      const users = await usersOrUsageError(ctx, names);
      const kwargs: Record<string, XmlRpcValue> = {};
      if (o.new) {
        kwargs.create = true;
        if (o.description) kwargs.description = o.description as string;
      }
      if (o.description && !o.new) throw new UsageError('Option new must be specified with option description.');
      for (const user of users) await ctx.session.call('grantPermission', [user.name, perm], kwargs);
    },
  },
  {
    name: 'revoke-permission',
    category: 'admin',
    summary: 'Revoke a permission from a user',
    usage: 'revoke-permission <permission> <user> [<user> ...]',
    async handler(ctx, _o, args) {
      if (args.length < 2) throw new UsageError('Please specify a permission and at least one user');
      const [perm, ...names] = args;
      const users = await usersOrUsageError(ctx, names);
      for (const user of users) await ctx.session.call('revokePermission', [user.name, perm]);
    },
  },
  {
    name: 'edit-permission',
    category: 'admin',
    summary: 'Edit a permission description',
    usage: 'edit-permission <permission> <description>',
    async handler(ctx, _o, args) {
      if (args.length < 2) throw new UsageError('Please specify a permission and a description');
      await ctx.session.call('editPermission', [args[0], args[1]]);
    },
  },
  {
    name: 'list-permissions',
    category: 'info',
    summary: 'List user permissions',
    usage: 'list-permissions [options]',
    options: [
      { name: 'user', type: 'string', help: 'List permissions for the given user' },
      { name: 'mine', type: 'bool', help: 'List your permissions' },
      { name: 'quiet', type: 'bool', help: 'Do not print the header information' },
    ],
    async handler(ctx, o, args) {
      if (args.length > 0) throw new UsageError('This command takes no arguments');
      const quiet = (o.quiet as boolean | null) ?? ctx.global.quiet;
      let userOpt: XmlRpcValue = (o.user as string | null) ?? null;
      let perms: PermRow[] = [];
      if (o.mine) {
        const me = await ctx.session.call<XmlRpcStruct | null>('getLoggedInUser');
        if (me === null) throw new PyError('TypeError', "'NoneType' object is not subscriptable");
        userOpt = me.id;
      }
      if (userOpt !== null && userOpt !== '') {
        const user = await ctx.session.call<XmlRpcStruct | null>('getUser', [userOpt]);
        if (!user) throw new CliError(`No such user: ${String(userOpt)}`);
        try {
          const inh = await ctx.session.call<Record<string, Array<string | null>>>('getUserPermsInheritance', [user.id]);
          for (const [name, groups] of Object.entries(inh)) {
            const p: PermRow = { name };
            if (!(groups.length === 1 && groups[0] === null)) {
              // the stock CLI joins the sources as strings: a permission held directly and via
              // a group ([None, 'grp']) makes it fail the same way
              const i = groups.indexOf(null);
              if (i !== -1) throw new PyError('TypeError', `sequence item ${i}: expected str instance, NoneType found`);
              p.description = `inherited from: ${groups.join(', ')}`;
            }
            perms.push(p);
          }
        } catch (e) {
          if (!(e instanceof KojiError && e.message.includes('Invalid method'))) throw e;
          ctx.warn("Old hub doesn't support Inherited Group Permissions.");
          for (const p of await ctx.session.call<string[]>('getUserPerms', [user.id])) perms.push({ name: p });
        }
      } else {
        for (const p of await ctx.session.call<PermRow[]>('getAllPerms')) perms.push({ name: p.name, description: p.description });
      }
      let longest = 8;
      if (perms.length) {
        longest = Math.max(...perms.map((p) => pyLen(p.name)));
        perms = perms.slice().sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      }
      longest = Math.max(longest, 'Permission name   '.length);
      const out: string[] = [];
      if (!quiet) {
        let hdr = ljust('Permission name', longest);
        if (perms.length && perms[0].description) hdr += ljust('   Description', 53);
        out.push(hdr, '-'.repeat(pyLen(hdr)));
      }
      for (const p of perms) out.push(ljust(p.name, longest) + (p.description ? `   ${p.description}` : ''));
      return out.length ? out.join('\n') + '\n' : '';
    },
  },
];
