/** Importing RPMs and signatures: import (upload or --link, --create-build), import-sig. */
import { existsSync, linkSync, mkdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { randomInt } from 'node:crypto';
import cliProgress from 'cli-progress';
import { BUILD_STATES } from '../../protocol/enums.ts';
import { KojiError } from '../../protocol/faults.ts';
import type { XmlRpcValue } from '../../protocol/values.ts';
import { readRpmHeaders, packageInfo, sigkey as packageSigkey } from '../../rpm/index.ts';
import { parseNVR, parseNVRA } from '../../util/nvr.ts';
import { PathInfo } from '../../util/pathinfo.ts';
import { createHash } from 'node:crypto';
import { UsageError, type CliContext, type Command } from '../command.ts';

const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** Koji's unique_path: `<prefix>/<time>.<8 letters>`. */
export function uniquePath(prefix: string): string {
  let r = '';
  for (let i = 0; i < 8; i++) r += LETTERS[randomInt(LETTERS.length)];
  return `${prefix}/${Date.now() / 1000}.${r}`;
}

interface HeaderData {
  name: string;
  version: string;
  release: string;
  epoch: number | null;
  arch: string;
  sigmd5: string;
  sourcepackage: boolean;
  sourcerpm: string | null;
}

async function headerData(path: string): Promise<HeaderData> {
  const info = packageInfo(await readRpmHeaders(path));
  return { name: info.name, version: info.version, release: info.release, epoch: info.epoch, arch: info.arch, sigmd5: info.payloadhash ?? '', sourcepackage: info.sourcepackage, sourcerpm: info.sourcerpm };
}

/** Upload with a progress bar when stdout is a terminal. */
async function upload(ctx: CliContext, path: string, serverdir: string): Promise<void> {
  const tty = process.stdout.isTTY && !ctx.global.quiet;
  const bar = tty ? new cliProgress.SingleBar({ format: `{bar} {percentage}% {value}/{total} bytes ${basename(path)}`, clearOnComplete: true }, cliProgress.Presets.shades_classic) : null;
  try {
    await ctx.session.uploadWrapper(path, serverdir, undefined, {
      progress: (done, total) => {
        if (!bar) return;
        if (done === 0) bar.start(total, 0);
        else bar.update(done);
      },
    });
  } finally {
    bar?.stop();
  }
}

export const importCommands: Command[] = [
  {
    name: 'import',
    category: 'admin',
    summary: 'Import externally built RPMs into the database',
    usage: 'import [options] <package> [<package> ...]',
    options: [
      { name: 'link', type: 'bool', help: 'Attempt to hardlink instead of uploading' },
      { name: 'test', type: 'bool', help: "Don't actually import" },
      { name: 'create-build', type: 'bool', help: 'Auto-create builds as needed' },
      { name: 'src-epoch', type: 'string', help: 'When auto-creating builds, use this epoch' },
    ],
    async handler(ctx, o, args) {
      if (args.length < 1) throw new UsageError('At least one package must be specified');
      let srcEpoch: number | null | undefined = undefined;
      if (o.src_epoch !== null && o.src_epoch !== undefined) {
        const v = String(o.src_epoch);
        if (['None', 'none', '(none)'].includes(v)) srcEpoch = null;
        else if (/^-?\d+$/.test(v)) srcEpoch = Number(v);
        else throw new UsageError(`Invalid value for epoch: ${v}`);
      }
      const out: string[] = [];
      const toImport = new Map<string, Array<[string, HeaderData]>>();
      for (const path of args) {
        const data = await headerData(path);
        const nvr = data.sourcepackage ? `${data.name}-${data.version}-${data.release}` : (() => {
          const s = parseNVRA(data.sourcerpm ?? '');
          return `${s.name}-${s.version}-${s.release}`;
        })();
        if (!toImport.has(nvr)) toImport.set(nvr, []);
        toImport.get(nvr)!.push([path, data]);
      }
      const nvrs = [...toImport.keys()].sort();
      let missing = false;
      for (const nvr of nvrs) {
        const items = toImport.get(nvr)!;
        items.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
        if (!items.some(([, d]) => d.sourcepackage) && !(await ctx.session.call('getBuild', [nvr]))) {
          out.push(`Missing build or srpm: ${nvr}`);
          missing = true;
        }
      }
      if (missing && !o.create_build) {
        out.push('Aborting import');
        return out.join('\n') + '\n';
      }
      const doImport = async (path: string, data: HeaderData) => {
        const prev = await ctx.session.call<Record<string, XmlRpcValue> | null>('getRPM', [{ name: data.name, version: data.version, release: data.release, arch: data.arch }]);
        if (prev && !prev.external_repo_id) {
          if (prev.payloadhash === data.sigmd5) out.push(`RPM already imported: ${path}`);
          else {
            ctx.warn(`md5sum mismatch for ${path}`);
            ctx.warn('  A different rpm with the same name has already been imported');
            ctx.warn(`  Existing sigmd5 is '${String(prev.payloadhash)}', your import has '${data.sigmd5}'`);
          }
          out.push('Skipping import');
          return;
        }
        if (o.test) {
          out.push(`Test mode -- skipping import for ${path}`);
          return;
        }
        const serverdir = uniquePath('cli-import');
        if (o.link) {
          const dest = join(new PathInfo(ctx.config.topdir).work(), serverdir);
          mkdirSync(dest, { recursive: true });
          out.push(`Linking rpm to: ${join(dest, basename(path))}`);
          linkSync(path, join(dest, basename(path)));
        } else {
          await upload(ctx, path, serverdir);
          out.push(`uploading ${path}... done`);
        }
        try {
          await ctx.session.call('importRPM', [serverdir, basename(path)]);
          out.push(`importing ${path}... done`);
        } catch (e) {
          if (!(e instanceof KojiError)) throw e;
          const lines = e.message.split('\n');
          out.push(`importing ${path}... `, `Error importing: ${lines[lines.length - 1]}`);
        }
      };
      for (const nvr of nvrs) {
        let needBuild = true;
        let binfo = await ctx.session.call<Record<string, XmlRpcValue> | null>('getBuild', [nvr]);
        let state = '';
        if (binfo) {
          state = BUILD_STATES.name(binfo.state as number) ?? String(binfo.state);
          if (state === 'COMPLETE') needBuild = false;
          else if (state === 'FAILED' || state === 'CANCELED') {
            if (!o.create_build) {
              out.push(`Build ${nvr} state is ${state}. Skipping import`);
              continue;
            }
          } else {
            out.push(`Build ${nvr} exists with state=${state}. Skipping import`);
            continue;
          }
        }
        for (const [path, data] of toImport.get(nvr)!) {
          if (!data.sourcepackage) continue;
          if (binfo && state !== 'COMPLETE') {
            out.push(`Creating empty build: ${nvr}`);
            await ctx.session.call('createEmptyBuild', [], { name: binfo.name, version: binfo.version, release: binfo.release, epoch: data.epoch });
            binfo = await ctx.session.call('getBuild', [nvr]);
          }
          await doImport(path, data);
          needBuild = false;
        }
        if (needBuild) {
          if (!o.create_build) {
            out.push(binfo ? `Build ${nvr} state is ${state}. Skipping import` : `No such build: ${nvr} (include matching srpm or use --create-build option to add it)`);
            continue;
          }
          const b = parseNVR(nvr);
          const epoch = srcEpoch !== undefined && srcEpoch !== null ? srcEpoch : toImport.get(nvr)![0][1].epoch;
          if (o.test) out.push(`Test mode -- would have created empty build: ${nvr}`);
          else {
            out.push(`Creating empty build: ${nvr}`);
            await ctx.session.call('createEmptyBuild', [], { name: b.name, version: b.version, release: b.release, epoch });
          }
        }
        for (const [path, data] of toImport.get(nvr)!) {
          if (!data.sourcepackage) await doImport(path, data);
        }
      }
      return out.length ? out.join('\n') + '\n' : '';
    },
  },
  {
    name: 'import-sig',
    category: 'admin',
    summary: 'Import signatures into the database and write signed RPMs',
    usage: 'import-sig [options] <package> [<package> ...]',
    options: [
      { name: 'with-unsigned', type: 'bool', help: 'Also import unsigned sig headers' },
      { name: 'write', type: 'bool', help: '', hidden: true },
      { name: 'test', type: 'bool', help: "Test mode -- don't actually import" },
    ],
    async handler(ctx, o, args) {
      if (args.length < 1) throw new UsageError('At least one package must be specified');
      for (const p of args) if (!existsSync(p)) throw new UsageError(`No such file: ${p}`);
      const out: string[] = [];
      for (const path of args) {
        const pkg = await readRpmHeaders(path);
        const info = packageInfo(pkg);
        const key = packageSigkey(pkg);
        if (!key && !o.with_unsigned) {
          out.push(`Skipping unsigned package: ${path}`);
          continue;
        }
        const nvra = `${info.name}-${info.version}-${info.release}.${info.arch}`;
        const rinfo = await ctx.session.call<Record<string, XmlRpcValue> | null>('getRPM', [{ name: info.name, version: info.version, release: info.release, arch: info.arch }]);
        if (!rinfo) {
          out.push(`No such rpm in system: ${nvra}`);
          continue;
        }
        if (rinfo.external_repo_id) {
          out.push(`Skipping external rpm: ${nvra}@${String(rinfo.external_repo_name)}`);
          continue;
        }
        const sighdr = pkg.sigHeaderBytes;
        const previous = await ctx.session.call<Array<Record<string, XmlRpcValue>>>('queryRPMSigs', [], { rpm_id: rinfo.id, sigkey: key });
        if (previous.length) {
          if (previous[0].sighash === createHash('md5').update(sighdr).digest('hex')) out.push(`Signature already imported: ${path}`);
          else {
            ctx.warn(`signature mismatch: ${path}`);
            ctx.warn(`  The system already has a signature for this rpm with key ${key}`);
            ctx.warn('  The two signature headers are not the same');
          }
          continue;
        }
        out.push(`Importing signature [key ${key}] from ${path}...`);
        if (!o.test) await ctx.session.call('addRPMSig', [rinfo.id, sighdr.toString('base64')]);
        out.push('Writing signed copy');
        if (!o.test) await ctx.session.call('writeSignedRPM', [rinfo.id, key]);
      }
      return out.length ? out.join('\n') + '\n' : '';
    },
  },
];
