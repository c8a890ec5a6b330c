/**
 * Build hosts for tests: a host made on the hub (addHost + a password), a kojid.conf for it and
 * `bin/kojits builder` processes on loopback, stopped by pid.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ClientSession } from '../../src/protocol/client.ts';
import type { XmlRpcStruct } from '../../src/protocol/values.ts';
import { startKojits, type Proc } from '../cmd/proc.ts';

export const ST = { FREE: 0, OPEN: 1, CLOSED: 2, CANCELED: 3, ASSIGNED: 4, FAILED: 5 } as const;

export interface BuildHost {
  name: string;
  id: number;
  conf: string;
  workdir: string;
}

/**
 * A host with a password login and a kojid.conf in `dir` (extra [kojid] lines in `conf`); with
 * `channel`, in that channel only (tests keep their tasks apart so).
 */
export async function buildHost(admin: ClientSession, dir: string, server: string, name: string, o: { capacity?: number; conf?: string; channel?: string } = {}): Promise<BuildHost> {
  const id = await admin.call<number>('addHost', [name, ['x86_64']]);
  if (o.capacity) await admin.call('editHost', [name], { capacity: o.capacity });
  if (o.channel) {
    await admin.call('addHostToChannel', [name, o.channel], { create: true });
    await admin.call('removeHostFromChannel', [name, 'default']);
  }
  await admin.call('kojits.setPassword', [name, `${name}-pass-1`]);
  const workdir = join(dir, `${name}-work`);
  mkdirSync(workdir, { recursive: true });
  const conf = join(dir, `${name}.conf`);
  writeFileSync(
    conf,
    [
      '[kojid]',
      `server = ${server}`,
      `topurl = ${server.replace(/\/kojihub$/, '/kojifiles')}`,
      `user = ${name}`,
      `password = ${name}-pass-1`,
      `workdir = ${workdir}`,
      `mockdir = ${workdir}`,
      'minspace = 1',
      'sleeptime = 1',
      'max_retries = 2',
      'retry_interval = 1',
      // the machines running the tests are busy
      'max_load_per_cpu = 0',
      'log_level = INFO',
      o.conf ?? '',
      '',
    ].join('\n'),
  );
  return { name, id, conf, workdir };
}

/** `bin/kojits builder -c CONF`, once it printed its ready line. */
export async function startBuilder(h: BuildHost, args: string[] = []): Promise<Proc> {
  const p = startKojits(['builder', '-c', h.conf, ...args]);
  await p.waitFor(/ready/, 90_000);
  return p;
}

/** Poll until `fn` returns a truthy value (or fail after `ms`). */
export async function until<T>(what: string, fn: () => Promise<T | null | undefined | false>, ms = 30_000, every = 50): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, every));
  }
}

/** Until the task is in one of `states`; its info. */
export function taskIn(admin: ClientSession, id: number, states: number[], ms = 30_000): Promise<XmlRpcStruct> {
  return until(`task ${id} in state ${states.join('/')}`, async () => {
    const t = await admin.call<XmlRpcStruct>('getTaskInfo', [id]);
    return states.includes(Number(t.state)) ? t : null;
  }, ms);
}
