/** Tags, build targets, external repos and repos. */
import type { PageHandler } from '../context.ts';

export const TAG_PAGES: Record<string, PageHandler> = {};
