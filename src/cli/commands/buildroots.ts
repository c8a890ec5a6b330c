/**
 * list-buildroot: the rpms and archives installed in a buildroot (or, with --built, built in
 * it), as the stock anon_handle_list_buildroot prints them.
 */
import type { XmlRpcStruct } from '../../protocol/values.ts';
import { UsageError, type CliContext, type Command, type Options } from '../command.ts';
import { pyIntOf } from './cli-util.ts';

type Row = XmlRpcStruct;

/** Python's sort of str (by code point). */
const byCodePoint = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

async function listBuildroot(ctx: CliContext, o: Options, args: string[]): Promise<string> {
  if (args.length !== 1) throw new UsageError('Incorrect number of arguments');
  const id = pyIntOf(args[0]);
  const query = o.built ? { buildrootID: id } : { componentBuildrootID: id };
  const out: string[] = [];
  const rpms = await ctx.session.call<Row[]>('listRPMs', [], query);
  if (rpms.length) out.push(o.built ? 'Built RPMs:' : 'Component RPMs:');
  const lines = rpms.map((r) => {
    let line = `${String(r.nvr)}.${String(r.arch)}`;
    const nvra = line;
    if (o.verbose) {
      if (r.draft) line += ` (,draft_${String(r.build_id)})`;
      if (r.is_update) line += ' [update]';
    }
    return { nvra, line };
  });
  lines.sort((a, b) => byCodePoint(a.nvra, b.nvra));
  out.push(...lines.map((l) => l.line));
  const archives = await ctx.session.call<Row[]>('listArchives', [], query);
  if (archives.length) {
    // a blank line between the rpms and the archives
    if (rpms.length) out.push('');
    out.push(o.built ? 'Built Archives:' : 'Component Archives:');
  }
  out.push(...archives.map((a) => String(a.filename)).sort(byCodePoint));
  return out.length ? out.join('\n') + '\n' : '';
}

export const buildrootCommands: Command[] = [
  {
    name: 'list-buildroot',
    category: 'info',
    summary: 'List the rpms used in or built in a buildroot',
    usage: 'list-buildroot [options] <buildroot-id>',
    anon: true,
    options: [
      { name: 'built', type: 'bool', help: 'Show the built rpms and archives' },
      { name: 'verbose', short: 'v', type: 'bool', help: 'Show more information' },
    ],
    handler: listBuildroot,
  },
];
