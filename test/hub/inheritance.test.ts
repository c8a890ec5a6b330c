/**
 * Tag inheritance on the hub: getFullInheritance's walk (priority order, maxdepth propagation,
 * intransitive links, noconfig, accumulated pkg_filters, revisits of less restricted paths, loop
 * pruning, reverse walks) and setInheritanceData's rules (cycle refusal, string priorities,
 * duplicate priorities, "delete link", clear). The expected walks were worked out with Koji's
 * readFullInheritanceRecurse on the same graph.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClientSession } from '../../src/protocol/client.ts';
import type { XmlRpcStruct, XmlRpcValue } from '../../src/protocol/values.ts';
import { engines } from '../helpers/db.ts';
import { startTestHub, type TestHub } from '../helpers/hub.ts';
import { newEvent } from '../helpers/content.ts';

type Node = XmlRpcStruct & { parent_id: number; name: string; currdepth: number; nextdepth: number | null; filter: string[] };

describe.each(engines())('tag inheritance on %s', (engine) => {
  let hub: TestHub;
  let admin: ClientSession;
  const ids = new Map<string, number>();
  const id = (n: string) => ids.get(n) as number;
  const link = (child: string, parent: string, priority: number, o: Record<string, XmlRpcValue> = {}) =>
    admin.call('setInheritanceData', [child, [{ parent_id: id(parent), priority, maxdepth: null, intransitive: false, noconfig: false, pkg_filter: '', ...o }]]);
  const walk = async (tag: string, kw: Record<string, XmlRpcValue> = {}) => (await admin.call<Node[]>('getFullInheritance', [tag], kw)).map((n) => [n.name, n.currdepth, n.nextdepth, n.filter]);

  beforeAll(async () => {
    hub = await startTestHub(engine);
    admin = await hub.login();
    const names = ['t1', 'p10', 'p5', 'g', 'gg', 'm', 'm1', 'm2', 'm3', 'm4', 'm0', 'i', 'ip', 'ic', 'f', 'fa', 'fb', 'fc', 'fd', 'n', 'na', 'nb', 'nc', 'lA', 'lB', 'lC'];
    for (const n of names) ids.set(n, await admin.call<number>('createTag', [n]));
    await link('t1', 'p10', 10);
    await link('t1', 'p5', 5);
    await link('p5', 'g', 0);
    await link('p10', 'g', 0);
    await link('g', 'gg', 0);
    await link('m', 'm1', 0, { maxdepth: 2 });
    await link('m1', 'm2', 0);
    await link('m2', 'm3', 0);
    await link('m3', 'm4', 0);
    await link('m0', 'm1', 0, { maxdepth: 0 });
    await link('i', 'ip', 0, { intransitive: true });
    await link('ic', 'i', 0);
    await link('f', 'fa', 1, { pkg_filter: 'a.*' });
    await link('f', 'fb', 2);
    await link('fa', 'fc', 0, { pkg_filter: 'b' });
    await link('fb', 'fc', 0);
    await link('fc', 'fd', 0);
    await link('n', 'na', 1, { noconfig: true });
    await link('n', 'nb', 2);
    await link('na', 'nc', 0);
    await link('nb', 'nc', 0);
    await link('lA', 'lB', 0);
    await link('lB', 'lC', 0);
    // a loop can only come from outside the API (setInheritanceData refuses it)
    const ev = await newEvent(hub);
    await hub.db.rawQuery("INSERT INTO tag_inheritance (tag_id, parent_id, priority, create_event, creator_id) VALUES ($1, $2, 0, $3, (SELECT id FROM users WHERE name = 'kojiadmin'))", [id('lC'), id('lA'), ev]);
  });
  afterAll(async () => hub?.stop());

  it('walks depth-first in priority order and skips revisits that add nothing', async () => {
    expect(await walk('t1')).toEqual([['p5', 1, null, []], ['g', 2, null, []], ['gg', 3, null, []], ['p10', 1, null, []]]);
    const nodes = await admin.call<Node[]>('getFullInheritance', ['t1']);
    expect(nodes[1]).toEqual({ parent_id: id('g'), name: 'g', priority: 0, maxdepth: null, intransitive: false, noconfig: false, pkg_filter: '', child_id: id('p5'), currdepth: 2, nextdepth: null, filter: [] });
  });

  it('propagates maxdepth down the walk', async () => {
    expect(await walk('m')).toEqual([['m1', 1, 2, []], ['m2', 2, 1, []], ['m3', 3, 0, []]]);
    expect(await walk('m0')).toEqual([['m1', 1, 0, []]]);
  });

  it('follows intransitive links only from the tag itself', async () => {
    expect(await walk('i')).toEqual([['ip', 1, null, []]]);
    expect(await walk('ic')).toEqual([['i', 1, null, []]]);
  });

  it('accumulates package filters and revisits tags reached by a less filtered path', async () => {
    expect(await walk('f')).toEqual([
      ['fa', 1, null, ['a.*']],
      ['fc', 2, null, ['a.*', 'b']],
      ['fd', 3, null, ['a.*', 'b']],
      ['fb', 1, null, []],
      ['fc', 2, null, []],
      ['fd', 3, null, []],
    ]);
  });

  it('does not revisit for noconfig (Koji compares the link flag only)', async () => {
    expect(await walk('n')).toEqual([['na', 1, null, []], ['nc', 2, null, []], ['nb', 1, null, []]]);
    const nodes = await admin.call<Node[]>('getFullInheritance', ['n']);
    expect(nodes.map((x) => x.noconfig)).toEqual([true, false, false]);
  });

  it('prunes loops while walking', async () => {
    expect(await walk('lA')).toEqual([['lB', 1, null, []], ['lC', 2, null, []]]);
    expect(await walk('lB')).toEqual([['lC', 1, null, []], ['lA', 2, null, []]]);
  });

  it('walks descendants with reverse', async () => {
    const rev = async (tag: string) => (await admin.call<Node[]>('getFullInheritance', [tag], { reverse: true })).map((x) => [x.name, x.currdepth]);
    expect(await rev('g')).toEqual([['p5', 1], ['t1', 2], ['p10', 1]]);
    expect(await rev('gg')).toEqual([['g', 1], ['p5', 2], ['t1', 3], ['p10', 2]]);
    expect(await rev('ip')).toEqual([['i', 1]]);
    // m (maxdepth 2) and m0 (maxdepth 0) are too far from m4
    expect(await rev('m4')).toEqual([['m3', 1], ['m2', 2], ['m1', 3]]);
    expect(await rev('lA')).toEqual([['lC', 1], ['lB', 2]]);
    const [first] = await admin.call<Node[]>('getFullInheritance', ['g'], { reverse: true });
    expect(first).toMatchObject({ tag_id: id('p5'), parent_id: id('g'), name: 'p5', nextdepth: null, filter: [] });
    expect(first).not.toHaveProperty('child_id');
  });

  it('refuses loops and self-inheritance when writing links', async () => {
    await expect(link('gg', 't1', 0)).rejects.toThrow('inheritance loop: tag t1 already inherits from tag');
    await expect(link('g', 'g', 5)).rejects.toThrow('a tag cannot inherit from itself');
    expect(await walk('gg')).toEqual([]);
  });

  it('getFullInheritance argument handling', async () => {
    await expect(admin.call('getFullInheritance', ['t1'], { stops: { 1: 1 } })).rejects.toThrow('stops option has been removed since 1.26');
    expect(await admin.call('getFullInheritance', ['t1'], { jumps: {} })).toHaveLength(4);
    await expect(admin.call('getFullInheritance', ['t1'], { other: 1 })).rejects.toThrow("getFullInheritance() got an unexpected keyword argument 'other'");
    await expect(admin.call('getFullInheritance', ['nosuch'])).rejects.toThrow('No such entry in table tag: nosuch');
    expect(await admin.call('getFullInheritance', [99999])).toEqual([]);
  });

  describe('setInheritanceData', () => {
    const data = async (tag: string) => (await admin.call<Node[]>('getInheritanceData', [tag])).map((l) => [l.name, l.priority, l.maxdepth, l.intransitive, l.noconfig, l.pkg_filter]);

    it('takes priorities and maxdepths sent as text (the CLI does)', async () => {
      ids.set('s', await admin.call<number>('createTag', ['s']));
      await admin.call('setInheritanceData', ['s', [{ parent_id: id('g'), priority: '10', maxdepth: '2', intransitive: false, noconfig: false, pkg_filter: '' }]]);
      expect(await data('s')).toEqual([['g', 10, 2, false, false, '']]);
      const [l] = await admin.call<Node[]>('getInheritanceData', ['s']);
      expect(l).toEqual({ parent_id: id('g'), name: 'g', priority: 10, maxdepth: 2, intransitive: false, noconfig: false, pkg_filter: '', child_id: id('s') });
    });

    it('refuses two parents with the same priority', async () => {
      await expect(admin.call('setInheritanceData', ['s', [{ parent_id: id('gg'), priority: 10, maxdepth: null, intransitive: false, noconfig: false, pkg_filter: '' }]])).rejects.toThrow(
        `Multiple parent tags ([${id('g')}, ${id('gg')}]) cannot have the same priority value (10) on child tag ${id('s')}`,
      );
      // a swap within one call is fine
      await admin.call('setInheritanceData', ['s', [
        { parent_id: id('gg'), priority: 10, maxdepth: null, intransitive: false, noconfig: false, pkg_filter: 'x' },
        { parent_id: id('g'), priority: 20, maxdepth: 2, intransitive: false, noconfig: false, pkg_filter: '' },
      ]]);
      expect(await data('s')).toEqual([['gg', 10, null, false, false, 'x'], ['g', 20, 2, false, false, '']]);
    });

    it('checks every link for its fields and its parent', async () => {
      await expect(admin.call('setInheritanceData', ['s', [{ parent_id: id('g'), priority: 1 }]])).rejects.toThrow('No value for maxdepth');
      await expect(admin.call('setInheritanceData', ['s', [{ parent_id: 99999, priority: 1, maxdepth: null, intransitive: false, noconfig: false, pkg_filter: '' }]])).rejects.toThrow('No such tagInfo: 99999');
      await expect(admin.call('setInheritanceData', ['nosuch', []])).rejects.toThrow('No such entry in table tag: nosuch');
    });

    it('changes nothing (no new event) when the links are the same', async () => {
      const before = await admin.call<number>('tagLastChangeEvent', ['s']);
      const same = await admin.call<Node[]>('getInheritanceData', ['s']);
      await admin.call('setInheritanceData', ['s', same as unknown as XmlRpcValue]);
      expect(await admin.call('tagLastChangeEvent', ['s'])).toBe(before);
    });

    it('removes a link with "delete link" and ignores deleting a link that is not there', async () => {
      await admin.call('setInheritanceData', ['s', [{ parent_id: id('gg'), 'delete link': true }]]);
      expect(await data('s')).toEqual([['g', 20, 2, false, false, '']]);
      await admin.call('setInheritanceData', ['s', [{ parent_id: id('gg'), 'delete link': true }]]);
      expect(await data('s')).toEqual([['g', 20, 2, false, false, '']]);
    });

    it('replaces every link with clear', async () => {
      await admin.call('setInheritanceData', ['s', [{ parent_id: id('p5'), priority: 3, maxdepth: null, intransitive: true, noconfig: true, pkg_filter: '' }]], { clear: true });
      expect(await data('s')).toEqual([['p5', 3, null, true, true, '']]);
      await admin.call('setInheritanceData', ['s', []], { clear: true });
      expect(await data('s')).toEqual([]);
    });

    it('keeps the past: getInheritanceData and getFullInheritance at an event', async () => {
      const ev = await admin.call<number>('tagLastChangeEvent', ['t1']);
      await admin.call('setInheritanceData', ['t1', [{ parent_id: id('p10'), 'delete link': true }]]);
      expect((await admin.call<Node[]>('getInheritanceData', ['t1'])).map((l) => l.name)).toEqual(['p5']);
      expect((await admin.call<Node[]>('getInheritanceData', ['t1'], { event: ev })).map((l) => l.name)).toEqual(['p5', 'p10']);
      expect(await walk('t1', { event: ev })).toEqual([['p5', 1, null, []], ['g', 2, null, []], ['gg', 3, null, []], ['p10', 1, null, []]]);
    });

    it('needs the tag permission', async () => {
      await admin.call('createUser', ['joe']);
      await admin.call('kojits.setPassword', ['joe', 'joe-pass-1']);
      const joe = await hub.login('joe', 'joe-pass-1');
      await expect(joe.call('setInheritanceData', ['s', []], { clear: true })).rejects.toThrow('tag permission required');
      expect(await joe.call('getInheritanceData', ['t1'])).toHaveLength(1);
    });
  });
});
