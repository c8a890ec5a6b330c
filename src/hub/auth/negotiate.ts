/**
 * Kerberos at /kojihub/ssllogin, as Apache's mod_auth_gssapi does it for Koji's hub: a login
 * without a verified client certificate and without a token is answered `401` with
 * `WWW-Authenticate: Negotiate`; the client's retry carries `Authorization: Negotiate <token>`,
 * which is verified here with AuthKeytab's keys. Its principal becomes the request's remoteUser
 * (sslLogin maps it to a user) and the reply carries the mutual-authentication token, which
 * Koji's client (requests-gssapi) insists on. Only when hub.conf sets AuthKeytab.
 */
import type http from 'node:http';
import { acceptToken, keytabProblem, negotiateToken, useKerberosFiles } from '../../protocol/gssapi.ts';
import { ConfigError } from '../../config/options.ts';
import type { HubOptions } from '../../config/hub.ts';
import type { Hub, RequestInfo } from '../types.ts';

/** Point the process's acceptor at AuthKeytab (checked readable) when Kerberos is on. */
export function setUpKerberos(options: HubOptions): void {
  const keytab = options.AuthKeytab;
  if (!keytab) return;
  const why = keytabProblem(keytab);
  if (why) throw new ConfigError(`hub: AuthKeytab ${keytab} ${why}; make it (kadmin: ktadd -k ${keytab} ${options.AuthPrincipal ?? 'HTTP/<hub host>'}) or unset AuthKeytab to turn Kerberos off`);
  useKerberosFiles({ keytab });
}

export type NegotiateOutcome =
  /** go on with the call; `headers` go on its reply */
  | { ok: true; headers: Record<string, string> }
  /** answer 401 with this text */
  | { ok: false; message: string };

export async function negotiate(hub: Hub, req: http.IncomingMessage, info: RequestInfo): Promise<NegotiateOutcome> {
  const token = negotiateToken(req.headers.authorization);
  if (token === null) {
    // a verified certificate logs in as before; anything else is asked for a ticket
    if (info.peer?.verify === 'SUCCESS') return { ok: true, headers: {} };
    return { ok: false, message: 'Kerberos (GSSAPI Negotiate) or a client certificate is needed to log in here' };
  }
  try {
    const a = await acceptToken(token, hub.options.AuthPrincipal);
    info.remoteUser = a.principal;
    return { ok: true, headers: a.response ? { 'WWW-Authenticate': `Negotiate ${a.response}` } : {} };
  } catch (e) {
    hub.log.info({ remote: info.remoteAddr, err: (e as Error).message }, 'Kerberos login refused');
    return { ok: false, message: (e as Error).message };
  }
}
