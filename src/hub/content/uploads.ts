/**
 * Where uploads go (Koji's get_upload_path): `KojiDir/work/<filepath>/<filename>` (or the
 * volume's work dir). No '/' or leading '.' in the name, no leading '..' in the directory, no
 * name or directory component over 255 bytes; `tasks/<n>/<task_id>/…` is writable only by the
 * host running that task; any other directory remembers its first uploader in `.user` and
 * refuses everyone else.
 *
 * Also the rules that keep an upload from costing more than its bytes: an offset may lie at
 * most one chunk beyond the end of the file (no terabyte holes), and a checksum of an uploaded
 * file reads at most MaxChecksumBytes and stops when its client goes away.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync, promises as fsp } from 'node:fs';
import { join, normalize } from 'node:path';
import { createHash, type Hash } from 'node:crypto';
import { ActionNotAllowed, GenericError } from '../../protocol/faults.ts';
import type { Sql } from '../../db/types.ts';
import { PathInfo } from '../../util/pathinfo.ts';
import { Adler32 } from '../../util/adler32.ts';
import { lookupName } from '../lookup.ts';
import type { Session } from '../auth/session.ts';

/** Longest file name and upload directory (Linux NAME_MAX; a margin under PATH_MAX for KojiDir). */
const NAME_MAX = 255;
const PATH_MAX = 3072;

export interface UploadPathDeps {
  kojiDir: string;
  sql: Sql;
  session: Session;
}

export async function uploadPath(d: UploadPathDeps, reldir: string, name: string, o: { create?: boolean; volume?: string | null } = {}): Promise<string> {
  if (typeof name !== 'string' || typeof reldir !== 'string') throw new GenericError('upload path and name must be strings');
  if (name.includes('/') || name.startsWith('.') || name === '' || /[\x00-\x1f]/.test(name)) throw new GenericError(`Invalid upload filename: ${name}`);
  if (Buffer.byteLength(name) > NAME_MAX) throw new GenericError(`Invalid upload filename: longer than ${NAME_MAX} bytes: ${name.slice(0, 40)}…`);
  const rel = normalize(reldir).replace(/\/+$/, '');
  if (!rel || rel === '.' || rel.startsWith('..') || rel.startsWith('/') || /[\x00-\x1f]/.test(rel)) throw new GenericError(`Invalid upload directory: ${reldir}`);
  if (rel.split('/').some((c) => Buffer.byteLength(c) > NAME_MAX) || Buffer.byteLength(rel) > PATH_MAX) {
    throw new GenericError(`Invalid upload directory: a component is longer than ${NAME_MAX} bytes or the whole longer than ${PATH_MAX}: ${reldir.slice(0, 40)}…`);
  }
  let volume = o.volume ?? null;
  if (volume !== null && volume !== 'DEFAULT') volume = (await lookupName(d.sql, 'volume', volume, { strict: true }))!.name;
  const parts = rel.split('/');
  let checkUser = true;
  if (o.create && parts[0] === 'tasks') {
    if (parts.length < 3 || !/^\d+$/.test(parts[2])) throw new GenericError(`Invalid task upload directory: ${reldir}`);
    const taskId = Number(parts[2]);
    const hostId = await d.session.hostId();
    if (hostId === null) throw new ActionNotAllowed(`only the host running task ${taskId} may upload to ${reldir}`);
    const task = await d.sql.maybeOne<{ host_id: number | null; state: number }>('SELECT host_id, state FROM task WHERE id = $1', [taskId]);
    if (!task || task.host_id !== hostId || task.state !== 1) throw new ActionNotAllowed(`host ${hostId} does not own task ${taskId}`);
    checkUser = false;
  }
  const udir = join(new PathInfo(d.kojiDir).work(volume), rel);
  if (o.create) {
    mkdirSync(udir, { recursive: true });
    if (checkUser) {
      const owner = join(udir, '.user');
      if (existsSync(owner)) {
        const uid = Number(readFileSync(owner, 'utf8').trim());
        if (uid !== d.session.userId) throw new GenericError(`Invalid upload directory, not owner: ${reldir}`);
      } else writeFileSync(owner, String(d.session.userId));
    }
  }
  return join(udir, name);
}

/** A checksum by Koji's name: adler32, md5, sha256 (sha1 too). */
export function verifier(kind: string | null | undefined): { update(b: Uint8Array): unknown; hexdigest(): string } | null {
  if (!kind) return null;
  if (kind === 'adler32') return new Adler32();
  if (kind === 'md5' || kind === 'sha256' || kind === 'sha1') {
    const h: Hash = createHash(kind);
    return { update: (b: Uint8Array) => h.update(b), hexdigest: () => h.digest('hex') };
  }
  throw new GenericError(`Unsupported verify type: ${kind} (use adler32, md5, sha1 or sha256)`);
}

/** One chunk of slack when the hub's MaxUploadChunk is 0 (unlimited). */
const DEFAULT_CHUNK = 268435456;

/**
 * Koji's offset rules (-1 appends; any other offset truncates there and writes), but an offset
 * may lie at most one chunk beyond the end of the file: a client that gave up on one chunk goes
 * on with the next (kojid's log uploads do), while a hole of a terabyte costs the hub an hour of
 * checksumming. `size` is the file's current size (0 when absent).
 */
export function checkUploadOffset(offset: number, size: number, maxChunk: number, name: string, what = 'offset'): void {
  if (!Number.isSafeInteger(offset) || offset < -1) throw new GenericError(`upload: invalid ${what} ${offset}`);
  const slack = maxChunk > 0 ? maxChunk : DEFAULT_CHUNK;
  if (offset > size + slack) {
    throw new GenericError(`upload: ${what} ${offset} is beyond the end of ${name} (${size} bytes) by more than one chunk (${slack} bytes)`);
  }
}

/** Signal and byte limit for a checksum over an uploaded file. */
export interface ChecksumLimits {
  /** MaxChecksumBytes (0 = no limit) */
  maxBytes: number;
  /** the request's disconnect signal */
  signal?: AbortSignal;
}

/**
 * Checksum of `fn` from `start` to its end, read in 1 MiB blocks: refused up front beyond
 * MaxChecksumBytes, stopped when the client disconnects.
 */
export async function checksumFile(fn: string, kind: string, start: number, what: string, lim: ChecksumLimits): Promise<{ length: number; hexdigest: string }> {
  const v = verifier(kind);
  if (!v) throw new GenericError(`Unsupported verify type: ${kind}`);
  const fh = await fsp.open(fn, 'r');
  try {
    const total = Math.max((await fh.stat()).size - start, 0);
    if (lim.maxBytes > 0 && total > lim.maxBytes) {
      throw new GenericError(`${what}: refusing to checksum ${total} bytes (more than MaxChecksumBytes, ${lim.maxBytes}); use tail to check the end of the file`);
    }
    const buf = Buffer.alloc(1 << 20);
    let length = 0;
    for (let pos = start; length < total; ) {
      if (lim.signal?.aborted) throw new GenericError(`${what}: stopped, the client closed the connection`);
      const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, total - length), pos);
      if (bytesRead === 0) break;
      v.update(buf.subarray(0, bytesRead));
      length += bytesRead;
      pos += bytesRead;
    }
    return { length, hexdigest: v.hexdigest() };
  } finally {
    await fh.close();
  }
}
