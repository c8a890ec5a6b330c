/**
 * How Koji's daemons (kojid, kojira) start with the hub: log in with the certificate (`cert`,
 * when the file exists), else with `user`/`password`, else with Kerberos — a principal's tickets
 * got from its keytab into a credentials cache of the process (a MEMORY: cache unless `ccache`
 * names one) — then make the session exclusive: a second daemon of the same user gets
 * AuthLockError, unless `force` takes the lock over. Failures are StartupErrors with the daemons'
 * own messages and, for Kerberos, what to check. ClientSession remembers the Kerberos login, so
 * an expired session (fault 1007) logs in again the same way; subsessions inherit it.
 */
import { existsSync, rmSync, statSync } from 'node:fs';
import type { ClientSession } from './client.ts';
import { AuthError, AuthLockError } from './faults.ts';
import { kerberos, keytabProblem } from './gssapi.ts';

/** A start-up failure, with the daemon's message. */
export class StartupError extends Error {}

export interface KerberosCredentials {
  principal: string;
  /** the keytab the principal's tickets come from (null: the credentials cache must hold them) */
  keytab: string | null;
  /** the credentials cache (null: MEMORY:<daemon>-<pid>) */
  ccache: string | null;
}

export interface DaemonCredentials {
  server: string;
  cert: string | null;
  user: string | null;
  password: string | null;
  /** null when Kerberos is not configured (kojira without `principal`); a function is asked only when needed */
  kerberos?: KerberosCredentials | null | (() => Promise<KerberosCredentials>);
  /** the daemon's config file and name, for messages (e.g. kojid.conf, kojid) */
  conf?: string;
  daemon?: string;
}

export function isConnectionError(e: unknown): boolean {
  const s = `${(e as { code?: string }).code ?? ''} ${(e as Error).message ?? ''} ${String((e as { cause?: { code?: string } }).cause?.code ?? '')}`;
  return /ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|ECONNRESET|ETIMEDOUT|EAI_AGAIN|timed out/.test(s);
}

const NO_LOGIN = 'No username/password/certificate supplied and Kerberos missing or not configured';

/** Log `session` in and make it exclusive; returns how it logged in (for the ready line). */
export async function daemonLogin(session: ClientSession, o: DaemonCredentials, force: boolean): Promise<string> {
  let login: string;
  if (o.cert && existsSync(o.cert)) {
    try {
      await session.sslLogin();
    } catch (e) {
      if (isConnectionError((e as Error).cause ?? e)) throw new StartupError(`Error: Unable to connect to server ${o.server}`);
      throw new StartupError(`Error: Unable to log in: ${(e as Error).message}`);
    }
    login = `certificate ${o.cert}`;
  } else if (o.user) {
    try {
      await session.login(o.user, o.password ?? '');
    } catch (e) {
      if (e instanceof AuthError) throw new StartupError('Error: Unable to log in. Bad credentials?');
      if (isConnectionError(e)) throw new StartupError(`Error: Unable to connect to server ${o.server}`);
      throw e;
    }
    login = `user ${o.user}`;
  } else if (o.kerberos) {
    const k = typeof o.kerberos === 'function' ? await o.kerberos() : o.kerberos;
    await kerberosLogin(session, k, o);
    login = `Kerberos principal ${k.principal}`;
  } else {
    throw new StartupError(o.cert ? `Error: certificate ${o.cert} not found` : NO_LOGIN);
  }
  try {
    await session.call('exclusiveSession', [], { force });
  } catch (e) {
    if (e instanceof AuthLockError) throw new StartupError('Error: Unable to get lock. Trying using --force-lock');
    throw e;
  }
  session.exclusive = true;
  return login;
}

/** A FILE: (or plain) credentials cache's path; null for other kinds (MEMORY:, KEYRING:, DIR: …). */
function ccacheFile(ccache: string): string | null {
  if (ccache.startsWith('FILE:')) return ccache.slice(5);
  return /^[A-Za-z]+:/.test(ccache) ? null : ccache;
}

/** What to check after a failed Kerberos login. */
function kerberosHint(text: string, local: boolean, k: KerberosCredentials, keytab: string | null, ccache: string): string {
  const service = /Server (\S+) not found in Kerberos database/.exec(text)?.[1];
  if (service) return `the KDC knows no ${service}: the hub's service principal (AuthPrincipal, its keys in AuthKeytab) must exist, and server must name the hub by the host of that principal`;
  if (!local) return `the hub refused ${k.principal} (it takes Kerberos logins with AuthKeytab set, from principals of a user, koji add-user --principal, or of a host made under HostPrincipalFormat)`;
  const where = keytab ? `the keytab ${keytab} holds the current keys of ${k.principal}` : `the credentials cache ${ccache} holds a ticket of ${k.principal}`;
  return `check that ${where} and that the KDC knows it and gives it tickets (kadmin: getprinc ${k.principal})`;
}

async function kerberosLogin(session: ClientSession, k: KerberosCredentials, o: DaemonCredentials): Promise<void> {
  const conf = o.conf ?? 'the config file';
  try {
    kerberos();
  } catch (e) {
    throw new StartupError(`${NO_LOGIN}: ${(e as Error).message}`);
  }
  const keytab = k.keytab ? k.keytab.replace(/^(FILE|WRFILE):/, '') : null;
  if (keytab) {
    const why = keytabProblem(keytab);
    if (why) {
      // a configured certificate that is missing is the likelier mistake: say so first
      const cert = o.cert ? `certificate ${o.cert} not found, and ` : '';
      throw new StartupError(
        `Error: ${cert}Kerberos keytab ${keytab} ${why}: make it (kadmin: ktadd -k ${keytab} ${k.principal}) and let the daemon read it, ` +
          `set keytab in ${conf} to where it is, or log in with cert or user/password instead`,
      );
    }
  }
  const ccache = k.ccache || `MEMORY:${o.daemon ?? 'daemon'}-${process.pid}`;
  // kojid's: an empty cache file makes the login fail, so it goes
  const file = ccacheFile(ccache);
  if (file && existsSync(file) && statSync(file).size === 0) rmSync(file);
  try {
    await session.gssapiLogin({ principal: k.principal, keytab, ccache });
  } catch (e) {
    const cause = (e as Error).cause ?? e;
    if (isConnectionError(cause)) throw new StartupError(`Error: Unable to connect to server ${o.server}`);
    const local = /^GSSAPI/.test((cause as Error).message);
    const text = (cause as Error).message.replace(/ \(kinit first, or set principal and keytab\)$/, '');
    const hint = kerberosHint(text, local, k, keytab, ccache);
    throw new StartupError(`Kerberos authentication failed: ${text}; ${hint}`);
  }
}
