/**
 * write-signed-rpm and list-signed with a real signature (rpmsign with a throwaway key) stored
 * on a build's rpm; outputs and failures as the stock CLI prints them (each command here was run with the
 * stock 1.35.3 CLI against the same hub and printed the same).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readRpmHeaders } from '../../src/rpm/index.ts';
import { engines } from '../helpers/db.ts';
import { startTestHub, type TestHub } from '../helpers/hub.ts';
import { cliFor, expectUsageError, type CliRunner } from '../helpers/cli.ts';
import { buildsScenario, type Scenario } from '../helpers/build-content.ts';
import { buildFixture, createSigningKey, removeSigningKey, signCopy, SKIP_RPMBUILD_TESTS, type BuiltFixture, type SigningKey } from '../rpm/build-fixtures.ts';

describe.skipIf(SKIP_RPMBUILD_TESTS).each(engines())('signed copies on %s', (engine) => {
  let hub: TestHub;
  let cli: CliRunner;
  let S: Scenario;
  let hello: BuiltFixture;
  let key: SigningKey | null = null;
  let signedFile = '';
  let sigkey = '';
  const scratch = mkdtempSync(join(tmpdir(), 'kojits-signed-'));
  beforeAll(async () => {
    hello = buildFixture('hello');
    hub = await startTestHub(engine);
    cli = cliFor(hub);
    const admin = await hub.login();
    S = await buildsScenario(hub, admin, { hello, arched: buildFixture('arched') });
    const k = createSigningKey('rsa2048');
    if (!k.ok) return;
    key = k.value;
    signedFile = join(scratch, basename(hello.rpms[0]));
    if (!signCopy(hello.rpms[0], signedFile, key).ok) return;
    sigkey = key.keyId.slice(-8).toLowerCase();
    await admin.call('addRPMSig', [S.helloRpms[0], (await readRpmHeaders(signedFile)).sigHeaderBytes.toString('base64')]);
  });
  afterAll(async () => {
    await hub?.stop();
    if (key) removeSigningKey(key.home);
    rmSync(scratch, { recursive: true, force: true });
  });

  const signedPath = () => `${hub.kojiDir}/packages/hello/1.2/3/data/signed/${sigkey}/noarch/${basename(hello.rpms[0])}`;

  it('lists no copy before one is written (with --debug, says so)', async (t) => {
    if (!sigkey) return t.skip('no rpmsign/gpg');
    expect(await cli.run('list-signed', '--build', 'hello-1.2-3')).toMatchObject({ exitCode: 0, output: '', error: '' });
    expect((await cli.run('list-signed', '--debug', '--rpm', String(S.helloRpms[0]))).output).toBe(`No copy: ${signedPath()}\n`);
  });

  it('write-signed-rpm writes the copy rpmsign would have made; list-signed then shows it', async (t) => {
    if (!sigkey) return t.skip('no rpmsign/gpg');
    const r = await cli.run('write-signed-rpm', sigkey.toUpperCase(), 'hello-1.2-3.noarch');
    expect(r).toMatchObject({ exitCode: 0, output: '[1/1] hello-1.2-3.noarch\n', error: '' });
    expect(readFileSync(signedPath()).equals(readFileSync(signedFile))).toBe(true);
    expect((await cli.run('list-signed', '--build', 'hello-1.2-3')).output).toBe(`${signedPath()}\n`);
    expect((await cli.run('list-signed', '--rpm', 'hello-1.2-3.noarch', '--key', sigkey)).output).toBe(`${signedPath()}\n`);
    expect((await cli.run('list-signed', '--rpm', 'hello-1.2-3.noarch', '--key', 'ffffffff')).output).toBe('');
    expect((await cli.run('write-signed-rpm', '--all', sigkey)).output).toBe('[1/1] hello-1.2-3.noarch\n');
  });

  it('write-signed-rpm takes a build N-V-R or --buildid, and fails on rpms without that signature', async () => {
    const r = await cli.run('write-signed-rpm', '--buildid', String(S.hello), 'deadbeef');
    expect(r.output).toBe('[1/2] hello-1.2-3.noarch\n[2/2] hello-1.2-3.src\n');
    expect(r.exitCode).toBe(1);
    expect(r.error).toMatch(/^\[ERROR\] koji: GenericError: .*deadbeef/);
    const b = await cli.run('write-signed-rpm', 'deadbeef', 'hello-1.2-3.noarch', 'nope-1-1.noarch');
    expect(b).toMatchObject({ exitCode: 1, output: '', error: '[ERROR] koji: GenericError: No such rpm or build: nope-1-1.noarch\n' });
    expectUsageError(await cli.run('write-signed-rpm'), 'write-signed-rpm [options] <signature-key> <n-v-r> [<n-v-r> ...]', 'A signature key must be specified');
    expectUsageError(await cli.run('write-signed-rpm', 'abc'), 'write-signed-rpm [options] <signature-key> <n-v-r> [<n-v-r> ...]', 'At least one RPM must be specified');
  });

  it('list-signed --tag dies as the stock CLI does', async () => {
    // an unsigned rpm in the tag: the stock CLI takes [0] of its empty signature list
    expect((await cli.run('list-signed', '--tag', 'f40')).error).toBe('[ERROR] koji: IndexError: list index out of range\n');
    expect((await cli.run('list-signed', '--tag', 'f40', '--key', 'abc')).error).toBe('[ERROR] koji: TypeError: list.append() takes no keyword arguments\n');
    expectUsageError(await cli.run('list-signed'), 'list-signed [options]', 'At least one from --build, --rpm, --tag needs to be specified.');
  });
});
