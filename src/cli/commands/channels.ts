/** Channel commands: add-channel, edit-channel, enable-channel, disable-channel, list-channels. */
import { KojiError } from '../../protocol/faults.ts';
import type { XmlRpcStruct, XmlRpcValue } from '../../protocol/values.ts';
import { CliError, UsageError, type Command } from '../command.ts';
import { ljust, multicall, pyInt, pyLen, resultOf, toNum, truncateString } from './common.ts';

function toggleChannel(enable: boolean): Command {
  const verb = enable ? 'enable' : 'disable';
  return {
    name: `${verb}-channel`,
    category: 'admin',
    summary: `Mark one or more channels as ${verb}d`,
    usage: `${verb}-channel [options] <channelname> [<channelname> ...]`,
    options: [{ name: 'comment', type: 'string', help: `Comment indicating why the channel(s) are being ${verb}d` }],
    async handler(ctx, o, args) {
      if (args.length === 0) throw new UsageError('At least one channel must be specified');
      const found = await multicall(ctx, args.map((c) => ({ method: 'getChannel', args: [c], kwargs: { strict: false } })));
      const missing = args.filter((_c, i) => !resultOf(found[i]));
      if (missing.length) {
        return { output: missing.map((c) => `No such channel: ${c}\n`).join(''), error: 'No changes made. Please correct the command line.', exitCode: 1 };
      }
      // as the stock CLI, the results of this multicall are not looked at: faults go unreported
      await multicall(ctx, args.map((c) => ({ method: enable ? 'enableChannel' : 'disableChannel', args: [c], kwargs: { comment: (o.comment as string | null) ?? null } })));
    },
  };
}

type Channel = XmlRpcStruct & { id: number; name: string };

export const channelCommands: Command[] = [
  {
    name: 'add-channel',
    category: 'admin',
    summary: 'Add a channel',
    usage: 'add-channel [options] <channel_name>',
    options: [{ name: 'description', type: 'string', help: 'Description of channel' }],
    async handler(ctx, o, args) {
      if (args.length !== 1) throw new UsageError('Please specify one channel name');
      const name = args[0];
      let id: number;
      try {
        id = await ctx.session.call<number>('addChannel', [name], { description: (o.description as string | null) ?? null });
      } catch (e) {
        if (!(e instanceof KojiError)) throw e;
        if (e.message.includes(`channel ${name} already exists`)) throw new CliError(`channel ${name} already exists`);
        if (e.message.includes('Invalid method:')) throw new CliError(`addChannel is available on hub from Koji 1.26 version, your version is ${ctx.session.hubVersion ?? 'unknown'}`);
        throw new CliError(e.message);
      }
      return `${name} added: id ${id}\n`;
    },
  },
  {
    name: 'edit-channel',
    category: 'admin',
    summary: 'Edit a channel',
    usage: 'edit-channel [options] <old-name>',
    options: [
      { name: 'name', type: 'string', help: 'New channel name' },
      { name: 'description', type: 'string', help: 'Description of channel' },
      { name: 'comment', type: 'string', help: 'Comment of channel' },
    ],
    async handler(ctx, o, args) {
      if (args.length !== 1) throw new UsageError('Incorrect number of arguments');
      const vals: Record<string, XmlRpcValue> = {};
      for (const k of ['name', 'description', 'comment']) if (o[k] !== null && o[k] !== undefined) vals[k] = o[k] as string;
      if (!(await ctx.session.call('getChannel', [args[0]]))) throw new CliError(`No such channel: ${args[0]}`);
      let result: XmlRpcValue = null;
      try {
        result = await ctx.session.call('editChannel', [args[0]], vals);
      } catch (e) {
        if (!(e instanceof KojiError)) throw e;
        if (e.message.includes('Invalid method:')) throw new CliError(`editChannel is available on hub from Koji 1.26 version, your version is ${ctx.session.hubVersion ?? 'unknown'}`);
        ctx.warn(e.message);
      }
      if (!result) throw new CliError('No changes made, please correct the command line');
    },
  },
  toggleChannel(true),
  toggleChannel(false),
  {
    name: 'list-channels',
    category: 'info',
    summary: 'Print channels listing',
    usage: 'list-channels [options]',
    anon: true,
    options: [
      { name: 'simple', type: 'bool', default: false, help: 'Print just list of channels without additional info' },
      { name: 'quiet', type: 'bool', help: 'Do not print header information' },
      { name: 'comment', type: 'bool', help: 'Show comments' },
      { name: 'description', type: 'bool', help: 'Show descriptions' },
      { name: 'enabled', type: 'bool', help: 'Limit to enabled channels' },
      { name: 'not-enabled', type: 'bool', dest: 'enabled', value: false, help: 'Limit to not enabled channels' },
      { name: 'disabled', type: 'bool', dest: 'enabled', value: false, help: 'Alias for --not-enabled' },
      { name: 'arch', type: 'string', help: 'Limit to channels with specific arch' },
    ],
    async handler(ctx, o) {
      const quiet = (o.quiet as boolean | null) ?? ctx.global.quiet;
      const kwargs: Record<string, XmlRpcValue> = {};
      if (o.enabled !== null) kwargs.enabled = o.enabled as boolean;
      const byName = (a: Channel, b: Channel) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
      const channels = (await ctx.session.call<Channel[]>('listChannels', [], kwargs)).sort(byName);
      const first: XmlRpcStruct = channels[0] ?? {};
      const hostLists = await multicall(
        ctx,
        channels.map((c) => ({ method: 'listHosts', kwargs: o.arch !== null ? { channelID: c.id, arches: o.arch as string } : { channelID: c.id } })),
      );
      const rows = channels.map((c, i) => {
        const hosts = resultOf<XmlRpcStruct[]>(hostLists[i]);
        const enabledHosts = hosts.filter((h) => h.enabled).length;
        const capacity = hosts.reduce((s, h) => s + toNum(h.capacity), 0);
        const load = hosts.reduce((s, h) => s + toNum(h.task_load), 0);
        let name = c.name;
        if ('enabled' in first && !c.enabled) name += ' [disabled]';
        return {
          name,
          enabledHosts,
          disabled: hosts.length - enabledHosts,
          ready: hosts.filter((h) => h.ready).length,
          capacity,
          load,
          percLoad: capacity ? (load / capacity) * 100.0 : 0,
          comment: 'comment' in first ? truncateString(c.comment) : c.comment,
          description: 'description' in first ? truncateString(c.description) : c.description,
        };
      });
      const longest = rows.length ? Math.max(...rows.map((r) => pyLen(r.name))) : 8;
      const out: string[] = [];
      if (o.simple) {
        if (!quiet) out.push('Channel', '-------');
        for (const r of rows) out.push(r.name);
        return out.length ? out.join('\n') + '\n' : '';
      }
      const showDesc = Boolean(o.description) && 'description' in first;
      const showComment = Boolean(o.comment) && 'comment' in first;
      if (!quiet) {
        let hdr = `${ljust('Channel', longest)}Enabled  Ready Disbld   Load    Cap   Perc    `;
        if (showDesc) hdr += ljust('Description', 53);
        if (showComment) hdr += ljust('Comment', 53);
        out.push(hdr, '-'.repeat(pyLen(hdr)));
      }
      for (const r of rows) {
        let line = `${ljust(r.name, longest)} ${pyInt(r.enabledHosts, 6)} ${pyInt(r.ready, 6)} ${pyInt(r.disabled, 6)} ${pyInt(r.load, 6)} ${pyInt(r.capacity, 6)} ${pyInt(r.percLoad, 6)}%`;
        if (showDesc) line += `   ${ljust(String(r.description), 50)}`;
        if (showComment) line += `   ${ljust(String(r.comment), 50)}`;
        out.push(line);
      }
      return out.join('\n') + '\n';
    },
  },
];
