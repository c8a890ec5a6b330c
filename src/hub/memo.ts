/**
 * Small in-process memo for read-only calls (tag inheritance walks): entries are dropped whenever
 * data changes, by the same flushes as the reply cache (local writes, NOTIFY from other hubs).
 * Only calls that do not write see it: a writing call reads its own uncommitted changes.
 */
export class Memo {
  private readonly entries = new Map<string, unknown>();
  private generation = 0;

  constructor(private readonly maxEntries = 5000) {}

  ticket(): number {
    return this.generation;
  }

  get<T>(key: string): T | undefined {
    return this.entries.get(key) as T | undefined;
  }

  put(ticket: number, key: string, value: unknown): void {
    if (ticket !== this.generation) return;
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(key, value);
  }

  flush(): void {
    this.generation += 1;
    this.entries.clear();
  }
}
