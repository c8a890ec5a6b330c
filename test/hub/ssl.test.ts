import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClientSession } from '../../src/protocol/client.ts';
import { AuthError } from '../../src/protocol/faults.ts';
import { bundlePem, createCA, issueCert, type CertAndKey } from '../../src/setup/pki.ts';
import { engines } from '../helpers/db.ts';
import { startTestHub, type TestHub } from '../helpers/hub.ts';

const dir = mkdtempSync(join(tmpdir(), 'kojits-ssl-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const files: Record<string, string> = {};
let ca: CertAndKey;

async function clientCert(name: string, o: { ca?: CertAndKey; ou?: string; days?: number } = {}): Promise<string> {
  const ck = await issueCert({ ca: o.ca ?? ca, subject: { O: 'koji-ts', OU: o.ou ?? 'users', CN: name }, usage: 'client', days: o.days });
  const f = join(dir, `${name}-${Object.keys(files).length}.pem`);
  writeFileSync(f, bundlePem(ck));
  files[f] = name;
  return f;
}

beforeAll(async () => {
  ca = await createCA({ subject: { O: 'koji-ts', OU: 'ca', CN: 'test CA' } });
  writeFileSync(join(dir, 'ca.crt'), ca.certPem);
  const server = await issueCert({ ca, subject: { O: 'koji-ts', OU: 'hub', CN: 'localhost' }, usage: 'server', altNames: [{ dns: 'localhost' }, { ip: '127.0.0.1' }] });
  writeFileSync(join(dir, 'hub.pem'), bundlePem(server));
});

describe.each(engines())('certificate login on %s', (engine) => {
  let hub: TestHub;
  const conf = `[hub]\nProxyDNs = CN=kojiweb,OU=kojiweb,O=koji-ts\nLoginCreatesUser = True\n`;
  const session = (cert: string) => new ClientSession(hub.httpsUrl!, { cert, serverca: join(dir, 'ca.crt'), maxRetries: 0 });

  beforeAll(async () => {
    hub = await startTestHub(engine, { conf, tls: { cert: join(dir, 'hub.pem'), ca: join(dir, 'ca.crt') } });
  });
  afterAll(async () => hub?.stop());

  it('logs in with the CN as user name, creating the user on first login', async () => {
    const s = session(await clientCert('alice'));
    await s.sslLogin();
    const me = (await s.call('getLoggedInUser')) as Record<string, unknown>;
    expect(me).toMatchObject({ name: 'alice', authtype: 2 });
    s.close();
  });

  it('sslLogin through the plain hub URL is rewritten to https …/ssllogin by the client', async () => {
    const s = new ClientSession(hub.httpUrl!, { cert: await clientCert('bob'), serverca: join(dir, 'ca.crt'), maxRetries: 0 });
    // the plain URL is http on another port; the client only switches the scheme, as Koji's does
    await expect(s.sslLogin()).rejects.toThrow(AuthError);
    s.close();
  });

  it('refuses a certificate from another CA, saying why', async () => {
    const other = await createCA({ subject: { O: 'evil', OU: 'ca', CN: 'other CA' } });
    const s = session(await clientCert('mallory', { ca: other }));
    await expect(s.sslLogin()).rejects.toThrow(/could not verify client: FAILED:/);
    s.close();
  });

  it('refuses an expired certificate', async () => {
    const s = session(await clientCert('oldtimer', { days: -1 }));
    await expect(s.sslLogin()).rejects.toThrow(/could not verify client: FAILED:.*(expired|not yet valid)/i);
    s.close();
  });

  it('lets the web proxy log in as another user only when its DN is in ProxyDNs', async () => {
    const web = session(await clientCert('kojiweb', { ou: 'kojiweb' }));
    await web.sslLogin('carol');
    expect(((await web.call('getLoggedInUser')) as Record<string, unknown>).name).toBe('carol');
    web.close();
    const notWeb = session(await clientCert('dave'));
    await expect(notWeb.sslLogin('carol')).rejects.toThrow('CN=dave,OU=users,O=koji-ts is not authorized to login other users');
    notWeb.close();
  });

  it('a proxied login creates only users that createUser would accept', async () => {
    const web = session(await clientCert('kojiweb', { ou: 'kojiweb' }));
    for (const [name, why] of [
      ['evil user', 'Name evil user does not match RegexUserName value'],
      ['tab\tname', 'Name tab\tname does not match RegexUserName value'],
      ['x'.repeat(5000), `Name ${'x'.repeat(100)}… is too long. Max length is 256 characters`],
    ]) {
      await expect(web.call('sslLogin', [], { proxyuser: name })).rejects.toMatchObject({ faultCode: 1000, message: why });
      expect(await hub.anon().call('getUser', [name])).toBeNull();
    }
    web.close();
  });

  it('anonymous calls work over HTTPS without a certificate', async () => {
    const s = new ClientSession(hub.httpsUrl!, { serverca: join(dir, 'ca.crt'), maxRetries: 0 });
    expect(await s.call('getAPIVersion')).toBe(1);
    await expect(s.call('sslLogin', [], { proxyuser: null })).rejects.toThrow('could not verify client: NONE');
    s.close();
  });
});

describe.each(engines())('certificate login policy options on %s', (engine) => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startTestHub(engine, { conf: '[hub]\nLoginCreatesUser = False\n', tls: { cert: join(dir, 'hub.pem'), ca: join(dir, 'ca.crt') } });
  });
  afterAll(async () => hub?.stop());

  it('refuses unknown users when LoginCreatesUser is off', async () => {
    const s = new ClientSession(hub.httpsUrl!, { cert: await clientCert('stranger'), serverca: join(dir, 'ca.crt'), maxRetries: 0 });
    await expect(s.sslLogin()).rejects.toThrow('Unknown user: stranger');
    s.close();
  });

  it('logs in existing users', async () => {
    const s = new ClientSession(hub.httpsUrl!, { cert: await clientCert('kojiadmin'), serverca: join(dir, 'ca.crt'), maxRetries: 0 });
    await s.sslLogin();
    expect(await s.call('hasPerm', ['admin'])).toBe(true);
    s.close();
  });
});

describe.each(engines())('DNUsernameComponent on %s', (engine) => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startTestHub(engine, { conf: '[hub]\nDNUsernameComponent = UID\n', tls: { cert: join(dir, 'hub.pem'), ca: join(dir, 'ca.crt') } });
  });
  afterAll(async () => hub?.stop());

  it('fails clearly when the certificate lacks the configured component', async () => {
    const s = new ClientSession(hub.httpsUrl!, { cert: await clientCert('nouid'), serverca: join(dir, 'ca.crt'), maxRetries: 0 });
    await expect(s.sslLogin()).rejects.toThrow('unable to get user information (UID) from client certificate');
    s.close();
  });
});
