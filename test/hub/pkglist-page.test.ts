/**
 * listPackages with queryOpts countOnly / order / offset / limit, which the hub answers in the
 * database (a count, one sorted page) instead of reading the whole package list: the same
 * answers as sorting listPackages' full result the way queryOpts do (stable, None first going up,
 * text by code point, then offset and limit; countOnly counts the cut list), for every column and
 * both directions, with inheritance (blocks, pkg_filter, the nearest tag's owner and arches),
 * with_dups, with_blocked, with_owners, a prefix and by owner; and a change shows at once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClientSession } from '../../src/protocol/client.ts';
import type { XmlRpcStruct, XmlRpcValue } from '../../src/protocol/values.ts';
import { engines } from '../helpers/db.ts';
import { startTestHub, type TestHub } from '../helpers/hub.ts';
import { compareValue } from '../helpers/sort.ts';

type Row = XmlRpcStruct;
interface Opts {
  order?: string;
  offset?: number;
  limit?: number;
}

/** queryOpts on a whole list, written out here as the reference. */
function reference(rows: Row[], o: Opts): Row[] {
  // None least, as queryOpts sort
  const cmp = (a: XmlRpcValue, b: XmlRpcValue) => compareValue(a, b, false);
  const keys = (o.order ?? '').split(',').filter(Boolean);
  const sorted = rows
    .map((r, i) => ({ r, i }))
    .sort((p, q) => {
      for (const k of keys) {
        const desc = k.startsWith('-');
        const c = cmp(p.r[desc ? k.slice(1) : k], q.r[desc ? k.slice(1) : k]);
        if (c) return desc ? -c : c;
      }
      return p.i - q.i;
    })
    .map((x) => x.r);
  return sorted.slice(o.offset ?? 0, o.limit ? (o.offset ?? 0) + o.limit : undefined);
}

const KEYS = ['package_id', 'package_name', 'tag_id', 'tag_name', 'owner_id', 'owner_name', 'blocked', 'extra_arches'];

describe.each(engines())('listPackages counted and paged by the hub on %s', (engine) => {
  let hub: TestHub;
  let admin: ClientSession;

  beforeAll(async () => {
    hub = await startTestHub(engine);
    admin = await hub.login();
    for (const u of ['Zed', 'alice']) await admin.call('createUser', [u]);
    await admin.call('createTag', ['base']);
    await admin.call('createTag', ['other']);
    await admin.call('createTag', ['mid'], { parent: 'base' });
    await admin.call('createTag', ['leaf'], { parent: 'mid' });
    const ids = Object.fromEntries((await admin.call<Row[]>('listTags')).map((t) => [t.name, t.id]));
    // a second parent of leaf whose packages pass a filter only when they start with "a"
    await admin.call('setInheritanceData', [ids.leaf, [{ parent_id: ids.other, priority: 5, maxdepth: null, intransitive: false, noconfig: false, pkg_filter: 'a.*' }]]);
    // names whose order differs between a locale's collation and code points; ids not in name order
    const pkgs = ['zz', 'Zlib', 'apple', 'apple-devel', 'apple_x', 'b', 'B2', 'a+b', 'abc'];
    const owners = ['kojiadmin', 'Zed', 'alice'];
    for (const [i, p] of pkgs.entries()) {
      await admin.call('packageListAdd', ['base', p], { owner: owners[i % 3], extra_arches: i % 3 === 0 ? null : i % 3 === 1 ? 'x86_64' : 'aarch64 ppc64le' });
      if (i % 2 === 0) await admin.call('packageListAdd', ['other', p], { owner: owners[(i + 1) % 3], extra_arches: 'i686' });
    }
    // nearer entries: a block in mid (hides base's), owners and arches overridden in leaf and mid
    await admin.call('packageListBlock', ['mid', 'b']);
    await admin.call('packageListAdd', ['mid', 'apple'], { owner: 'Zed', extra_arches: 's390x' });
    await admin.call('packageListAdd', ['leaf', 'zz'], { owner: 'alice', extra_arches: 'x86_64' });
    await admin.call('packageListAdd', ['leaf', 'new-one'], { owner: 'Zed' });
    await admin.call('packageListAdd', ['leaf', 'abc'], { owner: 'kojiadmin', block: true });
  });
  afterAll(async () => hub?.stop());

  const queries: Array<[string, Record<string, XmlRpcValue>]> = [
    ['leaf, inherited', { tagID: 'leaf', inherited: true }],
    ['leaf, inherited, with_dups', { tagID: 'leaf', inherited: true, with_dups: true }],
    ['leaf, inherited, no blocked, no owners', { tagID: 'leaf', inherited: true, with_blocked: false, with_owners: false }],
    ['leaf, inherited, with_dups, no blocked', { tagID: 'leaf', inherited: true, with_dups: true, with_blocked: false }],
    ['leaf, inherited, prefix', { tagID: 'leaf', inherited: true, prefix: 'A' }],
    ['base', { tagID: 'base' }],
    ['owner Zed, with_dups', { userID: 'Zed', with_dups: true }],
    ['owner Zed', { userID: 'Zed' }],
    ['package apple, with_dups', { pkgID: 'apple', with_dups: true }],
  ];

  it.each(queries)('listPackages(%s) with queryOpts sorts, cuts and counts as the whole list would be', async (_label, kw) => {
    const full = await admin.call<Row[]>('listPackages', [], kw);
    expect(full.length).toBeGreaterThan(2);
    const opts: Opts[] = [{}, { offset: 2, limit: 3 }, { offset: 1000, limit: 5 }, { limit: 1 }, { order: 'tag_name,-package_name' }, { order: 'blocked,no_such_key,-owner_id', offset: 1 }];
    for (const k of KEYS) opts.push({ order: k, limit: 50 }, { order: `-${k}`, offset: 2, limit: 4 }, { order: `-${k}` }, { order: k, offset: 1 });
    const calls = opts.flatMap((o) => [
      { method: 'listPackages', kwargs: { ...kw, queryOpts: { ...o } } },
      { method: 'listPackages', kwargs: { ...kw, queryOpts: { ...o, countOnly: true } } },
    ]);
    const res = await admin.multiCall(calls, { strict: true });
    opts.forEach((o, n) => {
      const rows = (res[2 * n] as [Row[]])[0];
      const count = (res[2 * n + 1] as [number])[0];
      const want = Object.keys(o).length ? reference(full, o) : full;
      expect({ o, names: rows.map((r) => `${String(r.package_name)}@${String(r.tag_name)}`) }).toEqual({ o, names: want.map((r) => `${String(r.package_name)}@${String(r.tag_name)}`) });
      expect(rows).toEqual(want);
      expect({ o, count }).toEqual({ o, count: want.length });
    });
  });

  it('the inherited list keeps Koji semantics: blocks, filters, the nearest entry', async () => {
    const rows = await admin.call<Row[]>('listPackages', [], { tagID: 'leaf', inherited: true, queryOpts: { order: 'package_name' } });
    const by = Object.fromEntries(rows.map((r) => [r.package_name, r]));
    expect(by.zz).toMatchObject({ tag_name: 'leaf', owner_name: 'alice', extra_arches: 'x86_64' });
    expect(by['new-one']).toMatchObject({ tag_name: 'leaf', owner_name: 'Zed' });
    expect(by.apple).toMatchObject({ tag_name: 'mid', owner_name: 'Zed', extra_arches: 's390x' });
    expect(by.b).toMatchObject({ tag_name: 'mid', blocked: true });
    expect(by.abc).toMatchObject({ tag_name: 'leaf', blocked: true });
    const unblocked = await admin.call<Row[]>('listPackages', [], { tagID: 'leaf', inherited: true, with_blocked: false, queryOpts: { order: 'package_name' } });
    // as in Koji, blocked entries are dropped before the nearest entry is chosen: base's b shows
    expect(unblocked.find((r) => r.package_name === 'b')).toMatchObject({ tag_name: 'base', blocked: false });
    expect(unblocked.some((r) => r.blocked)).toBe(false);
    expect(await admin.call('listPackages', [], { tagID: 'leaf', inherited: true, with_blocked: false, queryOpts: { countOnly: true } })).toBe(unblocked.length);
  });

  it('answers a change at once (the remembered pages are dropped) and unknown tags as before', async () => {
    const count = () => admin.call<number>('listPackages', [], { tagID: 'leaf', inherited: true, queryOpts: { countOnly: true } });
    const before = await count();
    await admin.call('packageListAdd', ['base', 'added-late'], { owner: 'alice' });
    expect(await count()).toBe(before + 1);
    const [first] = await admin.call<Row[]>('listPackages', [], { tagID: 'leaf', inherited: true, queryOpts: { order: '-package_id', limit: 1 } });
    expect(first.package_name).toBe('added-late');
    await expect(admin.call('listPackages', [], { tagID: 'no-such-tag', queryOpts: { countOnly: true } })).rejects.toThrow(/no-such-tag/);
  });
});
