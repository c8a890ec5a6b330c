/**
 * Kerberos logins at /kojihub/ssllogin against a real MIT KDC (test/helpers/kdc.ts): tickets from
 * passwords and keytabs, principal → user mapping with Koji's rules, proxying, and every way a
 * token can be bad. Both engines.
 */
import https from 'node:https';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClientSession } from '../../src/protocol/client.ts';
import { AuthError } from '../../src/protocol/faults.ts';
import { encodeCall } from '../../src/protocol/encode.ts';
import { initiate, useKerberosFiles } from '../../src/protocol/gssapi.ts';
import { engines } from '../helpers/db.ts';
import { startTestHub, type TestHub } from '../helpers/hub.ts';
import { kdcAvailable, localhostTls, startKdc, type Kdc } from '../helpers/kdc.ts';

const dir = mkdtempSync(join(tmpdir(), 'kojits-krb-'));
const ca = join(dir, 'ca.crt');
let kdc: Kdc;
const cc: Record<string, string> = {};
const keytabs: Record<string, string> = {};

const runIt = kdcAvailable() || process.env.CI === 'true';

beforeAll(async () => {
  if (!runIt) return;
  await localhostTls(dir);
  kdc = await startKdc({ useInThisProcess: true });
  for (const p of ['alice', 'bob', 'carol', 'dave', 'erin']) await kdc.addPrincipal(p, `${p}-pw`);
  for (const p of ['HTTP/localhost', 'HTTP/otherhost', 'koji/kojiweb', 'compile/builder1']) await kdc.addPrincipal(p);
  keytabs.hub = await kdc.keytab(join(dir, 'hub.keytab'), 'HTTP/localhost');
  keytabs.web = await kdc.keytab(join(dir, 'web.keytab'), 'koji/kojiweb');
  keytabs.builder = await kdc.keytab(join(dir, 'builder.keytab'), 'compile/builder1');
  for (const p of ['alice', 'bob', 'carol', 'dave', 'erin']) cc[p] = await kdc.kinit(p, { password: `${p}-pw` });
}, 60_000);

afterAll(async () => {
  await kdc?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** POST sslLogin to …/ssllogin by hand, with whatever Authorization header a test wants. */
function rawLogin(hub: TestHub, authorization: string | null): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  const url = new URL(hub.httpsUrl!.replace('127.0.0.1', 'localhost') + '/ssllogin');
  const body = encodeCall('sslLogin', []);
  return new Promise((resolve, reject) => {
    const req = https.request(
      url,
      { method: 'POST', ca: readFileSync(ca), headers: { 'Content-Type': 'text/xml', 'Content-Length': Buffer.byteLength(body), ...(authorization ? { Authorization: authorization } : {}) } },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function freshToken(host = 'localhost', principal: string | null = null): Promise<string> {
  return (await initiate(host, principal)).token;
}

describe.runIf(runIt).each(engines())('Kerberos login on %s', (engine) => {
  let hub: TestHub;
  const conf = () =>
    `[hub]\nAuthKeytab = ${keytabs.hub}\nAuthPrincipal = HTTP/localhost@EXAMPLE.COM\nProxyPrincipals = koji/kojiweb@EXAMPLE.COM\nHostPrincipalFormat = compile/%s@EXAMPLE.COM\nLoginCreatesUser = True\n`;
  const session = () => new ClientSession(hub.httpsUrl!.replace('127.0.0.1', 'localhost'), { serverca: ca, maxRetries: 0 });
  const as = async (user: string, o: Parameters<ClientSession['gssapiLogin']>[0] = {}) => {
    const s = session();
    await s.gssapiLogin({ ccache: cc[user], ...o });
    return s;
  };
  const me = async (s: ClientSession) => (await s.call('getLoggedInUser')) as Record<string, unknown>;

  beforeAll(async () => {
    hub = await startTestHub(engine, { conf: conf(), tls: { cert: join(dir, 'hub.pem'), ca } });
    const admin = await hub.login();
    await admin.call('createUser', ['alice'], { krb_principal: 'alice@EXAMPLE.COM' });
    await admin.call('createUser', ['dave'], { krb_principal: 'dave@EXAMPLE.COM' });
    await admin.call('disableUser', ['dave']);
    await admin.call('addHost', ['builder1', ['x86_64']]);
  });
  afterAll(async () => hub?.stop());

  it('logs a user in with a ticket from kinit: the principal names the user, authtype GSSAPI', async () => {
    const s = await as('alice');
    expect(await me(s)).toMatchObject({ name: 'alice', authtype: 3, krb_principal: 'alice@EXAMPLE.COM' });
    expect(await s.call('getPerms')).toEqual([]);
    s.close();
  });

  it('creates an unknown principal’s user (name before the @) with LoginCreatesUser, refuses it without', async () => {
    hub.hub.options.LoginCreatesUser = false;
    await expect(as('carol')).rejects.toThrow(/Unknown user: carol@EXAMPLE\.COM/);
    hub.hub.options.LoginCreatesUser = true;
    const s = await as('carol');
    expect(await me(s)).toMatchObject({ name: 'carol', krb_principals: ['carol@EXAMPLE.COM'] });
    s.close();
    // an existing user of that name without the principal gets it added (Koji's createUserFromKerberos)
    const admin = await hub.login();
    await admin.call('createUser', ['erin']);
    const e = await as('erin');
    expect(await me(e)).toMatchObject({ name: 'erin', krb_principals: ['erin@EXAMPLE.COM'] });
    e.close();
    expect(((await admin.call('listUsers')) as Array<{ name: string }>).filter((u) => u.name.startsWith('erin'))).toHaveLength(1);
  });

  it('refuses a realm not in AllowedKrbRealms, and a disabled user', async () => {
    hub.hub.options.AllowedKrbRealms = 'OTHER.ORG, THIRD.NET';
    try {
      await expect(as('alice')).rejects.toThrow(/Kerberos principal's realm: EXAMPLE\.COM is not allowed/);
    } finally {
      hub.hub.options.AllowedKrbRealms = '*';
    }
    await expect(as('dave')).rejects.toThrow(/logins by dave are not allowed/);
  });

  it('logs a builder in with its host principal from a keytab (HostPrincipalFormat gave the host it)', async () => {
    const s = session();
    await s.gssapiLogin({ principal: 'compile/builder1@EXAMPLE.COM', keytab: keytabs.builder, ccache: `MEMORY:builder1-${engine}` });
    expect(await me(s)).toMatchObject({ name: 'builder1', usertype: 1, krb_principal: 'compile/builder1@EXAMPLE.COM' });
    expect(await s.call('getHost', ['builder1'])).toMatchObject({ name: 'builder1' });
    s.close();
  });

  it('lets a ProxyPrincipals principal log in for a user, and no one else', async () => {
    const web = session();
    await web.gssapiLogin({ principal: 'koji/kojiweb@EXAMPLE.COM', keytab: keytabs.web, ccache: `MEMORY:web-${engine}`, proxyuser: 'alice@EXAMPLE.COM', proxyauthtype: 3 });
    expect(await me(web)).toMatchObject({ name: 'alice', authtype: 3 });
    web.close();
    const bob = session();
    await expect(bob.gssapiLogin({ ccache: cc.bob, proxyuser: 'alice@EXAMPLE.COM' })).rejects.toThrow(/bob@EXAMPLE\.COM is not authorized to login other users/);
    bob.close();
  });

  it('answers a login without certificate or token with 401 Negotiate, and a good token with the mutual token', async () => {
    const none = await rawLogin(hub, null);
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toBe('Negotiate');
    useKerberosFiles({ ccache: cc.alice });
    const ok = await rawLogin(hub, `Negotiate ${await freshToken()}`);
    expect(ok.status).toBe(200);
    expect(ok.body).toContain('session-key');
    expect(String(ok.headers['www-authenticate'])).toMatch(/^Negotiate [A-Za-z0-9+/]+=*$/);
  });

  it('rejects a replayed authenticator', async () => {
    useKerberosFiles({ ccache: cc.alice });
    const token = await freshToken();
    expect((await rawLogin(hub, `Negotiate ${token}`)).status).toBe(200);
    const again = await rawLogin(hub, `Negotiate ${token}`);
    expect(again.status).toBe(401);
    expect(again.body).toMatch(/GSSAPI authentication failed: .*(replay|Request is a replay)/i);
  });

  it('refuses garbage, truncated, wrong-service and huge tokens, and keeps serving', async () => {
    useKerberosFiles({ ccache: cc.alice });
    const good = await freshToken();
    const cases = [
      ['Negotiate !!!not-base64!!!', /not base64/],
      ['Negotiate ' + Buffer.from('hello world, not a token').toString('base64'), /GSSAPI authentication failed/],
      ['Negotiate ' + good.slice(0, Math.floor(good.length / 2)), /GSSAPI authentication failed/],
      ['Negotiate ' + (await freshToken('otherhost')), /GSSAPI authentication failed/],
    ] as const;
    for (const [header, text] of cases) {
      const r = await rawLogin(hub, header);
      expect(r.status, header.slice(0, 40)).toBe(401);
      expect(r.body).toMatch(text);
    }
    const huge = await rawLogin(hub, 'Negotiate ' + 'A'.repeat(200_000)).catch((e: Error) => ({ status: 0, body: e.message, headers: {} }));
    expect([0, 401, 431]).toContain(huge.status);
    const s = await as('alice');
    expect(await me(s)).toMatchObject({ name: 'alice' });
    s.close();
  });

  it('fails a login with an expired ticket, naming the cause', async () => {
    const short = await kdc.kinit('bob', { password: 'bob-pw', lifetime: '1s' });
    await new Promise((r) => setTimeout(r, 2600));
    const s = session();
    const err = await s.gssapiLogin({ ccache: short }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthError);
    expect(String((err as Error).message)).toMatch(/gssapi auth failed: .*(expired|no ticket)/i);
    s.close();
  });
});
