/**
 * The hub's method catalogue, assembled from the domain modules. Methods of Koji's API that
 * koji-ts does not implement yet are registered with their Koji signature and a handler that
 * answers with a clear fault, so introspection matches Koji's hub.
 */
import { GenericError } from '../../protocol/faults.ts';
import { Registry, method, type MethodDef } from '../registry.ts';
import { channelMethods } from './channels.ts';
import { eventMethods } from './events.ts';
import { hostMethods } from './hosts.ts';
import { introspectionMethods } from './introspection.ts';
import { KOJI_API } from '../../protocol/api.ts';
import { permMethods } from './perms.ts';
import { sessionMethods } from './sessions.ts';
import { userMethods } from './users.ts';
import { tagMethods } from './tags.ts';
import { packageMethods } from './packages.ts';
import { taggingMethods } from './tagging.ts';
import { groupMethods } from './groups.ts';
import { targetMethods } from './targets.ts';
import { buildMethods } from './builds.ts';
import { rpmMethods } from './rpms.ts';
import { archiveMethods } from './archives.ts';
import { historyMethods } from './history.ts';
import { searchMethods } from './search.ts';
import { repoMethods } from './repos.ts';
import { repoRequestMethods } from './repo-requests.ts';
import { externalRepoMethods } from './external-repos.ts';
import { taskReadMethods } from './tasks-read.ts';
import { importMethods } from './import.ts';
import { snapshotMethods } from './snapshot.ts';
import { policyMethods } from './policy.ts';
import { taskWriteMethods } from './tasks-write.ts';
import { hostTaskMethods } from './host-tasks.ts';
import { schedulerMethods } from './scheduler.ts';
import { taskOutputMethods } from './task-output.ts';
import { metaMethods } from './meta.ts';
import { buildTaskMethods } from './build-tasks.ts';
import { hostBuildMethods } from './host-builds.ts';
import { notificationMethods } from './notifications.ts';

export const IMPLEMENTED: MethodDef[] = [
  ...introspectionMethods,
  ...sessionMethods,
  ...eventMethods,
  ...userMethods,
  ...permMethods,
  ...hostMethods,
  ...channelMethods,
  ...tagMethods,
  ...packageMethods,
  ...taggingMethods,
  ...groupMethods,
  ...targetMethods,
  ...buildMethods,
  ...rpmMethods,
  ...archiveMethods,
  ...historyMethods,
  ...searchMethods,
  ...repoMethods,
  ...repoRequestMethods,
  ...externalRepoMethods,
  ...taskReadMethods,
  ...importMethods,
  ...snapshotMethods,
  ...policyMethods,
  ...taskWriteMethods,
  ...hostTaskMethods,
  ...schedulerMethods,
  ...taskOutputMethods,
  ...metaMethods,
  ...buildTaskMethods,
  ...hostBuildMethods,
  ...notificationMethods,
];

export function notImplemented(name: string, sig: string): MethodDef {
  return method({
    name,
    sig,
    handler() {
      throw new GenericError(`${name} is not implemented by koji-ts yet (it is part of Koji's API and planned)`);
    },
  });
}

export function buildRegistry(extra: MethodDef[] = []): Registry {
  const registry = new Registry().add(...IMPLEMENTED, ...extra);
  for (const [name, sig] of Object.entries(KOJI_API)) {
    if (!registry.get(name)) registry.add(notImplemented(name, sig));
  }
  return registry;
}
