/**
 * GSSAPI (Kerberos) over HTTP `Negotiate` (RFC 4559), for both sides: the hub and the web accept
 * tokens, the CLI, daemons and web initiate them. The GSSAPI work is done by MIT Kerberos through
 * the `kerberos` npm addon (an optional dependency: without it, or without libkrb5, Kerberos
 * logins fail with an error saying how to install it, and everything else works).
 *
 * MIT Kerberos takes its files from the environment, read at each call: KRB5_CONFIG (krb5.conf),
 * KRB5_KTNAME (the acceptor's keytab), KRB5_CLIENT_KTNAME (a client keytab, from which tickets
 * are got by themselves) and KRB5CCNAME (the credentials cache). A process has one of each, so
 * these functions set them for the process.
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { AuthError } from './faults.ts';

type KerberosModule = typeof import('kerberos');

let loaded: KerberosModule | null = null;

/** The addon, or an AuthError telling the operator what to install. */
export function kerberos(): KerberosModule {
  if (loaded) return loaded;
  try {
    loaded = createRequire(import.meta.url)('kerberos') as KerberosModule;
    return loaded;
  } catch (e) {
    throw new AuthError(
      `Kerberos support is not available: the 'kerberos' addon could not be loaded (${(e as Error).message.split('\n')[0]}). ` +
        'Install libkrb5-dev, g++ and make (apt-get install libkrb5-dev g++ make), then run npm rebuild kerberos',
    );
  }
}

/**
 * Set (or with null leave) the process's Kerberos files; returns a function that puts back what
 * was there (a client login sets them only while it runs, as Koji's gssapi_login does).
 */
export function useKerberosFiles(o: { keytab?: string | null; clientKeytab?: string | null; ccache?: string | null }): () => void {
  const old: Array<[string, string | undefined]> = [];
  const set = (k: string, v: string | null | undefined) => {
    if (!v) return;
    old.push([k, process.env[k]]);
    process.env[k] = v;
  };
  set('KRB5_KTNAME', o.keytab);
  set('KRB5_CLIENT_KTNAME', o.clientKeytab);
  set('KRB5CCNAME', o.ccache);
  return () => {
    for (const [k, v] of old.reverse()) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
}

/** Why the keytab file cannot serve (missing, unreadable, not a keytab), or null. */
export function keytabProblem(file: string): string | null {
  const head = Buffer.alloc(2);
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : `cannot be read (${(e as NodeJS.ErrnoException).code})`;
  }
  try {
    if (statSync(file).isDirectory()) return 'is a folder';
    readSync(fd, head, 0, 2, 0);
  } finally {
    closeSync(fd);
  }
  // MIT's keytab files start with version 0x0502 (or the older 0x0501)
  return head[0] === 5 && (head[1] === 1 || head[1] === 2) ? null : 'is not a keytab file';
}

/** The first line of a GSSAPI error (the addon joins major and minor status texts). */
function gssText(e: unknown): string {
  return String((e as Error)?.message ?? e).split('\n')[0].trim() || 'unknown GSSAPI error';
}

/** The token of an `Authorization: Negotiate <base64>` header, or null when it is not one. */
export function negotiateToken(header: string | string[] | undefined): string | null {
  const h = Array.isArray(header) ? header[0] : header;
  const m = /^Negotiate\s+(\S+)\s*$/i.exec(h ?? '');
  return m ? m[1] : null;
}

export interface Accepted {
  /** the client's principal, e.g. alice@EXAMPLE.COM */
  principal: string;
  /** the service principal the ticket was for, e.g. HTTP/localhost@EXAMPLE.COM */
  target: string;
  /** the mutual-authentication token for `WWW-Authenticate: Negotiate …` (may be empty) */
  response: string;
}

/**
 * Verify one client token (a krb5 or SPNEGO initial token, base64) with the keys of the
 * process's keytab. `service` is the principal the ticket must be for; when null, any HTTP/…
 * principal of the keytab is accepted. Throws AuthError naming what failed.
 */
export async function acceptToken(token: string, service: string | null): Promise<Accepted> {
  const k = kerberos();
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(token)) throw new AuthError('GSSAPI authentication failed: the Negotiate token is not base64');
  let server;
  try {
    server = await k.initializeServer('');
    await server.step(token);
  } catch (e) {
    throw new AuthError(`GSSAPI authentication failed: ${gssText(e)}`);
  }
  if (!server.contextComplete || !server.username) {
    // a multi-leg exchange (e.g. a SPNEGO mechanism list without a token) is not supported
    throw new AuthError('GSSAPI authentication failed: the exchange needs more than one step (send a Kerberos token)');
  }
  const target = server.targetName ?? '';
  const ok = service ? target === service || target.split('@')[0] === service : /^HTTP\//.test(target);
  if (!ok) throw new AuthError(`GSSAPI authentication failed: the ticket is for ${target || 'an unknown service'}, not ${service ?? 'an HTTP/… service'}`);
  return { principal: server.username, target, response: server.response ?? '' };
}

export interface Initiator {
  /** the first token to send */
  token: string;
  /** check the server's mutual-authentication token (from its reply's WWW-Authenticate) */
  verify(serverToken: string | null): Promise<void>;
}

/**
 * Start a context with `HTTP@host` (what Koji's clients ask for through requests-gssapi),
 * as `principal` when given (its tickets from the client keytab or the credentials cache).
 */
export async function initiate(host: string, principal: string | null): Promise<Initiator> {
  const k = kerberos();
  let client;
  let token: string;
  try {
    client = await k.initializeClient(`HTTP@${host}`, { principal: principal ?? undefined, mechOID: k.GSS_MECH_OID_KRB5, gssFlag: k.GSS_C_MUTUAL_FLAG | k.GSS_C_SEQUENCE_FLAG });
    token = await client.step('');
  } catch (e) {
    throw new AuthError(`GSSAPI: no ticket for HTTP@${host}${principal ? ` as ${principal}` : ''}: ${gssText(e)} (kinit first, or set principal and keytab)`);
  }
  return {
    token,
    async verify(serverToken) {
      if (!serverToken) throw new AuthError('GSSAPI mutual authentication failed: the server sent no Negotiate token');
      try {
        await client.step(serverToken);
      } catch (e) {
        throw new AuthError(`GSSAPI mutual authentication failed: ${gssText(e)}`);
      }
    },
  };
}
