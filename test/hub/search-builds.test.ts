/**
 * search(terms, 'build', glob|exact): the hub first narrows the packages a pattern can match
 * (by the pattern's literal start, also when a package name is the part before one of its
 * dashes) — the hits must be those of matching every build's N-V-R, written out here.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClientSession } from '../../src/protocol/client.ts';
import type { XmlRpcStruct } from '../../src/protocol/values.ts';
import { engines } from '../helpers/db.ts';
import { startTestHub, type TestHub } from '../helpers/hub.ts';
import { addBuild } from '../helpers/content.ts';

/** a glob as Koji's search matches it: case-insensitive, * any run, ? one character */
function globMatch(glob: string, s: string): boolean {
  const re = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${re}$`, 'is').test(s);
}

describe.each(engines())('search of builds on %s', (engine) => {
  let hub: TestHub;
  let admin: ClientSession;
  let nvrs: string[];

  beforeAll(async () => {
    hub = await startTestHub(engine);
    admin = await hub.login();
    // package names that are a prefix of others, with dashes, case and LIKE characters
    nvrs = ['foo-bar-1', 'foo-bar-1-1', 'foo-bar-2-1', 'Foo-Baz-2-1', 'foo_x-1-1', 'fooax-1-1', 'foo-1.0-1', 'foo-bar-baz-3-1', 'bar-1-foo', 'a%b-1-1', 'F-1-1'];
    for (const n of nvrs) await addBuild(hub, n);
  });
  afterAll(async () => hub?.stop());

  const globs = ['foo-bar*', 'FOO-B*', 'foo-bar-1', 'foo?x*', 'foo_x*', 'foo-*-1', '*bar*', 'foo-bar-baz-3*', 'f-*', 'F*', 'a%b*', 'foo-bar-1-1', 'fo', '?oo-bar*'];
  it.each(globs)('glob %s finds the builds whose N-V-R matches', async (g) => {
    const hits = await admin.call<XmlRpcStruct[]>('search', [g, 'build', 'glob'], { queryOpts: { order: 'name' } });
    expect(hits.map((h) => h.name).sort()).toEqual(nvrs.filter((n) => globMatch(g, n)).sort());
    expect(await admin.call('search', [g, 'build', 'glob'], { queryOpts: { countOnly: true } })).toBe(hits.length);
  });

  it('exact names match exactly (case and all)', async () => {
    for (const n of nvrs) expect((await admin.call<XmlRpcStruct[]>('search', [n, 'build', 'exact'])).map((h) => h.name)).toEqual([n]);
    expect(await admin.call('search', ['FOO-BAR-1-1', 'build', 'exact'])).toEqual([]);
    expect(await admin.call('search', ['foo-bar', 'build', 'exact'])).toEqual([]);
  });
});
