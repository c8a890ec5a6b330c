/**
 * A hub killed (-9) in the middle of a multicall that imports an RPM, or while writing a signed
 * copy, leaves nothing usable in the way: the transaction is gone, the files it had placed
 * belong to no row, and the same import (or signing) succeeds on the restarted hub.
 * Real hub processes, on PGlite (a data folder) and on PostgreSQL.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { XmlRpcStruct } from '../../src/protocol/values.ts';
import { engines } from '../helpers/db.ts';
import { hubSite, type HubSite } from '../helpers/hub-process.ts';
import { readRpmHeaders } from '../../src/rpm/index.ts';
import { buildFixture, createSigningKey, removeSigningKey, signCopy, type BuiltFixture, type SigningKey } from '../rpm/build-fixtures.ts';

let hello: BuiltFixture;
let key: SigningKey;
const scratch = mkdtempSync(join(tmpdir(), 'kojits-crash-'));

beforeAll(() => {
  hello = buildFixture('hello');
  const k = createSigningKey('rsa2048');
  if (!k.ok) throw new Error(`cannot make a signing key: ${k.reason}`);
  key = k.value;
});
afterAll(() => {
  if (key) removeSigningKey(key.home);
  rmSync(scratch, { recursive: true, force: true });
});

function files(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return (readdirSync(dir, { recursive: true, encoding: 'utf8' }) as string[]).filter((f) => statSync(join(dir, f)).isFile()).sort();
}

describe.each(engines())('a hub killed mid-import on %s', (engine) => {
  let site: HubSite;
  beforeAll(async () => {
    site = await hubSite(engine);
  }, 60_000);
  afterAll(async () => site?.cleanup());

  it('kill -9 after the rpm was placed: no rows, and importing again succeeds', async () => {
    const hub = await site.start({ KOJITS_TEST_CRASH_AT: 'import:placed' });
    const admin = await site.admin(hub);
    const dir = 'crash/one';
    await admin.uploadWrapper(hello.srpm, dir);
    const died = admin.call('multiCall', [[{ methodName: 'createTag', params: ['crash-tag'] }, { methodName: 'importRPM', params: [dir, basename(hello.srpm)] }]]);
    await expect(died).rejects.toThrow();
    expect(await hub.exited).toBe('SIGKILL');
    // the scene of the crash: the rpm (and nothing else of the call) is on disk, no row owns it
    const placed = files(join(site.kojiDir, 'packages'));
    expect(placed.some((f) => f.endsWith(basename(hello.srpm)))).toBe(true);

    const again = await site.start();
    const admin2 = await site.admin(again);
    expect(await admin2.call('getTag', ['crash-tag'])).toBeNull();
    expect(await admin2.call('listBuilds')).toEqual([]);
    await admin2.uploadWrapper(hello.srpm, 'crash/two');
    const rpm = await admin2.call<XmlRpcStruct>('importRPM', ['crash/two', basename(hello.srpm)]);
    expect(rpm).toMatchObject({ name: 'hello', arch: 'src' });
    const build = await admin2.call<XmlRpcStruct>('getBuild', [rpm.build_id as number]);
    expect(build).toMatchObject({ state: 1 });
    expect(files(join(site.kojiDir, 'packages')).filter((f) => f.endsWith('.part'))).toEqual([]);
    await again.stop();
  }, 120_000);

  it('kill -9 after a signed copy was written: writing it again succeeds with checksums', async () => {
    const hub = await site.start();
    const admin = await site.admin(hub);
    const signedFile = join(scratch, basename(hello.rpms[0]));
    const s = signCopy(hello.rpms[0], signedFile, key);
    if (!s.ok) throw new Error(`cannot sign: ${s.reason}`);
    await admin.uploadWrapper(hello.rpms[0], 'crash/bin');
    const rpm = await admin.call<XmlRpcStruct>('importRPM', ['crash/bin', basename(hello.rpms[0])]);
    await admin.call('addRPMSig', [rpm.id as number, (await readRpmHeaders(signedFile)).sigHeaderBytes.toString('base64')]);
    const sigkey = key.keyId.slice(-8).toLowerCase();
    await hub.stop();

    const crashing = await site.start({ KOJITS_TEST_CRASH_AT: 'sign:placed' });
    const c = await site.admin(crashing);
    await expect(c.call('writeSignedRPM', [rpm.id as number, sigkey])).rejects.toThrow();
    expect(await crashing.exited).toBe('SIGKILL');
    expect(files(join(site.kojiDir, 'packages')).some((f) => f.includes(`data/signed/${sigkey}/`))).toBe(true);

    const again = await site.start();
    const c2 = await site.admin(again);
    await c2.call('writeSignedRPM', [rpm.id as number, sigkey]);
    const checksums = await c2.call<XmlRpcStruct>('getRPMChecksums', [rpm.id as number], { checksum_types: ['md5', 'sha256'], cacheonly: true });
    expect(Object.keys(checksums)).toContain(sigkey);
    await again.stop();
  }, 120_000);
});
