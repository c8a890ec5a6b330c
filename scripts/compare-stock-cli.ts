/**
 * Compatibility check (a development tool, not a test): runs the same command sequence with the
 * stock Python koji CLI against one fresh koji-ts hub and with our CLI against another, for
 * certificate and password logins, and reports where the outputs differ.
 *
 *   KOJI_SRC=/path/to/unpacked/koji-1.35.3 node --import tsx scripts/compare-stock-cli.ts
 *
 * Needs /usr/bin/python3 with requests, dateutil, six, defusedxml (Debian: python3-requests
 * python3-dateutil python3-six python3-defusedxml). Nothing from the Koji tree is stored here.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildFixture } from '../test/rpm/build-fixtures.ts';

const ROOT = new URL('..', import.meta.url).pathname;
const KOJI_SRC = process.env.KOJI_SRC;
if (!KOJI_SRC) {
  process.stderr.write('set KOJI_SRC to an unpacked Koji source tree\n');
  process.exit(2);
}

const SEQUENCE: string[][] = [
  ['moshimoshi'], ['version'], ['call', 'getLoggedInUser'], ['call', '--json', 'getUser', 'kojiadmin'],
  ['add-user', 'alice'], ['add-user', 'bob', '--principal', 'bob@EXAMPLE.COM'], ['add-user', 'alice'],
  ['disable-user', 'bob'], ['enable-user', 'bob'], ['edit-user', 'bob', '--rename', 'bobby'],
  ['edit-user', 'bobby', '--add-krb', 'bobby@EXAMPLE.COM'], ['list-users'], ['userinfo', 'kojiadmin'], ['userinfo', 'bobby'],
  ['userinfo', 'nosuchuser'],
  ['grant-permission', 'tag', 'alice'], ['grant-permission', '--new', '--description', 'A new one', 'newperm', 'alice'],
  ['grant-permission', 'tag', 'alice'], ['revoke-permission', 'tag', 'alice'], ['edit-permission', 'newperm', 'Changed'],
  ['list-permissions'], ['list-permissions', '--user', 'alice'], ['list-permissions', '--mine'],
  ['add-host', 'builder1', 'x86_64', 'noarch'], ['add-host', 'builder2', 'aarch64'], ['add-host', 'builder1', 'x86_64'],
  ['edit-host', 'builder1', '--capacity', '4', '--comment', 'rack 7', '--description', 'fast one', '--arches', 'x86_64 i686'],
  ['edit-host', 'builder1', '--capacity', '4'], ['disable-host', 'builder2'], ['enable-host', 'builder2'],
  ['add-channel', 'build-ch', '--description', 'the build channel'], ['edit-channel', 'build-ch', '--comment', 'busy'],
  ['add-host-to-channel', 'builder1', 'build-ch'], ['add-host-to-channel', 'builder1', 'newch', '--new'],
  ['add-host-to-channel', 'builder1', 'nosuch'], ['remove-host-from-channel', 'builder1', 'newch'],
  ['disable-channel', 'newch'], ['enable-channel', 'newch'], ['list-channels'], ['list-channels', '--simple'],
  ['list-hosts'], ['list-hosts', '--show-channels'], ['list-hosts', '--channel', 'build-ch'], ['list-hosts', '--arch', 'aarch64'],
  ['hostinfo', 'builder1'], ['list-users', '--usertype', 'host'], ['list-api', 'getUser'],
];

/** Koji's "Server Bootstrap" (issue 3), on RPMs built from the test fixtures. */
function bootstrapSequence(): Array<string[] | ((run: (a: string[]) => string) => string[][])> {
  const hello = buildFixture('hello');
  const arched = buildFixture('arched');
  return [
    ['import', hello.srpm, ...hello.rpms, arched.srpm, ...arched.rpms],
    ['add-tag', 'dist-foo'],
    (run) => [['add-pkg', '--owner', 'kojiadmin', 'dist-foo', ...run(['list-pkgs', '--quiet']).replace(/\[exit \d+\]$/, '').split(/\s+/).filter(Boolean)]],
    (run) => run(['list-untagged']).replace(/\[exit \d+\]$/, '').split('\n').filter(Boolean).map((nvr) => ['call', 'tagBuildBypass', 'dist-foo', nvr]),
    ['add-tag', '--parent', 'dist-foo', '--arches', 'x86_64 noarch', 'dist-foo-build'],
    ['add-target', 'dist-foo', 'dist-foo-build'],
    ['add-group', 'dist-foo-build', 'build'],
    ['add-group-pkg', 'dist-foo-build', 'build', 'bash', 'gcc', 'make', 'rpm-build'],
    ['taginfo', 'dist-foo-build'],
    ['list-tagged', '--inherit', '--latest', 'dist-foo-build'],
    ['latest-build', 'dist-foo-build', 'hello'],
    ['buildinfo', 'hello-1.2-3'],
    ['rpminfo', 'hello-1.2-3.noarch'],
    ['list-history', '--tag', 'dist-foo'],
    ['list-tag-inheritance', 'dist-foo-build'],
    ['list-targets'],
    ['list-groups', 'dist-foo-build'],
    ['show-groups', '--comps', 'dist-foo-build'],
    ['list-pkgs', '--tag', 'dist-foo-build'],
    ['search', 'build', 'hello*'],
    ['list-builds'],
    // files from topurl (/kojifiles/ on the hub), into an empty folder per run (listed after the output)
    ['download-build', 'hello-1.2-3'],
    ['download-build', '--noprogress', '--arch', 'x86_64', 'arched-0.9.1-1.fc99'],
    ['download-build', '--rpm', 'hello-1.2-3.noarch'],
    ['download-build', '-q', '--latestfrom', 'dist-foo', 'arched'],
    ['download-build', '--key', 'abcd1234', 'hello-1.2-3'],
    ['download-build', '--type', 'maven', 'hello-1.2-3'],
    ['download-build', 'nope-1-1'],
    ['list-signed', '--build', 'hello-1.2-3'],
    ['write-signed-rpm', 'abcd1234', 'hello-1.2-3.noarch'],
  ];
}

interface Hub { dir: string; proc: ReturnType<typeof spawn>; }

async function startHub(port: number): Promise<Hub> {
  const dir = mkdtempSync(join(tmpdir(), 'kojits-compat-'));
  const proc = spawn(process.execPath, [join(ROOT, 'bin/kojits'), 'up', '--data', dir, '--https-port', String(port), '--http-port', String(port + 1)], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    proc.stdout?.on('data', (d) => {
      out += d;
      if (out.includes('ready')) resolve();
    });
    proc.on('exit', () => reject(new Error(out)));
  });
  return { dir, proc };
}

function normalise(s: string): string {
  return s
    .replace(/^.*, (\w+)!$/m, 'GREETING, $1!')
    .replace(/localhost:\d+/g, 'localhost:PORT')
    .replace(/\/tmp\/kojits-compat-\w+/g, 'DATA')
    .replace(/^\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4} /gm, 'TIME ')
    // the time of log lines ("2024-07-03 09:46:40,123 [ERROR] koji: …")
    .replace(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} (?=\[)/gm, 'LOGTIME ')
    .replace(/cli-import\/[\d.]+\.\w+/g, 'cli-import/X')
    .replace(/\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d \w+/g, 'DATE');
}

/** Commands that write into the working folder run in an empty one, whose files are listed after the output. */
function inFolder(args: string[], run: (cwd: string | undefined) => string): string {
  if (args[0] !== 'download-build') return run(undefined);
  const cwd = mkdtempSync(join(tmpdir(), 'kojits-compat-dl-'));
  try {
    const out = run(cwd);
    const files = readdirSync(cwd, { recursive: true, encoding: 'utf8' }).filter((f) => statSync(join(cwd, f)).isFile()).sort();
    const listing = files.map((f) => `${f} ${createHash('sha256').update(readFileSync(join(cwd, f))).digest('hex')}`);
    return `${out}\n[files]\n${listing.join('\n')}`;
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
}

function runStock(hub: Hub, profile: string, args: string[]): string {
  const conf = join(hub.dir, 'client/koji.conf');
  const auth = profile === 'kojits-password' ? ['--user', 'kojiadmin', '--password', spawnSync('cat', [join(hub.dir, 'client/admin-password')]).stdout.toString().trim()] : [];
  return inFolder(args, (cwd) => {
    const r = spawnSync('/usr/bin/python3', [join(KOJI_SRC as string, 'cli/koji'), '-c', conf, '-p', profile, ...auth, ...args], {
      env: { ...process.env, PYTHONPATH: `${KOJI_SRC}:${KOJI_SRC}/cli` },
      cwd,
    });
    return `${r.stdout}${r.stderr}[exit ${r.status}]`;
  });
}

function runOurs(hub: Hub, profile: string, args: string[]): string {
  const conf = join(hub.dir, 'client/koji.conf');
  const auth = profile === 'kojits-password' ? ['--user', 'kojiadmin', '--password', spawnSync('cat', [join(hub.dir, 'client/admin-password')]).stdout.toString().trim()] : [];
  return inFolder(args, (cwd) => {
    const r = spawnSync(process.execPath, [join(ROOT, 'bin/koji'), '-c', conf, '-p', profile, ...auth, ...args], { cwd });
    return `${r.stdout}${r.stderr}[exit ${r.status}]`;
  });
}

async function main(): Promise<void> {
  let same = 0;
  let total = 0;
  const diffs: string[] = [];
  const sequences: Record<string, Array<string[] | ((run: (a: string[]) => string) => string[][])>> = { foundation: SEQUENCE, bootstrap: bootstrapSequence() };
  const chosen = (process.env.COMPARE ?? 'foundation,bootstrap').split(',');
  // COMPARE_PORT: the first of the ports used (each run takes 40 from there), when another run holds 21443…
  let port = Number(process.env.COMPARE_PORT ?? 21443);
  for (const name of chosen) for (const profile of ['kojits', 'kojits-password']) {
    const a = await startHub(port);
    const b = await startHub(port + 20);
    port += 40;
    try {
      for (const step of sequences[name]) {
        const stockSteps = typeof step === 'function' ? step((x) => runStock(a, profile, x)) : [step];
        const ourSteps = typeof step === 'function' ? step((x) => runOurs(b, profile, x)) : [step];
        for (let k = 0; k < Math.max(stockSteps.length, ourSteps.length); k++) {
          const args = stockSteps[k] ?? ourSteps[k];
          total += 1;
          const stock = normalise(runStock(a, profile, stockSteps[k] ?? args));
          const ours = normalise(runOurs(b, profile, ourSteps[k] ?? args));
          if (stock === ours) same += 1;
          else diffs.push(`--- ${name}/${profile}: koji ${args.join(' ')}\n[stock]\n${stock}\n[koji-ts]\n${ours}\n`);
        }
      }
    } finally {
      for (const h of [a, b]) {
        h.proc.kill('SIGTERM');
        await new Promise((r) => h.proc.once('exit', r));
        rmSync(h.dir, { recursive: true, force: true });
      }
    }
  }
  process.stdout.write(diffs.join('\n'));
  process.stdout.write(`\n${same} of ${total} command runs printed the same output with the stock CLI and koji-ts's CLI; ${diffs.length} differ.\n`);
}

await main();
