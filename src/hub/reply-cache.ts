/**
 * Cache of large encoded replies of read-only listing calls (listTagged, getLatestBuilds,
 * listPackages …). A listing of a Fedora-sized tag is tens of MB of XML that takes the database
 * and the encoder hundreds of milliseconds; kojira and builders ask for the same listings again
 * and again between changes. Replies are kept as files in a private temporary folder (so they
 * cost no memory) and streamed back.
 *
 * Correctness: any call that changes data other than sessions flushes the whole cache when its
 * transaction ends, locally and in every other hub process (PostgreSQL NOTIFY, delivered at
 * commit). A reply computed while a flush happened is not stored (generation check). Changes
 * made behind the hub's back (SQL by hand) are not seen: restart the hubs or `NOTIFY
 * kojits_cache` after such changes.
 *
 * The folder is named after the hub's pid and host name and removed when the hub stops; a hub
 * that was killed leaves its folder behind, and the next hub on the machine removes it (only
 * folders of its own host name: containers that share /tmp do not see each other's pids). An
 * entry whose file is gone anyway is a miss.
 */
import { mkdtempSync, rmSync, createReadStream, existsSync, readdirSync } from 'node:fs';
import { promises as fsp } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { processGone } from '../util/pid.ts';

/** Read-only methods whose replies are worth caching when large. */
export const CACHEABLE_METHODS = new Set([
  'listTagged', 'listTaggedRPMS', 'getLatestBuilds', 'getLatestRPMS', 'listPackages', 'listPackagesSimple', 'listTags', 'listBuilds', 'listRPMs', 'getTagGroups',
]);

const PREFIX = 'kojits-reply-cache-';
// host names may hold '-' but not '@'
const owner = () => `${process.pid}@${hostname()}-`;

/** Removes the cache folders of hub processes that are gone. */
function sweepStale(): void {
  let names: string[];
  try {
    names = readdirSync(tmpdir());
  } catch {
    return;
  }
  const host = `@${hostname()}-`;
  for (const name of names) {
    const m = name.startsWith(PREFIX) ? /^(\d+)(@.*-)[^-]+$/.exec(name.slice(PREFIX.length)) : null;
    if (m && m[2] === host && Number(m[1]) !== process.pid && processGone(Number(m[1]))) rmSync(join(tmpdir(), name), { recursive: true, force: true });
  }
}

interface Entry {
  file: string;
  size: number;
}

export class ReplyCache {
  private dir: string | null = null;
  private closed = false;
  private readonly entries = new Map<string, Entry>();
  private bytes = 0;
  private generation = 0;
  private serial = 0;

  /**
   * @param maxBytes total size kept on disk (oldest entries go first); 0 disables the cache
   * @param minBytes replies smaller than this are cheap to compute and not kept
   */
  constructor(readonly maxBytes: number, readonly minBytes = 256 * 1024) {}

  private folder(): string {
    if (!this.dir) {
      sweepStale();
      this.dir = mkdtempSync(join(tmpdir(), PREFIX + owner()));
    }
    return this.dir;
  }

  static key(method: string, body: Buffer | string): string {
    return createHash('sha256').update(method).update('\0').update(body).digest('hex');
  }

  ticket(): number {
    return this.generation;
  }

  /** A stream of the cached reply and its size, or null. */
  get(key: string): { stream: Readable; size: number } | null {
    if (this.maxBytes <= 0) return null;
    const e = this.entries.get(key);
    if (!e) return null;
    if (!existsSync(e.file)) {
      this.drop(key, e);
      return null;
    }
    // most recently used last
    this.entries.delete(key);
    this.entries.set(key, e);
    return { stream: createReadStream(e.file, { highWaterMark: 1 << 20 }), size: e.size };
  }

  async put(ticket: number, key: string, parts: Buffer[]): Promise<void> {
    const size = parts.reduce((n, b) => n + b.length, 0);
    if (this.closed || this.maxBytes <= 0 || size < this.minBytes || size > this.maxBytes || ticket !== this.generation) return;
    const file = join(this.folder(), `r${++this.serial}`);
    const fh = await fsp.open(file, 'w');
    try {
      for (const p of parts) await fh.write(p);
    } finally {
      await fh.close();
    }
    if (ticket !== this.generation || this.closed) {
      await fsp.rm(file, { force: true });
      return;
    }
    const old = this.entries.get(key);
    if (old) this.drop(key, old);
    this.entries.set(key, { file, size });
    this.bytes += size;
    for (const [k, e] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.drop(k, e);
    }
  }

  private drop(key: string, e: Entry): void {
    this.entries.delete(key);
    this.bytes -= e.size;
    // an open read stream keeps the data until it is done
    fsp.rm(e.file, { force: true }).catch(() => undefined);
  }

  flush(): void {
    this.generation += 1;
    for (const [k, e] of this.entries) this.drop(k, e);
  }

  get size(): number {
    return this.entries.size;
  }

  close(): void {
    this.closed = true;
    this.entries.clear();
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
    this.dir = null;
  }
}
