/**
 * Query parameters as kojiweb takes them (`taskID=12`, `start=50`, `order=-build_id`), checked:
 * a malformed value is a 400 naming the parameter, never a fault from the hub or a stack trace.
 */
import { badRequest } from './errors.ts';

/** kojiweb's page size */
export const PAGE_SIZE = 50;
/** largest offset or id a page accepts (the hub's ids are 32-bit) */
const MAX_INT = 2 ** 31 - 1;

export class Params {
  constructor(readonly search: URLSearchParams) {}

  str(name: string): string | null {
    const v = this.search.get(name);
    return v === null || v === '' ? null : v;
  }

  /** A whole number ≥ 0, or null when absent. */
  int(name: string): number | null {
    const v = this.str(name);
    if (v === null) return null;
    if (!/^\d{1,10}$/.test(v) || Number(v) > MAX_INT) throw badRequest(`${name} must be a whole number from 0 to ${MAX_INT}, got ${JSON.stringify(v.slice(0, 40))}`);
    return Number(v);
  }

  /** A required whole number. */
  id(name: string): number {
    const v = this.int(name);
    if (v === null) throw badRequest(`${name} is required`);
    return v;
  }

  /** An id or a name (kojiweb accepts both for tagID, packageID, userID, hostID, buildID). */
  idOrName(name: string): number | string {
    const v = this.str(name);
    if (v === null) throw badRequest(`${name} is required`);
    if (/^\d+$/.test(v)) return this.id(name);
    if (v.length > 256) throw badRequest(`${name} is too long`);
    return v;
  }

  /** The page's offset (`start`). */
  start(name = 'start'): number {
    return this.int(name) ?? 0;
  }

  /** A sort order among `allowed` field names, each optionally with a leading '-'. */
  order(name: string, allowed: readonly string[], dflt: string): string {
    const v = this.str(name) ?? dflt;
    if (!allowed.includes(v.replace(/^-/, ''))) throw badRequest(`${name} must be one of ${allowed.join(', ')} (with - for descending), got ${JSON.stringify(v.slice(0, 40))}`);
    return v;
  }

  /** One of `allowed`. */
  choice<T extends string>(name: string, allowed: readonly T[], dflt: T): T {
    const v = this.str(name) ?? dflt;
    if (!(allowed as readonly string[]).includes(v)) throw badRequest(`${name} must be one of ${allowed.join(', ')}, got ${JSON.stringify(v.slice(0, 40))}`);
    return v as T;
  }
}
