/**
 * Dist repos on the hub: distRepo (the INIT dist repo under repos-dist/, its repo.json, the
 * distRepo task), host.distRepoMove (metadata moved in, rpms linked from their signed copies
 * after the kojipkgs check) and host.repoDone finishing it (READY, the repos-dist latest link).
 */
import { existsSync, mkdirSync, readFileSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClientSession } from '../../src/protocol/client.ts';
import type { XmlRpcStruct } from '../../src/protocol/values.ts';
import { PathInfo } from '../../src/util/pathinfo.ts';
import { engines } from '../helpers/db.ts';
import { startTestHub, type TestHub } from '../helpers/hub.ts';
import { addBuild, addRpms } from '../helpers/content.ts';
import { hostSession } from '../helpers/repos.ts';

describe.each(engines())('dist repos on %s', (engine) => {
  let hub: TestHub;
  let admin: ClientSession;
  let builder: ClientSession;
  let rpm: XmlRpcStruct;

  beforeAll(async () => {
    hub = await startTestHub(engine);
    admin = await hub.login();
    builder = await hostSession(hub, admin, 'dist-builder');
    await admin.call('createTag', ['dtag'], { arches: 'x86_64' });
    const b = await addBuild(hub, 'foo-1.0-1');
    const [id] = await addRpms(hub, b, ['x86_64']);
    rpm = await admin.call<XmlRpcStruct>('getRPM', [id]);
    // the signed copy the repo links to
    const pi = new PathInfo(hub.kojiDir);
    const signed = `${pi.build({ name: 'foo', version: '1.0', release: '1' })}/${pi.signed(rpm as never, 'abcd1234')}`;
    mkdirSync(dirname(signed), { recursive: true });
    writeFileSync(signed, 'signed rpm');
  });
  afterAll(async () => hub?.stop());

  it('distRepo makes an INIT dist repo and a distRepo task; distRepoMove links the signed rpms; repoDone finishes it', async () => {
    const taskId = await admin.call<number>('distRepo', ['dtag', ['abcd1234']], { arch: ['x86_64', 'i686'] });
    const task = await admin.call<XmlRpcStruct>('getTaskInfo', [taskId], { request: true });
    expect(task).toMatchObject({ method: 'distRepo', priority: 15 });
    const [, repoId, keys, opts] = task.request as [string, number, string[], XmlRpcStruct];
    expect(keys).toEqual(['abcd1234']);
    expect(opts).toMatchObject({ arch: ['x86_64', 'i686'], event: expect.any(Number) });
    expect(await admin.call('repoInfo', [repoId])).toMatchObject({ dist: true, state: 0, tag_name: 'dtag', opts: null });
    const dir = `${hub.kojiDir}/repos-dist/dtag/${repoId}`;
    expect(existsSync(`${dir}/x86_64`) && existsSync(`${dir}/i386`)).toBe(true);
    expect(JSON.parse(readFileSync(`${dir}/repo.json`, 'utf8'))).toMatchObject({ id: repoId, tag: 'dtag', keys: ['abcd1234'], volume: null });

    const up = `${hub.kojiDir}/work/tasks/9/9999`;
    mkdirSync(`${up}/repodata`, { recursive: true });
    writeFileSync(`${up}/repodata/repomd.xml`, '<repomd/>');
    writeFileSync(`${up}/repo_manifest`, JSON.stringify(['repodata/repomd.xml']));
    const entry = { ...rpm, sigkey: 'abcd1234' };
    writeFileSync(`${up}/kojipkgs`, JSON.stringify({ 'foo-1.0-1.x86_64.rpm': { ...entry, size: 1 } }));
    await expect(builder.call('host.distRepoMove', [repoId, 'tasks/9/9999', 'x86_64'])).rejects.toThrow('kojipkgs entry does not match db: file foo-1.0-1.x86_64.rpm, key size');
    writeFileSync(`${up}/kojipkgs`, JSON.stringify({ 'foo-1.0-1.x86_64.rpm': entry }));
    await builder.call('host.distRepoMove', [repoId, 'tasks/9/9999', 'x86_64']);
    expect(readFileSync(`${dir}/x86_64/repodata/repomd.xml`, 'utf8')).toBe('<repomd/>');
    expect(readFileSync(`${dir}/x86_64/Packages/f/foo-1.0-1.x86_64.rpm`, 'utf8')).toBe('signed rpm');
    expect(statSync(`${dir}/x86_64/Packages/f/foo-1.0-1.x86_64.rpm`).nlink).toBe(2);
    await expect(builder.call('host.distRepoMove', [repoId, 'tasks/9/9999', 'aarch64'])).rejects.toThrow(/Repo arch directory missing: .*repos-dist\/dtag\/\d+\/aarch64/);

    await builder.call('host.repoDone', [repoId, {}]);
    expect((await admin.call<XmlRpcStruct>('repoInfo', [repoId])).state).toBe(1);
    expect(readlinkSync(`${hub.kojiDir}/repos-dist/dtag/latest`)).toBe(String(repoId));
    await expect(builder.call('host.distRepoMove', [repoId, 'tasks/9/9999', 'x86_64'])).rejects.toThrow('Repo is in state: READY');
  });

  it('distRepo faults: no arch option (a KeyError, as Koji), keys not a list, no such tag', async () => {
    await expect(admin.call('distRepo', ['dtag', ['k']])).rejects.toMatchObject({ faultCode: 1, message: expect.stringContaining("KeyError") });
    await expect(admin.call('distRepo', ['dtag', 'k'], { arch: ['x86_64'] })).rejects.toMatchObject({ faultCode: 1019 });
    await expect(admin.call('distRepo', ['nosuch', ['k']], { arch: ['x86_64'] })).rejects.toMatchObject({ faultCode: 1000 });
  });
});
