/**
 * Web logins. As kojiweb, the web logs users in to the hub through its own certificate
 * (WebCert, listed in hub.conf ProxyDNs) acting for the user named by the browser's
 * certificate (its CN, passed by the hub's proxy), or for the Kerberos principal a browser proved
 * by SPNEGO (kerberos.ts); beyond kojiweb, a user may log in with a password. Each login keeps one hub session (reused by every page until LoginTimeout hours
 * pass or the user logs out) in this process, named by a random id in a cookie signed with
 * Secret (HMAC-SHA256). Forms that change something carry a CSRF token derived from the login.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync } from 'node:fs';
import type { WebOptions } from '../config/web.ts';
import { ClientSession } from '../protocol/client.ts';
import { HttpError } from './errors.ts';
import { hubLoginFor } from './kerberos.ts';

export const COOKIE = 'koji_session';

/** A client of the hub as web.conf says (KojiHubURL, KojiHubCA), with `cert` for logins through it. */
export function hubClient(o: WebOptions, cert?: string): ClientSession {
  // pages fail fast with a 502 when the hub does not answer instead of retrying for minutes
  return new ClientSession(o.KojiHubURL, { cert, serverca: existsSync(o.KojiHubCA) ? o.KojiHubCA : undefined, maxRetries: 1, retryInterval: 0.5, timeout: 120, anonRetry: true });
}

export interface WebLogin {
  sid: string;
  user: string;
  /** how the user proved who they are */
  via: 'certificate' | 'kerberos' | 'password';
  hub: ClientSession;
  expires: number;
  csrf: string;
}

export class Logins {
  private readonly logins = new Map<string, WebLogin>();

  constructor(
    private readonly o: WebOptions,
    /** the clock (tests move it past LoginTimeout) */
    private readonly now: () => number = Date.now,
  ) {}

  get enabled(): boolean {
    return !this.o.LoginDisabled && this.o.Secret !== null;
  }

  private mac(what: string): string {
    return createHmac('sha256', this.o.Secret as string).update(what).digest('base64url');
  }

  /** The cookie value for a login: its id and the id's signature. */
  cookieValue(l: WebLogin): string {
    return `${l.sid}.${this.mac(`sid:${l.sid}`)}`;
  }

  /** The login a request's Cookie header names, if it is signed, known and not expired. */
  fromCookies(header: string | undefined): WebLogin | null {
    if (!this.enabled || !header) return null;
    const raw = header.split(/;\s*/).find((c) => c.startsWith(`${COOKIE}=`))?.slice(COOKIE.length + 1);
    if (!raw) return null;
    const [sid, sig] = raw.split('.');
    if (!sid || !sig || !same(sig, this.mac(`sid:${sid}`))) return null;
    const l = this.logins.get(sid);
    if (!l) return null;
    if (l.expires < this.now()) {
      this.drop(l);
      return null;
    }
    return l;
  }

  /** Throws the reason logins are off (LoginDisabled, no Secret). */
  need(): void {
    if (this.o.LoginDisabled) throw new HttpError(403, 'Logins are disabled on this web (web.conf LoginDisabled)');
    if (this.o.Secret === null) throw new HttpError(503, 'Logins need web.conf Secret (a long random value that signs the login cookies); ask the admin to set it');
  }

  /** kojiweb's certificate login: the web's own certificate, acting for `user` (the browser certificate's CN). */
  async certificate(user: string): Promise<WebLogin> {
    this.need();
    if (!this.o.WebCert) throw new HttpError(503, 'Certificate logins need web.conf WebCert (the web\'s certificate, listed in hub.conf ProxyDNs)');
    const hub = hubClient(this.o, this.o.WebCert);
    await hub.sslLogin(user);
    return this.add('certificate', hub);
  }

  /** Log in for a Kerberos principal a browser proved (kerberos.ts acceptBrowser). */
  async kerberos(principal: string): Promise<WebLogin> {
    this.need();
    if (!this.o.WebPrincipal && !this.o.WebCert) throw new HttpError(503, 'Kerberos logins need web.conf WebPrincipal (listed in hub.conf ProxyPrincipals) or WebCert (listed in hub.conf ProxyDNs), for the web to log users in to the hub');
    const hub = hubClient(this.o, this.o.WebPrincipal ? undefined : this.o.WebCert ?? undefined);
    await hubLoginFor(this.o, hub, principal);
    return this.add('kerberos', hub);
  }

  async password(user: string, password: string): Promise<WebLogin> {
    this.need();
    const hub = hubClient(this.o);
    await hub.login(user, password);
    return this.add('password', hub);
  }

  /** A new login for the hub session `hub` holds, under the name the hub gives its user. */
  private async add(via: WebLogin['via'], hub: ClientSession): Promise<WebLogin> {
    this.sweep();
    const me = await hub.call<{ name: string } | null>('getLoggedInUser');
    if (!me) throw new HttpError(502, 'The hub gave the web a session without a user');
    const user = me.name;
    const sid = randomBytes(18).toString('base64url');
    const l: WebLogin = { sid, user, via, hub, expires: this.now() + this.o.LoginTimeout * 3600_000, csrf: '' };
    l.csrf = this.mac(`csrf:${sid}`);
    this.logins.set(sid, l);
    return l;
  }

  checkCsrf(l: WebLogin, token: string | null): void {
    if (!token || !same(token, l.csrf)) throw new HttpError(403, 'The form is stale or was not sent by this web (CSRF token missing or wrong): reload the page and try again');
  }

  /** Log out: the hub session ends too. */
  async logout(l: WebLogin): Promise<void> {
    this.logins.delete(l.sid);
    await l.hub.logout().catch(() => undefined);
  }

  private drop(l: WebLogin): void {
    this.logins.delete(l.sid);
    void l.hub.logout().catch(() => undefined);
  }

  /** Forget expired logins. */
  private sweep(): void {
    const now = this.now();
    for (const l of this.logins.values()) if (l.expires < now) this.drop(l);
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.logins.values()].map((l) => this.logout(l)));
  }
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
