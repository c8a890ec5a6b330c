/** queryHistory. */
import type { MethodDef } from '../registry.ts';

export const historyMethods: MethodDef[] = [];
