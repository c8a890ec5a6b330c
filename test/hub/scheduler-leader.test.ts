/**
 * One scheduler among hub processes on one PostgreSQL database: exactly one leads (doRun runs a
 * pass there; elsewhere it only signals the leader and answers False); when the leader is
 * killed, another hub takes over and tasks are assigned again, without a restart of anything.
 * (PGlite belongs to one process, which always leads.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClientSession } from '../../src/protocol/client.ts';
import type { XmlRpcStruct } from '../../src/protocol/values.ts';
import { engines } from '../helpers/db.ts';
import { hubSite, type HubProc, type HubSite } from '../helpers/hub-process.ts';

const ASSIGNED = 4;

async function until<T>(what: string, fn: () => Promise<T | null | undefined | false>, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe.runIf(engines().includes('postgres'))('the scheduler leader among hub processes', () => {
  let site: HubSite;
  let hubs: HubProc[];
  const admins = new Map<HubProc, ClientSession>();

  beforeAll(async () => {
    site = await hubSite('postgres', 'RunInterval = 1\n');
    hubs = [await site.start(), await site.start()];
    for (const h of hubs) admins.set(h, await site.admin(h));
  }, 120_000);
  afterAll(async () => site?.cleanup());

  it('exactly one hub leads; when it dies the other takes over and assigns', async () => {
    const admin0 = admins.get(hubs[0])!;
    const runs = await until('a leader', async () => {
      const r = await Promise.all(hubs.map((h) => admins.get(h)!.call<boolean>('scheduler.doRun')));
      return r.some(Boolean) ? r : null;
    });
    expect(runs.filter(Boolean)).toHaveLength(1);
    const leader = hubs[runs.indexOf(true)];
    const other = hubs[runs.indexOf(false)];
    // a build host, checked in and ready
    await admin0.call('addHost', ['lead-b1', ['x86_64']]);
    await admin0.call('kojits.setPassword', ['lead-b1', 'lead-b1-pass-1']);
    const host = site.anon(other);
    await host.login('lead-b1', 'lead-b1-pass-1');
    await host.call('exclusiveSession');
    await host.call('host.updateHost', [0.0, true], { data: { maxjobs: 10 } });
    const first = await admins.get(other)!.call<number>('makeTask', ['sleep', [1]]);
    await until('the first task assigned', async () => (await host.call<XmlRpcStruct>('getTaskInfo', [first])).state === ASSIGNED);
    expect(await leader.stop('SIGKILL')).toBe('SIGKILL');
    const otherAdmin = admins.get(other)!;
    await until('the other hub to lead', () => otherAdmin.call<boolean>('scheduler.doRun'));
    await host.call('host.updateHost', [0.0, true]);
    const second = await otherAdmin.call<number>('makeTask', ['sleep', [1]]);
    await until('the second task assigned', async () => (await host.call<XmlRpcStruct>('getTaskInfo', [second])).state === ASSIGNED);
  }, 120_000);
});
