/** Archives, build types and volumes. */
import type { MethodDef } from '../registry.ts';

export const archiveMethods: MethodDef[] = [];
