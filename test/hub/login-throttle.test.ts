/**
 * Password logins: a refusal costs the same whether the user exists, has no password or gave
 * a wrong one; repeated failures are slowed down per user name and per client address
 * (LoginFailureLimit, LoginAddressFailureLimit), with an AuthError that says how long to wait;
 * certificate logins are never throttled; login is not available inside a multicall.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClientSession } from '../../src/protocol/client.ts';
import { AuthError } from '../../src/protocol/faults.ts';
import { bundlePem, createCA, issueCert } from '../../src/setup/pki.ts';
import { engines } from '../helpers/db.ts';
import { ADMIN, ADMIN_PASSWORD, startTestHub, type TestHub } from '../helpers/hub.ts';

const dir = mkdtempSync(join(tmpdir(), 'kojits-throttle-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function timeOf(fn: () => Promise<unknown>): Promise<number> {
  const t = process.hrtime.bigint();
  await fn().catch(() => undefined);
  return Number(process.hrtime.bigint() - t) / 1e6;
}

function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

describe.each(engines())('password login hardening on %s', (engine) => {
  let hub: TestHub;
  let admin: ClientSession;
  let certFile: string;

  beforeAll(async () => {
    const ca = await createCA({ subject: { O: 'koji-ts', OU: 'ca', CN: 'test CA' } });
    writeFileSync(join(dir, 'ca.crt'), ca.certPem);
    const server = await issueCert({ ca, subject: { O: 'koji-ts', OU: 'hub', CN: 'localhost' }, usage: 'server', altNames: [{ dns: 'localhost' }, { ip: '127.0.0.1' }] });
    writeFileSync(join(dir, 'hub.pem'), bundlePem(server));
    certFile = join(dir, `carol-${engine}.pem`);
    writeFileSync(certFile, bundlePem(await issueCert({ ca, subject: { O: 'koji-ts', OU: 'users', CN: 'carol' }, usage: 'client' })));
    hub = await startTestHub(engine, {
      conf: '[hub]\nLoginFailureLimit = 3\nLoginAddressFailureLimit = 40\nLoginThrottleMaxDelay = 1\n',
      tls: { cert: join(dir, 'hub.pem'), ca: join(dir, 'ca.crt') },
    });
    admin = await hub.login();
    await admin.call('createUser', ['bob']);
    await admin.call('kojits.setPassword', ['bob', 'bob-pass-1']);
    await admin.call('createUser', ['carol']); // certificate only: no password
    for (const u of ['timing1', 'timing2', 'timing3']) await admin.call('createUser', [u]);
    await admin.call('kojits.setPassword', ['timing1', 'timing-pass-1']);
  });
  afterAll(async () => hub?.stop());

  it('a wrong password costs the same for an existing user, an unknown one and a certificate-only one', async () => {
    const attempt = (user: string) => timeOf(() => hub.anon().login(user, 'wrong-password'));
    const existing: number[] = [];
    const unknown: number[] = [];
    const certOnly: number[] = [];
    await attempt('warm-up');
    // at most two tries per name, so no name reaches the throttle
    for (let round = 0; round < 4; round++) {
      existing.push(await attempt(round < 2 ? 'timing1' : 'kojiadmin'));
      unknown.push(await attempt(`nobody${round}`));
      certOnly.push(await attempt(round < 2 ? 'timing2' : 'timing3'));
    }
    const e = median(existing);
    // before: ~41 ms for an existing user, ~1 ms for the others
    for (const other of [median(unknown), median(certOnly)]) {
      expect(other / e).toBeGreaterThan(0.4);
      expect(other / e).toBeLessThan(2.5);
    }
  });

  it('after LoginFailureLimit failures a user must wait, even with the right password; then it works', async () => {
    for (let i = 0; i < 3; i++) await expect(hub.anon().login('bob', `nope-${i}`)).rejects.toThrow('invalid username or password');
    const refused = await hub.anon().login('bob', 'bob-pass-1').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(AuthError);
    expect((refused as Error).message).toMatch(/^too many failed logins for user bob; try again in [1-9]\d* seconds$/);
    // other users are not affected
    await (await hub.login()).logout();
    await new Promise((r) => setTimeout(r, 1200));
    const c = await hub.login('bob', 'bob-pass-1');
    expect(await c.call('getLoggedInUser')).toMatchObject({ name: 'bob' });
    // a success forgets the failures: the next wrong one is not throttled
    await expect(hub.anon().login('bob', 'nope-again')).rejects.toThrow('invalid username or password');
  });

  it('failures from one address under many names throttle that address; certificates still log in', async () => {
    let refused = 0;
    for (let i = 0; i < 40 && !refused; i++) {
      const e = await hub.anon().login(`spray${i}`, 'x').catch((x: unknown) => x as Error);
      if (/^too many failed logins from 127\.0\.0\.1/.test(e?.message ?? '')) refused = i;
      else expect(e?.message).toBe('invalid username or password');
    }
    expect(refused).toBeGreaterThan(0);
    await expect(hub.anon().login(ADMIN, ADMIN_PASSWORD)).rejects.toThrow(/^too many failed logins from 127\.0\.0\.1; try again in \d+ seconds$/);
    const s = new ClientSession(hub.httpsUrl!, { cert: certFile, serverca: join(dir, 'ca.crt'), maxRetries: 0 });
    await s.sslLogin();
    expect(await s.call('getLoggedInUser')).toMatchObject({ name: 'carol' });
    s.close();
    await new Promise((r) => setTimeout(r, 1200));
    await (await hub.login()).logout();
  });

  it('login cannot hide in a multicall', async () => {
    const r = await hub.anon().call<Array<Record<string, unknown>>>('multiCall', [[{ methodName: 'login', params: ['bob', 'bob-pass-1'] }]]);
    expect(r[0]).toMatchObject({ faultCode: 1000, faultString: 'login cannot be called inside a multicall; call it on its own' });
  });
});
