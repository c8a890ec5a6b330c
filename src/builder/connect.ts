/**
 * The daemon's start-up with the hub, as kojid's: log in with the certificate (`cert`, when the
 * file exists) or else with `user`/`password`, make the session exclusive (a second daemon of the
 * same host gets AuthLockError, unless --force-lock takes the lock over), check the hub answers
 * `echo`, and learn the host's id and the session's start time.
 */
import type { KojidOptions } from '../config/kojid.ts';
import { ClientSession, type ClientOptions } from '../protocol/client.ts';
import { AuthError } from '../protocol/faults.ts';
import { daemonLogin, StartupError } from '../protocol/daemon-login.ts';
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
    const login = await daemonLogin(session, { server, cert: o.cert, user: o.user, password: o.password }, forceLock);
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
