/** Builds, packages, RPMs, archives and buildroots (filled in by the pages of that domain). */
import type { PageHandler } from '../context.ts';

export const BUILD_PAGES: Record<string, PageHandler> = {};
