/** Comps groups per tag (groupList*, groupPackageList*, groupReqList*, getTagGroups). */
import type { MethodDef } from '../registry.ts';

export const groupMethods: MethodDef[] = [];
