/**
 * Wake-ups between the parts of the task system, in this hub process and across hubs on one
 * PostgreSQL database (NOTIFY kojits_tasks): "the scheduler may have work" (a task became FREE,
 * a task finished, a host checked in), "tasks were assigned to hosts H…" (answers builders
 * waiting in kojits.host.waitTasks), "task T finished" (wakes waiting parents' hosts), "repo
 * inputs changed" (a committed change of tag content, external repos, repos or repo requests:
 * answers kojira waiting in kojits.repo.waitChanges). Signals are hints: every receiver re-reads
 * the database, so a lost or doubled one costs only latency.
 */
import { EventEmitter } from 'node:events';
import type { Driver } from '../../db/types.ts';

export const TASKS_CHANNEL = 'kojits_tasks';

type Listener<T> = (v: T) => void;

export class TaskSignals {
  private readonly emitter = new EventEmitter();
  private db: Driver | null = null;

  constructor() {
    // every builder long-poll adds a listener
    this.emitter.setMaxListeners(0);
  }

  /** Relay signals to and from other hub processes through this database. */
  async connect(db: Driver): Promise<() => Promise<void>> {
    if (db.kind !== 'postgres') return async () => undefined;
    this.db = db;
    const stop = await db.listen(TASKS_CHANNEL, (payload) => this.receive(payload));
    return async () => {
      this.db = null;
      await stop();
    };
  }

  private receive(payload: string): void {
    const [kind, rest = ''] = payload.split(':', 2);
    if (kind === 'sched') this.emitter.emit('scheduler', rest);
    else if (kind === 'assigned') this.emitter.emit('assigned', rest.split(',').map(Number));
    else if (kind === 'finished') this.emitter.emit('finished', Number(rest));
    else if (kind === 'repos') this.emitter.emit('repos');
  }

  private send(payload: string): void {
    if (this.db) {
      // other hubs (and this one, through its listener)
      this.db.rawQuery(`SELECT pg_notify($1, $2)`, [TASKS_CHANNEL, payload]).catch(() => undefined);
    } else this.receive(payload);
  }

  scheduler(why: string): void {
    this.send(`sched:${why}`);
  }

  assigned(hostIds: number[]): void {
    if (hostIds.length) this.send(`assigned:${hostIds.join(',')}`);
  }

  taskFinished(id: number): void {
    this.send(`finished:${id}`);
  }

  /** Send only after the change committed: receivers re-read the database at once. */
  reposChanged(): void {
    this.send('repos');
  }

  onScheduler(fn: Listener<string>): () => void {
    this.emitter.on('scheduler', fn);
    return () => this.emitter.off('scheduler', fn);
  }

  onAssigned(fn: Listener<number[]>): () => void {
    this.emitter.on('assigned', fn);
    return () => this.emitter.off('assigned', fn);
  }

  onFinished(fn: Listener<number>): () => void {
    this.emitter.on('finished', fn);
    return () => this.emitter.off('finished', fn);
  }

  onReposChanged(fn: () => void): () => void {
    this.emitter.on('repos', fn);
    return () => this.emitter.off('repos', fn);
  }
}
