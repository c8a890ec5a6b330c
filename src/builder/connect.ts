/**
 * The daemon's start-up with the hub, as kojid's: log in with the certificate (`cert`, when the
 * file exists), else with `user`/`password`, else with Kerberos (the host's principal), make the
 * session exclusive (a second daemon of the same host gets AuthLockError, unless --force-lock
 * takes the lock over), check the hub answers `echo`, and learn the host's id and the session's
 * start time.
 */
import type { KojidOptions } from '../config/kojid.ts';
import { ClientSession, type ClientOptions } from '../protocol/client.ts';
import { AuthError } from '../protocol/faults.ts';
import { daemonLogin, StartupError, type KerberosCredentials } from '../protocol/daemon-login.ts';
import { fqdn } from '../util/fqdn.ts';
import type { XmlRpcStruct } from '../protocol/values.ts';

export { StartupError };

export function clientOptions(o: KojidOptions): ClientOptions {
  return {
    cert: o.cert ?? undefined,
    serverca: o.serverca ?? undefined,
    noSslVerify: o.no_ssl_verify,
    timeout: o.timeout ?? undefined,
    maxRetries: o.max_retries,
    retryInterval: o.retry_interval,
    offlineRetry: o.offline_retry,
    offlineRetryInterval: o.offline_retry_interval,
  };
}

/**
 * kojid's Kerberos login: `krb_principal`, else `host_principal_format` with the machine's fully
 * qualified name (as socket.getfqdn()), its tickets from `keytab` into `ccache`.
 */
export async function kerberosOf(o: KojidOptions): Promise<KerberosCredentials> {
  const host = await fqdn();
  const principal = o.krb_principal || o.host_principal_format.replace(/%([s%])/g, (_m, c: string) => (c === 's' ? host : '%'));
  return { principal, keytab: o.keytab || null, ccache: o.ccache };
}

export interface Connection {
  session: ClientSession;
  hostId: number;
  /** the session's start (seconds since the epoch) */
  startTs: number;
  /** how it logged in, for the ready line */
  login: string;
}

export async function connect(o: KojidOptions, forceLock: boolean): Promise<Connection> {
  const session = new ClientSession(o.server as string, clientOptions(o));
  const server = o.server as string;
  try {
    const login = await daemonLogin(session, { server, cert: o.cert, user: o.user, password: o.password, kerberos: () => kerberosOf(o), conf: 'kojid.conf', daemon: 'kojid' }, forceLock);
    const ret = await session.call('echo', ['OK']);
    if (!Array.isArray(ret) || ret.length !== 1 || ret[0] !== 'OK') throw new StartupError(`Error: incorrect server response: ${JSON.stringify(ret)}`);
    let hostId: number;
    try {
      hostId = await session.call<number>('host.getID');
    } catch (e) {
      if (e instanceof AuthError) throw new StartupError(`Error: ${e.message} (log in as a build host: see \`koji add-host\`)`);
      throw e;
    }
    const info = await session.call<XmlRpcStruct>('getSessionInfo');
    return { session, hostId, startTs: Number(info.start_ts), login };
  } catch (e) {
    session.close();
    throw e;
  }
}
