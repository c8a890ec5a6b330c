/** Read access to tasks and buildroots (listTasks, listBuildroots …). */
import type { MethodDef } from '../registry.ts';

export const taskReadMethods: MethodDef[] = [];
