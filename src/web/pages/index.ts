/** Every page by its kojiweb name (`/koji/<name>`). */
import type { PageHandler } from '../context.ts';
import { index } from './summary.ts';
import { getfile, taskinfo, tasks } from './tasks.ts';

export const PAGES: Record<string, PageHandler> = {
  index,
  tasks,
  taskinfo,
  getfile,
};
