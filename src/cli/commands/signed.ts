/**
 * Signed copies of rpms: list-signed (which signed copies exist under the local topdir) and
 * write-signed-rpm (have the hub write them). Output and failures as the stock CLI's
 * handle_list_signed / handle_write_signed_rpm, including two quirks of its --tag branch:
 * with --key it dies with list.append()'s TypeError, and it takes only the first signature of
 * each tagged rpm (an IndexError when one has none).
 */
import { existsSync } from 'node:fs';
import type { XmlRpcStruct, XmlRpcValue } from '../../protocol/values.ts';
import { GenericError, KojiError } from '../../protocol/faults.ts';
import { UsageError, type CliContext, type Command } from '../command.ts';
import { BuildPaths } from './builds-fmt.ts';
import { keepOutput, pyIntOf } from './cli-util.ts';
import { multicall, PyError, resultOf } from './common.ts';

type Struct = XmlRpcStruct;
type RpmName = { name: string; version: string; release: string; arch: string };

/** `try: x = int(x) except ValueError: pass` */
function intOrString(s: string): XmlRpcValue {
  try {
    return pyIntOf(s);
  } catch {
    return s;
  }
}

interface Sig {
  rpm_id: number;
  sigkey: string;
}

async function collectSigs(ctx: CliContext, o: Record<string, unknown>, rpmIdx: Map<number, Struct>, buildIdx: Map<number, Struct>, tagged: Set<number>): Promise<Sig[]> {
  const qopts: Record<string, XmlRpcValue> = o.key ? { sigkey: o.key as string } : {};
  const sigs: Sig[] = [];
  if (o.rpm) {
    const rinfo = await ctx.session.call<Struct>('getRPM', [intOrString(o.rpm as string)], { strict: true });
    rpmIdx.set(rinfo.id as number, rinfo);
    if (rinfo.external_repo_id) throw new UsageError(`External rpm: ${String(rinfo.name)}-${String(rinfo.version)}-${String(rinfo.release)}.${String(rinfo.arch)}@${String(rinfo.external_repo_name)}`);
    sigs.push(...(await ctx.session.call<Sig[]>('queryRPMSigs', [], { rpm_id: rinfo.id, ...qopts })));
  }
  if (o.build) {
    const binfo = await ctx.session.call<Struct>('getBuild', [intOrString(o.build as string)], { strict: true });
    buildIdx.set(binfo.id as number, binfo);
    for (const rinfo of await ctx.session.call<Struct[]>('listRPMs', [], { buildID: binfo.id })) {
      rpmIdx.set(rinfo.id as number, rinfo);
      sigs.push(...(await ctx.session.call<Sig[]>('queryRPMSigs', [], { rpm_id: rinfo.id, ...qopts })));
    }
  }
  if (o.tag) {
    const [rpms, builds] = await ctx.session.call<[Struct[], Struct[]]>('listTaggedRPMS', [intOrString(o.tag as string)], { inherit: false, latest: false });
    for (const b of builds) if (!buildIdx.has(b.id as number)) buildIdx.set(b.id as number, b);
    // the stock CLI hands the query options to list.append() instead of the call
    if (o.key && rpms.length) throw new PyError('TypeError', 'list.append() takes no keyword arguments');
    for (const r of rpms) {
      if (!rpmIdx.has(r.id as number)) rpmIdx.set(r.id as number, r);
      tagged.add(r.id as number);
    }
    const results: Sig[][] = [];
    for (let i = 0; i < rpms.length; i += 5000) {
      const batch = await multicall(ctx, rpms.slice(i, i + 5000).map((r) => ({ method: 'queryRPMSigs', kwargs: { rpm_id: r.id } })));
      results.push(...batch.map((x) => resultOf<Sig[]>(x)));
    }
    for (const r of results) {
      if (!r.length) throw new PyError('IndexError', 'list index out of range');
      sigs.push(r[0]);
    }
  }
  return sigs;
}

async function rpmsToWrite(ctx: CliContext, o: Record<string, unknown>, key: string, args: string[]): Promise<Struct[]> {
  if (o.all) {
    const sigs = await ctx.session.call<Sig[]>('queryRPMSigs', [], { sigkey: key });
    return (await multicall(ctx, sigs.map((r) => ({ method: 'getRPM', args: [r.rpm_id] })))).map((x) => resultOf<Struct>(x));
  }
  if (o.buildid) return ctx.session.call<Struct[]>('listRPMs', [pyIntOf(o.buildid as string)]);
  const rpms: Struct[] = [];
  const nvrs: string[] = [];
  const found = await multicall(ctx, args.map((nvra) => ({ method: 'getRPM', args: [nvra], kwargs: { strict: false } })));
  found.forEach((r, i) => {
    const rpm = resultOf<Struct | null>(r);
    if (rpm) rpms.push(rpm);
    else nvrs.push(args[i]);
  });
  // for historical reasons, builds' N-V-Rs are taken too
  const builds = await multicall(ctx, nvrs.map((nvr) => ({ method: 'getBuild', args: [nvr], kwargs: { strict: true } })));
  const ids = builds.map((b, i) => {
    try {
      return resultOf<Struct>(b).id as number;
    } catch (e) {
      if (e instanceof KojiError) throw new GenericError(`No such rpm or build: ${nvrs[i]}`);
      throw e;
    }
  });
  for (const list of await multicall(ctx, ids.map((id) => ({ method: 'listRPMs', kwargs: { buildID: id } })))) rpms.push(...resultOf<Struct[]>(list));
  return rpms;
}

export const signedCommands: Command[] = [
  {
    name: 'list-signed',
    category: 'admin',
    summary: 'List signed copies of rpms',
    usage: 'list-signed [options]',
    description: "You must have local access to Koji's topdir filesystem.",
    options: [
      { name: 'debug', type: 'bool', help: '', hidden: true },
      { name: 'key', type: 'string', help: 'Only list RPMs signed with this key' },
      { name: 'build', type: 'string', help: 'Only list RPMs from this build' },
      { name: 'rpm', type: 'string', help: 'Only list signed copies for this RPM' },
      { name: 'tag', type: 'string', help: 'Only list RPMs within this tag' },
    ],
    async handler(ctx, o, _args, usage) {
      if (!o.build && !o.tag && !o.rpm) throw new UsageError('At least one from --build, --rpm, --tag needs to be specified.');
      const debug = Boolean(o.debug) || ctx.global.debug;
      const rpmIdx = new Map<number, Struct>();
      const buildIdx = new Map<number, Struct>();
      const tagged = new Set<number>();
      const sigs = await collectSigs(ctx, o, rpmIdx, buildIdx, tagged);
      const out: string[] = [];
      const pi = new BuildPaths(ctx.config.topdir);
      return keepOutput(out, usage, async () => {
        for (const sig of sigs) {
          if (o.tag && !tagged.has(sig.rpm_id)) continue;
          let rinfo = rpmIdx.get(sig.rpm_id);
          if (!rinfo) {
            rinfo = await ctx.session.call<Struct>('getRPM', [sig.rpm_id]);
            rpmIdx.set(rinfo.id as number, rinfo);
          }
          let binfo = buildIdx.get(rinfo.build_id as number);
          if (!binfo) {
            binfo = await ctx.session.call<Struct>('getBuild', [rinfo.build_id]);
            buildIdx.set(binfo.id as number, binfo);
          }
          const signedpath = `${pi.build({ ...binfo, name: binfo.package_name } as never)}/${pi.signed(rinfo as unknown as RpmName, sig.sigkey)}`;
          if (!existsSync(signedpath)) {
            if (debug) out.push(`No copy: ${signedpath}`);
            continue;
          }
          out.push(signedpath);
        }
      });
    },
  },
  {
    name: 'write-signed-rpm',
    category: 'admin',
    summary: 'Write signed RPMs to disk',
    usage: 'write-signed-rpm [options] <signature-key> <n-v-r> [<n-v-r> ...]',
    options: [
      { name: 'all', type: 'bool', help: 'Write out all RPMs signed with this key' },
      { name: 'buildid', type: 'string', help: 'Specify a build id rather than an n-v-r' },
    ],
    async handler(ctx, o, args, usage) {
      if (args.length < 1) throw new UsageError('A signature key must be specified');
      if (args.length < 2 && !(o.all || o.buildid)) throw new UsageError('At least one RPM must be specified');
      const key = args[0].toLowerCase();
      const rpms = await rpmsToWrite(ctx, o, key, args.slice(1));
      // the lines are printed as the calls are queued; the multicall runs after
      const out = rpms.map((r, i) => `[${i + 1}/${rpms.length}] ${String(r.name)}-${String(r.version)}-${String(r.release)}.${String(r.arch)}`);
      return keepOutput(out, usage, async () => {
        await multicall(ctx, rpms.map((r) => ({ method: 'writeSignedRPM', args: [r.id, key] })), true);
      });
    },
  },
];
