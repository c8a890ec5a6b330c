/**
 * Serialising writers. In one process a promise chain (waiting writers cost no database
 * connection); across processes a PostgreSQL transaction-level advisory lock, released by
 * COMMIT or ROLLBACK — also when the process dies, since the server ends its connection.
 * Hand-written because it is a dozen lines: a library mutex would add nothing.
 */

/** Advisory lock keys, namespace 'koji' (0x6b6f6a69): 1 = writers; 2 = the scheduler's leader. */
export const LOCK_NAMESPACE = 0x6b6f6a69;
export const WRITE_LOCK = 1;
export const SCHEDULER_LOCK = 2;

export class Queue {
  private tail: Promise<unknown> = Promise.resolve();
  private waiting = 0;

  /** Run fn after every fn queued before it has settled. */
  run<T>(fn: () => Promise<T>): Promise<T> {
    this.waiting += 1;
    const result = this.tail.then(fn, fn);
    this.tail = result.then(
      () => (this.waiting -= 1),
      () => (this.waiting -= 1),
    );
    return result;
  }

  /** Writers queued or running. */
  get length(): number {
    return this.waiting;
  }
}
