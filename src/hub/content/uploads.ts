/**
 * Where uploads go (Koji's get_upload_path): `KojiDir/work/<filepath>/<filename>` (or the
 * volume's work dir). No '/' or leading '.' in the name, no leading '..' in the directory;
 * `tasks/<n>/<task_id>/…` is writable only by the host running that task; any other
 * directory remembers its first uploader in `.user` and refuses everyone else.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, normalize } from 'node:path';
import { createHash, type Hash } from 'node:crypto';
import { ActionNotAllowed, GenericError } from '../../protocol/faults.ts';
import type { Sql } from '../../db/types.ts';
import { PathInfo } from '../../util/pathinfo.ts';
import { Adler32 } from '../../util/adler32.ts';
import { lookupName } from '../lookup.ts';
import type { Session } from '../auth/session.ts';

export interface UploadPathDeps {
  kojiDir: string;
  sql: Sql;
  session: Session;
}

export async function uploadPath(d: UploadPathDeps, reldir: string, name: string, o: { create?: boolean; volume?: string | null } = {}): Promise<string> {
  if (typeof name !== 'string' || typeof reldir !== 'string') throw new GenericError('upload path and name must be strings');
  if (name.includes('/') || name.startsWith('.') || name === '' || /[\x00-\x1f]/.test(name)) throw new GenericError(`Invalid upload filename: ${name}`);
  const rel = normalize(reldir).replace(/\/+$/, '');
  if (!rel || rel === '.' || rel.startsWith('..') || rel.startsWith('/') || /[\x00-\x1f]/.test(rel)) throw new GenericError(`Invalid upload directory: ${reldir}`);
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
