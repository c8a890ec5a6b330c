import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync, copyFileSync, rmSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { packageInfo, readRpmHeaders } from '../../src/rpm/index.ts';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Adler32 } from '../../src/util/adler32.ts';
import { engines } from '../helpers/db.ts';
import { startTestHub, type TestHub } from '../helpers/hub.ts';
import { buildFixture, createSigningKey, removeSigningKey, signCopy, type BuiltFixture, type SigningKey } from '../rpm/build-fixtures.ts';
import type { ClientSession } from '../../src/protocol/client.ts';

let hello: BuiltFixture;
let arched: BuiltFixture;
const scratch = mkdtempSync(join(tmpdir(), 'kojits-import-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

beforeAll(() => {
  hello = buildFixture('hello');
  arched = buildFixture('arched');
});

/** All files under a folder, relative. */
function tree(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return (readdirSync(dir, { recursive: true, encoding: 'utf8' }) as string[]).filter((f) => statSync(join(dir, f)).isFile()).sort();
}

async function uploadAndImport(c: ClientSession, file: string, dir = `cli-import/${Math.random().toString(36).slice(2)}`) {
  await c.uploadWrapper(file, dir);
  return c.call<Record<string, unknown>>('importRPM', [dir, basename(file)]);
}

describe.each(engines())('importing RPMs on %s', (engine) => {
  let hub: TestHub;
  let admin: ClientSession;
  beforeAll(async () => {
    hub = await startTestHub(engine);
    admin = await hub.login();
  });
  afterAll(async () => hub?.stop());

  it('imports a source RPM (creating its build) and then its binary RPMs', async () => {
    const srpm = await uploadAndImport(admin, hello.srpm);
    expect(srpm).toMatchObject({ name: 'hello', arch: 'src', external_repo_id: 0 });
    const build = (await admin.call('getBuild', [srpm.build_id as number])) as Record<string, unknown>;
    expect(build).toMatchObject({ name: 'hello', state: 1, owner_name: 'kojiadmin', epoch: 2 });
    for (const rpm of hello.rpms) {
      const r = await uploadAndImport(admin, rpm);
      expect(r.build_id).toBe(srpm.build_id);
    }
    const nvr = `hello-${build.version}-${build.release}`;
    const files = tree(join(hub.kojiDir, 'packages', 'hello'));
    expect(files).toContain(`${build.version}/${build.release}/src/${basename(hello.srpm)}`);
    for (const rpm of hello.rpms) expect(files.some((f) => f.endsWith(`noarch/${basename(rpm)}`))).toBe(true);
    // unsigned: the signature header is cached under the empty key
    expect(files.some((f) => f.includes('data/sigcache//') || f.includes('data/sigcache/'))).toBe(true);
    const sigs = (await admin.call('queryRPMSigs', [], { rpm_id: srpm.id as number })) as Array<Record<string, unknown>>;
    expect(sigs).toEqual([{ rpm_id: srpm.id, sigkey: '', sighash: expect.stringMatching(/^[0-9a-f]{32}$/) }]);
    // the upload folder was emptied
    expect(tree(join(hub.kojiDir, 'work', 'cli-import')).filter((f) => f.endsWith('.rpm'))).toEqual([]);
    expect(nvr).toMatch(/^hello-/);
  });

  it('refuses a duplicate import and leaves nothing behind', async () => {
    const before = tree(join(hub.kojiDir, 'packages'));
    const count = await admin.call('listRPMs', [], { queryOpts: { countOnly: true } }).catch(() => null);
    await expect(uploadAndImport(admin, hello.srpm)).rejects.toThrow(/RPM already imported/);
    expect(tree(join(hub.kojiDir, 'packages'))).toEqual(before);
    if (count !== null) expect(await admin.call('listRPMs', [], { queryOpts: { countOnly: true } })).toBe(count);
  });

  it('refuses a binary RPM whose build is unknown', async () => {
    const rpm = arched.rpms[0];
    await expect(uploadAndImport(admin, rpm)).rejects.toThrow('No such build');
    expect(tree(join(hub.kojiDir, 'packages')).some((f) => f.startsWith('arched/'))).toBe(false);
  });

  it('refuses truncated, non-RPM and lying files with a clear fault', async () => {
    const whole = readFileSync(arched.srpm);
    const cases: Array<[string, Buffer]> = [
      ['truncated', whole.subarray(0, 1000)],
      ['text', Buffer.from('this is not an rpm\n'.repeat(20))],
      ['empty', Buffer.alloc(0)],
    ];
    // a header whose index count lies: bump the main header's entry count
    const lying = Buffer.from(whole);
    const sigLen = lying.readUInt32BE(96 + 8) * 16 + lying.readUInt32BE(96 + 12) + 16;
    const mainStart = 96 + sigLen + ((8 - (sigLen % 8)) % 8);
    lying.writeUInt32BE(lying.readUInt32BE(mainStart + 8) + 100000, mainStart + 8);
    cases.push(['lying', lying]);
    for (const [label, bytes] of cases) {
      const f = join(scratch, label, basename(arched.srpm));
      const dir = join(scratch, label);
      if (!existsSync(dir)) mkdirSync(dir, { recursive: true });
      writeFileSync(f, bytes);
      await expect(uploadAndImport(admin, f), label).rejects.toMatchObject({ faultCode: 1020, message: expect.stringContaining('not a valid RPM') });
    }
    expect(await admin.call('getBuild', [{ name: 'arched', version: '1.0', release: '1' }]).catch(() => null)).toBeFalsy();
  });

  it('resumes an upload interrupted in the middle of a chunk', async () => {
    const data = readFileSync(arched.srpm);
    const dir = 'cli-import/resume-test';
    const half = Math.floor(data.length / 2);
    await admin.rawUpload(data.subarray(0, half), 0, dir, basename(arched.srpm));
    // the second chunk breaks off after a few bytes
    const sinfo = admin.sinfo!;
    const url = new URL(hub.httpUrl!);
    url.search = new URLSearchParams({ filename: basename(arched.srpm), filepath: dir, fileverify: 'adler32', offset: String(half) }).toString();
    await new Promise<void>((resolve) => {
      const req = request(url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': String(data.length - half), 'Koji-Session-Id': String(sinfo['session-id']), 'Koji-Session-Key': sinfo['session-key'], 'Koji-Session-Callnum': '900' },
      });
      req.on('error', () => resolve());
      req.write(data.subarray(half, half + 100));
      setTimeout(() => {
        req.destroy();
        resolve();
      }, 200);
    });
    // the client retries the same chunk at the same offset
    const res = await admin.rawUpload(data.subarray(half), half, dir, basename(arched.srpm));
    expect(res).toMatchObject({ size: data.length - half, offset: half });
    const check = (await admin.call('checkUpload', [dir, basename(arched.srpm)], { verify: 'adler32' })) as Record<string, unknown>;
    expect(check.size).toBe(data.length);
    expect(check.hexdigest).toBe(new Adler32().update(data).hexdigest());
    const r = await admin.call<Record<string, unknown>>('importRPM', [dir, basename(arched.srpm)]);
    expect(r.arch).toBe('src');
  });

  it('refuses bad upload targets', async () => {
    await expect(admin.rawUpload(Buffer.from('x'), 0, '../etc', 'passwd')).rejects.toThrow('Invalid upload directory');
    await expect(admin.rawUpload(Buffer.from('x'), 0, 'cli-import/x', '.hidden')).rejects.toThrow('Invalid upload filename');
    await expect(hub.anon().rawUpload(Buffer.from('x'), 0, 'cli-import/x', 'a')).rejects.toThrow('you must be logged in');
    await admin.rawUpload(Buffer.from('abc'), 0, 'cli-import/once', 'f');
    await expect(admin.rawUpload(Buffer.from('abc'), 0, 'cli-import/once', 'f')).rejects.toThrow('upload path exists');
    // another user may not write into this user's upload folder
    await admin.call('createUser', ['uploader2']);
    await admin.call('kojits.setPassword', ['uploader2', 'uploader2-pw']);
    const other = await hub.login('uploader2', 'uploader2-pw');
    await expect(other.rawUpload(Buffer.from('abc'), 0, 'cli-import/once', 'g')).rejects.toThrow('not owner');
    await expect(other.rawUpload(Buffer.from('abc'), 0, 'tasks/1/1', 'g')).rejects.toThrow(/task 1/);
  });

  it('legacy uploadFile writes base64 chunks and verifies them', async () => {
    const content = Buffer.from('hello world, legacy upload\n');
    const md5 = createHash('md5').update(content).digest('hex');
    expect(await admin.call('uploadFile', ['cli-import/legacy', 'f.txt', content.length, md5, 0, content.toString('base64')])).toBe(true);
    expect(await admin.call('uploadFile', ['cli-import/legacy', 'f.txt', content.length, md5, -1, '', null, ['md5', md5]])).toBe(true);
    expect(await admin.call('uploadFile', ['cli-import/legacy', 'g.txt', 3, 'wrong', 0, content.toString('base64')])).toBe(false);
    expect(((await admin.call('checkUpload', ['cli-import/legacy', 'f.txt'])) as Record<string, unknown>).size).toBe(content.length);
  });

  it('imports a signature header and writes a signed copy identical to rpmsign output', async (t) => {
    const k = createSigningKey('rsa2048');
    if (!k.ok) return t.skip(k.reason);
    const key: SigningKey = k.value;
    try {
      const rpm = hello.rpms[0];
      const signedFile = join(scratch, 'signed', basename(rpm));
      mkdirSync(join(scratch, 'signed'), { recursive: true });
      const s = signCopy(rpm, signedFile, key);
      if (!s.ok) return t.skip(s.reason);
      const pkg = await readRpmHeaders(signedFile);
      const info = packageInfo(pkg);
      const rinfo = (await admin.call('getRPM', [`${info.name}-${info.version}-${info.release}.${info.arch}`], { strict: true })) as Record<string, number>;
      const rpmId = rinfo.id;
      await admin.call('addRPMSig', [rpmId, pkg.sigHeaderBytes.toString('base64')]);
      await expect(admin.call('addRPMSig', [rpmId, pkg.sigHeaderBytes.toString('base64')])).rejects.toThrow('Signature already exists');
      const sigkey = key.keyId.slice(-8).toLowerCase();
      const sigs = (await admin.call('queryRPMSigs', [], { rpm_id: rpmId, sigkey })) as Array<Record<string, unknown>>;
      expect(sigs).toHaveLength(1);
      await admin.call('writeSignedRPM', [rpmId, sigkey]);
      const written = tree(join(hub.kojiDir, 'packages', 'hello')).find((f) => f.includes(`data/signed/${sigkey}/`));
      expect(written).toBeDefined();
      expect(readFileSync(join(hub.kojiDir, 'packages', 'hello', written!)).equals(readFileSync(signedFile))).toBe(true);
      // a signature header of another package is refused
      const other = await readRpmHeaders(arched.srpm);
      await expect(admin.call('addRPMSig', [rpmId, other.sigHeaderBytes.toString('base64')])).rejects.toThrow('wrong md5');
    } finally {
      removeSigningKey(key.home);
    }
  });

  it('records external RPMs', async () => {
    await hub.db.rawQuery("INSERT INTO external_repo (name) VALUES ('fedora-ext')");
    const info = { name: 'ext', version: '1', release: '1', epoch: null, arch: 'x86_64', payloadhash: 'ab'.repeat(16), size: 10, buildtime: 1700000000 };
    await admin.call('addExternalRPM', [info, 'fedora-ext']);
    await expect(admin.call('addExternalRPM', [info, 'fedora-ext'])).rejects.toThrow('external rpm already exists');
    await expect(admin.call('addExternalRPM', [{ ...info, size: 'big' }, 'fedora-ext'])).rejects.toThrow('Invalid value for size');
  });

  it('only admins import', async () => {
    await admin.call('createUser', ['importer']).catch(() => undefined);
    await admin.call('kojits.setPassword', ['importer', 'importer-pw']);
    const u = await hub.login('importer', 'importer-pw');
    await expect(u.call('importRPM', ['x', 'y.rpm'])).rejects.toMatchObject({ faultCode: 1004 });
  });

  it('keeps a copy of the fixture untouched', () => {
    copyFileSync(hello.srpm, join(scratch, 'copy.rpm'));
    expect(readFileSync(join(scratch, 'copy.rpm')).equals(readFileSync(hello.srpm))).toBe(true);
  });
});
