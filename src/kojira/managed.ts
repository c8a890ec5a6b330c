/**
 * One repo as kojira tracks it (Koji's ManagedRepo): the checks a round makes of it by state —
 * an INIT repo whose task failed or that is older than `init_timeout` becomes a PROBLEM; a READY
 * repo that is no longer current (or has custom options) expires after its lifetime unless it is
 * the latest default repo of a target's build tag; an EXPIRED or PROBLEM repo older than
 * `expired_repo_lifetime` with no references is set DELETED and its folder queued for removal.
 */
import { existsSync, lstatSync, readFileSync, statSync, unlinkSync } from 'node:fs';
import type { KojiraOptions } from '../config/kojira.ts';
import type { ClientSession } from '../protocol/client.ts';
import { GenericError } from '../protocol/faults.ts';
import type { XmlRpcStruct, XmlRpcValue } from '../protocol/values.ts';
import type { LineLog } from '../util/line-log.ts';
import { PathInfo } from '../util/pathinfo.ts';

export const REPO = { INIT: 0, READY: 1, EXPIRED: 2, DELETED: 3, PROBLEM: 4 } as const;
export const REPO_STATE_NAMES = ['INIT', 'READY', 'EXPIRED', 'DELETED', 'PROBLEM'];
const TASK_CANCELED = 3;
const TASK_FAILED = 5;

/** The fields kojira reads of each repo (repo.query). */
export const REPO_FIELDS = ['id', 'tag_id', 'create_event', 'state', 'dist', 'task_id', 'tag_name', 'creation_ts', 'state_ts', 'end_event', 'opts', 'custom_opts', 'task_state'];

/** What a ManagedRepo needs of its manager. */
export interface RepoHost {
  options: KojiraOptions;
  session: ClientSession;
  log: LineLog;
  pathinfo: PathInfo;
  /** queue a folder's removal */
  rmtree(path: string): void;
}

const now = () => Date.now() / 1000;

export class ManagedRepo {
  readonly id: number;
  readonly firstSeen = now();
  private expireCheckTs: number | null = null;
  private referenceTs: number | null = null;

  constructor(
    private readonly host: RepoHost,
    public data: XmlRpcStruct,
  ) {
    this.id = data.id as number;
  }

  get state(): number {
    return this.data.state as number;
  }
  set state(v: number) {
    this.data.state = v;
  }
  private get dist(): boolean {
    return Boolean(this.data.dist);
  }
  private get session(): ClientSession {
    return this.host.session;
  }
  private get log(): LineLog {
    return this.host.log;
  }

  path(volume?: string): string {
    const tag = this.data.tag_name as string;
    return this.dist ? this.host.pathinfo.distrepo(this.id, tag, volume) : this.host.pathinfo.repo(this.id, tag);
  }

  /** repo.json of the repo, or null */
  info(): Record<string, unknown> | null {
    const fn = `${this.path()}/repo.json`;
    if (!existsSync(fn)) {
      this.log.warn(`Repo info file missing: ${fn}`);
      return null;
    }
    return JSON.parse(readFileSync(fn, 'utf8')) as Record<string, unknown>;
  }

  async expire(): Promise<void> {
    if (this.state === REPO.EXPIRED) return;
    if (this.state === REPO.PROBLEM) throw new GenericError(`Can't expire problem repo ${this.id}`);
    if (this.state === REPO.DELETED) throw new GenericError(`Repo ${this.id} already deleted`);
    this.log.info(`Expiring ${this.dist ? 'dist repo' : 'repo'} ${this.id} for tag ${String(this.data.tag_name)}`);
    await this.session.call('repoExpire', [this.id]);
    this.state = REPO.EXPIRED;
  }

  async markProblem(): Promise<void> {
    if (this.state === REPO.DELETED) throw new GenericError('Repo is deleted');
    this.log.error(`Problem repo ${this.id}..`);
    await this.session.call('repoProblem', [this.id]);
    this.state = REPO.PROBLEM;
  }

  async checkInit(): Promise<void> {
    if (this.state !== REPO.INIT) return;
    if (!this.data.creation_ts) {
      this.log.warn(`Repo in init state lacks timestamp: ${JSON.stringify(this.data)}`);
      return this.markProblem();
    }
    const age = now() - (this.data.creation_ts as number);
    if (age > this.host.options.init_timeout) {
      this.log.warn(`Stale repo: ${JSON.stringify(this.data)}`);
      await this.markProblem();
    } else if (this.data.task_state === TASK_CANCELED || this.data.task_state === TASK_FAILED) {
      this.log.warn(`Repo task failed: ${String(this.data.task_id)}`);
      await this.markProblem();
    }
  }

  age(): number {
    if (this.data.state_ts) return now() - (this.data.state_ts as number);
    this.log.warn(`Missing timestamps for repo ${this.id} (tag ${String(this.data.tag_name)})`);
    try {
      return now() - statSync(this.path()).mtimeMs / 1000;
    } catch (e) {
      this.log.error(`Can't read mtime for ${this.path()} - ${(e as Error).message}`);
      return now() - this.firstSeen;
    }
  }

  private hasCustomOpts(): boolean {
    const c = this.data.custom_opts;
    return c !== null && c !== undefined && typeof c === 'object' && Object.keys(c).length > 0;
  }

  async expireCheck(): Promise<void> {
    if (this.state !== REPO.READY) return;
    // current, with default options: keep (also current dist repos, whose custom_opts are None)
    if (this.data.end_event === null && !this.hasCustomOpts()) return;
    const lifetime = this.dist ? this.host.options.dist_repo_lifetime : this.host.options.repo_lifetime;
    if (this.age() <= lifetime) return;
    if (this.expireCheckTs !== null && now() - this.expireCheckTs < this.host.options.recheck_period) return;
    this.expireCheckTs = now();
    if (this.dist) {
      if (await this.isLatest()) return;
    } else if (!this.hasCustomOpts()) {
      const targets = await this.session.call<XmlRpcValue[]>('getBuildTargets', [], { buildTagID: this.data.tag_id });
      if (targets.length && (await this.isLatest())) return;
    }
    await this.expire();
  }

  /** No newer READY repo of the tag of the same kind (dist, or default options). */
  async isLatest(): Promise<boolean> {
    const clauses: XmlRpcValue[] = [
      ['tag_id', '=', this.data.tag_id],
      ['state', '=', REPO.READY],
      ['create_event', '>', this.data.create_event],
      ['dist', '=', this.dist],
    ];
    if (!this.dist) clauses.push(['custom_opts', '=', '{}']);
    const newer = await this.session.call<XmlRpcValue[]>('repo.query', [clauses, ['id']]);
    return newer.length === 0;
  }

  async deleteCheck(): Promise<void> {
    if (this.state !== REPO.EXPIRED && this.state !== REPO.PROBLEM) {
      this.log.error(`Repo ${this.id} cannot be deleted, state=${this.state}`);
      return;
    }
    if (this.age() < this.host.options.expired_repo_lifetime) return;
    if (this.referenceTs !== null && now() - this.referenceTs < this.host.options.reference_recheck_period) return;
    const refs = await this.session.call<XmlRpcValue[]>('repo.references', [this.id]);
    if (refs.length) {
      this.log.warn(`Repo ${this.id} still has ${refs.length} references`);
      this.referenceTs = now();
      return;
    }
    await this.delete();
  }

  /** Set DELETED, then queue the folder's removal (a volume link is removed at once). */
  async delete(): Promise<void> {
    if (this.state !== REPO.EXPIRED && this.state !== REPO.PROBLEM) throw new GenericError(`Repo cannot be deleted, state=${this.state}`);
    await this.session.call('repo.setState', [this.id, REPO.DELETED]);
    this.log.info(`Set repo ${this.id} state to deleted`);
    this.state = REPO.DELETED;
    const path = this.path();
    let real = path;
    if (lstatSync(path, { throwIfNoEntry: false })?.isSymbolicLink()) {
      const info = this.info();
      if (!existsSync(path)) return this.log.error(`Repo volume link broken: ${path}`);
      if (!info || typeof info.volume !== 'string') return this.log.error(`Missing or invalid repo.json in ${path}`);
      real = this.path(info.volume);
      if (this.host.options.ignore_other_volumes) return this.log.error(`Repo on non-default volume ${real}`);
      try {
        unlinkSync(path);
      } catch {
        this.log.error(`Unable to remove volume link: ${path}`);
      }
    }
    this.host.rmtree(real);
  }

  /** One round's check by state. */
  async check(): Promise<void> {
    if (this.state === REPO.INIT) await this.checkInit();
    else if (this.state === REPO.READY) await this.expireCheck();
    else if (this.state === REPO.EXPIRED || this.state === REPO.PROBLEM) await this.deleteCheck();
  }
}
