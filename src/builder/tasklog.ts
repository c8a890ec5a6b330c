/**
 * A task's log: lines written to a local file (and to the daemon's log on stderr), and uploads
 * of local files into the task's output folder on the hub while the task runs — kojid's
 * incremental_upload: what was added since the last round, in pieces with `rawUpload(…,
 * overwrite=True)` at the file's offset, each piece checked against its adler32. The last round
 * runs before the task is closed (the hub takes uploads only while the task is OPEN). The pieces
 * are up to 1 MiB, the chunk size of uploadWrapper (kojid: 64 KiB): a verbose createrepo_c writes
 * ~2 MB of log for 10,000 packages, which would otherwise be ~30 requests competing with it.
 */
import { closeSync, openSync, readSync, fstatSync, writeSync } from 'node:fs';
import type { ClientSession } from '../protocol/client.ts';
import { Adler32 } from '../util/adler32.ts';
import type { LineLog } from '../util/line-log.ts';

const PIECE = 1 << 20;

type Level = 'debug' | 'info' | 'warn' | 'error';
const NAMES: Record<Level, string> = { debug: 'DEBUG', info: 'INFO', warn: 'WARNING', error: 'ERROR' };

/** Python logging's asctime: local "YYYY-MM-DD HH:MM:SS,mmm". */
function asctime(d = new Date()): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())},${p(d.getMilliseconds(), 3)}`;
}

/** Lines of one task, in Koji's log format, to a file (every level from DEBUG) and to `log` (its own level). */
export class TaskLog {
  /** opened at the first line (the folder may not exist before) */
  private fd: number | null = null;
  private closed = false;

  constructor(
    readonly file: string | null,
    private readonly log: LineLog,
    private readonly name: string,
  ) {}

  private write(level: Level, msg: string): void {
    this.log[level](msg);
    if (this.file === null || this.closed) return;
    try {
      this.fd ??= openSync(this.file, 'a');
      writeSync(this.fd, `${asctime()} [${NAMES[level]}] ${this.name}: ${msg}\n`);
    } catch {
      // a full disk must not fail the task
    }
  }

  debug(msg: string): void {
    this.write('debug', msg);
  }
  info(msg: string): void {
    this.write('info', msg);
  }
  warn(msg: string): void {
    this.write('warn', msg);
  }
  error(msg: string): void {
    this.write('error', msg);
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
    this.closed = true;
  }
}

interface Watched {
  local: string;
  name: string;
  offset: number;
}

/** Uploads of growing local files into `uploadPath` (under the hub's work/), as kojid streams logs. */
export class LogUploader {
  private readonly files: Watched[] = [];
  private running: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly session: ClientSession,
    private readonly uploadPath: string,
    private readonly log: LineLog,
    private readonly retries = 5,
  ) {}

  /** Watch `local`, uploaded as `name` (default: its base name). */
  add(local: string, name = local.slice(local.lastIndexOf('/') + 1)): void {
    if (!this.files.some((f) => f.local === local)) this.files.push({ local, name, offset: 0 });
  }

  /** Upload every `ms` while running. */
  start(ms = 1000): void {
    this.timer = setInterval(() => void this.sync().catch((e: Error) => this.log.warn(`log upload: ${e.message}`)), ms);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** One round (after any round in progress): upload what the files gained. */
  sync(): Promise<void> {
    const next = this.running.then(() => this.round());
    this.running = next.catch(() => undefined);
    return next;
  }

  private async round(): Promise<void> {
    for (const f of this.files) await this.syncFile(f);
  }

  private async syncFile(f: Watched): Promise<void> {
    let fd: number;
    try {
      fd = openSync(f.local, 'r');
    } catch {
      return; // not created yet
    }
    try {
      const size = fstatSync(fd).size;
      const buf = Buffer.allocUnsafe(Math.min(PIECE, Math.max(size - f.offset, 0)));
      while (f.offset < size) {
        const n = readSync(fd, buf, 0, buf.length, f.offset);
        if (n === 0) break;
        const piece = Buffer.from(buf.subarray(0, n));
        await this.uploadPiece(f, piece);
        f.offset += n;
      }
    } finally {
      closeSync(fd);
    }
  }

  private async uploadPiece(f: Watched, piece: Buffer): Promise<void> {
    const digest = new Adler32().update(piece).hexdigest();
    for (let tries = 0; ; tries++) {
      const r = await this.session.rawUpload(piece, f.offset, this.uploadPath, f.name, { overwrite: true });
      if (r.hexdigest === digest) return;
      if (tries >= this.retries) {
        this.log.error(`Error uploading file ${f.name} to ${this.uploadPath} at offset ${f.offset}`);
        return;
      }
    }
  }
}
