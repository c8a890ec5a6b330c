/**
 * Sources from version control for buildSRPMFromSCM — koji.daemon.SCM for git: the URL form
 * `scheme://[user@]host/path/to/repo?module#revision`, the `allowed_scms` check (kojid.conf,
 * entries `host:repository[:use_common[:source_cmd]]` and `!host:repository`, glob patterns),
 * the `build_from_scm` policy check, the checkout at a revision and the `source` it yields.
 *
 * Schemes: Koji's git ones (git://, git+http://, git+https://, git+rsync://, git+ssh://) and,
 * beyond Koji, git+file:// for repositories on the builder's own disk (the host part is empty:
 * allow them with an entry like `:/srv/git/*:no:`). CVS and SVN are not supported by koji-ts
 * (a BuildError says so).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { BuildError, GenericError } from '../protocol/faults.ts';
import type { ClientSession } from '../protocol/client.ts';
import type { XmlRpcStruct } from '../protocol/values.ts';
import { fnmatch } from '../util/fnmatch.ts';

const TYPES: Record<string, string[]> = {
  CVS: ['cvs://'],
  'CVS+SSH': ['cvs+ssh://'],
  GIT: ['git://', 'git+http://', 'git+https://', 'git+rsync://', 'git+file://'],
  'GIT+SSH': ['git+ssh://'],
  SVN: ['svn://', 'svn+http://', 'svn+https://'],
  'SVN+SSH': ['svn+ssh://'],
};
const SCHEMES = Object.values(TYPES).flat();

/** os.path.normpath of an absolute path, without a trailing slash. */
function normPath(p: string): string {
  const out: string[] = [];
  for (const part of p.split('/')) {
    if (!part || part === '.') continue;
    if (part === '..') out.pop();
    else out.push(part);
  }
  return '/' + out.join('/');
}

/** SCM.is_scm_url */
export function isScmUrl(url: unknown): boolean {
  return typeof url === 'string' && SCHEMES.some((s) => url.startsWith(s));
}

export class SCM {
  readonly scheme: string;
  readonly user: string | null;
  readonly host: string;
  readonly repository: string;
  readonly module: string;
  readonly revision: string;
  readonly scmtype: string;
  useCommon = true;
  sourceCmd: string[] | null = ['make', 'sources'];
  sourcedir: string | null = null;

  constructor(readonly url: string, allowPassword = false) {
    if (!isScmUrl(url)) throw new GenericError(`Invalid scheme in scm url. Valid schemes are: ${[...SCHEMES].sort().join(' ')}`);
    this.scheme = url.split('://')[0] + '://';
    // urllib.parse.urlparse's split, by hand: the URL class would take the first path
    // component of git+file:///srv/… for a host
    const rest = url.slice(this.scheme.length);
    const hashAt = rest.indexOf('#');
    const beforeHash = hashAt < 0 ? rest : rest.slice(0, hashAt);
    const fragment = hashAt < 0 ? '' : rest.slice(hashAt + 1);
    const qAt = beforeHash.indexOf('?');
    const beforeQuery = qAt < 0 ? beforeHash : beforeHash.slice(0, qAt);
    const query = qAt < 0 ? '' : beforeHash.slice(qAt + 1);
    const slashAt = beforeQuery.indexOf('/');
    const netloc = slashAt < 0 ? beforeQuery : beforeQuery.slice(0, slashAt);
    const rawPath = slashAt < 0 ? '' : beforeQuery.slice(slashAt);
    const userhost = netloc.split('@');
    if (userhost.length > 2) throw new GenericError(`Invalid username@hostname specified: ${netloc}`);
    const [user, password] = userhost.length === 2 ? userhost[0].split(/:(.*)/s, 2) : [null, undefined];
    if (password !== undefined && password !== '' && !allowPassword) throw new GenericError(`username:password format not supported: ${user}:${password}`);
    this.user = user ? user + (password ? `:${password}` : '') : null;
    this.host = userhost[userhost.length - 1];
    if (!rawPath) throw new GenericError(`Unable to parse SCM URL: ${url} . Could not find the path element.`);
    if (rawPath.includes(';')) throw new GenericError(`Unable to parse SCM URL: ${url} . Params element ${rawPath.slice(rawPath.indexOf(';') + 1)} should be empty.`);
    this.repository = normPath(rawPath);
    this.module = query.replace(/\/+$/, '');
    this.revision = fragment;
    if (!this.revision) throw new GenericError(`Unable to parse SCM URL: ${url} . Could not find the fragment element.`);
    this.scmtype = Object.entries(TYPES).find(([, s]) => s.includes(this.scheme))![0];
  }

  info(): XmlRpcStruct {
    return { url: this.url, scheme: this.scheme, user: this.user, host: this.host, repository: this.repository, module: this.module, revision: this.revision, scmtype: this.scmtype };
  }

  /** SCM.assert_allowed_by_config; `warn` gets the entries that are skipped as malformed. */
  assertAllowedByConfig(allowed: string, warn: (m: string) => void = () => {}): void {
    let ok = false;
    for (const entry of allowed.split(/\s+/).filter(Boolean)) {
      const parts = entry.split(':');
      if (parts.length < 2) {
        warn(`Ignoring incorrectly formatted SCM host:repository: ${entry}`);
        continue;
      }
      let hostPat = parts[0];
      const invert = hostPat.startsWith('!');
      if (invert) hostPat = hostPat.slice(1);
      if (!(fnmatch(this.host, hostPat) && fnmatch(this.repository, parts[1]))) continue;
      if (invert) break;
      ok = true;
      if (parts.length >= 3 && ['no', 'off', 'false', '0'].includes(parts[2].toLowerCase())) this.useCommon = false;
      if (parts.length >= 4) this.sourceCmd = parts[3] ? parts[3].split(',') : null;
      break;
    }
    if (!ok) throw new BuildError(`${this.host}:${this.repository} is not in the list of allowed SCMs`);
  }

  /** SCM.assert_allowed_by_policy: the hub's build_from_scm policy, with scm_* data. */
  async assertAllowedByPolicy(session: ClientSession, extra: XmlRpcStruct): Promise<void> {
    const data: XmlRpcStruct = {};
    for (const [k, v] of Object.entries(this.info())) data[k.replace(/^(scm_?)?/, 'scm_')] = v;
    Object.assign(data, extra);
    const result = String((await session.call('evalPolicy', ['build_from_scm', data])) ?? '').split(/\s+/).filter(Boolean);
    if (!result.length || !['yes', 'true', 'allow', 'allowed'].includes(result[0].toLowerCase())) {
      throw new BuildError(`SCM: ${this.host}:${this.repository} is not allowed, reason: ${result.slice(1).join(' ') || 'None'}`);
    }
    const applied = result.slice(1);
    this.useCommon = applied.length > 0 && applied[0].toLowerCase() === 'use_common';
    const cmd = applied.slice(this.useCommon ? 1 : 0);
    if (cmd.length) this.sourceCmd = cmd;
    if (this.sourceCmd?.length && this.sourceCmd[0].toLowerCase() === 'none') this.sourceCmd = null;
  }

  /** The repository URL git is given. */
  gitRepo(): string {
    if (this.scmtype === 'GIT+SSH') {
      if (!this.user) throw new BuildError(`No user specified for repository access scheme: ${this.scheme}`);
      return `ssh://${this.user}@${this.host}${this.repository}`;
    }
    const scheme = this.scheme.includes('+') ? this.scheme.split('+')[1] : this.scheme;
    return `${scheme}${this.user ? `${this.user}@` : ''}${this.host}${this.repository}`;
  }

  /** Folder name of the checkout (the repository's base name without .git or /.git). */
  checkoutName(): string {
    const repo = this.repository.replace(/\/\.git$/, '').replace(/\.git$/, '');
    return repo.slice(repo.lastIndexOf('/') + 1);
  }

  /**
   * The git commands of a checkout at the revision into `scmdir` (run by the caller, logged):
   * clone without checkout, fetch the revision, reset to it; `recovery` when the fetch fails
   * (short hashes): reset to the revision as given.
   */
  checkoutCommands(scmdir: string): { clone: string[]; update: string[][]; recovery: string[]; checkoutDir: string; sourcedir: string } {
    if (!this.scmtype.startsWith('GIT')) throw new BuildError(`${this.scmtype} checkouts are not supported by koji-ts (git only)`);
    const checkoutDir = `${scmdir}/${this.checkoutName()}`;
    const rev = this.revision.startsWith('origin/') ? this.revision.slice(7) : this.revision;
    return {
      clone: ['git', 'clone', '-n', this.gitRepo(), checkoutDir],
      update: [['git', 'fetch', 'origin', `${rev}:KOJI_FETCH_HEAD`], ['git', 'reset', '--hard', 'KOJI_FETCH_HEAD']],
      recovery: ['git', 'reset', '--hard', this.revision],
      checkoutDir,
      sourcedir: this.module ? `${checkoutDir}/${this.module}` : checkoutDir,
    };
  }

  /** SCM.get_source: the URL with the revision resolved to the checked-out commit. */
  async source(checkoutDir: string): Promise<{ url: string; source: string }> {
    let commit: string;
    try {
      commit = (await promisify(execFile)('git', ['rev-parse', 'HEAD'], { cwd: checkoutDir })).stdout.trim();
    } catch {
      throw new GenericError('Error getting commit hash for git');
    }
    const scheme = this.scheme.slice(0, -3);
    return { url: this.url, source: `${scheme}://${this.host}${this.repository}${this.module ? `?${this.module}` : ''}#${commit}` };
  }
}
