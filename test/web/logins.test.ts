/**
 * Web logins against a real hub (both engines): a login lasts LoginTimeout hours and then its
 * cookie names nothing and its hub session is gone; a cookie with a wrong signature or from
 * another Secret names nothing; without Secret logins are refused with a clear message. How
 * browsers log in (WebAuthType) as kojiweb derives it, and an unreadable WebKeytab refused at start.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseWebConfig, webAuthType } from '../../src/config/web.ts';
import { setUpWebKerberos } from '../../src/web/kerberos.ts';
import { ClientSession, type SessionInfo } from '../../src/protocol/client.ts';
import { COOKIE, Logins } from '../../src/web/logins.ts';
import { engines } from '../helpers/db.ts';
import { ADMIN, ADMIN_PASSWORD, startTestHub, type TestHub } from '../helpers/hub.ts';

describe.each(engines())('web logins on %s', (engine) => {
  let hub: TestHub;
  const conf = (extra: string) => parseWebConfig(`[web]\nKojiHubURL = ${hub.httpUrl}\nHTTPPort = 1\nLoginTimeout = 2\n${extra}\n`, 'web.conf');

  beforeAll(async () => {
    hub = await startTestHub(engine);
  });
  afterAll(async () => hub?.stop());

  it('a login ends after LoginTimeout hours, and its hub session with it', async () => {
    let now = Date.now();
    const logins = new Logins(conf('Secret = s3cret-one'), () => now);
    const l = await logins.password(ADMIN, ADMIN_PASSWORD);
    expect(l.user).toBe(ADMIN);
    const cookie = `${COOKIE}=${logins.cookieValue(l)}`;
    const sinfo = { ...(l.hub.sinfo as SessionInfo) };
    now += 2 * 3600_000 - 1000;
    expect(logins.fromCookies(`other=1; ${cookie}`)?.sid).toBe(l.sid);
    now += 2000;
    expect(logins.fromCookies(cookie)).toBeNull();
    // the hub no longer knows the session
    const old = new ClientSession(hub.httpUrl as string, { maxRetries: 0 });
    old.setSession(sinfo);
    await expect.poll(() => old.call('getLoggedInUser').then((u) => u, (e: Error) => e.name)).not.toMatchObject({ name: ADMIN });
  });

  it('refuses cookies with a wrong signature or signed with another Secret', async () => {
    const a = new Logins(conf('Secret = s3cret-one'));
    const b = new Logins(conf('Secret = s3cret-two'));
    const l = await a.password(ADMIN, ADMIN_PASSWORD);
    const [sid, sig] = a.cookieValue(l).split('.');
    expect(a.fromCookies(`${COOKIE}=${sid}.${sig}`)?.user).toBe(ADMIN);
    expect(a.fromCookies(`${COOKIE}=${sid}.${sig.slice(1)}x`)).toBeNull();
    expect(a.fromCookies(`${COOKIE}=${sid}`)).toBeNull();
    expect(b.fromCookies(`${COOKIE}=${sid}.${sig}`)).toBeNull();
    await a.closeAll();
  });

  it('refuses a wrong password and, without Secret, any login', async () => {
    const a = new Logins(conf('Secret = s3cret-one'));
    await expect(a.password(ADMIN, 'wrong')).rejects.toMatchObject({ name: 'AuthError' });
    const none = new Logins(conf(''));
    expect(none.enabled).toBe(false);
    await expect(none.password(ADMIN, ADMIN_PASSWORD)).rejects.toMatchObject({ status: 503, message: expect.stringContaining('web.conf Secret') });
    const disabled = new Logins(conf('Secret = x\nLoginDisabled = true'));
    await expect(disabled.password(ADMIN, ADMIN_PASSWORD)).rejects.toMatchObject({ status: 403 });
  });
});

describe('web.conf Kerberos keys', () => {
  const conf = (extra: string) => parseWebConfig(`[web]\nHTTPPort = 1\n${extra}\n`, 'web.conf');

  it('derives WebAuthType as kojiweb: set, else gssapi with WebPrincipal, else ssl with WebCert', () => {
    expect(webAuthType(conf(''))).toBe(null);
    expect(webAuthType(conf('WebCert = /w.pem'))).toBe('ssl');
    expect(webAuthType(conf('WebCert = /w.pem\nWebPrincipal = koji/web@X'))).toBe('gssapi');
    expect(webAuthType(conf('WebPrincipal = koji/web@X\nWebAuthType = ssl'))).toBe('ssl');
    expect(webAuthType(conf('WebCert = /w.pem\nWebAuthType = gssapi'))).toBe('gssapi');
    expect(() => conf('WebAuthType = kerberos')).toThrow(/Invalid value kerberos for WebAuthType \(ssl or gssapi\)/);
  });

  it('refuses to start Kerberos logins with a WebKeytab it cannot read, naming what to put in it', () => {
    expect(() => setUpWebKerberos(conf('WebAuthType = gssapi\nWebPrincipal = koji/web@X\nWebKeytab = /nonexistent/httpd.keytab'))).toThrow(
      'web: WebKeytab /nonexistent/httpd.keytab does not exist; make it (kadmin: ktadd -k /nonexistent/httpd.keytab HTTP/<web host> koji/web@X) or point WebKeytab at it',
    );
    // certificate logins need no keytab
    expect(() => setUpWebKerberos(conf('WebCert = /w.pem\nWebKeytab = /nonexistent/httpd.keytab'))).not.toThrow();
  });
});
