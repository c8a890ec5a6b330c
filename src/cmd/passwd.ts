/** Set a password through the running hub, logged in with the admin certificate of a data folder. */
import { loadClientConfig } from '../config/client.ts';
import { ClientSession } from '../protocol/client.ts';

export async function setPasswordViaHub(kojiConf: string, user: string, password: string): Promise<void> {
  const cfg = loadClientConfig('kojits', kojiConf);
  const s = new ClientSession(cfg.server, { cert: cfg.cert || undefined, serverca: cfg.serverca || undefined, maxRetries: 0 });
  try {
    await s.sslLogin();
    await s.call('kojits.setPassword', [user, password]);
    await s.logout();
  } finally {
    s.close();
  }
}
