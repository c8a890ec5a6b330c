/** Builds (listBuilds, createEmptyBuild, getNextRelease, deleteBuild …). */
import type { MethodDef } from '../registry.ts';

export const buildMethods: MethodDef[] = [];
