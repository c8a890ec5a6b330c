/** search. */
import type { MethodDef } from '../registry.ts';

export const searchMethods: MethodDef[] = [];
