/** Read access to repos and external repos used by taginfo (getRepo, getTagExternalRepos …). */
import type { MethodDef } from '../registry.ts';

export const repoReadMethods: MethodDef[] = [];
