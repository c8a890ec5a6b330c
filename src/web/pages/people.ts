/** Users, hosts and channels. */
import type { PageHandler } from '../context.ts';

export const PEOPLE_PAGES: Record<string, PageHandler> = {};
