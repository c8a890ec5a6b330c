/**
 * mergeScratch on both engines with real packages: the x86_64 rpm of a finished scratch build
 * task (its buildArch child's output and buildroot) joins the existing build of the same SRPM,
 * which has only another arch; the same arch twice is refused.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClientSession } from '../../src/protocol/client.ts';
import { encodeResponse } from '../../src/protocol/encode.ts';
import type { XmlRpcValue } from '../../src/protocol/values.ts';
import { PathInfo } from '../../src/util/pathinfo.ts';
import { engines } from '../helpers/db.ts';
import { startTestHub, type TestHub } from '../helpers/hub.ts';
import { hostSession } from '../helpers/repos.ts';
import { addTask, placeRpm } from '../helpers/build-content.ts';
import { buildArchChild, buildWorld, take, uploadForTask, type BuildWorld } from '../helpers/build-flow.ts';
import { buildFixture, scratchFile, SKIP_RPMBUILD_TESTS, type BuiltFixture } from '../rpm/build-fixtures.ts';

type Row = Record<string, XmlRpcValue>;

describe.skipIf(SKIP_RPMBUILD_TESTS).each(engines())('mergeScratch on %s', (engine) => {
  let hub: TestHub;
  let w: BuildWorld;
  let b1: ClientSession;
  let arched: BuiltFixture;
  let dir: string;

  beforeAll(async () => {
    arched = buildFixture('arched');
    dir = mkdtempSync(join(tmpdir(), 'kojits-merge-'));
    hub = await startTestHub(engine);
    w = await buildWorld(hub);
    b1 = await hostSession(hub, w.admin, 'b1');
  });
  afterAll(async () => {
    await hub?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('adds the new arch of a scratch build to the build, with its buildroot and logs', async () => {
    // the build: its SRPM and an rpm of another arch, from a (non-SCM) build task
    const buildTask = await addTask(hub, { method: 'build', request: ['arched-0.9.1-1.fc99.src.rpm', 'dist-foo', {}], state: 2, result: { value: null } });
    const build = await w.admin.call<number>('createEmptyBuild', ['arched', '0.9.1', '1.fc99', null]);
    await hub.db.rawQuery('UPDATE build SET task_id = $2 WHERE id = $1', [build, buildTask]);
    await placeRpm(hub, build, arched.srpm);
    await hub.db.rawQuery(
      "INSERT INTO rpminfo (build_id, name, version, release, arch, draft, external_repo_id, payloadhash, size, buildtime) VALUES ($1, 'arched', '0.9.1', '1.fc99', 'ppc64le', FALSE, 0, 'ff', 1, 1)",
      [build],
    );

    // the scratch build: a build task whose buildArch child made the x86_64 rpm in a buildroot
    const task = await w.alice.call<number>('build', ['cli-build/x/arched-0.9.1-1.fc99.src.rpm', 'dist-foo', { scratch: true }]);
    await take(w.admin, b1, 'b1', task);
    await expect(w.admin.call('mergeScratch', [task])).rejects.toMatchObject({ faultCode: 1020, message: `task ${task} did not complete successfully` });
    const child = await buildArchChild(w.admin, b1, 'b1', task, 'x.src.rpm', w.buildTag, w.repoId);
    const br = await b1.call<number>('host.newBuildRoot', [w.repoId, 'x86_64'], { task_id: child });
    for (const f of [arched.srpm, ...arched.rpms, scratchFile(dir, 'build.log', 'built\n')]) await uploadForTask(b1, child, f);
    await b1.call('host.closeTask', [child, encodeResponse({})]);
    await b1.call('host.closeTask', [task, encodeResponse(null)]);

    expect(await w.admin.call('mergeScratch', [task])).toBe(build);
    const rpms = await w.admin.call<Row[]>('listRPMs', [], { buildID: build });
    const arch = arched.rpms[0].split('.').at(-2);
    expect(rpms.map((r) => [r.arch, r.buildroot_id]).sort()).toEqual([['ppc64le', null], ['src', null], [arch, br]].sort());
    const bdir = new PathInfo(hub.kojiDir).build({ name: 'arched', version: '0.9.1', release: '1.fc99' });
    expect(existsSync(`${bdir}/${arch}/${arched.rpms[0].split('/').pop()}`)).toBe(true);
    expect(existsSync(`${bdir}/data/logs/${arch}/build.log`)).toBe(true);
    await expect(w.admin.call('mergeScratch', [task])).rejects.toThrow(`task ${task} and arched-0.9.1-1.fc99 produce rpms with the same arches: ${arch}`);
    await expect(w.admin.call('mergeScratch', [buildTask])).rejects.toThrow(`task ${buildTask} is not a scratch build`);
  });
});
