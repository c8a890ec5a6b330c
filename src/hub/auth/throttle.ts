/**
 * Slowing down password guessing. Failed `login`s are counted per user name (existing or not,
 * so the answer reveals nothing) and per client address, in the database (every hub sees
 * them). Past `LoginFailureLimit` (per name) or `LoginAddressFailureLimit` (per address)
 * failures, each further attempt must wait 2^(failures − limit) seconds after the last failure,
 * at most `LoginThrottleMaxDelay`; meanwhile logins are refused at once with an AuthError that
 * says how long to wait — even with the right password. A quiet `LoginFailureWindow` forgets the
 * failures; a successful login forgets the name's. Certificate and Kerberos logins are never
 * throttled. These writes happen outside the call's transaction (they must stay when the login
 * fails), from the method's prepare step.
 */
import { AuthError } from '../../protocol/faults.ts';
import type { Driver } from '../../db/types.ts';
import type { HubOptions } from '../../config/hub.ts';

type Kind = 'user' | 'address';

export interface ThrottleKeys {
  user: string;
  address: string;
}

function limits(o: HubOptions): Record<Kind, number> {
  return { user: o.LoginFailureLimit, address: o.LoginAddressFailureLimit };
}

/** Refuse at once while either key is throttled. */
export async function checkThrottle(db: Driver, o: HubOptions, keys: ThrottleKeys): Promise<void> {
  const { rows } = await db.rawQuery<{ kind: Kind; failures: number; since: number }>(
    `SELECT kind, failures, date_part('epoch', NOW() - last_failure)::float8 AS since FROM login_failures
      WHERE (kind = 'user' AND key = $1) OR (kind = 'address' AND key = $2)`,
    [keys.user, keys.address],
  );
  const lim = limits(o);
  for (const r of rows) {
    const limit = lim[r.kind];
    if (limit <= 0 || r.failures < limit || r.since > o.LoginFailureWindow) continue;
    const delay = Math.min(2 ** (r.failures - limit), o.LoginThrottleMaxDelay);
    const wait = Math.ceil(delay - r.since);
    if (wait > 0) {
      const who = r.kind === 'user' ? `for user ${keys.user}` : `from ${keys.address}`;
      throw new AuthError(`too many failed logins ${who}; try again in ${wait} seconds`);
    }
  }
}

export async function recordFailure(db: Driver, o: HubOptions, keys: ThrottleKeys): Promise<void> {
  for (const [kind, key] of [['user', keys.user], ['address', keys.address]] as const) {
    await db.rawQuery(
      `INSERT INTO login_failures (kind, key, failures, last_failure) VALUES ($1, $2, 1, NOW())
       ON CONFLICT (kind, key) DO UPDATE SET last_failure = NOW(),
         failures = CASE WHEN login_failures.last_failure < NOW() - make_interval(secs => $3) THEN 1 ELSE login_failures.failures + 1 END`,
      [kind, key.slice(0, 512), o.LoginFailureWindow],
    );
  }
}

export async function recordSuccess(db: Driver, keys: ThrottleKeys): Promise<void> {
  await db.rawQuery(`DELETE FROM login_failures WHERE kind = 'user' AND key = $1`, [keys.user]);
}
