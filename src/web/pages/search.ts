/** Search and reports. */
import type { PageHandler } from '../context.ts';

export const SEARCH_PAGES: Record<string, PageHandler> = {};
