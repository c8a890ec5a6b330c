/**
 * Uploads cannot cost more than their bytes: offsets reach at most one chunk beyond the end of
 * the file, checksums are capped (MaxChecksumBytes) and stop when the client goes away; odd
 * offsets and names get clear faults and leave no file behind.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checksumFile } from '../../src/hub/content/uploads.ts';
import { method } from '../../src/hub/registry.ts';
import { encodeCall } from '../../src/protocol/encode.ts';
import { Adler32 } from '../../src/util/adler32.ts';
import type { ClientSession } from '../../src/protocol/client.ts';
import { engines } from '../helpers/db.ts';
import { startTestHub, type TestHub } from '../helpers/hub.ts';

const MiB = 1 << 20;

/** Local folders of the tests, removed at the end. */
const made: string[] = [];
const tempDir = (prefix: string) => {
  const d = mkdtempSync(join(tmpdir(), prefix));
  made.push(d);
  return d;
};
afterAll(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

describe('checksumFile', () => {
  it('stops when the signal fires and refuses more than its limit', async () => {
    const file = join(tempDir('kojits-sum-'), 'f');
    writeFileSync(file, Buffer.alloc(3 * MiB, 7));
    expect((await checksumFile(file, 'adler32', 0, 'check', { maxBytes: 0 })).length).toBe(3 * MiB);
    const ac = new AbortController();
    ac.abort();
    await expect(checksumFile(file, 'md5', 0, 'check', { maxBytes: 0, signal: ac.signal })).rejects.toThrow('check: stopped, the client closed the connection');
    await expect(checksumFile(file, 'md5', 0, 'check', { maxBytes: 2 * MiB })).rejects.toThrow(/refusing to checksum 3145728 bytes/);
    expect(await checksumFile(file, 'md5', MiB, 'check', { maxBytes: 2 * MiB })).toMatchObject({ length: 2 * MiB });
  });
});

describe.each(engines())('upload limits on %s', (engine) => {
  let hub: TestHub;
  let user: ClientSession;
  const work = (...p: string[]) => join(hub.kojiDir, 'work', ...p);
  beforeAll(async () => {
    hub = await startTestHub(engine, { conf: '[hub]\nMaxUploadChunk = 1048576\nMaxChecksumBytes = 2097152\n' });
    const admin = await hub.login();
    await admin.call('createUser', ['uploader']);
    await admin.call('kojits.setPassword', ['uploader', 'uploader-pw']);
    user = await hub.login('uploader', 'uploader-pw');
  });
  afterAll(async () => hub?.stop());

  it('uploadWrapper: a file in one chunk needs no checkUpload; one in several is checked whole; an existing file is refused', async () => {
    const dir = tempDir('kojits-upw-');
    writeFileSync(join(dir, 'small'), 'hello');
    await user.uploadWrapper(join(dir, 'small'), 'cli-build/wrap');
    expect(readFileSync(work('cli-build/wrap/small'), 'utf8')).toBe('hello');
    await expect(user.uploadWrapper(join(dir, 'small'), 'cli-build/wrap')).rejects.toMatchObject({ message: expect.stringContaining('upload path exists') });
    writeFileSync(join(dir, 'big'), Buffer.alloc(5000, 3));
    await user.uploadWrapper(join(dir, 'big'), 'cli-build/wrap', 'big', { blocksize: 2048 });
    expect(readFileSync(work('cli-build/wrap/big')).equals(Buffer.alloc(5000, 3))).toBe(true);
    writeFileSync(join(dir, 'none'), '');
    await user.uploadWrapper(join(dir, 'none'), 'cli-build/wrap');
    expect(readFileSync(work('cli-build/wrap/none'), 'utf8')).toBe('');
  });


  it('parallel uploads: several multi-chunk files of one session side by side, sequenced calls in between, each file whole', async () => {
    const dir = tempDir('kojits-upp-');
    const files = Array.from({ length: 6 }, (_, i) => {
      const data = Buffer.alloc(9000 + i * 777);
      for (let j = 0; j < data.length; j++) data[j] = (j * 31 + i) & 0xff;
      writeFileSync(join(dir, `f${i}`), data);
      return data;
    });
    // chunks without a callnum: the sequenced calls around them keep their order and succeed
    const uploads = files.map((_, i) => user.uploadWrapper(join(dir, `f${i}`), 'cli-build/par', `f${i}`, { blocksize: 1024, parallel: true }));
    const calls = Array.from({ length: 5 }, () => user.call('getLoggedInUser'));
    await Promise.all([...uploads, ...calls]);
    for (const [i, data] of files.entries()) expect(readFileSync(work('cli-build/par', `f${i}`)).equals(data)).toBe(true);
    expect(((await user.call('getLoggedInUser')) as { name: string }).name).toBe('uploader');
    // a chunk without a callnum still needs the session
    const anon = hub.anon();
    await expect(anon.rawUpload(Buffer.from('x'), 0, 'cli-build/par', 'anon', { parallel: true })).rejects.toThrow(/logged in/);
  });
  it('refuses an offset far beyond the end of the file (a terabyte hole) and leaves no file', async () => {
    await expect(user.rawUpload(Buffer.from('x'), 1_000_000_000_000, 'cli-build/hole', 'f')).rejects.toMatchObject({
      faultCode: 1000,
      message: 'upload: offset 1000000000000 is beyond the end of f (0 bytes) by more than one chunk (1048576 bytes)',
    });
    expect(existsSync(work('cli-build/hole/f'))).toBe(false);
    await expect(user.rawUpload(Buffer.from('x'), 2 ** 62, 'cli-build/hole', 'g')).rejects.toMatchObject({ faultCode: 1000, message: expect.stringMatching(/^upload: invalid offset 46116860184273/) });
    await expect(user.rawUpload(Buffer.from('x'), 2 ** 40, 'cli-build/hole', 'g')).rejects.toMatchObject({ faultCode: 1000, message: expect.stringContaining('is beyond the end of g') });
    await expect(user.rawUpload(Buffer.from('x'), -2, 'cli-build/hole', 'g')).rejects.toMatchObject({ faultCode: 1000, message: 'upload: invalid offset -2' });
    expect(existsSync(work('cli-build/hole/g'))).toBe(false);
    // the legacy call too: offsets, and a final size that would add the hole
    await expect(user.call('uploadFile', ['cli-build/hole', 'h', 1, null, 2 ** 40, 'eA=='])).rejects.toMatchObject({ faultCode: 1000, message: expect.stringContaining('is beyond the end of h') });
    await expect(user.call('uploadFile', ['cli-build/hole', 'h', 1, null, 2n ** 62n, 'eA=='])).rejects.toMatchObject({ faultCode: 1000, message: 'Invalid offset: 4611686018427387904' });
    await expect(user.call('uploadFile', ['cli-build/hole', 'h', '4611686018427387904', null, '1000000000000', 'eA=='])).rejects.toMatchObject({ faultCode: 1000 });
    expect(existsSync(work('cli-build/hole/h'))).toBe(false);
    expect(await user.call('uploadFile', ['cli-build/hole', 'h', 1, null, 0, 'eA=='])).toBe(true);
    await expect(user.call('uploadFile', ['cli-build/hole', 'h', 2 ** 40, null, -1, ''])).rejects.toMatchObject({ message: expect.stringContaining('upload: size 1099511627776 is beyond the end of h') });
  });

  it('still appends, rewrites, and skips one lost chunk as kojid does', async () => {
    const chunk = Buffer.alloc(1000, 1);
    await user.rawUpload(chunk, 0, 'cli-build/ok', 'log');
    await user.rawUpload(chunk, 1000, 'cli-build/ok', 'log');
    await user.rawUpload(chunk, 500, 'cli-build/ok', 'log', { overwrite: true });
    expect(await user.call('checkUpload', ['cli-build/ok', 'log'])).toMatchObject({ size: 1500 });
    // a chunk was given up: the next one lands one chunk further
    await user.rawUpload(chunk, 1500 + MiB, 'cli-build/ok', 'log');
    expect(await user.call('checkUpload', ['cli-build/ok', 'log'])).toMatchObject({ size: 2500 + MiB });
    const res = await user.rawUpload(chunk, -1, 'cli-build/ok', 'log');
    expect(res).toMatchObject({ offset: 2500 + MiB, size: 1000 });
  });

  it('bounds what checkUpload reads (MaxChecksumBytes), for anonymous callers too', async () => {
    const block = Buffer.alloc(MiB, 3);
    for (let i = 0; i < 3; i++) await user.rawUpload(block, i * MiB, 'cli-build/big', 'f');
    const anon = hub.anon();
    await expect(anon.call('checkUpload', ['cli-build/big', 'f'], { verify: 'md5' })).rejects.toMatchObject({
      faultCode: 1000,
      message: 'checkUpload: refusing to checksum 3145728 bytes (more than MaxChecksumBytes, 2097152); use tail to check the end of the file',
    });
    const tail = (await anon.call('checkUpload', ['cli-build/big', 'f'], { verify: 'adler32', tail: MiB })) as Record<string, unknown>;
    expect(tail).toMatchObject({ size: 3 * MiB, sumlength: MiB, hexdigest: new Adler32().update(block).hexdigest() });
    expect(await anon.call('checkUpload', ['cli-build/big', 'f'])).toMatchObject({ size: 3 * MiB });
    await expect(anon.call('checkUpload', ['cli-build/big', 'f'], { verify: 'crc99' })).rejects.toMatchObject({ faultCode: 1000, message: expect.stringContaining('Unsupported verify type: crc99') });
    await expect(anon.call('checkUpload', ['cli-build/big', 'f'], { verify: ['md5'] })).rejects.toMatchObject({ faultCode: 1019 });
    await expect(anon.call('checkUpload', ['cli-build/big', 'f'], { verify: 'md5', tail: 1.5 })).rejects.toMatchObject({ faultCode: 1000, message: 'Invalid tail value: 1.5' });
    await expect(anon.call('checkUpload', [{ path: 1 }, 'f'])).rejects.toMatchObject({ faultCode: 1019 });
  });

  it('tells the handler when its client disconnects (the signal that stops a checksum)', async () => {
    let seen: (aborted: boolean) => void = () => undefined;
    const aborted = new Promise<boolean>((resolve) => (seen = resolve));
    hub.hub.registry.add(
      method({
        name: 'test.waitForDisconnect',
        sig: '()',
        handler: (ctx) =>
          new Promise((resolve) => {
            const signal = ctx.request.signal!;
            signal.addEventListener('abort', () => {
              seen(signal.aborted);
              resolve(null);
            });
          }),
      }),
    );
    const req = request(hub.httpUrl!, { method: 'POST', headers: { 'Content-Type': 'text/xml' } });
    req.on('error', () => undefined);
    req.end(encodeCall('test.waitForDisconnect', []));
    setTimeout(() => req.destroy(), 300);
    expect(await aborted).toBe(true);
  });

  it('refuses names and directories over 255 bytes with a fault that shows no server path', async () => {
    for (const [dir, name] of [
      ['cli-build/long', 'n'.repeat(256)],
      ['cli-build/long', 'é'.repeat(128)],
      [`cli-build/${'d'.repeat(300)}`, 'f'],
    ]) {
      const err = (await user.rawUpload(Buffer.from('x'), 0, dir, name).catch((e: unknown) => e)) as { faultCode: number; message: string };
      expect(err.faultCode).toBe(1000);
      expect(err.message).toMatch(/^Invalid upload (filename|directory): .*longer than/);
      expect(err.message).not.toContain(hub.kojiDir);
      const legacy = (await user.call('uploadFile', [dir, name, 1, null, 0, 'eA==']).catch((e: unknown) => e)) as { faultCode: number };
      expect(legacy.faultCode).toBe(1000);
    }
    // Koji's own messages name files under KojiDir: relative to it
    await user.rawUpload(Buffer.from('x'), 0, 'cli-build/twice', 'f');
    await expect(user.rawUpload(Buffer.from('x'), 0, 'cli-build/twice', 'f')).rejects.toMatchObject({ message: 'upload path exists: work/cli-build/twice/f' });
  });
});
