/**
 * `kojits _task`: the process one task runs in (kojid forks one per task). Started by the daemon
 * ahead of time with an IPC channel; it leads its own process group, so everything it starts can
 * be found and stopped. It runs the task on the subsession the daemon made for it and exits.
 * When the daemon goes away — a clean stop, a crash, kill -9 — the IPC channel closes (and the
 * parent pid changes): the process then stops everything it started and exits at once, so no
 * task keeps running without its daemon.
 */
import { ClientSession } from '../protocol/client.ts';
import { decodeResponse } from '../protocol/decode.ts';
import type { XmlRpcValue } from '../protocol/values.ts';
import { ServerExit } from './errors.ts';
import { handlerRegistry } from './handlers/index.ts';
import type { FromTask, PrepareMessage, StartMessage, ToTask } from './ipc.ts';
import { jsonLog } from './jsonlog.ts';
import { processTree } from './proctree.ts';
import { executeTask } from './run-task.ts';
import { Wakeup } from './wakeup.ts';

function send(m: FromTask): Promise<void> {
  return new Promise((resolve) => {
    if (!process.connected || !process.send) return resolve();
    process.send(m, undefined, {}, () => resolve());
  });
}

/** Stop everything this process started, then exit. */
function die(code: number): never {
  for (const pid of processTree(process.pid)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  process.exit(code);
}

interface Prepared {
  server: string;
  session: ClientSession;
  stop(): void;
}

/** The hub keeps an idle connection 30 s: a spare process asks again before that. */
const KEEP_WARM_MS = 20_000;

/**
 * A spare process, while it waits for its task: connects to the hub (an unauthenticated
 * getAPIVersion: the TLS handshake and the XML-RPC code are warm when the task's first call
 * goes) and keeps that connection open.
 */
function prepare(m: PrepareMessage): Prepared {
  const session = new ClientSession(m.server, m.client);
  const ping = () => void session.call('getAPIVersion').catch(() => undefined);
  ping();
  const timer = setInterval(ping, KEEP_WARM_MS);
  timer.unref();
  return { server: m.server, session, stop: () => clearInterval(timer) };
}

export async function main(): Promise<number> {
  if (!process.send) {
    process.stderr.write('kojits _task: runs under `kojits builder` only\n');
    return 2;
  }
  const parent = process.ppid;
  process.on('disconnect', () => die(1));
  setInterval(() => {
    if (process.ppid !== parent) die(1);
  }, 1000).unref();
  const wakeup = new Wakeup();
  let prepared: Prepared | null = null;
  const start = new Promise<StartMessage>((resolve) => {
    process.on('message', (m: ToTask) => {
      if (m.type === 'start') resolve(m);
      else if (m.type === 'prepare') prepared = prepare(m);
      else if (m.type === 'wake') wakeup.notify();
    });
  });
  await send({ type: 'hello' });
  const s = await start;
  const log = jsonLog(s.logLevel, { pid: process.pid, task: s.id });
  const ready = prepared as Prepared | null;
  ready?.stop();
  // the connection made while waiting, when it is to the same hub
  const session = ready && ready.server === s.server ? ready.session : new ClientSession(s.server, s.client);
  if (session !== ready?.session) ready?.session.close();
  session.setSession(s.session);
  try {
    const registry = await handlerRegistry(s.options);
    const handler = registry.get(s.method) ?? registry.get('default');
    if (!handler) throw new Error(`no handler for ${s.method}`);
    const res = decodeResponse(s.request);
    const params = res.ok ? (res.value as XmlRpcValue[]) : [];
    let outcome: FromTask & { type: 'done' };
    try {
      outcome = { type: 'done', outcome: await executeTask({ id: s.id, method: s.method, params, handler, registry, session, options: s.options, log, wakeup, onPolled: () => void send({ type: 'polled' }) }) };
    } catch (e) {
      if (!(e instanceof ServerExit)) throw e;
      outcome = { type: 'done', outcome: 'exit' };
    }
    log.info(`task ${s.id} (${s.method}): ${outcome.outcome}`);
    await send(outcome);
    await session.logout().catch(() => undefined);
    return 0;
  } catch (e) {
    log.error(`task ${s.id} (${s.method}): ${(e as Error).stack ?? String(e)}`);
    return 1;
  } finally {
    session.close();
  }
}
