/**
 * Concurrent writers against real hub processes (two hubs on one PostgreSQL database; one hub
 * on PGlite), with parallel clients: history stays consistent at every event (no build tagged
 * twice, nothing revoked before it was created), distinct objects made at once all succeed,
 * true duplicates get Koji's own fault, and no constraint violation reaches a client as fault 1.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClientSession } from '../../src/protocol/client.ts';
import { KojiError } from '../../src/protocol/faults.ts';
import type { XmlRpcStruct } from '../../src/protocol/values.ts';
import { engines } from '../helpers/db.ts';
import { ADMIN, ADMIN_PASSWORD } from '../helpers/hub.ts';
import { hubSite, type HubProc, type HubSite } from '../helpers/hub-process.ts';

const CLIENTS = 8;

/** Run `n` workers in parallel; collect fault codes and texts instead of throwing. */
async function parallel(n: number, work: (i: number) => Promise<void>): Promise<Array<{ code: number; text: string }>> {
  const faults: Array<{ code: number; text: string }> = [];
  await Promise.all(
    Array.from({ length: n }, async (_, i) => {
      try {
        await work(i);
      } catch (e) {
        if (e instanceof KojiError) faults.push({ code: e.faultCode, text: e.message });
        else throw e;
      }
    }),
  );
  return faults;
}

describe.each(engines())('concurrent writers on %s', (engine) => {
  let site: HubSite;
  let hubs: HubProc[];
  let clients: ClientSession[];
  let admin: ClientSession;

  beforeAll(async () => {
    site = await hubSite(engine);
    // PostgreSQL: two hub processes on one database, as in production; PGlite belongs to one
    hubs = engine === 'postgres' ? [await site.start(), await site.start()] : [await site.start()];
    admin = await site.admin(hubs[0]);
    clients = [];
    for (let i = 0; i < CLIENTS; i++) {
      const c = new ClientSession(hubs[i % hubs.length].url, { maxRetries: 0 });
      await c.login(ADMIN, ADMIN_PASSWORD);
      clients.push(c);
    }
  }, 120_000);
  afterAll(async () => {
    for (const c of clients ?? []) c.close();
    await site?.cleanup();
  });

  it('tagging and untagging one tag from 8 clients leaves consistent history at every event', async () => {
    await admin.call('createTag', ['conc']);
    await admin.call('packageListAdd', ['conc', 'pconc'], { owner: ADMIN });
    const builds = ['pconc-1-1', 'pconc-1-2', 'pconc-1-3'];
    for (const b of builds) {
      const [, v, r] = b.split('-');
      await admin.call('createEmptyBuild', ['pconc', v, r, null]);
    }
    const start = (await admin.call<XmlRpcStruct>('getLastEvent')).id as number;
    const unexpected: string[] = [];
    // a reader notes what was tagged at the last event it saw; the past must never change
    const seen = new Map<number, string>();
    let writing = true;
    const reader = (async () => {
      const r = site.anon(hubs[hubs.length - 1]);
      while (writing) {
        const e = (await r.call<XmlRpcStruct>('getLastEvent')).id as number;
        const at = (await r.call<XmlRpcStruct[]>('listTagged', ['conc'], { event: e })).map((b) => b.nvr).sort().join(' ');
        seen.set(e, at);
      }
    })();
    await Promise.all(
      clients.map(async (c, i) => {
        for (let round = 0; round < 40; round++) {
          const b = builds[(i + round) % builds.length];
          try {
            if ((i + round) % 2 === 0) await c.call('tagBuildBypass', ['conc', b]);
            else await c.call('untagBuild', ['conc', b]);
          } catch (e) {
            // true conflicts: already tagged (TagError 1003) / not tagged (GenericError 1000)
            const k = e as KojiError;
            if (!(k instanceof KojiError) || k.faultCode === 1) unexpected.push(String(k.message));
          }
        }
      }),
    );
    writing = false;
    await reader;
    expect(unexpected).toEqual([]);
    expect(seen.size).toBeGreaterThan(3);
    for (const [e, at] of seen) {
      const now = (await admin.call<XmlRpcStruct[]>('listTagged', ['conc'], { event: e })).map((b) => b.nvr).sort().join(' ');
      expect(now, `listTagged at event ${e}, read during the run and again after it`).toBe(at);
    }
    const end = (await admin.call<XmlRpcStruct>('getLastEvent')).id as number;
    expect(end).toBeGreaterThan(start + 20);
    // and through the API, at every event of the run: no build listed twice
    const calls = [];
    for (let e = start; e <= end; e++) calls.push({ methodName: 'listTagged', params: ['conc', { event: e, __starstar: true }] });
    const replies = await admin.call<Array<[XmlRpcStruct[]]>>('multiCall', [calls]);
    for (const [i, r] of replies.entries()) {
      const nvrs = r[0].map((b) => b.nvr);
      expect(new Set(nvrs).size, `event ${start + i}: ${nvrs.join(' ')}`).toBe(nvrs.length);
    }
  });

  it('distinct builds of a new package made at once all succeed', async () => {
    for (let round = 0; round < 3; round++) {
      const faults = await parallel(CLIENTS, (i) => clients[i].call('createEmptyBuild', [`race${round}`, '1.0', String(i + 1), null]));
      expect(faults).toEqual([]);
      const listed = await admin.call<XmlRpcStruct[]>('listBuilds', [], { packageID: (await admin.call<XmlRpcStruct>('getPackage', [`race${round}`])).id });
      expect(listed).toHaveLength(CLIENTS);
    }
  });

  it('distinct tags and users made at once all succeed; a true duplicate gets Koji fault text, once per loser', async () => {
    expect(await parallel(CLIENTS, (i) => clients[i].call('createTag', [`ctag-${i}`]))).toEqual([]);
    expect(await parallel(CLIENTS, (i) => clients[i].call('createUser', [`cuser${i}`]))).toEqual([]);
    const tagFaults = await parallel(CLIENTS, (i) => clients[i].call('createTag', ['same-tag']));
    expect(tagFaults).toHaveLength(CLIENTS - 1);
    for (const f of tagFaults) expect(f).toEqual({ code: 1000, text: "A tag with the name 'same-tag' already exists" });
    const userFaults = await parallel(CLIENTS, (i) => clients[i].call('createUser', ['sameuser']));
    expect(userFaults).toHaveLength(CLIENTS - 1);
    for (const f of userFaults) expect(f).toEqual({ code: 1000, text: 'user already exists: sameuser' });
  });

  it('tagging one build from every client: one succeeds, the others get TagError', async () => {
    await admin.call('createTag', ['conc2']);
    await admin.call('packageListAdd', ['conc2', 'pconc'], { owner: ADMIN });
    const faults = await parallel(CLIENTS, (i) => clients[i].call('tagBuildBypass', ['conc2', 'pconc-1-1']));
    expect(faults).toHaveLength(CLIENTS - 1);
    for (const f of faults) expect(f).toEqual({ code: 1003, text: 'build pconc-1-1 already tagged (conc2)' });
  });

  it('in the database, no build has overlapping tag_listing rows (checked with the hubs stopped)', async () => {
    for (const h of hubs) await h.stop();
    // per build, the intervals [create_event, revoke_event) never overlap
    const overlaps = await site.withDb((q) =>
      q(`SELECT a.build_id, a.create_event, a.revoke_event, b.create_event AS b_create
           FROM tag_listing a JOIN tag_listing b ON a.tag_id = b.tag_id AND a.build_id = b.build_id AND a.ctid < b.ctid
          WHERE a.create_event < COALESCE(b.revoke_event, 2147483647) AND b.create_event < COALESCE(a.revoke_event, 2147483647)`),
    );
    expect(overlaps).toEqual([]);
    const badRows = await site.withDb((q) => q('SELECT * FROM tag_listing WHERE revoke_event IS NOT NULL AND revoke_event <= create_event'));
    expect(badRows).toEqual([]);
  });
});
