/**
 * Kerberos (SPNEGO) logins to the web against a real MIT KDC (test/helpers/kdc.ts), the way Koji
 * runs behind Apache: the hub (in this process, TLS, AuthKeytab) forwards /koji to a `kojits web`
 * process (web.conf WebAuthType = gssapi, WebPrincipal, WebKeytab holding HTTP/localhost and the
 * web's principal), which verifies the browser's ticket and logs in to the hub for the user
 * through ProxyPrincipals. Raw Negotiate tokens (good, bad, for the wrong service), a web the hub
 * does not trust, and Debian's Chromium logging in by itself. Both engines.
 */
import https from 'node:https';
import http from 'node:http';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initiate, useKerberosFiles } from '../../src/protocol/gssapi.ts';
import { bundlePem, issueCert } from '../../src/setup/pki.ts';
import { engines } from '../helpers/db.ts';
import { startTestHub, type TestHub } from '../helpers/hub.ts';
import { kdcAvailable, localhostTls, startKdc, type Kdc } from '../helpers/kdc.ts';
import { freePort, startKojits, stopAll, type Proc } from '../cmd/proc.ts';

const CHROMIUM = '/usr/bin/chromium';
const SHOTS = resolve(import.meta.dirname, '../tmp/screenshots');
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const runIt = kdcAvailable() || process.env.CI === 'true';
const dir = mkdtempSync(join(tmpdir(), 'kojits-web-krb-'));
const ca = join(dir, 'ca.crt');
const cc: Record<string, string> = {};
let kdc: Kdc;
let hubKeytab: string;
let webKeytab: string;

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function get(url: string, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((done, fail) => {
    const req = (url.startsWith('https:') ? https : http).request(url, { ca: readFileSync(ca), headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => done({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', fail);
    req.end();
  });
}

const sessionCookie = (r: Reply) => (r.headers['set-cookie'] ?? []).map((c) => c.split(';')[0]).find((c) => c.startsWith('koji_session='));

beforeAll(async () => {
  if (!runIt) return;
  mkdirSync(SHOTS, { recursive: true });
  const { authority } = await localhostTls(dir);
  const webCert = await issueCert({ ca: authority, subject: { O: 'koji-ts', OU: 'kojiweb', CN: 'kojiweb' }, usage: 'client' });
  writeFileSync(join(dir, 'web.pem'), bundlePem(webCert));
  kdc = await startKdc({ useInThisProcess: true });
  for (const p of ['alice', 'bob', 'carol']) await kdc.addPrincipal(p, `${p}-pw`);
  for (const p of ['HTTP/localhost', 'HTTP/otherhost', 'koji/kojiweb']) await kdc.addPrincipal(p);
  hubKeytab = await kdc.keytab(join(dir, 'hub.keytab'), 'HTTP/localhost');
  // Koji's Apache layout: one keytab with HTTP/<host> (browsers' tickets) and the web's own principal
  webKeytab = await kdc.keytab(join(dir, 'httpd.keytab'), 'HTTP/localhost', 'koji/kojiweb');
  for (const p of ['alice', 'bob', 'carol']) cc[p] = await kdc.kinit(p, { password: `${p}-pw` });
}, 60_000);

afterAll(async () => {
  await stopAll();
  await kdc?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe.runIf(runIt).each(engines())('web Kerberos login on %s', (engine) => {
  let hub: TestHub;
  let web: Proc;
  let base: string;
  const socket = join(dir, `web-${engine}`, 'web.sock');

  beforeAll(async () => {
    const conf = `[hub]\nAuthKeytab = ${hubKeytab}\nAuthPrincipal = HTTP/localhost@EXAMPLE.COM\nProxyPrincipals = koji/kojiweb@EXAMPLE.COM\nProxyDNs = CN=kojiweb,OU=kojiweb,O=koji-ts\nLoginCreatesUser = True\nWebSocket = ${socket}\n`;
    hub = await startTestHub(engine, { conf, tls: { cert: join(dir, 'hub.pem'), ca } });
    base = hub.httpsUrl!.replace('127.0.0.1', 'localhost').replace(/\/kojihub$/, '');
    const webConf = join(dir, `web-${engine}.conf`);
    writeFileSync(
      webConf,
      `[web]\nKojiHubURL = ${base}/kojihub\nKojiHubCA = ${ca}\nKojiFilesURL = ${base}/kojifiles\nListenSocket = ${socket}\nSecret = kerberos-test-secret-${engine}\n` +
        `WebAuthType = gssapi\nWebPrincipal = koji/kojiweb@EXAMPLE.COM\nWebKeytab = ${webKeytab}\nLogLevel = ERROR\n`,
    );
    web = startKojits(['web', '-c', webConf], { env: kdc.env });
    await web.waitFor(/web ready/, 60_000);
  }, 90_000);

  afterAll(async () => {
    await web?.stop();
    await hub?.stop();
  });

  it('asks a browser without a ticket for one: 401 Negotiate and a page saying how', async () => {
    const r = await get(`${base}/koji/login?page=tasks`);
    expect(r.status).toBe(401);
    expect(r.headers['www-authenticate']).toBe('Negotiate');
    expect(r.body).toContain('<h1>Log in with Kerberos</h1>');
    expect(r.body).toContain('kinit');
    expect(r.body).toContain('network.negotiate-auth.trusted-uris');
    expect(r.body).toContain('href="login?method=password&amp;page=tasks"');
    // the password form stays reachable and points back to Kerberos
    const form = await get(`${base}/koji/login?method=password`);
    expect([form.status, form.body]).toEqual([200, expect.stringContaining('with your Kerberos ticket')]);
  });

  it('logs in by a Negotiate token through the hub’s proxy, with the mutual token, acting for the user at the hub', async () => {
    useKerberosFiles({ ccache: cc.alice });
    const ctx = await initiate('localhost', null);
    const r = await get(`${base}/koji/login?page=tasks`, { Authorization: `Negotiate ${ctx.token}` });
    expect([r.status, r.headers.location]).toEqual([302, '/koji/tasks']);
    const mutual = /^Negotiate (\S+)$/.exec(String(r.headers['www-authenticate']))?.[1] ?? null;
    await ctx.verify(mutual);
    const cookie = sessionCookie(r)!;
    expect((r.headers['set-cookie'] ?? []).join('')).toContain('Secure');
    const page = await get(`${base}/koji/`, { cookie });
    expect(page.body).toContain('<span>alice</span>');
    // the hub made alice from her principal (LoginCreatesUser), her session is a GSSAPI one
    const admin = await hub.login();
    expect(await admin.call('getUser', ['alice'], { krb_princs: true })).toMatchObject({ name: 'alice', krb_principals: ['alice@EXAMPLE.COM'] });
  });

  it('refuses garbage, replayed and wrong-service tokens with 401 and the reason, and keeps serving', async () => {
    useKerberosFiles({ ccache: cc.bob });
    const good = (await initiate('localhost', null)).token;
    expect((await get(`${base}/koji/login`, { Authorization: `Negotiate ${good}` })).status).toBe(302);
    const cases = [
      ['Negotiate !!!not-base64!!!', /not base64/],
      [`Negotiate ${Buffer.from('not a kerberos token').toString('base64')}`, /GSSAPI authentication failed/],
      [`Negotiate ${good}`, /GSSAPI authentication failed: .*replay/i],
      [`Negotiate ${(await initiate('otherhost', null)).token}`, /GSSAPI authentication failed/],
    ] as const;
    for (const [header, reason] of cases) {
      const r = await get(`${base}/koji/login`, { Authorization: header });
      expect(r.status, header.slice(0, 40)).toBe(401);
      expect(r.headers['www-authenticate']).toBe('Negotiate');
      expect(r.body).toMatch(/role="alert">Your browser's Kerberos ticket was refused: /);
      expect(r.body).toMatch(reason);
      expect(sessionCookie(r)).toBeUndefined();
    }
    useKerberosFiles({ ccache: cc.carol });
    const again = await get(`${base}/koji/login`, { Authorization: `Negotiate ${(await initiate('localhost', null)).token}` });
    expect(again.status).toBe(302);
  });

  it('says clearly when the hub does not let the web log users in (not in ProxyPrincipals)', async () => {
    hub.hub.options.ProxyPrincipals = 'someone/else@EXAMPLE.COM';
    try {
      useKerberosFiles({ ccache: cc.alice });
      const r = await get(`${base}/koji/login`, { Authorization: `Negotiate ${(await initiate('localhost', null)).token}` });
      expect(r.status).toBe(403);
      expect(r.body).toMatch(/The web could not log in to the hub for alice@EXAMPLE\.COM: .*koji\/kojiweb@EXAMPLE\.COM is not authorized to login other users/);
      expect(r.body).toContain('list koji/kojiweb@EXAMPLE.COM in hub.conf ProxyPrincipals');
      expect(sessionCookie(r)).toBeUndefined();
    } finally {
      hub.hub.options.ProxyPrincipals = 'koji/kojiweb@EXAMPLE.COM';
    }
  });

  /** A second `kojits web` on a port of its own with `keys` in its web.conf; its base URL. */
  async function otherWeb(name: string, keys: string): Promise<{ url: string; proc: Proc }> {
    const port = await freePort();
    const conf = join(dir, `web-${name}-${engine}.conf`);
    writeFileSync(conf, `[web]\nKojiHubCA = ${ca}\nHTTPPort = ${port}\nSecret = ${name}-test-secret\nWebAuthType = gssapi\nLogLevel = ERROR\n${keys}\n`);
    const proc = startKojits(['web', '-c', conf], { env: kdc.env });
    await proc.waitFor(/web ready/, 60_000);
    return { url: `http://localhost:${port}/koji`, proc };
  }
  const ticket = async (user: string) => {
    useKerberosFiles({ ccache: cc[user] });
    return { Authorization: `Negotiate ${(await initiate('localhost', null)).token}` };
  };

  it('with WebCert instead of WebPrincipal: logs in for the principal through ProxyDNs, which needs hub.conf AllowProxyAuthType', async () => {
    const web2 = await otherWeb('cert', `KojiHubURL = ${base}/kojihub\nWebCert = ${join(dir, 'web.pem')}\nWebKeytab = ${hubKeytab}`);
    try {
      const refused = await get(`${web2.url}/login`, await ticket('bob'));
      expect(refused.status).toBe(403);
      expect(refused.body).toMatch(/The web could not log in to the hub for bob@EXAMPLE\.COM: .*Proxy must use same auth mechanism as hub .*AllowProxyAuthType/);
      hub.hub.options.AllowProxyAuthType = true;
      const r = await get(`${web2.url}/login`, await ticket('bob'));
      expect(r.status).toBe(302);
      const page = await get(`${web2.url}/`, { cookie: sessionCookie(r)! });
      expect(page.body).toContain('<span>bob</span>');
    } finally {
      hub.hub.options.AllowProxyAuthType = false;
      await web2.proc.stop();
    }
  }, 90_000);

  it('answers 502 when the hub does not answer the web’s login, and keeps serving', async () => {
    const gone = await freePort();
    const web2 = await otherWeb('nohub', `KojiHubURL = https://localhost:${gone}/kojihub\nWebPrincipal = koji/kojiweb@EXAMPLE.COM\nWebKeytab = ${webKeytab}`);
    try {
      const r = await get(`${web2.url}/login`, await ticket('carol'));
      expect(r.status).toBe(502);
      expect(r.body).toMatch(new RegExp(`The hub at https://localhost:${gone}/kojihub does not answer`));
      expect((await get(`${web2.url}/login`)).status).toBe(401);
    } finally {
      await web2.proc.stop();
    }
  }, 90_000);

  it.skipIf(!existsSync(CHROMIUM) && process.env.CI !== 'true')('logs Chromium in by SPNEGO with the ticket kinit got', async () => {
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: [...FLAGS, '--auth-server-allowlist=localhost'], env: { ...process.env, ...kdc.env, KRB5CCNAME: cc.bob } });
    try {
      const context = await browser.newContext({ ignoreHTTPSErrors: true });
      const page = await context.newPage();
      // Chromium's first Negotiate challenge after a launch fails (ERR_UNSUPPORTED_AUTH_SCHEME)
      await page.goto(`${base}/koji/login?page=tasks`).catch(() => undefined);
      await page.goto(`${base}/koji/login?page=tasks`);
      expect(new URL(page.url()).pathname).toBe('/koji/tasks');
      await expect(page.locator('form.login span').textContent()).resolves.toBe('bob');
      await page.screenshot({ path: join(SHOTS, `kerberos-login-${engine}.png`), fullPage: true });
    } finally {
      await browser.close();
    }
  }, 60_000);

  it.skipIf(!existsSync(CHROMIUM) && process.env.CI !== 'true')('shows Chromium without a ticket the page saying how to get one', async () => {
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: [...FLAGS, '--auth-server-allowlist=localhost'], env: { ...process.env, ...kdc.env, KRB5CCNAME: `FILE:${join(dir, 'no-such-ccache')}` } });
    try {
      const page = await (await browser.newContext({ ignoreHTTPSErrors: true })).newPage();
      await page.goto(`${base}/koji/login`).catch(() => undefined);
      const r = await page.goto(`${base}/koji/login`);
      expect(r?.status()).toBe(401);
      await expect(page.locator('h1').textContent()).resolves.toBe('Log in with Kerberos');
      await page.screenshot({ path: join(SHOTS, `kerberos-no-ticket-${engine}.png`), fullPage: true });
      await page.getByRole('link', { name: 'with a password' }).click();
      await expect(page.locator('h1').textContent()).resolves.toBe('Log in');
    } finally {
      await browser.close();
    }
  }, 60_000);
});
