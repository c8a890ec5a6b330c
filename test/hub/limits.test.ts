/**
 * Bounded work per request: MaxMulticallCalls caps the calls of a multicall, MaxReplySize the
 * bytes of a reply (a multicall's results counted together, encoded as each call finishes).
 * Over a limit: a fault naming it; a multicall that writes is rolled back as a whole.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClientSession } from '../../src/protocol/client.ts';
import { GenericError } from '../../src/protocol/faults.ts';
import type { XmlRpcStruct, XmlRpcValue } from '../../src/protocol/values.ts';
import { engines } from '../helpers/db.ts';
import { startTestHub, type TestHub } from '../helpers/hub.ts';
import { hubSite, type HubProc, type HubSite } from '../helpers/hub-process.ts';

const TAGS = 40;

describe.each(engines())('request limits on %s', (engine) => {
  let hub: TestHub;
  let admin: ClientSession;
  let replyBytes: number;

  beforeAll(async () => {
    hub = await startTestHub(engine, { conf: '[hub]\nMaxMulticallCalls = 200\nMaxReplySize = 300000\n' });
    admin = await hub.login();
    await admin.call('multiCall', [Array.from({ length: TAGS }, (_, i) => ({ methodName: 'createTag', params: [`limit-tag-${i}-with-a-longer-name`] }))]);
    replyBytes = Buffer.byteLength(JSON.stringify(await admin.call('listTags')));
  });
  afterAll(async () => hub?.stop());

  const listTagsCalls = (n: number) => Array.from({ length: n }, () => ({ methodName: 'listTags', params: [] as XmlRpcValue[] }));

  it('a multicall within both limits works', async () => {
    const r = await hub.anon().call<Array<[XmlRpcStruct[]]>>('multiCall', [listTagsCalls(3)]);
    expect(r.map((x) => x[0].length)).toEqual([TAGS, TAGS, TAGS]);
  });

  it('more calls than MaxMulticallCalls: a fault naming the limit', async () => {
    await expect(hub.anon().call('multiCall', [Array.from({ length: 201 }, () => ({ methodName: 'getAPIVersion', params: [] }))])).rejects.toThrow(
      /multicall of 201 calls refused: the hub allows at most 200 calls in one multicall \(MaxMulticallCalls/,
    );
    expect(await hub.anon().call<unknown[]>('multiCall', [Array.from({ length: 200 }, () => ({ methodName: 'getAPIVersion', params: [] }))])).toHaveLength(200);
  });

  it('results past MaxReplySize: a fault naming the limit, and the hub answers on', async () => {
    const n = Math.ceil(300000 / replyBytes) * 3;
    expect(n).toBeLessThan(200);
    const err = await hub.anon().call('multiCall', [listTagsCalls(n)]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GenericError);
    expect((err as Error).message).toMatch(/^multicall reply too large: the results of calls 1-\d+ pass the hub's limit of 300000 bytes \(MaxReplySize in hub.conf\)/);
    expect(await hub.anon().call('getAPIVersion')).toBe(1);
  });

  it('a multicall that writes and passes the limit changes nothing', async () => {
    const calls = [{ methodName: 'createTag', params: ['limit-rolled-back'] }, ...listTagsCalls(Math.ceil(300000 / replyBytes) * 3)];
    await expect(admin.call('multiCall', [calls])).rejects.toThrow(/MaxReplySize/);
    expect(await admin.call('getTag', ['limit-rolled-back'])).toBeNull();
  });

  it('a single reply past MaxReplySize: a fault naming the method and the limit', async () => {
    for (const batch of [0, 1, 2]) {
      await admin.call('multiCall', [Array.from({ length: 200 }, (_, i) => ({ methodName: 'createTag', params: [`bulk${batch}-${i}-${'x'.repeat(150)}`] }))]);
    }
    await expect(hub.anon().call('listTags')).rejects.toThrow(/^reply of listTags too large: it passes the hub's limit of 300000 bytes \(MaxReplySize in hub.conf\)/);
    expect((await hub.anon().call<XmlRpcStruct[]>('listTags', [], { queryOpts: { limit: 10 } })).length).toBe(10);
  });
});

/** RSS of a process, MiB. */
function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : 0;
}

describe.each(engines())('reply amplification against a hub process with default limits on %s', (engine) => {
  let site: HubSite;
  let proc: HubProc;

  beforeAll(async () => {
    site = await hubSite(engine);
    proc = await site.start();
  }, 60_000);
  afterAll(async () => site?.cleanup());

  it('8,000 × listTags of 600 tags in one anonymous multicall: a fault, and memory stays bounded', async () => {
    const admin = await site.admin(proc);
    for (let b = 0; b < 6; b++) {
      await admin.call('multiCall', [Array.from({ length: 100 }, (_, i) => ({ methodName: 'createTag', params: [`amp-${b}-${i}`] }))]);
    }
    const anon = site.anon(proc);
    expect(await anon.call<unknown[]>('listTags')).toHaveLength(600);
    const before = rssMiB(proc.pid);
    // ~1.6 MB of request that would ask for a reply of several GB
    const calls = Array.from({ length: 8000 }, () => ({ methodName: 'listTags', params: [] as XmlRpcValue[] }));
    await expect(anon.call('multiCall', [calls])).rejects.toThrow(/multicall reply too large: .* limit of 268435456 bytes \(MaxReplySize/);
    const after = rssMiB(proc.pid);
    // before the limit: a 3.5 GB reply and 5 GB of RSS
    expect(after - before).toBeLessThan(900);
    expect(await anon.call('getAPIVersion')).toBe(1);
  }, 180_000);
});
