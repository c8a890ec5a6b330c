/**
 * koji.util.RepoWatcher, shared by the CLI's request-repo, regen-repo, wait-repo and
 * wait-repo-request and by the builder's build and waitrepo tasks: request a repo (repo.request) or look for one (repo.get), then follow the
 * request (repo.checkRequest) until it yields a repo, stops being active or the timeout
 * (minutes) passes; with NVRs, first wait until those builds are in the tag.
 * Messages go to `log` at Python logging levels, as the stock watcher's logger prints them.
 *
 * Between checks it waits up to poll_interval seconds, and on a koji-ts hub is woken early by
 * kojits.repo.waitChanges when tag content, repos or requests change (stock hubs: a plain sleep).
 */
import { GenericError, KojiError } from './faults.ts';
import { TASK_STATES } from './enums.ts';
import type { ClientSession } from './client.ts';
import type { XmlRpcStruct, XmlRpcValue } from './values.ts';
import { pyRepr } from './pyrepr.ts';
import { parseNVR, type NVR } from '../util/nvr.ts';

export const LEVELS = { DEBUG: 10, INFO: 20, WARNING: 30, ERROR: 40 } as const;

export interface WatcherOptions {
  nvrs?: string[];
  minEvent?: number | 'last' | null;
  atEvent?: number | null;
  opts?: XmlRpcStruct | null;
  /** seconds between checks */
  pause: number;
  /** minutes */
  timeout: number;
  /** messages at or above `level` */
  log: (msg: string) => void;
  level: number;
}

type Row = XmlRpcStruct;

/** koji.util.duration: M:SS since start. */
function duration(start: number): string {
  const s = (Date.now() - start) / 1000;
  return `${Math.floor(s / 60)}:${String(Math.floor(s % 60)).padStart(2, '0')}`;
}

const stateName = (v: XmlRpcValue | undefined) => (v === null || v === undefined ? 'None' : (TASK_STATES.names[v as number] ?? String(v)));

export class RepoWatcher {
  private start: number | null = null;
  readonly builds: NVR[];
  minEvent: number | null = null;
  private cursor: { event: number; ts: XmlRpcValue } | null | false = null;

  private constructor(
    readonly session: ClientSession,
    readonly tag: Row,
    readonly o: WatcherOptions,
  ) {
    this.builds = (o.nvrs ?? []).map((n) => parseNVR(n));
  }

  static async create(session: ClientSession, tag: string | number, o: WatcherOptions): Promise<RepoWatcher> {
    const info = await session.call<Row>('getTag', [tag], { strict: true });
    const w = new RepoWatcher(session, info, o);
    if (o.minEvent !== null && o.minEvent !== undefined) {
      if (o.atEvent !== null && o.atEvent !== undefined) throw new KojiError('Cannot specify both min_event and at_event');
      w.minEvent = o.minEvent === 'last' ? await session.call<number>('tagLastChangeEvent', [info.id as number]) : o.minEvent;
    }
    return w;
  }

  private say(level: number, msg: string): void {
    if (level >= this.o.level) this.o.log(msg);
  }

  private getStart(): number {
    this.start ??= Date.now();
    return this.start;
  }

  private timedOut(): boolean {
    return Date.now() - this.getStart() > this.o.timeout * 60_000;
  }

  /** Sleep poll_interval seconds, or less when the hub reports a change (kojits.repo.waitChanges). */
  async pause(): Promise<void> {
    this.say(LEVELS.DEBUG, 'Pausing');
    if (this.cursor !== false) {
      try {
        if (this.cursor === null) {
          const last = await this.session.call<Row>('getLastEvent');
          this.cursor = (await this.session.call<Row>('kojits.repo.waitChanges', [last.id as number, 0])) as never;
        }
        const c = this.cursor as { event: number; ts: XmlRpcValue };
        this.cursor = (await this.session.call<Row>('kojits.repo.waitChanges', [c.event, this.o.pause], { after_ts: c.ts })) as never;
        return;
      } catch (e) {
        if (!(e instanceof KojiError)) throw e;
        // a stock hub: poll
        this.cursor = false;
      }
    }
    await new Promise((r) => setTimeout(r, this.o.pause * 1000));
  }

  async request(minEvent: number | null = null): Promise<{ repo: Row | null; request: Row | null }> {
    const min = minEvent ?? this.minEvent;
    this.say(LEVELS.INFO, 'Requesting a repo');
    this.say(LEVELS.DEBUG, `self.session.repo.request(${String(this.tag.id)}, min_event=${pyRepr(min)}, at_event=${pyRepr(this.o.atEvent ?? null)}, opts=${pyRepr(this.o.opts ?? null)})`);
    return this.session.call('repo.request', [this.tag.id as number], { min_event: min, at_event: this.o.atEvent ?? null, opts: this.o.opts ?? null });
  }

  /** Follow a request until it yields a repo. */
  async waitRequest(req: Row): Promise<Row> {
    const fields = ['task_id', 'task_state', 'repo_id', 'active', 'tries'];
    this.getStart();
    const seen: Record<string, XmlRpcValue | undefined> = Object.fromEntries(fields.map((f) => [f, req[f] ?? null]));
    for (;;) {
      const check = await this.session.call<{ repo: Row | null; request: Row }>('repo.checkRequest', [req.id as number]);
      this.say(LEVELS.DEBUG, `Request check: ${pyRepr(check)}`);
      if (check.repo) return check.repo;
      for (const f of fields) {
        const now = check.request[f] ?? null;
        if (seen[f] === now) continue;
        const before = seen[f];
        seen[f] = now;
        if (f === 'task_state') this.say(LEVELS.INFO, `Request updated: ${f}: ${stateName(before)} -> ${stateName(now)}`);
        else this.say(LEVELS.INFO, `Request updated: ${f}: ${pyRepr(before)} -> ${pyRepr(now)}`);
      }
      if (this.timedOut()) throw new GenericError(`Unsuccessfully waited ${duration(this.getStart())} for a new ${String(this.tag.name)} repo`);
      if (!check.request.active) {
        if (check.request.task_id) this.say(LEVELS.ERROR, `Task ${String(check.request.task_id)} state is ${stateName(check.request.task_state)}`);
        throw new GenericError('Repo request no longer active');
      }
      await this.pause();
    }
  }

  /** koji.util.checkForBuilds: each NVR is tagged (with inheritance) at the event. */
  private async haveBuilds(event: number | null): Promise<boolean> {
    for (const b of this.builds) {
      const latest = await this.session.call<Row[]>('listTagged', [this.tag.id as number], { event, package: b.name, inherit: true });
      if (!latest.some((x) => x.version === b.version && x.release === b.release)) return false;
    }
    return true;
  }

  private async waitBuilds(): Promise<void> {
    this.getStart();
    const list = (this.o.nvrs ?? []).join(', ');
    this.say(LEVELS.INFO, `Waiting for nvrs ${pyRepr(this.o.nvrs ?? [])} in tag ${String(this.tag.name)}`);
    for (;;) {
      if (await this.haveBuilds(null)) return;
      if (this.timedOut()) throw new GenericError(`Unsuccessfully waited ${duration(this.getStart())} for ${list} to appear in the ${String(this.tag.name)} repo`);
      await this.pause();
    }
  }

  checkRepo = async (repo: Row): Promise<boolean> => {
    if (repo.tag_id !== this.tag.id) return false;
    if (this.o.atEvent !== null && this.o.atEvent !== undefined) {
      if (repo.create_event !== this.o.atEvent) return false;
    } else if (this.minEvent !== null && (repo.create_event as number) < this.minEvent) {
      this.say(LEVELS.INFO, `Got repo before min event. ${String(repo.create_event)} < ${this.minEvent}`);
      return false;
    }
    if (this.builds.length && !(await this.haveBuilds(repo.create_event as number))) {
      this.say(LEVELS.INFO, 'Got repo without needed builds');
      return false;
    }
    return true;
  };

  private taskRequest: Row | null = null;

  /** RepoWatcher.getRepo: a fitting repo available now (requesting one), else null — the request is kept for taskArgs(). */
  async getRepo(): Promise<Row | null> {
    this.say(LEVELS.INFO, `Need a repo for ${String(this.tag.name)}`);
    if (this.builds.length && !(await this.haveBuilds(null))) {
      this.say(LEVELS.DEBUG, `Builds ${pyRepr(this.o.nvrs ?? [])} not present in tag ${String(this.tag.name)}`);
      return null;
    }
    const check = await this.request();
    if (check.repo) {
      this.say(LEVELS.INFO, `Request yielded repo: ${pyRepr(check as unknown as XmlRpcValue)}`);
      if (await this.checkRepo(check.repo)) return check.repo;
    }
    this.taskRequest = check.request;
    return null;
  }

  /** RepoWatcher.task_args: the arguments of a waitrepo task that waits for what getRepo() did not find. */
  taskArgs(): XmlRpcValue[] {
    if (this.o.atEvent !== null && this.o.atEvent !== undefined) throw new GenericError('at_event not supported by waitrepo task');
    if (this.o.opts) throw new GenericError('opts not supported by waitrepo task');
    const minEvent = this.minEvent ?? ((this.taskRequest?.min_event as number | undefined) ?? null);
    return [this.tag.name as string, null, this.o.nvrs ?? [], minEvent];
  }

  /** RepoWatcher.waitrepo: request (or, anonymously, look) and wait until a fitting repo exists. */
  async waitrepo(anon: boolean): Promise<Row> {
    this.say(LEVELS.INFO, `Waiting on repo for ${String(this.tag.name)}`);
    this.getStart();
    let minEvent: number | null = this.minEvent;
    let req: Row | null = null;
    for (;;) {
      if (req) {
        const repo = await this.waitRequest(req);
        if (await this.checkRepo(repo)) return repo;
        minEvent = await this.session.call<number>('tagLastChangeEvent', [this.tag.id as number]);
        this.say(LEVELS.ERROR, 'Repo request did not satisfy conditions');
      } else if (anon) {
        const repo = await this.session.call<Row | null>('repo.get', [this.tag.id as number], { min_event: minEvent, at_event: this.o.atEvent ?? null, opts: this.o.opts ?? null });
        if (repo && (await this.checkRepo(repo))) return repo;
        // koji-ts: the stock watcher waits for ever here
        if (this.timedOut()) throw new GenericError(`Unsuccessfully waited ${duration(this.getStart())} for a new ${String(this.tag.name)} repo`);
      }
      if (this.builds.length) {
        await this.waitBuilds();
        minEvent = await this.session.call<number>('tagLastChangeEvent', [this.tag.id as number]);
      }
      if (!anon) {
        const check = await this.request(minEvent);
        if (check.repo) {
          if (await this.checkRepo(check.repo)) return check.repo;
        } else {
          req = check.request!;
          this.say(LEVELS.INFO, `Got request: ${String(req.id)}`);
          if (minEvent === null) minEvent = req.min_event as number;
        }
      }
      await this.pause();
    }
  }
}
