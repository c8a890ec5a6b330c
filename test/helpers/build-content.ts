/**
 * Content for the build/rpm/archive/task tests, written into a test hub's database and KojiDir:
 * tasks (request/result stored as Koji stores them, XML-RPC text), standard buildroots (with
 * their repo), real RPM files placed at their pathinfo path with rpminfo rows built from
 * src/rpm's rpmInfo (import is not available to these tests), and archives.
 */
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { encodeCall, encodeResponse } from '../../src/protocol/encode.ts';
import type { XmlRpcValue } from '../../src/protocol/values.ts';
import { rpmInfo } from '../../src/rpm/index.ts';
import { PathInfo } from '../../src/util/pathinfo.ts';
import type { TestHub } from './hub.ts';

export async function sqlOne<T = Record<string, unknown>>(hub: TestHub, sql: string, params: unknown[] = []): Promise<T> {
  return (await hub.db.rawQuery(sql, params)).rows[0] as T;
}

export async function userId(hub: TestHub, name: string): Promise<number> {
  return (await sqlOne<{ id: number }>(hub, 'SELECT id FROM users WHERE name = $1', [name])).id;
}

export interface TaskSpec {
  method: string;
  request: XmlRpcValue[];
  owner?: string;
  state?: number;
  arch?: string;
  parent?: number | null;
  hostId?: number | null;
  /** a result value, or a fault */
  result?: { value: XmlRpcValue } | { faultCode: number; faultString: string };
  createTime?: string;
}

/** Insert a task row; returns its id. */
export async function addTask(hub: TestHub, t: TaskSpec): Promise<number> {
  let result: string | null = null;
  if (t.result && 'value' in t.result) result = encodeResponse(t.result.value);
  else if (t.result) {
    result = `<?xml version='1.0'?>\n<methodResponse><fault><value><struct><member><name>faultCode</name><value><int>${t.result.faultCode}</int></value></member><member><name>faultString</name><value><string>${t.result.faultString}</string></value></member></struct></value></fault></methodResponse>\n`;
  }
  const owner = await userId(hub, t.owner ?? 'kojiadmin');
  const state = t.state ?? 0;
  const done = state === 2 || state === 3 || state === 5;
  const row = await sqlOne<{ id: number }>(
    hub,
    `INSERT INTO task (state, channel_id, host_id, parent, owner, method, request, result, arch, priority, create_time, completion_time)
     VALUES ($1, 1, $2, $3, $4, $5, $6, $7, $8, 20, COALESCE($9::timestamptz, NOW()), CASE WHEN $10 THEN NOW() END) RETURNING id`,
    [state, t.hostId ?? null, t.parent ?? null, owner, t.method, encodeCall(t.method, t.request), result, t.arch ?? 'noarch', t.createTime ?? null, done],
  );
  return row.id;
}

/** A standard buildroot of a task on a host, for a repo of `tagId`; returns the buildroot id. */
export async function addStandardBuildroot(hub: TestHub, o: { hostId: number; tagId: number; taskId: number; arch: string; state?: number }): Promise<{ id: number; repoId: number }> {
  const ev = (await sqlOne<{ e: number }>(hub, 'SELECT get_event() AS e')).e;
  const repo = await sqlOne<{ id: number }>(hub, 'INSERT INTO repo (create_event, tag_id, state) VALUES ($1, $2, 1) RETURNING id', [ev, o.tagId]);
  const br = await sqlOne<{ id: number }>(hub, "INSERT INTO buildroot (br_type, container_arch, container_type, host_os, host_arch) VALUES (0, $1, 'chroot', 'Linux', $1) RETURNING id", [o.arch]);
  await hub.db.rawQuery('INSERT INTO standard_buildroot (buildroot_id, host_id, repo_id, task_id, create_event, state) VALUES ($1, $2, $3, $4, $5, $6)', [
    br.id, o.hostId, repo.id, o.taskId, ev, o.state ?? 2,
  ]);
  return { id: br.id, repoId: repo.id };
}

/**
 * Copy an rpm file into a build's directory under KojiDir and add its rpminfo row (values from
 * rpmInfo); returns the rpm id.
 */
export async function placeRpm(hub: TestHub, buildId: number, file: string, o: { buildrootId?: number | null } = {}): Promise<number> {
  const info = await rpmInfo(file);
  const b = await sqlOne<{ name: string; version: string; release: string; volume: string; draft: boolean }>(
    hub,
    'SELECT p.name, b.version, b.release, v.name AS volume, b.draft FROM build b JOIN package p ON p.id = b.pkg_id JOIN volume v ON v.id = b.volume_id WHERE b.id = $1',
    [buildId],
  );
  const pi = new PathInfo(hub.kojiDir);
  const dest = `${pi.build({ ...b, volume_name: b.volume })}/${pi.rpm(info)}`;
  mkdirSync(dirname(dest), { recursive: true });
  copyFileSync(file, dest);
  const row = await sqlOne<{ id: number }>(
    hub,
    `INSERT INTO rpminfo (build_id, buildroot_id, name, version, release, epoch, arch, draft, external_repo_id, payloadhash, size, buildtime)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0, $9, $10, $11) RETURNING id`,
    [buildId, o.buildrootId ?? null, info.name, info.version, info.release, info.epoch, info.arch, b.draft, info.payloadhash, info.size, info.buildtime],
  );
  return row.id;
}

/** An archive row of a build (type by name), optionally with maven details. */
export async function addArchive(hub: TestHub, buildId: number, filename: string, o: { type: string; btype: string; buildrootId?: number | null; maven?: { group_id: string; artifact_id: string; version: string } }): Promise<number> {
  const type = await sqlOne<{ id: number }>(hub, 'SELECT id FROM archivetypes WHERE name = $1', [o.type]);
  const btype = await sqlOne<{ id: number }>(hub, 'SELECT id FROM btype WHERE name = $1', [o.btype]);
  await hub.db.rawQuery('INSERT INTO build_types (build_id, btype_id) VALUES ($1, $2) ON CONFLICT DO NOTHING', [buildId, btype.id]);
  const row = await sqlOne<{ id: number }>(
    hub,
    "INSERT INTO archiveinfo (type_id, btype_id, build_id, buildroot_id, filename, size, checksum, checksum_type) VALUES ($1, $2, $3, $4, $5, 123, 'abc', 2) RETURNING id",
    [type.id, btype.id, buildId, o.buildrootId ?? null, filename],
  );
  if (o.maven) await hub.db.rawQuery('INSERT INTO maven_archives (archive_id, group_id, artifact_id, version) VALUES ($1, $2, $3, $4)', [row.id, o.maven.group_id, o.maven.artifact_id, o.maven.version]);
  return row.id;
}

export interface Scenario {
  hello: number;
  arched: number;
  zsh: number;
  draft: number;
  helloRpms: number[];
  archedRpms: number[];
  task: number;
  buildroot: number;
}

/**
 * The content the build CLI tests print: hello-1.2-3 (epoch 2, from a build task, tagged in f40,
 * with its noarch and source rpms), arched-0.9.1-1.fc99 (its x86_64 rpm built in a standard
 * buildroot that had hello installed), zsh-5.9-2 (alice's, untagged, with extra data and maven
 * and remote-sources archives) and a draft build. `fixtures` are the rpm files to place.
 */
export async function buildsScenario(hub: TestHub, admin: { call<T = unknown>(m: string, args?: XmlRpcValue[], kw?: Record<string, XmlRpcValue>): Promise<T> }, fixtures: { hello: { rpms: string[]; srpm: string }; arched: { rpms: string[]; srpm: string } }): Promise<Scenario> {
  await admin.call('createUser', ['alice']);
  await admin.call('createTag', ['f40']);
  const tagId = (await admin.call<{ id: number }>('getTag', ['f40'])).id;
  const host = await admin.call<number>('addHost', ['builder1', ['x86_64']]);
  const hello = await admin.call<number>('createEmptyBuild', ['hello', '1.2', '3', 2]);
  const task = await addTask(hub, { method: 'build', request: ['git://example.com/hello.git#abc123', 'f40-candidate', {}], state: 2, result: { value: null } });
  await hub.db.rawQuery("UPDATE build SET task_id = $2, source = 'git://example.com/hello.git#abc123', completion_time = to_timestamp(1700000000) WHERE id = $1", [hello, task]);
  const helloRpms = [await placeRpm(hub, hello, fixtures.hello.rpms[0]), await placeRpm(hub, hello, fixtures.hello.srpm)];
  await admin.call('tagBuildBypass', ['f40', hello, true]);
  const arched = await admin.call<number>('createEmptyBuild', ['arched', '0.9.1', '1.fc99', null]);
  await hub.db.rawQuery('UPDATE build SET completion_time = to_timestamp(1700003600) WHERE id = $1', [arched]);
  const brTask = await addTask(hub, { method: 'buildArch', request: ['arched.src.rpm', tagId, 'x86_64', true, {}], hostId: host, arch: 'x86_64', state: 2 });
  const br = await addStandardBuildroot(hub, { hostId: host, tagId, taskId: brTask, arch: 'x86_64' });
  const archedRpms = [await placeRpm(hub, arched, fixtures.arched.rpms[0], { buildrootId: br.id }), await placeRpm(hub, arched, fixtures.arched.srpm, { buildrootId: br.id })];
  await hub.db.rawQuery('INSERT INTO buildroot_listing (buildroot_id, rpm_id) VALUES ($1, $2)', [br.id, helloRpms[0]]);
  const zsh = await admin.call<number>('createEmptyBuild', ['zsh', '5.9', '2', null], { owner: 'alice' });
  await hub.db.rawQuery(`UPDATE build SET completion_time = to_timestamp(1700007200), extra = '{"source": {"original_url": "git://x/zsh"}, "note": "it''s"}' WHERE id = $1`, [zsh]);
  await hub.db.rawQuery("INSERT INTO maven_builds (build_id, group_id, artifact_id, version) VALUES ($1, 'org.zsh', 'zsh', '5.9')", [zsh]);
  await addArchive(hub, zsh, 'zsh-5.9.jar', { type: 'jar', btype: 'maven', maven: { group_id: 'org.zsh', artifact_id: 'zsh', version: '5.9' } });
  await admin.call('addBType', ['remote-sources']);
  await addArchive(hub, zsh, 'zsh-sources.tar.gz', { type: 'tar', btype: 'remote-sources' });
  const draft = await admin.call<number>('createEmptyBuild', ['zsh', '5.9', '3', null], { draft: true });
  await hub.db.rawQuery('UPDATE build SET completion_time = to_timestamp(1700010800) WHERE id = $1', [draft]);
  return { hello, arched, zsh, draft, helloRpms, archedRpms, task, buildroot: br.id };
}
