/**
 * The reply of a multicall, encoded result by result as each call finishes. The first few MiB
 * stay in memory; beyond that the bytes go to an unlinked temporary file and are streamed from
 * it, so a large multicall costs the hub disk for a moment, not memory it may never give back
 * (freed Buffers stay in the process's heap). The total is capped (MaxReplySize): past it,
 * `add` throws ReplyTooLarge and the spool is discarded.
 */
import { promises as fsp } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { ReplyTooLarge } from '../protocol/encode.ts';

const IN_MEMORY = 4 * 1024 * 1024;

export class ReplySpool {
  private readonly head: Buffer[] = [];
  private headBytes = 0;
  private file: fsp.FileHandle | null = null;
  private fileBytes = 0;
  private closed = false;

  constructor(private readonly limit: number) {}

  get size(): number {
    return this.headBytes + this.fileBytes;
  }

  /** Append encoded bytes. */
  async add(parts: Buffer[]): Promise<void> {
    const n = parts.reduce((s, b) => s + b.length, 0);
    if (this.limit > 0 && this.size + n > this.limit) throw new ReplyTooLarge(this.limit);
    if (!this.file && this.headBytes + n <= IN_MEMORY) {
      this.head.push(...parts);
      this.headBytes += n;
      return;
    }
    if (!this.file) {
      const path = join(tmpdir(), `kojits-reply-${process.pid}-${randomBytes(6).toString('hex')}`);
      this.file = await fsp.open(path, 'wx+', 0o600);
      // nobody else needs the name: the file goes away when it is closed, even after a crash
      await fsp.unlink(path);
    }
    for (const b of parts) {
      await this.file.write(b, 0, b.length, this.fileBytes);
      this.fileBytes += b.length;
    }
  }

  /** The whole reply: `before`, the spooled bytes, `after`; the spool is used up. */
  stream(before: Buffer, after: Buffer): { stream: Readable; size: number } {
    const size = before.length + this.size + after.length;
    const file = this.file;
    const head = this.head;
    const fileBytes = this.fileBytes;
    this.file = null;
    this.closed = true;
    async function* chunks(): AsyncGenerator<Buffer> {
      try {
        yield before;
        yield* head;
        if (file && fileBytes > 0) {
          for await (const c of file.createReadStream({ start: 0, end: fileBytes - 1, autoClose: false })) yield c as Buffer;
        }
        yield after;
      } finally {
        await file?.close().catch(() => undefined);
      }
    }
    return { stream: Readable.from(chunks(), { objectMode: false }), size };
  }

  /** Drop what was spooled (the multicall failed as a whole). */
  async discard(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.head.length = 0;
    await this.file?.close().catch(() => undefined);
    this.file = null;
  }
}
