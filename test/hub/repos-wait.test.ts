/**
 * kojits.repo.waitChanges across hub processes on one PostgreSQL database: a kojira waiting on
 * one hub is woken by a tag change made through another (NOTIFY on kojits_tasks after commit).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { XmlRpcStruct } from '../../src/protocol/values.ts';
import { engines } from '../helpers/db.ts';
import { hubSite, type HubProc, type HubSite } from '../helpers/hub-process.ts';

describe.runIf(engines().includes('postgres'))('kojits.repo.waitChanges between hub processes', () => {
  let site: HubSite;
  let hubs: HubProc[];

  beforeAll(async () => {
    site = await hubSite('postgres');
    hubs = [await site.start(), await site.start()];
  }, 120_000);
  afterAll(async () => site?.cleanup());

  it('a change through one hub wakes a wait on the other', async () => {
    const admin = await site.admin(hubs[1]);
    await admin.call('createTag', ['wait-tag']);
    const kojira = site.anon(hubs[0]);
    const now = await kojira.call<XmlRpcStruct>('kojits.repo.waitChanges', [0, 0]);
    const waiting = kojira.call<XmlRpcStruct>('kojits.repo.waitChanges', [now.event as number, 120], { after_ts: now.ts });
    await admin.call('editTag2', ['wait-tag'], { arches: 'x86_64' });
    const woke = await waiting;
    expect(woke.changed).toBe(true);
    expect(woke.event as number).toBeGreaterThan(now.event as number);
    // a repo request (no new event) counts too
    const next = kojira.call<XmlRpcStruct>('kojits.repo.waitChanges', [woke.event as number, 120], { after_ts: woke.ts });
    await admin.call('repo.request', ['wait-tag'], { min_event: 'last' });
    expect(await next).toMatchObject({ changed: true, event: woke.event });
  });
});
