import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines } from '../helpers/db.ts';
import { startTestHub, type TestHub } from '../helpers/hub.ts';

describe.each(engines())('policies configured in hub.conf on %s', (engine) => {
  let hub: TestHub;
  const conf = `[policy]
tag =
    has_perm admin :: allow
    tag *-candidate :: allow
    all :: deny only admins may tag outside candidate tags
`;
  beforeAll(async () => {
    hub = await startTestHub(engine, { conf });
  });
  afterAll(async () => hub?.stop());

  it('evalPolicy returns the action of the first matching rule', async () => {
    const admin = await hub.login();
    await admin.call('createUser', ['packager']);
    const uid = ((await admin.call('getUser', ['packager'])) as { id: number }).id;
    await admin.call('createTag', ['f40-candidate']);
    await admin.call('createTag', ['f40']);
    const tag = async (name: string) => ((await admin.call('getTag', [name])) as { id: number }).id;
    expect(await admin.call('evalPolicy', ['tag', { user_id: uid, tag: await tag('f40-candidate') }])).toBe('allow');
    expect(await admin.call('evalPolicy', ['tag', { user_id: uid, tag: await tag('f40') }])).toBe('deny only admins may tag outside candidate tags');
    expect(await admin.call('evalPolicy', ['package_list', { user_id: uid }])).toMatch(/^deny /);
    await expect(admin.call('evalPolicy', ['nonesuch', {}])).rejects.toThrow('no such policy: nonesuch');
  });

  it('tagging obeys the configured tag policy', async () => {
    const admin = await hub.login();
    await admin.call('grantPermission', ['packager', 'tag']).catch(() => undefined);
    await admin.call('kojits.setPassword', ['packager', 'packager-pw']);
    await hub.db.rawQuery("INSERT INTO package (name) VALUES ('pol') ON CONFLICT DO NOTHING");
    const e = (await hub.db.rawQuery('SELECT get_event() AS e')).rows[0] as { e: number };
    await hub.db.rawQuery(`INSERT INTO build (volume_id, pkg_id, version, release, state, owner, create_event, completion_time) SELECT 0, id, '1', '1', 1, 1, $1, now() FROM package WHERE name = 'pol'`, [e.e]);
    for (const t of ['f40', 'f40-candidate']) await admin.call('packageListAdd', [t, 'pol'], { owner: 'kojiadmin' });
    const p = await hub.login('packager', 'packager-pw');
    await p.call('tagBuildBypass', ['f40-candidate', 'pol-1-1']);
    await expect(p.call('tagBuildBypass', ['f40', 'pol-1-1'])).rejects.toMatchObject({ faultCode: 1004, message: 'policy violation (tag): only admins may tag outside candidate tags' });
  });
});
