/**
 * kojira: keeps the repos of build tags current. As Koji 1.35's: one exclusive session (a second
 * kojira refuses to start), then loops — each on a subsession of its own, as kojira's threads —
 * that ask the hub to do the work: `repo.updateEndEvents` (currency), `repo.checkQueue` (regen:
 * start newRepo tasks for the requests queued), `repo.autoRequests` (tags with `repo.auto`), the
 * removal queue (rmtree) and external repo timestamps (check_external); and the main round every
 * `sleeptime`: the tracked repos' checks (managed.ts) and the pruning of stray folders.
 *
 * Beyond Koji (`follow_tag_changes`, on by default): a loop that waits on the hub for changes
 * (`kojits.repo.waitChanges`, answered when a tag's content, an external repo, a repo or a repo
 * request changed) and then files a request, with `min_event = "last"`, for every build tag of a target
 * and every tag with `repo.auto` — a request the hub answers with the current repo when the tag
 * did not change — then runs `repo.checkQueue` at once. Koji leaves that to builds' requests and
 * `RepoLag` (an hour); here a tagged build is in its build tag's repo within seconds.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { KojiraOptions } from '../config/kojira.ts';
import { ClientSession } from '../protocol/client.ts';
import { daemonLogin } from '../protocol/daemon-login.ts';
import type { XmlRpcStruct, XmlRpcValue } from '../protocol/values.ts';
import type { LineLog } from '../util/line-log.ts';
import { checkExternalRepos } from './external.ts';
import { RepoManager } from './manager.ts';

export interface KojiraRun {
  /** resolves when kojira has stopped (the exit code) */
  done: Promise<number>;
  stop(): void;
}

type LoopName = 'currency' | 'regen' | 'autoregen' | 'rmtree' | 'check_external' | 'follow';

/** Sleeps that stop() cuts short, and a signal that aborts the calls in flight. */
function stopper() {
  const abort = new AbortController();
  return {
    signal: abort.signal,
    get stopped() {
      return abort.signal.aborted;
    },
    sleep: (ms: number) => delay(ms, undefined, { signal: abort.signal }).catch(() => undefined),
    stop: () => abort.abort(),
  };
}

export async function startKojira(o: KojiraOptions, log: LineLog, forceLock: boolean, onReady: (line: string) => void): Promise<KojiraRun> {
  const session = new ClientSession(o.server as string, {
    cert: o.cert ?? undefined,
    serverca: o.serverca ?? undefined,
    noSslVerify: o.no_ssl_verify,
    maxRetries: o.max_retries,
    retryInterval: o.retry_interval,
    offlineRetry: o.offline_retry,
    offlineRetryInterval: o.offline_retry_interval,
  });
  let login: string;
  try {
    // kojira's: Kerberos only with both principal and keytab
    const kerberos = o.principal && o.keytab ? { principal: o.principal, keytab: o.keytab, ccache: o.ccache } : null;
    login = await daemonLogin(session, { server: o.server as string, cert: o.cert, user: o.user, password: o.password, kerberos, conf: 'kojira.conf', daemon: 'kojira' }, forceLock);
  } catch (e) {
    session.close();
    throw e;
  }
  const mgr = new RepoManager(o, session, log);
  await mgr.readCurrentRepos();
  const sleeper = stopper();
  const subsessions: ClientSession[] = [];

  const loop = async (name: LoopName, body: (s: ClientSession) => Promise<void>, pauseMs: () => number): Promise<void> => {
    while (!sleeper.stopped) {
      let sub: ClientSession | null = null;
      try {
        sub = await session.subsession();
        subsessions.push(sub);
        log.info(`${name} thread starting`);
        while (!sleeper.stopped) {
          await body(sub);
          await sleeper.sleep(pauseMs());
        }
      } catch (e) {
        if (sleeper.stopped) break;
        log.error(`Error in ${name} thread: ${(e as Error).message}; restarting it`);
        await sleeper.sleep(1000);
      } finally {
        if (sub) await sub.logout().catch(() => undefined);
      }
    }
  };
  const every = () => o.sleeptime * 1000;
  const loops: Array<Promise<void>> = [
    loop('currency', (s) => s.call('repo.updateEndEvents'), every),
    loop('regen', (s) => s.call('repo.checkQueue'), every),
    loop('autoregen', (s) => s.call('repo.autoRequests'), every),
    loop('rmtree', async () => mgr.checkQueue(), () => 1000),
  ];
  if (o.check_external_repos) loops.push(loop('check_external', (s) => checkExternalRepos(s, log), every));
  if (o.follow_tag_changes) {
    // the cursor of kojits.repo.waitChanges; null: not asked yet (the first round requests at once)
    let cursor: { event: number; ts: XmlRpcValue } | null = null;
    loops.push(
      loop(
        'follow',
        async (s) => {
          if (cursor !== null) {
            const r = await s.call<XmlRpcStruct>('kojits.repo.waitChanges', [cursor.event, Math.min(o.sleeptime, 60), cursor.ts], undefined, { signal: sleeper.signal });
            cursor = { event: r.event as number, ts: r.ts };
            if (!r.changed) return;
          } else {
            const r = await s.call<XmlRpcStruct>('kojits.repo.waitChanges', [(await s.call<XmlRpcStruct>('getLastEvent')).id as number, 0]);
            cursor = { event: r.event as number, ts: r.ts };
          }
          if (await requestCurrentRepos(s)) await s.call('repo.checkQueue');
        },
        () => 0,
      ),
    );
  }

  const main = (async () => {
    onReady(`kojira ready: logged in (${login}) to ${o.server}`);
    let code = 0;
    while (!sleeper.stopped) {
      try {
        await mgr.updateRepos();
        await mgr.pruneLocalRepos();
      } catch (e) {
        const name = (e as Error).name;
        if (name === 'AuthExpired' || name === 'AuthError') {
          log.warn(name === 'AuthExpired' ? 'Session expired' : 'Authentication error');
          code = 1;
          break;
        }
        log.error(`round failed: ${(e as Error).message}`);
      }
      await sleeper.sleep(every());
    }
    sleeper.stop();
    await Promise.all(loops);
    mgr.checkQueue();
    await mgr.drain();
    await session.logout().catch(() => undefined);
    session.close();
    for (const s of subsessions) s.close();
    return code;
  })();
  return { done: main, stop: () => sleeper.stop() };
}

/**
 * A request with min_event "last" for every build tag of a target and every tag with repo.auto
 * (one multicall); true when one of them is waiting for a new repo.
 */
export async function requestCurrentRepos(s: ClientSession): Promise<boolean> {
  const targets = await s.call<XmlRpcStruct[]>('getBuildTargets');
  const tags = new Set<number>(targets.map((t) => t.build_tag as number));
  for (const id of await s.call<number[]>('kojits.repo.autoTags')) tags.add(id);
  if (!tags.size) return false;
  const results = await s.multiCall([...tags].map((id) => ({ method: 'repo.request' as const, args: [id], kwargs: { min_event: 'last' } })));
  return results.some((r) => Array.isArray(r) && (r[0] as XmlRpcStruct | null)?.repo === null);
}
