/**
 * The `mock` buildroot backend, for Fedora/EL builders (mock does not run on Debian): roots made
 * and used as kojid's BuildRoot does.
 *
 * - The config is genMockConfig's managed text with kojid's options (mock-opts.ts), written to
 *   /etc/mock/koji/NAME.cfg and named to mock as `-r koji/NAME`, as kojid does (another
 *   `configdir` is named by the file's path); a copy is kept as mock_config.log.
 * - Commands, as kojid runs them: `--init` then `--chroot 'uname -r'`; `--no-clean --target ARCH
 *   --rebuild SRPM`; `--no-clean --buildsrpm --spec SPEC --sources DIR --target noarch`; with
 *   `--new-chroot`/`--old-chroot` after `-r` when the tag has mock.new_chroot. Beyond kojid:
 *   installBuildRequires runs `--no-clean --installdeps SRPM` (kojid leaves that to --rebuild).
 * - mock runs as kojid.conf's mockuser with the `mock` group (setpriv) when the builder is root;
 *   its stdout and stderr are appended to mock_output.log.
 * - mock writes its logs (root.log, build.log, state.log …) to MOCKDIR/NAME/result; they are
 *   copied to the spec's resultdir each second while mock runs and when it ends, with the
 *   root's var/log/dnf*.log (kojid's BuildRootLogs watches the same files). Built rpms are
 *   copied there too.
 * - The installed rpms are read from the root's rpmdb (usr/lib/sysimage/rpm, else var/lib/rpm)
 *   with the host's `rpm --dbpath`, skipping buildsys-build and gpg-pubkey as kojid does.
 */
import { execFile, spawn } from 'node:child_process';
import { closeSync, copyFileSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { BuildError, BuildrootError } from '../../protocol/faults.ts';
import { genMockConfig } from '../../util/mock-config.ts';
import { killTree } from '../proctree.ts';
import { shellCmd } from '../run-logged.ts';
import { kojidMockConfigOptions, mockCommand, mockResult, mockRootName, type MockKojidOptions, type MockRootSpec } from './mock-opts.ts';
import { readRpmdb, unmountUnder } from './mock-root.ts';
import type { Buildroot, BuildrootBackend, InstalledRpm, RootSpec } from './types.ts';

const run = promisify(execFile);

export interface MockBackendOptions extends MockKojidOptions {
  /** where configs are written (kojid: /etc/mock/koji) */
  configdir?: string;
  /** the group mock runs with besides mockuser's own (kojid: mock) */
  mockgroup?: string;
  /** for kojid's warnings (a bootstrap image the builder does not allow) */
  warn?: (msg: string) => void;
}

const KOJID_CONFIGDIR = '/etc/mock/koji';

/** uid, gid and the mock group's gid of mockuser, when the builder runs as root (kojid's setreuid). */
async function mockIdentity(o: MockBackendOptions): Promise<string[]> {
  if (process.getuid?.() !== 0) return [];
  const group = o.mockgroup ?? 'mock';
  const entry = async (db: string, key: string) => (await run('getent', [db, key]).catch(() => ({ stdout: '' }))).stdout.split(':');
  const [, , uid, gid] = await entry('passwd', o.mockuser);
  const [, , mockGid] = await entry('group', group);
  if (!uid || !mockGid) throw new BuildrootError(`mock runs as user ${o.mockuser} (kojid.conf mockuser) in group ${group}: create them on this builder (mock's package makes the group; useradd -G ${group} ${o.mockuser})`);
  return ['setpriv', `--reuid=${uid}`, `--regid=${gid}`, `--groups=${mockGid}`, '--'];
}

class MockRoot implements Buildroot {
  readonly path: string;
  private readonly mockResultdir: string;
  private readonly running = new Set<number>();

  constructor(
    private readonly o: MockBackendOptions,
    private readonly spec: MockRootSpec,
    private readonly name: string,
    private readonly config: string,
    private readonly asUser: string[],
  ) {
    this.path = join(o.mockdir, name, 'root');
    this.mockResultdir = join(o.mockdir, name, 'result');
  }

  /** Run mock with `args`; resolves to null on success, else kojid's _mockResult text. */
  async mock(args: string[]): Promise<string | null> {
    const argv = mockCommand(this.o.mockpath, this.config, this.spec.extra, args);
    const out = openSync(join(this.spec.resultdir, 'mock_output.log'), 'a');
    const child = spawn(this.asUser[0] ?? argv[0], [...this.asUser.slice(1), ...(this.asUser.length ? argv : argv.slice(1))], { stdio: ['ignore', out, out], detached: true });
    closeSync(out);
    const pid = child.pid;
    if (pid) this.running.add(pid);
    const timer = setInterval(() => this.syncLogs(), 1000);
    try {
      const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
        child.once('error', (e) => reject(new BuildrootError(`cannot run ${shellCmd(argv)}: ${e.message} (kojid.conf mockpath)`)));
        child.once('exit', (c, s) => resolve([c, s]));
      });
      return code === 0 ? null : mockResult(code, signal);
    } finally {
      clearInterval(timer);
      if (pid) this.running.delete(pid);
      this.syncLogs();
    }
  }

  /** mock's logs and the root's dnf logs into the spec's resultdir, when they changed. */
  private syncLogs(): void {
    const copy = (dir: string, match: (f: string) => boolean) => {
      if (!existsSync(dir)) return;
      for (const f of readdirSync(dir).filter(match)) {
        const from = join(dir, f);
        const to = join(this.spec.resultdir, f);
        const s = statSync(from, { throwIfNoEntry: false });
        const d = statSync(to, { throwIfNoEntry: false });
        if (s?.isFile() && (!d || d.size !== s.size || d.mtimeMs < s.mtimeMs)) copyFileSync(from, to);
      }
    };
    copy(this.mockResultdir, (f) => f.endsWith('.log'));
    copy(join(this.path, 'var/log'), (f) => f.startsWith('dnf') && f.endsWith('.log'));
  }

  /** The rpms mock left in its result folder, copied to the spec's resultdir. */
  private results(): { srpm: string | null; rpms: string[] } {
    const files = existsSync(this.mockResultdir) ? readdirSync(this.mockResultdir).filter((f) => f.endsWith('.rpm')).sort() : [];
    for (const f of files) copyFileSync(join(this.mockResultdir, f), join(this.spec.resultdir, f));
    const srpm = files.find((f) => f.endsWith('.src.rpm'));
    return { srpm: srpm ? join(this.spec.resultdir, srpm) : null, rpms: files.filter((f) => !f.endsWith('.src.rpm')).map((f) => join(this.spec.resultdir, f)) };
  }

  async init(): Promise<void> {
    const failed = await this.mock(['--init']);
    // the caller (hub-root.ts) says "could not init buildroot, …; see root.log …" as kojid does
    if (failed) throw new BuildrootError(failed.replace(/; see .*$/, ''));
    // the kernel version, in mock_output.log
    await this.mock(['--chroot', 'uname -r']);
  }

  installedRpms(): Promise<InstalledRpm[]> {
    return readRpmdb(this.path);
  }

  async installBuildRequires(srpmPath: string): Promise<InstalledRpm[]> {
    const failed = await this.mock(['--no-clean', '--installdeps', srpmPath]);
    if (failed) {
      const log = join(this.spec.resultdir, 'root.log');
      const text = existsSync(log) ? readFileSync(log, 'utf8') : '';
      const missing = [...text.matchAll(/No matching package to install: '([^']+)'|No match for argument: (\S+)|nothing provides (\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3]);
      const what = missing.length ? `BuildRequires not available: ${[...new Set(missing)].join(', ')}; ` : '';
      throw new BuildrootError(`${what}${failed}`);
    }
    return this.installedRpms();
  }

  async rebuild(srpmPath: string): Promise<{ srpm: string | null; rpms: string[] }> {
    const arch = this.spec.taskArch ?? this.spec.arch;
    const failed = await this.mock(['--no-clean', '--target', arch, '--rebuild', srpmPath]);
    // the caller (hub-root.ts) puts kojid's "error building package (arch …), " before it
    if (failed) throw new BuildError(failed);
    return this.results();
  }

  async buildSRPM(specDir: string, sourcesDir: string): Promise<string> {
    const specs = readdirSync(specDir).filter((f) => f.endsWith('.spec'));
    if (specs.length === 0) throw new BuildError('No spec file found');
    if (specs.length > 1) throw new BuildError(`Multiple spec files found: ${specs.map((f) => join(specDir, f)).join(', ')}`);
    const failed = await this.mock(['--no-clean', '--buildsrpm', '--spec', join(specDir, specs[0]), '--sources', sourcesDir, '--target', 'noarch']);
    if (failed) throw new BuildError(`error building srpm, ${failed}`);
    const { srpm } = this.results();
    if (!srpm) throw new BuildError(`No srpms found in ${this.mockResultdir}`);
    return srpm;
  }

  async kill(): Promise<void> {
    await Promise.all([...this.running].map((pid) => killTree(pid, { pgid: pid, graceMs: 1000 })));
  }

  /** kojid's cleanup: the root and result folders (left mounts unmounted first) and the config. */
  async remove(): Promise<void> {
    await this.kill();
    const dir = join(this.o.mockdir, this.name);
    await unmountUnder(dir);
    if (existsSync(dir)) await run('rm', ['-rf', '--one-file-system', dir]);
    rmSync(join(this.o.configdir ?? KOJID_CONFIGDIR, `${this.name}.cfg`), { force: true });
  }
}

export class MockBackend implements BuildrootBackend {
  readonly name = 'mock';

  constructor(private readonly o: MockBackendOptions) {}

  async create(plain: RootSpec, signal?: AbortSignal): Promise<Buildroot> {
    const spec = plain as MockRootSpec;
    const configdir = this.o.configdir ?? KOJID_CONFIGDIR;
    const name = mockRootName(spec);
    const text = genMockConfig(name, spec.arch, kojidMockConfigOptions(this.o, spec, this.o.warn));
    mkdirSync(configdir, { recursive: true });
    mkdirSync(spec.resultdir, { recursive: true });
    const file = join(configdir, `${name}.cfg`);
    writeFileSync(file, text);
    writeFileSync(join(spec.resultdir, 'mock_config.log'), text);
    const root = new MockRoot(this.o, spec, name, configdir === KOJID_CONFIGDIR ? `koji/${name}` : file, await mockIdentity(this.o));
    const onAbort = () => void root.kill();
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      await root.init();
    } catch (e) {
      await root.remove().catch(() => {});
      throw e;
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
    if (signal?.aborted) {
      await root.remove();
      throw new BuildrootError(`making the mock root ${name} was cancelled`);
    }
    return root;
  }
}
