/**
 * Exclusive use of a PGlite data folder. PGlite is PostgreSQL in single-user mode inside one
 * process: two processes opening the same folder each believe they own it, and writes are
 * lost. Whoever opens a folder holds `<folder>/kojits.lock`, a JSON record of the owner
 * (pid, host, the process's start time, a random token, the command and when it started);
 * a second opener is refused with a message naming the owner.
 *
 * The lock appears whole or not at all (written to a temporary file, then hard-linked into
 * place, which fails if it exists). A lock is stale when its process is gone: no process with
 * that pid on this host, or a process whose start time differs (the pid was reused). A stale
 * lock is moved aside atomically and taken over. Locks are released on close and when the
 * process exits; a process killed outright leaves a stale lock behind, which the next opener
 * takes over.
 *
 * Within one process the lock is counted: `kojits up` holds its data folder for the whole run
 * and the database driver takes the same lock again when it opens the folder. A child process
 * started with `childEnv(lock)` in its environment uses the folder under its parent's lock
 * (`kojits up` makes a new database in a child; later, its hub, builder… processes).
 */
import { mkdirSync, readFileSync, renameSync, unlinkSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { writeNoClobber } from '../setup/files.ts';
import { processGone } from '../util/pid.ts';

export const LOCK_FILE = 'kojits.lock';
/** the token of a lock the parent process holds and lets this process use */
const INHERIT_ENV = 'KOJITS_LOCK_TOKEN';

export interface LockOwner {
  pid: number;
  host: string;
  /** start time of the process (clock ticks after boot, /proc/PID/stat field 22); null where unknown */
  processStart: string | null;
  token: string;
  /** what holds it, e.g. "kojits up" */
  command: string;
  /** ISO time the lock was taken */
  since: string;
}

export interface FolderLock {
  readonly dir: string;
  readonly file: string;
  /** the owner whose stale lock this process took over, if any */
  readonly tookOverFrom: LockOwner | null;
  /** Drop this hold; the file goes when the last hold of this process is released. */
  release(): void;
}

export class FolderInUseError extends Error {
  constructor(
    readonly dir: string,
    readonly owner: LockOwner,
    detail: string,
  ) {
    super(`${dir} is in use by ${owner.command} (pid ${owner.pid}${owner.host === hostname() ? '' : ` on ${owner.host}`}, started ${localTime(owner.since)}); ${detail}`);
  }
}

interface Held {
  owner: LockOwner;
  holds: number;
  tookOverFrom: LockOwner | null;
  /** the parent's lock, used by this process: never removed here */
  inherited: boolean;
}

const held = new Map<string, Held>();
let exitHook = false;

function localTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** Start time of a process from /proc (Linux); null when it cannot be read. */
export function processStartTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // the command name (field 2) is in parentheses and may contain spaces
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

/** "kojits up" for the kojits executable, else the script's name. */
function commandLabel(): string {
  const script = basename(process.argv[1] ?? 'node');
  return script === 'kojits' && process.argv[2] ? `kojits ${process.argv[2]}` : script;
}

function parseOwner(text: string): LockOwner | null {
  try {
    const o = JSON.parse(text) as Partial<LockOwner>;
    if (typeof o.pid !== 'number' || typeof o.token !== 'string' || typeof o.host !== 'string') return null;
    return { pid: o.pid, host: o.host, processStart: o.processStart ?? null, token: o.token, command: String(o.command ?? 'another process'), since: String(o.since ?? '?') };
  } catch {
    return null;
  }
}

function readText(file: string): string | null {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

/** Whether the lock's owner still runs: 'alive', 'stale', or 'unknown' (another host). */
function ownerState(o: LockOwner): 'alive' | 'stale' | 'unknown' {
  if (o.host !== hostname()) return 'unknown';
  if (processGone(o.pid)) return 'stale';
  const start = processStartTime(o.pid);
  if (o.processStart && start && start !== o.processStart) return 'stale';
  return 'alive';
}

function releaseAll(): void {
  for (const [file, h] of held) {
    held.delete(file);
    if (!h.inherited) removeIfOurs(file, h.owner.token);
  }
}

/** Environment for a child process that is to use the folder of `lock` while this process holds it. */
export function childEnv(lock: FolderLock): Record<string, string> {
  const h = held.get(lock.file);
  if (!h) throw new Error(`${lock.dir} is not locked by this process`);
  return { [INHERIT_ENV]: h.owner.token };
}

function removeIfOurs(file: string, token: string): void {
  try {
    if (parseOwner(readText(file) ?? '')?.token === token) unlinkSync(file);
  } catch {
    // already gone, or the folder went away
  }
}

/**
 * Take the lock of folder `dir` (created if missing) for this process, or throw
 * FolderInUseError naming the process that holds it.
 */
export function lockFolder(dir: string, o: { command?: string; hint?: string } = {}): FolderLock {
  const abs = resolve(dir);
  const file = join(abs, LOCK_FILE);
  let h = held.get(file);
  if (!h) {
    mkdirSync(abs, { recursive: true });
    const owner: LockOwner = {
      pid: process.pid,
      host: hostname(),
      processStart: processStartTime(process.pid),
      token: randomBytes(12).toString('hex'),
      command: o.command ?? commandLabel(),
      since: new Date().toISOString(),
    };
    const got = acquire(abs, file, owner, o.hint ?? 'stop it first or use another data folder');
    h = got.inherited ? { owner: got.inherited, holds: 0, tookOverFrom: null, inherited: true } : { owner, holds: 0, tookOverFrom: got.tookOverFrom, inherited: false };
    held.set(file, h);
    if (!exitHook) {
      exitHook = true;
      process.on('exit', releaseAll);
    }
  }
  h.holds += 1;
  const entry = h;
  let released = false;
  return {
    dir: abs,
    file,
    tookOverFrom: entry.tookOverFrom,
    release() {
      if (released) return;
      released = true;
      entry.holds -= 1;
      if (entry.holds === 0 && held.get(file) === entry) {
        held.delete(file);
        if (!entry.inherited) removeIfOurs(file, entry.owner.token);
      }
    },
  };
}

function acquire(dir: string, file: string, owner: LockOwner, hint: string): { tookOverFrom: LockOwner | null; inherited?: LockOwner } {
  const text = JSON.stringify(owner) + '\n';
  let tookOverFrom: LockOwner | null = null;
  for (let attempt = 0; attempt < 10; attempt++) {
    if (writeNoClobber(file, text, 0o644)) return { tookOverFrom };
    const seen = readText(file);
    if (seen === null) continue; // released meanwhile
    const other = parseOwner(seen);
    // an unreadable lock cannot belong to a live opener: locks appear whole
    const state = other ? ownerState(other) : 'stale';
    if (other && state === 'alive' && other.pid === process.ppid && other.token === process.env[INHERIT_ENV]) return { tookOverFrom: null, inherited: other };
    if (other && state === 'alive') throw new FolderInUseError(dir, other, hint);
    if (other && state === 'unknown') throw new FolderInUseError(dir, other, `${hint} (if that process no longer runs, remove ${file})`);
    // stale: move it aside, and make sure what was moved is the stale lock just read
    const aside = `${file}.stale.${owner.token}`;
    try {
      renameSync(file, aside);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw e;
    }
    const moved = readText(aside);
    if (moved !== seen) {
      // someone took the lock between our read and the move: put theirs back
      writeNoClobber(file, moved ?? '', 0o644);
    } else tookOverFrom = other;
    unlinkSync(aside);
  }
  throw new Error(`cannot lock ${dir}: ${file} keeps changing`);
}
