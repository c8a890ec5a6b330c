/**
 * The hub side of a build, driven as kojid drives it: a target (dist-foo → build tag
 * dist-foo-build with a repo), a user who asks for builds, build hosts with exclusive sessions
 * that take tasks (assigned by the admin, then opened), make subtasks and upload into their
 * task folders (work/tasks/N/ID/).
 */
import { basename } from 'node:path';
import type { ClientSession } from '../../src/protocol/client.ts';
import { PathInfo } from '../../src/util/pathinfo.ts';
import type { TestHub } from './hub.ts';
import { sqlOne } from './build-content.ts';

export interface BuildWorld {
  admin: ClientSession;
  alice: ClientSession;
  destTag: number;
  buildTag: number;
  repoId: number;
}

/** Tags dist-foo ← dist-foo-build (x86_64), target dist-foo, packages hello and arched, user alice, a READY repo of the build tag. */
export async function buildWorld(hub: TestHub): Promise<BuildWorld> {
  const admin = await hub.login();
  await admin.call('createTag', ['dist-foo']);
  await admin.call('createTag', ['dist-foo-build'], { parent: 'dist-foo', arches: 'x86_64' });
  await admin.call('createBuildTarget', ['dist-foo', 'dist-foo-build', 'dist-foo']);
  for (const p of ['hello', 'arched']) await admin.call('packageListAdd', ['dist-foo', p, 'kojiadmin']);
  await admin.call('createUser', ['alice']);
  await admin.call('kojits.setPassword', ['alice', 'alice-pass-1']);
  const alice = await hub.login('alice', 'alice-pass-1');
  const destTag = (await admin.call<{ id: number }>('getTag', ['dist-foo'])).id;
  const buildTag = (await admin.call<{ id: number }>('getTag', ['dist-foo-build'])).id;
  const ev = (await sqlOne<{ e: number }>(hub, 'SELECT get_event() AS e')).e;
  const repo = await sqlOne<{ id: number }>(hub, 'INSERT INTO repo (create_event, tag_id, state) VALUES ($1, $2, 1) RETURNING id', [ev, buildTag]);
  return { admin, alice, destTag, buildTag, repoId: repo.id };
}

/** The admin assigns the task to the host, which opens it (as the scheduler and kojid would). */
export async function take(admin: ClientSession, host: ClientSession, hostName: string, taskId: number): Promise<void> {
  await admin.call('assignTask', [taskId, hostName], { force: true });
  const opened = await host.call('host.openTask', [taskId]);
  if (!opened) throw new Error(`host ${hostName} could not open task ${taskId}`);
}

/** Upload a local file into a task's folder as its host (kojid's uploadWrapper); the path relative to work/. */
export async function uploadForTask(host: ClientSession, taskId: number, file: string): Promise<string> {
  const rel = new PathInfo('').taskrelpath(taskId);
  await host.uploadWrapper(file, rel);
  return `${rel}/${basename(file)}`;
}

/** A buildArch child of a build task, taken by the same host (kojid's subtask + the child's run). */
export async function buildArchChild(admin: ClientSession, host: ClientSession, hostName: string, parent: number, srpm: string, buildTag: number, repoId: number): Promise<number> {
  const child = await host.call<number>('host.subtask', ['buildArch', [srpm, buildTag, 'x86_64', true, { repo_id: repoId }], parent], { label: 'x86_64', arch: 'x86_64' });
  await take(admin, host, hostName, child);
  return child;
}
