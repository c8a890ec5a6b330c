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
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
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

/**
 * Koji's task commands against the hub's builder (Koji's test tasks). Task ids are the same on
 * both fresh hubs as long as every step runs; `watch-task --quiet` waits for tasks to finish
 * (it prints nothing), so later steps see finished tasks.
 */
const AFTER = ['--all', '--after', '2000-01-01'];
const TASKS_SEQUENCE: string[][] = [
  ['make-task', 'sleep', '0'], ['watch-task', '--quiet', '1'], ['make-task', '--watch', 'sleep', '0'], ['make-task', 'sleep'],
  ['make-task', '--priority', '5', '--arch', 'noarch', 'sleep', '0'], ['make-task', 'waittest', '2', '0'],
  ['make-task', '--channel', 'nosuch', 'sleep', '0'], ['make-task'], ['watch-task', '--quiet', '2', '3', '4', '5'],
  ['watch-task', '1', '2', '3', '4', '5'], ['watch-task', '5'], ['watch-task', '99'], ['watch-task', 'x'], ['watch-task'],
  ['watch-task', '--method', 'sleep'], ['watch-task', '--mine'], ['watch-task', '--user', 'kojiadmin', '1'],
  ['taskinfo', '1'], ['taskinfo', '-v', '1', '3'], ['taskinfo', '-r', '-v', '5'], ['taskinfo', '-r', '5'], ['taskinfo', '99'],
  ['taskinfo', 'x'], ['taskinfo'],
  ['list-tasks'], ['list-tasks', ...AFTER], ['list-tasks', ...AFTER, '--quiet'], ['list-tasks', '--all', '--after', '946684800', '--method', 'waittest'],
  ['list-tasks', ...AFTER, '--user', 'kojiadmin'], ['list-tasks', ...AFTER, '--mine'], ['list-tasks', ...AFTER, '--arch', 'noarch,x86_64'],
  ['list-tasks', ...AFTER, '--channel', 'default'], ['list-tasks', ...AFTER, '--host', 'localhost'], ['list-tasks', ...AFTER, '--before', '2001-01-01'],
  ['list-tasks', '--all'], ['list-tasks', '--user', 'nobody'], ['list-tasks', '--channel', 'nosuch'], ['list-tasks', '--host', 'nosuch'],
  ['list-tasks', '--mine', '--user', 'kojiadmin'], ['list-tasks', 'x'], ['list-tasks', '--after', 'not a time'],
  ['watch-logs', '1'], ['watch-logs', '--log', 'task.log', '1', '3'], ['watch-logs', '--log', 'nosuch.log', '1'], ['watch-logs', '-f', '5'],
  ['watch-logs'], ['watch-logs', 'x'], ['watch-logs', '--mine'], ['watch-logs', '--mine', '1'], ['watch-logs', '99'],
  ['add-channel', 'emptych'], ['make-task', '--channel', 'emptych', 'sleep', '0'], ['make-task', '--channel', 'emptych', 'sleep', '1'],
  ['list-tasks'], ['set-task-priority', '--priority', '10', '9'], ['set-task-priority', '--priority', '3', '--recurse', '9', '10'],
  ['set-task-priority', '--priority', '3', '1'], ['set-task-priority', '9'], ['set-task-priority', '--priority', '3', 'x'],
  ['set-task-priority', '--priority', 'x', '9'], ['set-task-priority', '--priority', '3'], ['list-tasks'],
  ['free-task', '9'], ['free-task', '1'], ['free-task', '99'], ['free-task'], ['free-task', 'x'],
  ['cancel', '10'], ['cancel', '10'], ['cancel', '--justone', '999'], ['cancel', 'x'], ['cancel'], ['cancel', '1', '999'], ['cancel', 'foo-1-1'],
  ['make-task', '--channel', 'emptych', 'sleep', '0'], ['cancel', '--full', '11'], ['cancel', '--full', '--force', '11'], ['cancel', '--full', '1'],
  ['make-task', 'sleep', '60'], ['cancel', '12'], ['watch-task', '--quiet', '12'], ['list-tasks', ...AFTER],
  ['assign-task', '9', 'nohost'], ['assign-task', '9'], ['assign-task', 'x', 'localhost'], ['assign-task', '99', 'localhost'],
  ['assign-task', '9', 'localhost'], ['watch-task', '--quiet', '9'], ['assign-task', '1', 'localhost'], ['assign-task', '--force', '1', 'localhost'],
  ['resubmit', '--nowait', '3'], ['watch-task', '--quiet', '13'], ['resubmit', '--quiet', '--nowait', '13'], ['resubmit', '1'],
  ['resubmit'], ['resubmit', 'x'], ['resubmit', '--nowatch', '12'], ['watch-task', '--quiet', '14', '15'], ['list-tasks', ...AFTER, '--quiet'],
  ['download-logs', '1'], ['download-logs', '-c', '1'], ['download-logs', '3'], ['download-logs', '-r', '5'], ['download-logs', '-r', '-m', 'task*', '-m', 'x', '5'],
  ['download-logs', '-d', 'mylogs', '1', '3'], ['download-logs', '-m', 'nomatch', '1'], ['download-logs', '12'], ['download-logs', '99'],
  ['download-logs', 'x'], ['download-logs'], ['download-logs', '--nvr', 'foo-1-1'],
  ['download-task', '1'], ['download-task', '3'], ['download-task', '12'], ['download-task', '5'], ['download-task', '--parentonly', '5'],
  ['download-task', '--all', '--dirpertask', '1'], ['download-task'], ['download-task', '1', '2'], ['download-task', 'x'], ['download-task', '99'],
  ['download-task', '--filter', 'a', '--skip', 'b', '1'],
  ['scheduler-info', '-t', '1'], ['scheduler-info', '--state', 'CLOSED', '--limit', '2'], ['scheduler-info', '--host', '1', '-t', '4'],
  ['scheduler-info', '--state', 'BAD'], ['scheduler-info', 'x'], ['scheduler-info', '--host', 'localhost'],
  ['scheduler-logs', '--task', '1'], ['scheduler-logs', '--task', '1', '--limit', '1'], ['scheduler-logs', '--from', '1', '--to', '2', '--limit', '3'],
  ['scheduler-logs', '--host', '1', '--from', '1', '--to', '2'], ['scheduler-logs', 'x'],
  ['restart-hosts', 'x'], ['restart-hosts', '--nowait'], ['restart-hosts'], ['watch-task', '--quiet', '16'], ['list-tasks', ...AFTER, '--method', 'restartHosts'],
  // labels and request parameters of other methods (tasks 19 to 36, left free in a channel without hosts)
  ['add-tag', 't1'],
  ...[
    ['newRepo', 't1'], ['--arch', 'x86_64', 'buildArch', 'work/x.src.rpm', '1', 'x86_64', 'False'], ['build', 'git://example.com/x.git?m#abc', 'target1'],
    ['createrepo', '1', 'x86_64', 'None'], ['waitrepo', 't1', 'None', 'None'], ['tagBuild', '1', '1'], ['fork', '1', '2', '3'], ['someMethod', '1'],
    ['foo'], ['restart', '1'], ['chainbuild', 'a', 'b'], ['vmExec', 'a', 'b', 'c'], ['wrapperRPM', 'a', 'b', 'c', 'd'], ['dependantTask', 'a', 'b'],
    ['livecd', 'a', 'b', 'c', 'd', 'e', 'f'], ['SCM', 'x'], ['tagNotification', 'a', 'True', '1', 'None', '1', '1', 'False', 'x'], ['distRepo', 't1', '1', '2', '3'],
  ].map((a) => ['make-task', '--channel', 'emptych', ...a]),
  ['list-tasks'], ['taskinfo', '-v', ...Array.from({ length: 18 }, (_, i) => String(19 + i))],
  ['cancel', ...Array.from({ length: 18 }, (_, i) => String(19 + i))], ['list-tasks'],
];

/** Repos and external repos (kojira queues nothing during the run: see startHub; the builder runs what regen-repo --make-task makes). */
const REPOS: string[][] = [
  ['add-tag', '--arches', 'x86_64', 'repo-tag'], ['add-tag', '--parent', 'repo-tag', 'repo-child'],
  ['add-external-repo', 'ext1', 'https://example.com/ext1'], ['add-external-repo', '-t', 'repo-tag', 'ext1'],
  ['add-external-repo', '-t', 'repo-tag::12', '-m', 'bare', '-a', 'x86_64', 'ext2', 'http://example.com/$arch'],
  ['add-external-repo', '-t', 'repo-child', 'ext2'], ['add-external-repo', 'ext1'], ['add-external-repo', '-m', 'bad', '-t', 'repo-tag', 'ext1'],
  ['add-external-repo', '-t', 'repo-tag::x', 'ext1'], ['add-external-repo', '-t', 'repo-tag', 'nosuch'],
  ['list-external-repos'], ['list-external-repos', '--tag', 'repo-tag'], ['list-external-repos', '--tag', 'repo-child', '--inherit'],
  ['list-external-repos', '--used', '--name', 'ext2'], ['list-external-repos', '--quiet', '--url', 'https://example.com/ext1/'],
  ['edit-external-repo', '--url', 'https://example.com/new', 'ext1'], ['edit-external-repo', '-t', 'repo-tag', '-p', '30', '-m', 'simple', 'ext1'],
  ['edit-external-repo', '-p', '3', 'ext1'], ['edit-external-repo', 'ext1'], ['edit-external-repo', '-t', 'repo-tag', 'ext1'],
  ['taginfo', 'repo-tag'], ['list-external-repos', '--tag', 'repo-tag'],
  ['remove-external-repo', 'ext1'], ['remove-external-repo', 'ext1', 'repo-tag', 'repo-child'], ['remove-external-repo', '--alltags', 'ext2'],
  ['remove-external-repo', '--alltags', 'ext2'], ['remove-external-repo', 'ext2'], ['list-history', '--external-repo', 'ext1'],
  ['request-repo', 'repo-tag'], ['request-repo', '--nowait', '--debuginfo', 'repo-tag'], ['request-repo', '--current', '--at-event', '1', 'repo-tag'],
  ['request-repo', '--src', '--min-event', '1', 'repo-tag'], ['request-repo', 'repo-child'], ['request-repo', 'nosuch'],
  ['regen-repo', 'repo-tag'], ['regen-repo', '--make-task', 'repo-child'], ['request-repo', '--wait', '--timeout', '0', 'repo-tag'],
  ['request-repo', '--wait', '--timeout', '0', '--quiet', 'repo-tag'], ['repoinfo', '1', '2'], ['call', 'repo.queryQueue', '--json-output'],
  // dist repos: the checks and the calls (the tasks' ids and timing differ between the two hubs: not listed)
  ['dist-repo'], ['dist-repo', 'repo-tag'], ['dist-repo', '--allow-missing-signatures', '--skip-missing-signatures', 'repo-tag'],
  ['dist-repo', 'nosuch', 'abc'], ['dist-repo', '--arch', 'noarch', 'repo-tag', 'abc'], ['dist-repo', '--delta-rpms', 'repo-tag', 'repo-tag', 'abc'],
  ['dist-repo', '--delta-rpms', '999', 'repo-tag', 'abc'], ['dist-repo', '--comps', 'nosuch.xml', 'repo-tag', 'abc'],
  ['dist-repo', '--multilib', 'nosuch.conf', 'repo-tag', 'abc'], ['dist-repo', '--nowait', 'repo-tag', 'ABC12345', 'def'],
  ['dist-repo', '--arch', 'ppc64le', '--arch', 'x86_64', '--with-src', '--non-latest', '--noinherit', '--zck', '--skip-stat', 'repo-child', 'abc'],
];

/** mock-config (a tag with mock.* and rpm.macro.* extras, a target, options, the checks) and list-buildroot. */
const BUILDROOTS: string[][] = [
  ['add-tag', '--arches', 'x86_64 i686', 'mc-build'], ['add-tag', 'mc-dest'], ['add-target', 'mc', 'mc-build', 'mc-dest'],
  ['edit-tag', '-x', 'rpm.macro.dist=.fc99', '-x', 'rpm.macro.with_tests=0', '-x', 'mock.package_manager=dnf5', '-x', 'mock.yum.module_hotfixes=1',
    '-x', 'mock.yum.best=1', '-x', 'mock.use_bootstrap=True', '-x', 'mock.bootstrap_image=quay.io/fedora/fedora:40', '-x', 'mock.forcearch=True',
    '-x', 'mock.releasever=40', '-x', 'mock.new_chroot=0', 'mc-build'],
  // kojira makes repos for the new build tag as it sees fit, at moments that differ between the hubs: repo ids are left out (--latest)
  ['regen-repo', '--make-task', 'mc-build'],
  ['mock-config', '--tag', 'mc-build', '--arch', 'x86_64', '--latest'], ['mock-config', '--target', 'mc', '--arch', 'i686', '--latest', '--topdir', '/srv/koji'],
  ['mock-config', '--tag', 'mc-build', '--arch', 'ppc64le', '--latest', '-n', 'myroot', '--yum-proxy', 'http://proxy:3128', '--distribution', 'X', '--mockdir', '/tmp/m'],
  ['mock-config', '--target', 'mc', '-a', 'x86', '--latest', '--topurl', 'https://koji.example.com/kojifiles', 'byarg'],
  ['mock-config'], ['mock-config', '-n', 'a', 'b'], ['mock-config', '--tag', 'nosuch', '--arch', 'x86_64'], ['mock-config', '--tag', 'mc-build'],
  ['mock-config', '--target', 'nosuch', '-a', 'x86_64'], ['mock-config', '--buildroot', 'x'], ['mock-config', '--buildroot', '999'],
  ['mock-config', '--task', '999'], ['mock-config', '--task', '1'], ['mock-config', '--help'],
  ['list-buildroot'], ['list-buildroot', 'x'], ['list-buildroot', '999'], ['list-buildroot', '--built', '-v', '1'], ['list-buildroot', '--help'],
];

interface Hub { dir: string; proc: ReturnType<typeof spawn>; }

async function startHub(port: number): Promise<Hub> {
  const dir = mkdtempSync(join(tmpdir(), 'kojits-compat-'));
  // kojira's queue round (repo.checkQueue) would start newRepo tasks at moments that differ
  // between the two hubs: once an hour here, so that repo requests wait for the commands
  const proc = spawn(process.execPath, [join(ROOT, 'bin/kojits'), 'up', '--data', dir, '--https-port', String(port), '--http-port', String(port + 1)], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, KOJITS_KOJIRA_SLEEPTIME: '3600' },
  });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    proc.stdout?.on('data', (d) => {
      out += d;
      if (out.includes('ready')) resolve();
    });
    proc.on('exit', () => reject(new Error(out)));
  });
  // both CLIs poll every second (koji's poll_interval), so waiting for tasks is quick
  const conf = join(dir, 'client/koji.conf');
  writeFileSync(conf, readFileSync(conf, 'utf8').replace(/^\[.*\]$/gm, '$&\npoll_interval = 1'));
  mkdirSync(join(dir, 'cwd'));
  return { dir, proc };
}

function normalise(s: string): string {
  return s
    .replace(/^.*, (\w+)!$/m, 'GREETING, $1!')
    .replace(/localhost:\d+/g, 'localhost:PORT')
    // repos kojira made (taginfo's "Current repo: repo#N: <creation time>")
    .replace(/(Current repo: repo#\d+: )\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+\+00:00/g, '$1REPOTIME')
    .replace(/\/tmp\/kojits-compat-\w+/g, 'DATA')
    .replace(/^\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4} /gm, 'TIME ')
    // the time of log lines ("2024-07-03 09:46:40,123 [ERROR] koji: …")
    .replace(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} (?=\[)/gm, 'LOGTIME ')
    .replace(/cli-import\/[\d.]+\.\w+/g, 'cli-import/X')
    .replace(/\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d \w+/g, 'DATE')
    // task times (taskinfo, scheduler-logs) and scheduler-info's '%y-%m-%d %H:%M:%S'
    .replace(/\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}/g, 'TIME')
    .replace(/\b\d\d-\d\d-\d\d \d\d:\d\d:\d\d\b/g, 'TS-TIME-OF-A-RUN')
    // log lines inside task logs
    .replace(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} /gm, 'LOGTIME ')
    // how often a waiting task's log says it paused depends on timing
    .replace(/(LOGTIME \[DEBUG\] [\w.]+: Pausing\.\.\.\nLOGTIME \[DEBUG\] [\w.]+: \.\.\.waking up\n)+/g, '$1')
    .replace(/"(create|update)_ts": [\d.]+/g, '"$1_ts": TS');
}

/** download-build runs in an empty folder whose files are listed; other commands in the hub's working folder. */
function inFolder(hub: Hub, args: string[], run: (cwd: string) => string): string {
  if (args[0] !== 'download-build') return run(join(hub.dir, 'cwd'));
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
  return inFolder(hub, args, (cwd) => {
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
  return inFolder(hub, args, (cwd) => {
    const r = spawnSync(process.execPath, [join(ROOT, 'bin/koji'), '-c', conf, '-p', profile, ...auth, ...args], { cwd });
    return `${r.stdout}${r.stderr}[exit ${r.status}]`;
  });
}

async function main(): Promise<void> {
  let same = 0;
  let total = 0;
  const diffs: string[] = [];
  const sequences: Record<string, Array<string[] | ((run: (a: string[]) => string) => string[][])>> = { foundation: SEQUENCE, bootstrap: bootstrapSequence(), tasks: TASKS_SEQUENCE, repos: REPOS, buildroots: BUILDROOTS };
  const chosen = (process.env.COMPARE ?? 'foundation,bootstrap,tasks,repos,buildroots').split(',');
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
