/**
 * The octet-stream upload endpoint (Koji's handle_upload / rawUpload): POST to the hub URL with
 * `filename`, `filepath`, `fileverify`, `offset` (-1 = append), `overwrite`, `volume` in the
 * query string and one chunk as the body. A chunk is streamed to disk; a retried chunk at the
 * same offset truncates the file there first, so an interrupted upload resumes without loss.
 * Offsets reach at most one chunk beyond the end of the file (content/uploads.ts).
 */
import type http from 'node:http';
import { constants, promises as fsp } from 'node:fs';
import { GenericError, ActionNotAllowed, ServerOffline, AuthLockError, LockError } from '../protocol/faults.ts';
import { Sql } from '../db/types.ts';
import { Session } from './auth/session.ts';
import { faultOf, type CallOutcome } from './call.ts';
import { checkUploadOffset, uploadPath, verifier } from './content/uploads.ts';
import type { Hub, RequestInfo } from './types.ts';

/**
 * Paths being written by this process (Koji takes an fcntl lock: one writer per file). A chunk
 * for a file still being written waits a little for the earlier writer: after a broken
 * connection the client resends the chunk before the hub has noticed the break.
 */
const busy = new Map<string, Promise<void>>();
const WAIT_FOR_WRITER_MS = 10_000;

export async function handleUpload(hub: Hub, info: RequestInfo, req: http.IncomingMessage): Promise<CallOutcome> {
  try {
    const sql = new Sql(hub.db);
    const session = await Session.load(hub, () => sql, info, 'rawUpload');
    if (session.lockerror) throw new AuthLockError(session.lockerror);
    if (hub.options.LockOut && !(await session.hasPerm('admin'))) throw new ServerOffline('Server disabled for maintenance');
    if (!session.loggedIn) throw new ActionNotAllowed('you must be logged-in to upload a file');
    const q = info.query;
    const name = q.get('filename');
    if (!name) throw new GenericError('upload: the filename query parameter is required');
    const offsetText = q.get('offset') ?? '0';
    if (!/^-?\d{1,20}$/.test(offsetText)) throw new GenericError(`upload: invalid offset ${JSON.stringify(offsetText.slice(0, 40))}`);
    let offset = Number(offsetText);
    const verify = q.get('fileverify') ?? '';
    const overwrite = Boolean(q.get('overwrite'));
    const declared = Number(req.headers['content-length'] ?? NaN);
    const max = hub.options.MaxUploadChunk;
    if (max > 0 && declared > max) throw new GenericError(`upload chunk too large: ${declared} bytes (the hub's MaxUploadChunk is ${max}); send smaller chunks (upload_blocksize)`);
    const fn = await uploadPath({ kojiDir: hub.kojiDir, sql, session }, q.get('filepath') ?? '', name, { create: true, volume: q.get('volume') ?? 'DEFAULT' });
    const st = await fsp.lstat(fn).catch(() => null);
    if (st) {
      if (!st.isFile()) throw new GenericError(`destination not a file: ${fn}`);
      if (offset === 0 && !overwrite) throw new GenericError(`upload path exists: ${fn}`);
    }
    checkUploadOffset(offset, st?.size ?? 0, max, name);
    const sum = verifier(verify);
    const earlier = busy.get(fn);
    if (earlier) {
      const waited = await Promise.race([earlier.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), WAIT_FOR_WRITER_MS))]);
      if (!waited || busy.has(fn)) throw new LockError(`upload of ${name} is already in progress`);
    }
    let release!: () => void;
    busy.set(fn, new Promise<void>((r) => (release = r)));
    const fh = await fsp.open(fn, constants.O_RDWR | constants.O_CREAT, 0o666);
    let size = 0;
    let written = false;
    try {
      if (offset === -1) offset = (await fh.stat()).size;
      else await fh.truncate(offset);
      let pos = offset;
      const interrupted = () => new GenericError('upload interrupted: the client closed the connection; resend this chunk');
      try {
        for await (const chunk of req as AsyncIterable<Buffer>) {
          size += chunk.length;
          if (max > 0 && size > max) throw new GenericError(`upload chunk too large: more than ${max} bytes (MaxUploadChunk)`);
          sum?.update(chunk);
          await fh.write(chunk, 0, chunk.length, pos);
          pos += chunk.length;
        }
      } catch (e) {
        // the body stream fails with 'aborted' (ECONNRESET) when the client goes away
        throw req.readableAborted || (e as { code?: string }).code === 'ECONNRESET' ? interrupted() : e;
      }
      if (req.readableAborted) throw interrupted();
      written = true;
    } finally {
      await fh.close();
      // a file this chunk created is not left behind half-written
      if (!written && !st) await fsp.rm(fn, { force: true });
      busy.delete(fn);
      release();
    }
    const ret: Record<string, string | number> = { size, fileverify: verify, offset };
    if (sum) ret.hexdigest = sum.hexdigest();
    return { ok: true, value: ret };
  } catch (e) {
    req.resume();
    return faultOf(hub, e);
  }
}
