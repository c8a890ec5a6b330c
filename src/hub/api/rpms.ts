/** RPMs (listRPMs, getRPM, headers, files, changelogs …). */
import type { MethodDef } from '../registry.ts';

export const rpmMethods: MethodDef[] = [];
