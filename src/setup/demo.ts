/**
 * `kojits demo`: Koji's "External Repo Server Bootstrap" in one command, against the running
 * hub of a data folder — what a new user needs for a first `koji build`:
 *   1. the base repo: `kojits base-repo DATA/base-repo` (real RPMs from this machine's Debian
 *      packages, cached; see src/setup/base-repo), with its groups.txt;
 *   2. with the koji CLI as the admin (the data folder's certificate profile), the guide's steps:
 *      add-tag dist-foo; add-tag --parent dist-foo --arches ARCH dist-foo-build;
 *      add-external-repo -t dist-foo-build base file://DATA/base-repo/; add-target dist-foo
 *      dist-foo-build; add-group / add-group-pkg for `build` and `srpm-build` from groups.txt;
 *      add-pkg for the examples; regen-repo dist-foo-build;
 *   3. the example SRPMs (examples/ of this checkout) made with rpmbuild -bs into DATA/examples/.
 * Each step that finds its work done (a tag that exists …) goes on, so the command can be re-run.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { arch as osArch } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { runCli } from '../cli/main.ts';
import { checkoutBin } from '../util/checkout.ts';
import { dataLayout } from './layout.ts';

export interface DemoOptions {
  dataDir: string;
  /** the destination tag (the build tag is TAG-build, the target TAG) */
  tag: string;
  /** the base repo folder (default DATA/base-repo) */
  baseRepo?: string;
  say: (line: string) => void;
}

export const EXAMPLES = ['hello', 'libgreet', 'greet'];

/** The machine's RPM arch (x86_64, aarch64 …). */
export function rpmArch(): string {
  return ({ x64: 'x86_64', arm64: 'aarch64', ppc64: 'ppc64le', s390x: 's390x' } as Record<string, string>)[osArch()] ?? osArch();
}

/** groups.txt: `group: pkg pkg …` per line. */
export function readGroups(file: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^\s*([\w.+-]+)\s*:\s*(.*)$/.exec(line);
    if (m) out.set(m[1], m[2].split(/\s+/).filter(Boolean));
  }
  return out;
}

function runChild(cmd: string, args: string[], say: (l: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'inherit', 'pipe'] });
    p.stderr.on('data', (d: Buffer) => {
      for (const l of d.toString().split('\n')) if (l.trim()) say(l);
    });
    p.once('error', reject);
    p.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(' ')} failed (exit ${code})`))));
  });
}

export async function runDemo(o: DemoOptions): Promise<{ srpms: string[]; buildCommand: string }> {
  const L = dataLayout(o.dataDir);
  if (!existsSync(L.kojiConf)) throw new Error(`no client profile at ${L.kojiConf}: run \`npm start\` (or kojits up --data ${o.dataDir}) first`);
  const kojits = checkoutBin('kojits');
  if (!kojits) throw new Error('bin/kojits of this checkout not found');
  const base = o.baseRepo ?? join(L.dataDir, 'base-repo');
  o.say(`base repo: ${base}`);
  await runChild(kojits, ['base-repo', base], o.say);
  const groups = readGroups(join(base, 'groups.txt'));

  const koji = async (args: string[], okIf: RegExp | null = /already exists|already in|is already/i) => {
    const r = await runCli(['-c', L.kojiConf, '-p', 'kojits', ...args], { background: true });
    const text = `${r.output}${r.error ?? ''}`.trim();
    if (r.exitCode !== 0 && !(okIf && okIf.test(text))) throw new Error(`koji ${args.join(' ')} failed: ${text || `exit ${r.exitCode}`}`);
    o.say(`koji ${args.join(' ')}${r.exitCode !== 0 ? ' (already done)' : ''}`);
    return r;
  };
  const check = await runCli(['-c', L.kojiConf, '-p', 'kojits', 'moshimoshi'], { background: true });
  if (check.exitCode !== 0) throw new Error(`the hub does not answer (${(check.error ?? '').trim()}): start it with \`npm start\` first`);

  const tag = o.tag;
  const build = `${tag}-build`;
  await koji(['add-tag', tag]);
  await koji(['add-tag', '--parent', tag, '--arches', rpmArch(), build]);
  await koji(['add-external-repo', '-t', build, `${tag}-base`, `file://${base}/`], /already exists|already associated|is already/i);
  await koji(['add-target', tag, build]);
  for (const g of ['build', 'srpm-build']) {
    const pkgs = groups.get(g);
    if (!pkgs?.length) throw new Error(`${join(base, 'groups.txt')} has no ${g} group`);
    await koji(['add-group', build, g], /already exists|Group .* already/i);
    await koji(['add-group-pkg', build, g, ...pkgs]);
  }
  await koji(['add-pkg', '--owner', 'kojiadmin', tag, ...EXAMPLES]);
  await koji(['regen-repo', '--wait', build], null);

  const out = join(L.dataDir, 'examples');
  mkdirSync(out, { recursive: true });
  const examples = join(kojits, '..', '..', 'examples');
  for (const name of EXAMPLES) {
    const dir = join(examples, name);
    await promisify(execFile)('rpmbuild', ['-bs', '--define', `_sourcedir ${dir}`, '--define', `_srcrpmdir ${out}`, '--define', 'dist %{nil}', join(dir, `${name}.spec`)]);
  }
  const srpms = readdirSync(out).filter((f) => f.endsWith('.src.rpm')).map((f) => join(out, f));
  return { srpms, buildCommand: `koji build ${tag} ${join(out, 'hello-1.0-1.src.rpm')}` };
}
