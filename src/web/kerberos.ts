/**
 * Kerberos (SPNEGO) for browsers, as kojiweb behind Apache's mod_auth_gssapi: the login page
 * answers `401 WWW-Authenticate: Negotiate`, the browser's retry carries a ticket for
 * HTTP/<web host>, verified here with WebKeytab's keys (any HTTP/… key of it: the web may be
 * reached by several names). The web then logs in to the hub for the principal, with its own
 * principal (WebPrincipal, keys in WebKeytab too, listed in hub.conf ProxyPrincipals) or its
 * certificate (WebCert, listed in hub.conf ProxyDNs), the hub told the user proved it by GSSAPI.
 */
import { webAuthType, type WebOptions } from '../config/web.ts';
import { ConfigError } from '../config/options.ts';
import { acceptToken, keytabProblem, negotiateToken, useKerberosFiles, type Accepted } from '../protocol/gssapi.ts';
import { AUTHTYPES } from '../protocol/enums.ts';
import { AuthError, KojiError } from '../protocol/faults.ts';
import type { ClientSession } from '../protocol/client.ts';
import { HttpError } from './errors.ts';

/** WebCCache, or a credentials cache in the process's memory. */
export const webCCache = (o: WebOptions): string => o.WebCCache ?? 'MEMORY:kojiweb';

/**
 * At start: point the process's acceptor (and WebPrincipal's client keys) at WebKeytab, checked
 * readable, when browsers log in by Kerberos or the web logs in to the hub by its principal.
 */
export function setUpWebKerberos(o: WebOptions): void {
  if (webAuthType(o) !== 'gssapi' && !o.WebPrincipal) return;
  const why = keytabProblem(o.WebKeytab);
  if (why) {
    const want = [...(webAuthType(o) === 'gssapi' ? ['HTTP/<web host>'] : []), ...(o.WebPrincipal ? [o.WebPrincipal] : [])].join(' ');
    throw new ConfigError(`web: WebKeytab ${o.WebKeytab} ${why}; make it (kadmin: ktadd -k ${o.WebKeytab} ${want}) or point WebKeytab at it`);
  }
  useKerberosFiles({ keytab: o.WebKeytab, clientKeytab: o.WebPrincipal ? o.WebKeytab : null, ccache: o.WebPrincipal ? webCCache(o) : null });
}

/** A 401 asking for a ticket; `reason` says why the last one (if any) was refused. */
export class NegotiateNeeded extends HttpError {
  constructor(readonly reason: string | null) {
    super(401, reason ?? 'Kerberos login: the browser sent no ticket');
  }
}

/** The browser's principal from its `Authorization: Negotiate` header (NegotiateNeeded when none or bad). */
export async function acceptBrowser(authorization: string | string[] | undefined): Promise<Accepted> {
  const token = negotiateToken(authorization);
  if (token === null) throw new NegotiateNeeded(null);
  try {
    return await acceptToken(token, null);
  } catch (e) {
    throw new NegotiateNeeded((e as Error).message);
  }
}

/**
 * Log `hub` in for `principal` (kojiweb's _gssapiLogin / _sslLogin with proxyauthtype GSSAPI).
 * A hub that does not answer stays that error (a 502 page); any other failure is a 403 saying
 * why, naming the hub.conf key to set when the hub does not let this web log users in.
 */
export async function hubLoginFor(o: WebOptions, hub: ClientSession, principal: string): Promise<void> {
  const gssapi = AUTHTYPES.byName.GSSAPI;
  try {
    if (o.WebPrincipal) {
      await hub.gssapiLogin({ principal: o.WebPrincipal, keytab: o.WebKeytab, ccache: webCCache(o), proxyuser: principal, proxyauthtype: gssapi });
    } else await hub.sslLogin(principal, gssapi);
  } catch (e) {
    if (!(e instanceof AuthError)) throw e;
    if (e.cause instanceof Error && !(e.cause instanceof KojiError)) throw e.cause;
    const how = o.WebPrincipal ? `list ${o.WebPrincipal} in hub.conf ProxyPrincipals` : 'list the subject of web.conf WebCert in hub.conf ProxyDNs';
    const hint = /not authorized to login other users/.test(e.message) ? ` (the hub does not let this web log users in: ${how})` : '';
    throw new HttpError(403, `The web could not log in to the hub for ${principal}: ${e.message}${hint}`);
  }
}
