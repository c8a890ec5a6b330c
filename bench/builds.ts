/**
 * A build end to end (part of `npm run bench`, BENCH_SUITES=builds): `kojits up` on a fresh
 * PostgreSQL database (hub, builder, kojira as shipped), `kojits demo` (base repo from the
 * cache, target dist-foo, first repo), then `hello` (examples/, noarch) built from its SRPM three
 * times as hello-1.0-N (a cold builder, then warm), each split into phases from the hub's task
 * times and the buildroot's state.log; next to bare `rpmbuild --rebuild` of the same SRPM on the
 * host. Also: how long after each build's tagging a repo with it is READY (kojira), i.e. whether
 * the next build finds a fresh repo without waiting on a timer.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClientSession } from '../src/protocol/client.ts';
import type { XmlRpcStruct } from '../src/protocol/values.ts';
import { PathInfo } from '../src/util/pathinfo.ts';
import { startUp } from './repos.ts';

type Row = XmlRpcStruct;
const ROOT = new URL('..', import.meta.url).pathname;
const say = (s: string) => process.stdout.write(`${s}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const f2 = (s: number) => `${s.toFixed(2)} s`;

/** "Finish: WHAT (N s)" lines of a state.log. */
function phases(path: string): Record<string, number> {
  const out: Record<string, number> = {};
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return out;
  }
  for (const m of text.matchAll(/Finish: (.+) \(([\d.]+) s\)/g)) out[m[1]] = (out[m[1]] ?? 0) + Number(m[2]);
  return out;
}

async function until<T>(fn: () => Promise<T | null | undefined | false>, ms: number): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error('timed out');
    await sleep(50);
  }
}

/** The hello SRPM as release N (rpmbuild -bs of examples/hello with Release N). */
function helloSrpm(dir: string, release: number): string {
  const src = join(dir, `src-${release}`);
  cpSync(join(ROOT, 'examples/hello'), src, { recursive: true });
  const spec = join(src, 'hello.spec');
  writeFileSync(spec, readFileSync(spec, 'utf8').replace(/^Release:.*$/m, `Release:        ${release}`));
  const log = execFileSync('rpmbuild', ['-bs', '--define', `_sourcedir ${src}`, '--define', `_srcrpmdir ${dir}`, spec], { encoding: 'utf8' });
  return /Wrote: (\S+)/.exec(log)![1];
}

export async function benchBuilds(pgUrl: string, port: number): Promise<string[]> {
  const lines = ['builds (PostgreSQL; kojits up: hub, builder, kojira as shipped; kojits demo; noarch hello from its SRPM)'];
  const out = (s: string) => {
    lines.push(`  ${s}`);
    say(`  ${s}`);
  };
  const up = await startUp(pgUrl, port, 'builds');
  const dir = mkdtempSync(join(tmpdir(), 'kojits-bench-builds-'));
  const admin = new ClientSession(up.url, { maxRetries: 0, timeout: 600 });
  try {
    const demo = spawnSync(join(ROOT, 'bin/kojits'), ['demo', '--data', up.dataDir], { encoding: 'utf8' });
    if (demo.status !== 0) throw new Error(`kojits demo failed:\n${demo.stderr}`);
    await admin.login('kojiadmin', up.adminPassword);
    const pi = new PathInfo(up.kojiDir);
    const bare: number[] = [];
    for (let n = 1; n <= 3; n++) {
      const srpm = helloSrpm(dir, n);
      const top = join(dir, `bare-${n}`);
      const t = performance.now();
      execFileSync('rpmbuild', ['--rebuild', '--define', `_topdir ${top}`, srpm], { stdio: 'ignore' });
      bare.push((performance.now() - t) / 1000);
      const serverdir = `bench-build/${n}`;
      const t0 = Date.now() / 1000;
      await admin.uploadWrapper(srpm, serverdir);
      const id = await admin.call<number>('build', [`${serverdir}/hello-1.0-${n}.src.rpm`, 'dist-foo', {}]);
      const task = await until(async () => {
        const x = await admin.call<Row>('getTaskInfo', [id]);
        return [2, 3, 5].includes(x.state as number) ? x : null;
      }, 600_000);
      if (task.state !== 2) throw new Error(`build task ${id} ended in state ${String(task.state)}`);
      const kids = await admin.call<Row[]>('getTaskChildren', [id]);
      const k = (m: string) => kids.find((c) => c.method === m)!;
      const srpmTask = k('rebuildSRPM');
      const arch = k('buildArch');
      const tag = k('tagBuild');
      const srpmPhases = phases(join(pi.task(srpmTask.id as number), 'state.log'));
      const archPhases = phases(join(pi.task(arch.id as number), 'state.log'));
      const taggedAt = tag.completion_ts as number;
      const build = await admin.call<Row>('getBuild', [`hello-1.0-${n}`]);
      const repo = await until(async () => {
        const r = await admin.call<Row | null>('getRepo', ['dist-foo-build'], { state: 1 });
        if (!r) return null;
        const has = await admin.call<Row[]>('listTagged', ['dist-foo-build'], { event: r.create_event as number, inherit: true, package: 'hello' });
        return has.some((b) => b.build_id === build.id) ? r : null;
      }, 120_000);
      const total = (task.completion_ts as number) - t0;
      out(`hello-1.0-${n}: submit → CLOSED ${f2(total)}; bare rpmbuild --rebuild ${f2(bare[n - 1])}; overhead ${f2(total - bare[n - 1])}`);
      out(`  upload+queue → build task started ${f2((task.start_ts as number) - t0)}; SRPM step (rebuildSRPM) ${f2((srpmTask.completion_ts as number) - (srpmTask.start_ts as number))}: root ${f2(srpmPhases.init ?? 0)}, rpmbuild -bs ${f2(srpmPhases['buildsrpm phase'] ?? 0)}`);
      out(`  buildArch ${f2((arch.completion_ts as number) - (arch.start_ts as number))}: buildroot set-up ${f2(archPhases.init ?? 0)}, dependency install ${f2(archPhases['installing build requirements'] ?? 0)}, rpmbuild ${f2(archPhases['build phase'] ?? 0)}; then import + tag ${f2(taggedAt - (arch.completion_ts as number))}`);
      out(`  repo with the build READY ${f2((repo.state_ts as number) - taggedAt)} after the tagging (kojira, no timer)`);
    }
  } finally {
    admin.close();
    await up.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  return lines;
}
