/** Log the CLI in the way the stock CLI decides (activate_session / ensure_connection). */
import { existsSync } from 'node:fs';
import { API_VERSION } from '../protocol/version.ts';
import type { ClientSession } from '../protocol/client.ts';
import type { ClientConfig } from '../config/client.ts';
import { CliError, type GlobalOptions } from './command.ts';

/** A failure to reach the hub at all (Python's requests.exceptions.ConnectionError). */
export function isConnectionError(e: unknown): e is Error {
  const code = (e as { code?: unknown } | null)?.code;
  return e instanceof Error && typeof code === 'string' && /^(ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|ECONNRESET)$/.test(code);
}

export async function ensureConnection(session: ClientSession, debug = false): Promise<void> {
  let v: number;
  try {
    v = await session.call<number>('getAPIVersion');
  } catch (e) {
    // as the stock CLI: a plain line, and the reason only with --debug
    if (isConnectionError(e)) throw new CliError(`Error: Unable to connect to server${debug ? `\n${e.message}` : ''}`);
    throw e;
  }
  if (v !== API_VERSION) process.stderr.write(`WARNING: The server is at API version ${v} and the client is at ${API_VERSION}\n`);
}

export async function activateSession(
  session: ClientSession,
  g: GlobalOptions,
  cfg: ClientConfig,
  prompt: (q: string, hidden?: boolean) => Promise<string>,
): Promise<void> {
  if (session.loggedIn) return;
  const noauth = cfg.authtype === 'noauth' || g.noauth;
  if (noauth) {
    // no login
  } else if (cfg.authtype === 'ssl' || (cfg.authtype === null && cfg.cert && existsSync(cfg.cert))) {
    await session.sslLogin(g.runas);
  } else if (cfg.authtype === 'password' || (cfg.authtype === null && g.user)) {
    const user = g.user ?? (await prompt('Username: '));
    const password = g.password ?? (await prompt('Password: ', true));
    await session.login(user, password);
  } else if (cfg.authtype === 'kerberos' || cfg.authtype === null) {
    // as the stock CLI: the principal (and its keytab) when configured, else the ticket kinit left
    await session.gssapiLogin({ proxyuser: g.runas, principal: cfg.principal, keytab: cfg.principal ? cfg.keytab : null });
  }
  if (!noauth && !session.loggedIn) throw new CliError('Unable to log in, no authentication methods available');
  await ensureConnection(session, g.debug);
}
