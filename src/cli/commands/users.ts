/** User commands: add-user, enable-user, disable-user, edit-user, list-users, userinfo. */
import { USERTYPES, USER_STATUS } from '../../protocol/enums.ts';
import type { XmlRpcStruct, XmlRpcValue } from '../../protocol/values.ts';
import { CliError, UsageError, type Command } from '../command.ts';
import { argFilter } from './misc.ts';
import { isFault, isNotImplemented, multicall, resultOf, splitPair, type Call } from './common.ts';

/** The username checks add-user, enable-user, disable-user and edit-user share. */
function oneUsername(args: string[], what: string): string {
  if (args.length < 1) throw new UsageError(`You must specify the username of the user to ${what}`);
  if (args.length > 1) throw new UsageError('This command only accepts one argument (username)');
  return args[0];
}

export const userCommands: Command[] = [
  {
    name: 'add-user',
    category: 'admin',
    summary: 'Add a user',
    usage: 'add-user <username> [options]',
    options: [
      { name: 'principal', type: 'string', help: 'The Kerberos principal for this user' },
      { name: 'disable', type: 'bool', help: 'Prohibit logins by this user' },
    ],
    async handler(ctx, o, args) {
      const username = oneUsername(args, 'add');
      const status = o.disable ? USER_STATUS.byName.BLOCKED : USER_STATUS.byName.NORMAL;
      const id = await ctx.session.call<number>('createUser', [username], { status, krb_principal: (o.principal as string | null) ?? null });
      return `Added user ${username} (${id})\n`;
    },
  },
  {
    name: 'enable-user',
    category: 'admin',
    summary: 'Enable logins by a user',
    usage: 'enable-user <username>',
    async handler(ctx, _o, args) {
      await ctx.session.call('enableUser', [oneUsername(args, 'enable')]);
    },
  },
  {
    name: 'disable-user',
    category: 'admin',
    summary: 'Disable logins by a user',
    usage: 'disable-user <username>',
    async handler(ctx, _o, args) {
      await ctx.session.call('disableUser', [oneUsername(args, 'disable')]);
    },
  },
  {
    name: 'edit-user',
    category: 'admin',
    summary: 'Alter user information',
    usage: 'edit-user <username> [options]',
    options: [
      { name: 'rename', type: 'string', help: 'Rename the user' },
      { name: 'edit-krb', type: 'append', metavar: 'OLD=NEW', help: 'Change kerberos principal of the user' },
      { name: 'add-krb', type: 'append', metavar: 'KRB', help: 'Add kerberos principal of the user' },
      { name: 'remove-krb', type: 'append', metavar: 'KRB', help: 'Remove kerberos principal of the user' },
    ],
    async handler(ctx, o, args) {
      const user = oneUsername(args, 'edit');
      const mappings: XmlRpcStruct[] = [];
      for (const p of o.edit_krb as string[]) {
        const [oldP, newP] = splitPair(p);
        mappings.push({ old: argFilter(oldP), new: argFilter(newP) });
      }
      for (const a of o.add_krb as string[]) mappings.push({ old: null, new: argFilter(a) });
      for (const r of o.remove_krb as string[]) mappings.push({ old: argFilter(r), new: null });
      await ctx.session.call('editUser', [user, (o.rename as string | null) ?? null, mappings]);
    },
  },
  {
    name: 'list-users',
    category: 'admin',
    summary: 'List of users',
    usage: 'list-users [options]',
    anon: true,
    options: [
      { name: 'usertype', type: 'string', default: 'NORMAL', help: 'List users that have a given usertype (e.g. NORMAL, HOST, GROUP). Use "any" to get all types' },
      { name: 'prefix', type: 'string', help: 'List users that have a given prefix' },
      { name: 'perm', type: 'string', help: 'List users that have a given permission' },
      { name: 'inherited-perm', type: 'bool', default: false, help: 'Consider inherited permissions' },
    ],
    async handler(ctx, o, args) {
      if (args.length > 0) throw new UsageError('This command takes no arguments');
      if (o.inherited_perm && !o.perm) throw new UsageError('inherited_perm option must be used with perm option');
      await ctx.activate();
      const utype = String(o.usertype).toUpperCase();
      let usertype: number | null;
      if (USERTYPES.get(utype) !== undefined) usertype = USERTYPES.get(utype) as number;
      else if (utype === 'ANY' || utype === 'ALL') usertype = null;
      else throw new CliError(`Invalid usertype: ${String(o.usertype)}`);
      const kwargs: Record<string, XmlRpcValue> = { userType: usertype };
      if (o.prefix) kwargs.prefix = o.prefix as string;
      if (o.perm) {
        const perms = await ctx.session.call<Array<{ name: string }>>('getAllPerms');
        if (!perms.some((p) => p.name === o.perm)) throw new CliError(`Invalid permission: ${String(o.perm)}`);
        kwargs.perm = o.perm as string;
        if (o.inherited_perm) kwargs.inherited_perm = true;
      }
      const users = await ctx.session.call<Array<{ name: string }>>('listUsers', [], kwargs);
      return users.map((u) => `${u.name}\n`).join('');
    },
  },
  {
    name: 'userinfo',
    category: 'admin',
    summary: 'Show information about a user',
    usage: 'userinfo [options] <username> [<username> ...]',
    anon: true,
    async handler(ctx, _o, args) {
      if (args.length < 1) throw new UsageError('You must specify at least one username');
      let infos = await multicall(ctx, args.map((u) => ({ method: 'getUser', args: [u], kwargs: { groups: true } })));
      // hubs older than 1.34 reject groups=True
      if (infos.length && isFault(infos[0]) && infos[0].faultCode === 1019) {
        infos = await multicall(ctx, args.map((u) => ({ method: 'getUser', args: [u] })));
      }
      const users: XmlRpcStruct[] = [];
      args.forEach((name, i) => {
        const info = resultOf<XmlRpcStruct | null>(infos[i]);
        if (info === null) ctx.warn(`No such user: ${name}\n`);
        else users.push(info);
      });
      const calls: Call[] = [];
      for (const u of users) {
        calls.push(
          { method: 'getUserPerms', args: [u.id] },
          { method: 'listPackages', kwargs: { userID: u.id, with_dups: true, queryOpts: { countOnly: true } } },
          { method: 'listTasks', kwargs: { opts: { owner: u.id, parent: null }, queryOpts: { countOnly: true } } },
          { method: 'listBuilds', kwargs: { userID: u.id, queryOpts: { countOnly: true } } },
        );
      }
      const results = await multicall(ctx, calls);
      const out: string[] = [];
      users.forEach((u, i) => {
        const [perms, pkgs, tasks, builds] = results.slice(i * 4, i * 4 + 4);
        out.push(`User name: ${String(u.name)}`, `User ID: ${String(u.id)}`);
        if ('krb_principals' in u) {
          out.push('krb principals:');
          for (const krb of (u.krb_principals as string[]) ?? []) out.push(`  ${krb}`);
        }
        const permList = resultOf<string[]>(perms);
        if (permList.length) {
          out.push('Permissions:');
          for (const p of permList) out.push(`  ${p}`);
        }
        const groups = (u.groups as string[] | undefined) ?? [];
        if (groups.length) {
          out.push('Groups:');
          for (const g of groups.slice().sort()) out.push(`  ${g}`);
        }
        out.push(`Status: ${USER_STATUS.name(u.status as number) ?? String(u.status)}`);
        out.push(`Usertype: ${USERTYPES.name(u.usertype as number) ?? String(u.usertype)}`);
        // listPackages, listTasks and listBuilds are not all implemented by the koji-ts hub yet:
        // a count whose method the hub reports as "not implemented by koji-ts" is left out
        // (the stock CLI would die on the fault); any other fault is raised as usual.
        const counts: Array<[string, (typeof results)[number]]> = [['packages', pkgs], ['tasks', tasks], ['builds', builds]];
        for (const [what, r] of counts) {
          if (isNotImplemented(r)) continue;
          out.push(`Number of ${what}: ${Math.trunc(Number(resultOf(r)))}`);
        }
        out.push('');
      });
      return out.length ? out.join('\n') + '\n' : '';
    },
  },
];
