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
import { KOJI_API } from './koji-api.ts';
import { permMethods } from './perms.ts';
import { sessionMethods } from './sessions.ts';
import { userMethods } from './users.ts';

export const IMPLEMENTED: MethodDef[] = [
  ...introspectionMethods,
  ...sessionMethods,
  ...eventMethods,
  ...userMethods,
  ...permMethods,
  ...hostMethods,
  ...channelMethods,
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
