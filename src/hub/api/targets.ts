/** Build targets. */
import type { MethodDef } from '../registry.ts';

export const targetMethods: MethodDef[] = [];
