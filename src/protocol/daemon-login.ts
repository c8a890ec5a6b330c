/**
 * How Koji's daemons (kojid, kojira) start with the hub: log in with the certificate (`cert`,
 * when the file exists) or else with `user`/`password`, then make the session exclusive — a
 * second daemon of the same user gets AuthLockError, unless `force` takes the lock over. Failures
 * are StartupErrors with the daemons' own messages.
 */
import { existsSync } from 'node:fs';
import type { ClientSession } from './client.ts';
import { AuthError, AuthLockError } from './faults.ts';

/** A start-up failure, with the daemon's message. */
export class StartupError extends Error {}

export interface DaemonCredentials {
  server: string;
  cert: string | null;
  user: string | null;
  password: string | null;
}

export function isConnectionError(e: unknown): boolean {
  const s = `${(e as { code?: string }).code ?? ''} ${(e as Error).message ?? ''} ${String((e as { cause?: { code?: string } }).cause?.code ?? '')}`;
  return /ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|ECONNRESET|ETIMEDOUT|EAI_AGAIN|timed out/.test(s);
}

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
  } else {
    throw new StartupError(o.cert ? `Error: certificate ${o.cert} not found` : 'No username/password/certificate supplied and Kerberos missing or not configured');
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
