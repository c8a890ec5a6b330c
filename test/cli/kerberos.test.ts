/**
 * The koji CLI logging in with Kerberos, as the stock CLI decides it: `authtype = kerberos`, or no
 * authtype and neither certificate nor user (Koji's default); tickets from kinit's credentials
 * cache, or from a keytab for `principal`. A real KDC (test/helpers/kdc.ts), both engines.
 */
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.ts';
import { engines } from '../helpers/db.ts';
import { startTestHub, type TestHub } from '../helpers/hub.ts';
import { kdcAvailable, localhostTls, startKdc, type Kdc } from '../helpers/kdc.ts';

const dir = mkdtempSync(join(tmpdir(), 'kojits-cli-krb-'));
const ca = join(dir, 'ca.crt');
let kdc: Kdc;
let aliceCache = '';
let aliceKeytab = '';
const runIt = kdcAvailable() || process.env.CI === 'true';

beforeAll(async () => {
  if (!runIt) return;
  await localhostTls(dir);
  kdc = await startKdc({ useInThisProcess: true });
  await kdc.addPrincipal('alice', 'alice-pw');
  await kdc.addPrincipal('HTTP/localhost');
  await kdc.keytab(join(dir, 'hub.keytab'), 'HTTP/localhost');
  aliceKeytab = await kdc.keytab(join(dir, 'alice.keytab'), 'alice');
  aliceCache = await kdc.kinit('alice', { password: 'alice-pw' });
}, 60_000);

afterAll(async () => {
  await kdc?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe.runIf(runIt).each(engines())('koji CLI with Kerberos on %s', (engine) => {
  let hub: TestHub;
  let conf: string;
  const koji = (profile: string, ...args: string[]) => runCli(['-c', conf, '-p', profile, ...args], { prompt: async () => '' });

  beforeAll(async () => {
    hub = await startTestHub(engine, { conf: `[hub]\nAuthKeytab = ${join(dir, 'hub.keytab')}\n`, tls: { cert: join(dir, 'hub.pem'), ca } });
    const server = hub.httpsUrl!.replace('127.0.0.1', 'localhost');
    conf = join(dir, `koji-${engine}.conf`);
    const common = `server = ${server}\nserverca = ${ca}\nmax_retries = 0\n`;
    writeFileSync(
      conf,
      `[krb]\n${common}authtype = kerberos\n\n[default-auth]\n${common}\n[keytab]\n${common}authtype = kerberos\nprincipal = alice@EXAMPLE.COM\nkeytab = ${aliceKeytab}\n`,
    );
  });
  afterAll(async () => hub?.stop());

  it('logs in with the ticket kinit left (authtype = kerberos, and by default)', async () => {
    process.env.KRB5CCNAME = aliceCache;
    for (const profile of ['krb', 'default-auth']) {
      const r = await koji(profile, 'moshimoshi');
      expect(r.exitCode, r.error).toBe(0);
      expect(r.output).toMatch(/, alice!/);
      expect(r.output).toContain('Authenticated via GSSAPI');
    }
  });

  it('logs in as `principal` with tickets from `keytab`', async () => {
    process.env.KRB5CCNAME = `MEMORY:cli-${engine}`;
    const r = await koji('keytab', 'call', 'getLoggedInUser');
    expect(r.exitCode, r.error).toBe(0);
    expect(r.output).toMatch(/'name': 'alice'/);
    expect(r.output).toMatch(/'authtype': 3/);
  });

  it('says why when there is no ticket', async () => {
    process.env.KRB5CCNAME = `FILE:${join(dir, 'no-such-cache')}`;
    const r = await koji('krb', 'moshimoshi');
    expect(r.exitCode).toBe(1);
    expect(r.error).toMatch(/GSSAPIAuthError: unable to obtain a session \(gssapi auth failed: GSSAPI: no ticket for HTTP@localhost/);
  });
});
