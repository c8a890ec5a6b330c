/** Every page by its kojiweb name (`/koji/<name>`). */
import type { PageHandler } from '../context.ts';
import { channeledit, notificationblockcreate, notificationblockdelete, notificationcreate, notificationdelete, notificationedit, tagpackageadd, tagpackageblock, tagpackageremove, tagpackageunblock } from './admin.ts';
import { cancelbuild, canceltask, disablehost, enablehost, hostedit, resubmittask, taskpriority } from './actions.ts';
import { login, logout } from './auth.ts';
import { history } from './history.ts';
import { logstream, watchlogs } from './logs.ts';
import { BUILD_PAGES } from './builds.ts';
import { PEOPLE_PAGES } from './people.ts';
import { SEARCH_PAGES } from './search.ts';
import { index } from './summary.ts';
import { TAG_PAGES } from './tags.ts';
import { getfile, taskinfo, tasks } from './tasks.ts';

export const PAGES: Record<string, PageHandler> = {
  index,
  tasks,
  taskinfo,
  getfile,
  history,
  watchlogs,
  logstream,
  login,
  logout,
  canceltask,
  resubmittask,
  taskpriority,
  cancelbuild,
  hostedit,
  enablehost,
  disablehost,
  tagpackageadd,
  tagpackageblock,
  tagpackageunblock,
  tagpackageremove,
  channeledit,
  notificationcreate,
  notificationedit,
  notificationdelete,
  notificationblockcreate,
  notificationblockdelete,
  ...BUILD_PAGES,
  ...TAG_PAGES,
  ...PEOPLE_PAGES,
  ...SEARCH_PAGES,
};
