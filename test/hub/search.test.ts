/**
 * search: glob (case-insensitive, `*`/`?` wildcards, literal `_`/`%`/`\`), regexp (`~*`, bad
 * patterns refused with a clear fault) and exact matches over every search type.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClientSession } from '../../src/protocol/client.ts';
import { globToLike } from '../../src/hub/api/search.ts';
import { addBuild } from '../helpers/content.ts';
import { engines } from '../helpers/db.ts';
import { startTestHub, type TestHub } from '../helpers/hub.ts';

type Hit = { id: number; name: string };

describe('globToLike', () => {
  it('turns glob wildcards into LIKE ones and escapes the rest', () => {
    expect(globToLike('foo*')).toBe('foo%');
    expect(globToLike('f?o')).toBe('f_o');
    expect(globToLike('a_b%c\\d')).toBe('a\\_b\\%c\\\\d');
  });
});

describe.each(engines())('search on %s', (engine) => {
  let hub: TestHub;
  let anon: ClientSession;
  const names = async (terms: string, type: string, matchType: string, queryOpts?: Record<string, unknown>) =>
    (await anon.call<Hit[]>('search', [terms, type, matchType, (queryOpts ?? null) as never])).map((r) => r.name);

  beforeAll(async () => {
    hub = await startTestHub(engine);
    anon = hub.anon();
    const admin = await hub.login();
    for (const u of ['alice', 'Alfred', 'bob']) await admin.call('createUser', [u]);
    for (const t of ['f40', 'f40-build', 'f41', 'old_tag']) await admin.call('createTag', [t]);
    await admin.call('deleteTag', ['f41']);
    for (const p of ['python3', 'python3-libs', 'python_x', 'perl']) await hub.db.rawQuery('INSERT INTO package (name) VALUES ($1)', [p]);
    const b1 = await addBuild(hub, 'python3-3.12.1-1.fc40', { owner: 'alice' });
    await addBuild(hub, 'perl-5.38-2.fc40', { owner: 'bob' });
    await hub.db.rawQuery(
      `INSERT INTO rpminfo (build_id, name, version, release, arch, draft, external_repo_id, payloadhash, size, buildtime)
       VALUES ($1, 'python3', '3.12.1', '1.fc40', 'x86_64', false, 0, 'abc', 1, 1),
              ($1, 'python3', '3.12.1', '1.fc40', 'src', false, 0, 'def', 1, 1)`,
      [b1],
    );
    const jar = await hub.db.rawQuery<{ id: number }>(
      `INSERT INTO archiveinfo (type_id, btype_id, build_id, filename, size, checksum, checksum_type)
       VALUES (1, 2, $1, 'commons-io-2.1.jar', 1, 'x', 0), (9, 3, $1, 'setup.exe', 1, 'y', 0) RETURNING id`,
      [b1],
    );
    await hub.db.rawQuery(`INSERT INTO maven_archives VALUES ($1, 'org.apache', 'commons-io', '2.1')`, [jar.rows[0].id]);
    await hub.db.rawQuery(`INSERT INTO win_archives (archive_id, relpath, platforms) VALUES ($1, 'bin', 'w64')`, [jar.rows[1].id]);
    await admin.call('addHost', ['builder1', ['x86_64']]);
    const ev = (await anon.call<{ id: number }>('getLastEvent')).id;
    await hub.db.rawQuery(`INSERT INTO build_target (name) VALUES ('f40-candidate'), ('gone')`);
    await hub.db.rawQuery(
      `INSERT INTO build_target_config (build_target_id, build_tag, dest_tag, create_event, creator_id)
       SELECT bt.id, t.id, t.id, $1, 1 FROM build_target bt, tag t WHERE bt.name = 'f40-candidate' AND t.name = 'f40'`,
      [ev],
    );
  });
  afterAll(async () => hub?.stop());

  it('globs are case-insensitive with * and ? wildcards', async () => {
    expect(await names('python3*', 'package', 'glob')).toEqual(['python3', 'python3-libs']);
    expect(await names('PYTHON?', 'package', 'glob')).toEqual(['python3']);
    expect(await names('pyth?n3', 'package', 'glob')).toEqual(['python3']);
    expect(await names('al*', 'user', 'glob')).toEqual(['alice', 'Alfred']);
  });

  it('in globs, _ and % are literal', async () => {
    expect(await names('python_*', 'package', 'glob')).toEqual(['python_x']);
    expect(await names('python%', 'package', 'glob')).toEqual([]);
  });

  it('regexp matching is case-insensitive; bad patterns give a clear fault', async () => {
    expect(await names('^p(y|e)', 'package', 'regexp')).toEqual(['python3', 'python3-libs', 'python_x', 'perl']);
    expect(await names('^AL', 'user', 'regexp')).toEqual(['alice', 'Alfred']);
    await expect(anon.call('search', ['(unclosed', 'package', 'regexp'])).rejects.toThrow(/^Invalid regular expression '\(unclosed': /);
    await expect(anon.call('search', ['*abc', 'build', 'regexp'])).rejects.toThrow(/Invalid regular expression/);
    // in a multicall the bad pattern fails alone
    const mc = await anon.multiCall([
      { method: 'search', args: ['[z-a]', 'package', 'regexp'] },
      { method: 'search', args: ['perl', 'package', 'exact'] },
    ]);
    expect(mc[0]).toMatchObject({ faultCode: 1000, faultString: expect.stringMatching(/^Invalid regular expression '\[z-a\]': /) });
    expect(mc[1]).toEqual([[{ id: expect.any(Number), name: 'perl' }]]);
  });

  it('other match types are exact', async () => {
    expect(await names('python3', 'package', 'exact')).toEqual(['python3']);
    expect(await names('python*', 'package', 'exact')).toEqual([]);
    expect(await names('Python3', 'package', 'whatever')).toEqual([]);
  });

  it('builds and rpms by N-V-R(.A.rpm)', async () => {
    const b = await anon.call<Hit[]>('search', ['python3-3*', 'build', 'glob']);
    expect(b).toEqual([{ id: expect.any(Number), name: 'python3-3.12.1-1.fc40' }]);
    expect(await names('*.fc40', 'build', 'glob')).toEqual(['python3-3.12.1-1.fc40', 'perl-5.38-2.fc40']);
    expect(await names('python3-3.12.1-1.fc40.src.rpm', 'rpm', 'exact')).toEqual(['python3-3.12.1-1.fc40.src.rpm']);
    expect(await names('*x86_64*', 'rpm', 'glob')).toEqual(['python3-3.12.1-1.fc40.x86_64.rpm']);
  });

  it('tags and targets only while they exist', async () => {
    expect(await names('f4*', 'tag', 'glob')).toEqual(['f40', 'f40-build']);
    expect(await names('old_tag', 'tag', 'glob')).toEqual(['old_tag']);
    expect(await names('*', 'target', 'glob')).toEqual(['f40-candidate']);
  });

  it('hosts, maven and win archives', async () => {
    expect(await names('build*', 'host', 'glob')).toEqual(['builder1']);
    expect(await names('commons-io*', 'maven', 'glob')).toEqual(['commons-io-2.1.jar']);
    expect(await names('org.apache-commons-io-2.1', 'maven', 'exact')).toEqual(['commons-io-2.1.jar']);
    expect(await names('bin/*.exe', 'win', 'glob')).toEqual(['bin/setup.exe']);
  });

  it('queryOpts: order, limit, countOnly', async () => {
    expect(await names('*', 'package', 'glob', { order: '-name', limit: 2 })).toEqual(['python_x', 'python3-libs']);
    expect(await anon.call('search', ['p*', 'package', 'glob', { countOnly: true }])).toBe(4);
  });

  it('errors and the retired file search', async () => {
    await expect(anon.call('search', ['', 'package', 'glob'])).rejects.toThrow('empty search terms');
    await expect(anon.call('search', ['x', 'nosuch', 'glob'])).rejects.toThrow('No such search type: nosuch');
    expect(await anon.call('search', ['x', 'file', 'glob'])).toEqual([]);
    expect(await anon.call('search', ['x', 'file', 'glob', { countOnly: true }])).toBe(0);
  });
});
