/**
 * count and countAndFilterResults of listTagged, which the hub answers in the database (the
 * total and one sorted page) instead of sorting the whole list: the same answers as sorting
 * listTagged's full result the way Koji's countAndFilterResults does (stable, by the key's value
 * with None greatest unless noneGreatest is false, then offset and limit), for every column,
 * both directions, with inheritance, latest and latest=N; and a tagging shows at once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClientSession } from '../../src/protocol/client.ts';
import type { XmlRpcStruct, XmlRpcValue } from '../../src/protocol/values.ts';
import { engines } from '../helpers/db.ts';
import { startTestHub, type TestHub } from '../helpers/hub.ts';
import { addBuild } from '../helpers/content.ts';
import { compareValue } from '../helpers/sort.ts';

type Row = XmlRpcStruct;

/** Koji's countAndFilterResults on a list, written out here as the reference. */
function reference(rows: Row[], f: { order?: string; noneGreatest?: boolean; offset?: number; limit?: number }): [number, Row[]] {
  let out = rows.map((r, i) => ({ r, i }));
  if (f.order) {
    const desc = f.order.startsWith('-');
    const key = desc ? f.order.slice(1) : f.order;
    const noneGreatest = f.noneGreatest ?? true;
    // Python's sort key (v is None, v) (or plain v) with reverse: ties keep the list's order
    const cmpVal = (a: XmlRpcValue, b: XmlRpcValue) => compareValue(a, b, noneGreatest);
    out = [...out].sort((p, q) => (desc ? -1 : 1) * cmpVal(p.r[key], q.r[key]) || p.i - q.i);
  }
  let rowsOut = out.map((o) => o.r);
  if (f.offset !== undefined) rowsOut = rowsOut.slice(f.offset);
  if (f.limit !== undefined) rowsOut = rowsOut.slice(0, f.limit);
  return [rows.length, rowsOut];
}

const KEYS = ['build_id', 'id', 'nvr', 'name', 'package_name', 'version', 'release', 'epoch', 'owner_name', 'owner_id', 'tag_name', 'tag_id', 'state', 'completion_time', 'creation_time', 'start_time', 'promotion_time', 'promoter_name', 'task_id', 'draft', 'volume_name', 'create_event', 'creation_event_id', 'package_id'];

describe.each(engines())('listTagged counted and paged by the hub on %s', (engine) => {
  let hub: TestHub;
  let admin: ClientSession;

  beforeAll(async () => {
    hub = await startTestHub(engine);
    admin = await hub.login();
    await admin.call('createUser', ['Zed']);
    await admin.call('createUser', ['alice']);
    await admin.call('createTag', ['base']);
    await admin.call('createTag', ['child'], { parent: 'base' });
    // names whose order differs between a locale's collation and code points
    const pkgs = ['Zlib', 'apple', 'apple-devel', 'apple_x', 'b', 'B2', 'a+b', 'zz'];
    for (const p of pkgs) await admin.call('packageListAdd', ['base', p], { owner: 'kojiadmin' });
    let i = 0;
    for (const p of pkgs) {
      for (const v of ['1.0', '1.10', '1.9']) {
        i++;
        // completion times with ties and with and without fractions; some epochs, some owners
        const id = await addBuild(hub, `${p}-${v}-${i % 3}`, { owner: ['kojiadmin', 'Zed', 'alice'][i % 3], epoch: i % 4 === 0 ? null : i % 5, completion: 1700000000 + (i % 4) + (i % 3 === 0 ? 0.25 : i % 3 === 1 ? 0.5 : 0) });
        await admin.call('tagBuildBypass', [i % 2 ? 'base' : 'child', id]);
      }
    }
  });
  afterAll(async () => hub?.stop());

  const queries: Array<[string, XmlRpcValue[], Record<string, XmlRpcValue>]> = [
    ['base', ['base'], {}],
    ['child, inherit', ['child'], { inherit: true }],
    ['child, inherit, latest', ['child'], { inherit: true, latest: true }],
    ['child, inherit, latest=2', ['child'], { inherit: true, latest: 2 }],
    ['child, inherit, owner', ['child'], { inherit: true, owner: 'Zed' }],
  ];

  it.each(queries)('countAndFilterResults(listTagged %s) sorts and cuts as the full list would be', async (_label, args, kw) => {
    const full = await admin.call<Row[]>('listTagged', args, kw);
    expect(full.length).toBeGreaterThan(4);
    const filters: Array<{ order?: string; noneGreatest?: boolean; offset?: number; limit?: number }> = [{}, { offset: 3, limit: 5 }, { offset: 1000, limit: 5 }, { limit: 0 }];
    for (const k of KEYS) {
      filters.push({ order: k, limit: 50 }, { order: `-${k}`, offset: 2, limit: 7 }, { order: `-${k}`, noneGreatest: false }, { order: k, noneGreatest: false, offset: 1 });
    }
    const res = await admin.multiCall(filters.map((filterOpts) => ({ method: 'countAndFilterResults', args: ['listTagged', ...args], kwargs: { ...kw, filterOpts } })), { strict: true });
    filters.forEach((f, n) => {
      const [total, rows] = (res[n] as [[number, Row[]]])[0];
      const [wantTotal, want] = reference(full, f);
      expect({ f, total, ids: rows.map((r) => r.build_id) }).toEqual({ f, total: wantTotal, ids: want.map((r) => r.build_id) });
      expect(rows).toEqual(want);
    });
    expect(await admin.call('count', ['listTagged', ...args], kw)).toBe(full.length);
    // a prefix filters the handler's list: the same through the generic path
    const withPrefix = await admin.call<[number, Row[]]>('countAndFilterResults', ['listTagged', ...args], { ...kw, prefix: 'a', filterOpts: { order: 'nvr', limit: 3 } });
    expect(withPrefix).toEqual(reference(full.filter((r) => String(r.package_name).toLowerCase().startsWith('a')), { order: 'nvr', limit: 3 }));
  });

  it('answers a tagging at once (the remembered pages are dropped) and an unknown tag as listTagged does', async () => {
    const page = () => admin.call<[number, Row[]]>('countAndFilterResults', ['listTagged', 'child'], { inherit: true, filterOpts: { order: '-build_id', limit: 1 } });
    const [before] = await page();
    const id = await addBuild(hub, 'zz-9-9');
    await admin.call('tagBuildBypass', ['child', id]);
    const [after, rows] = await page();
    expect(after).toBe(before + 1);
    expect(rows[0].build_id).toBe(id);
    expect(await admin.call('count', ['listTagged', 'child'], { inherit: true })).toBe(after);
    await expect(admin.call('countAndFilterResults', ['listTagged', 'no-such-tag'], { filterOpts: { limit: 5 } })).rejects.toThrow(/No such tagInfo|no-such-tag/);
    expect(await admin.call('countAndFilterResults', ['listTagged', 'no-such-tag'], { strict: false, filterOpts: { limit: 5 } })).toEqual([0, []]);
  });
});
