/**
 * kojira's RepoManager: the repos it tracks (every repo not DELETED, read with `repo.query` each
 * round), the round's checks of each (managed.ts), the removal of deleted repos' folders (at most
 * `max_delete_processes` at once), and the pruning of repo folders the hub does not know or has
 * deleted (unless `ignore_stray_repos`), older than `expired_repo_lifetime`.
 */
import { lstatSync, readdirSync, readFileSync, readlinkSync, statSync, unlinkSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import type { KojiraOptions } from '../config/kojira.ts';
import type { ClientSession } from '../protocol/client.ts';
import type { XmlRpcStruct } from '../protocol/values.ts';
import type { LineLog } from '../util/line-log.ts';
import { PathInfo } from '../util/pathinfo.ts';
import { ManagedRepo, REPO, REPO_FIELDS, REPO_STATE_NAMES, type RepoHost } from './managed.ts';

export class RepoManager implements RepoHost {
  readonly repos = new Map<number, ManagedRepo>();
  readonly pathinfo: PathInfo;
  /** folders waiting for removal, in order */
  private readonly deleteQueue = new Set<string>();
  /** removals running */
  private readonly deleting = new Map<string, Promise<void>>();

  constructor(
    readonly options: KojiraOptions,
    public session: ClientSession,
    readonly log: LineLog,
  ) {
    this.pathinfo = new PathInfo(options.topdir);
  }

  rmtree(path: string): void {
    this.log.info(`Queuing rmtree job for ${path}`);
    this.deleteQueue.add(path);
  }

  /** Start queued removals while fewer than max_delete_processes run. */
  checkQueue(): void {
    for (const path of this.deleteQueue) {
      if (this.deleting.size >= this.options.max_delete_processes) break;
      this.deleteQueue.delete(path);
      this.log.info(`Started rmtree for ${path}`);
      const job = rm(path, { recursive: true, force: true }).then(
        () => this.log.info(`Completed rmtree job for ${path}`),
        (e: Error) => this.log.error(`Failed rmtree job for ${path}: ${e.message}`),
      );
      this.deleting.set(path, job);
      void job.finally(() => this.deleting.delete(path));
    }
  }

  /** Removals queued or running. */
  get pendingRemovals(): number {
    return this.deleteQueue.size + this.deleting.size;
  }

  /** Wait for the removals running now. */
  async drain(): Promise<void> {
    await Promise.all([...this.deleting.values()]);
  }

  async readCurrentRepos(): Promise<void> {
    const rows = await this.session.call<XmlRpcStruct[]>('repo.query', [[['state', '!=', REPO.DELETED]], REPO_FIELDS]);
    for (const data of rows) {
      const id = data.id as number;
      const repo = this.repos.get(id);
      if (repo) {
        if (repo.state !== data.state) this.log.info(`State changed for repo ${id}: ${REPO_STATE_NAMES[repo.state]} -> ${REPO_STATE_NAMES[data.state as number]}`);
        repo.data = data;
      } else {
        this.log.info(`Found repo ${id}, state=${REPO_STATE_NAMES[data.state as number]}`);
        this.repos.set(id, new ManagedRepo(this, data));
      }
    }
    if (this.repos.size > rows.length) {
      const active = new Set(rows.map((r) => r.id as number));
      for (const [id, repo] of this.repos) {
        if (active.has(id)) continue;
        if (repo.state !== REPO.DELETED) this.log.warn(`Repo entry disappeared from hub: ${JSON.stringify(repo.data)}`);
        else this.log.info(`Dropping entry for deleted repo: ${id}`);
        this.repos.delete(id);
      }
    }
  }

  /** One round over the tracked repos; a failing check is logged and the others go on. */
  async updateRepos(): Promise<void> {
    this.log.debug('Updating repos');
    await this.readCurrentRepos();
    for (const repo of [...this.repos.values()]) {
      try {
        await repo.check();
      } catch (e) {
        this.log.error(`repo ${repo.id}: ${(e as Error).message}`);
      }
    }
  }

  async pruneLocalRepos(): Promise<void> {
    await this.pruneDir(`${this.pathinfo.volumedir('DEFAULT')}/repos`);
    for (const vol of await this.session.call<XmlRpcStruct[]>('listVolumes')) {
      if (vol.name === 'DEFAULT' || this.options.ignore_other_volumes) continue;
      await this.pruneDir(`${this.pathinfo.volumedir(vol.name as string)}/repos-dist`);
    }
  }

  /** The repo folders under `topdir`: stray ones and those of deleted repos, queued for removal. */
  private async pruneDir(topdir: string): Promise<void> {
    if (this.deleting.size) return;
    const st = statSync(topdir, { throwIfNoEntry: false });
    if (!st) return this.log.debug(`${topdir} doesn't exist, skipping`);
    if (!st.isDirectory()) return this.log.warn(`${topdir} is not directory, skipping`);
    const maxAge = this.options.expired_repo_lifetime;
    const now = Date.now() / 1000;
    for (const tag of readdirSync(topdir)) {
      const tagdir = `${topdir}/${tag}`;
      if (!statSync(tagdir, { throwIfNoEntry: false })?.isDirectory()) continue;
      let latest: string | null = null;
      try {
        latest = readlinkSync(`${tagdir}/latest`);
      } catch {
        // no latest link
      }
      for (const name of readdirSync(tagdir)) {
        if (name === 'latest' || name === latest || !/^\d+$/.test(name)) continue;
        const id = Number(name);
        const repodir = `${tagdir}/${name}`;
        if (this.repos.has(id) || this.deleteQueue.has(repodir) || this.deleting.has(repodir)) continue;
        const ds = lstatSync(repodir, { throwIfNoEntry: false });
        if (!ds || (!ds.isSymbolicLink() && !ds.isDirectory())) continue;
        const remove = () => (ds.isSymbolicLink() ? unlinkSync(repodir) : this.rmtree(repodir));
        const rinfo = await this.session.call<XmlRpcStruct | null>('repoInfo', [id]);
        if (rinfo === null) {
          if (!this.options.ignore_stray_repos && now - ds.mtimeMs / 1000 > maxAge) {
            this.log.info(`Removing unexpected directory (no such repo): ${repodir}`);
            remove();
          }
          continue;
        }
        if (rinfo.tag_name !== tag && !this.sameTagId(repodir, rinfo, tag)) continue;
        if (rinfo.state === REPO.DELETED && now - Math.max((rinfo.state_ts as number) ?? 0, ds.mtimeMs / 1000) > maxAge) {
          this.log.info(`Removing stray repo (state=DELETED): ${repodir}`);
          remove();
        }
      }
    }
  }

  /** A folder under another tag name: a renamed tag (repo.json names the same tag id)? */
  private sameTagId(repodir: string, rinfo: XmlRpcStruct, tag: string): boolean {
    try {
      const json = JSON.parse(readFileSync(`${repodir}/repo.json`, 'utf8')) as { tag_id?: number };
      if (json.tag_id === rinfo.tag_id) return true;
      this.log.warn(`Tag name/id mismatch: directory: ${tag}, name: ${String(rinfo.tag_name)}, id: ${String(json.tag_id)}`);
    } catch {
      this.log.warn(`Tag name mismatch (rename?): ${tag} vs ${String(rinfo.tag_name)}`);
    }
    return false;
  }
}
