/**
 * Server-side rendering with nunjucks (Jinja2's syntax, which Koji's own web moved to; escapes
 * every value unless marked safe). Templates live in src/web/templates; filters turn the hub's
 * numbers into kojiweb's words (states, sizes, times).
 */
import nunjucks from 'nunjucks';
import { fileURLToPath } from 'node:url';
import { BR_STATES, BUILD_STATES, REPO_STATES, TASK_STATES, USER_STATUS, USERTYPES } from '../protocol/enums.ts';
import { Float } from '../protocol/values.ts';

export const TEMPLATE_DIR = fileURLToPath(new URL('./templates', import.meta.url));

/** "2026-12-03 14:56:28" (UTC, as the hub's *_time strings), from a time string or a ts number. */
export function formatTime(v: unknown): string {
  if (v === null || v === undefined || v === '') return '';
  // the client gives <double> values (the hub's *_ts) as Float
  if (v instanceof Float) v = v.value;
  const d = typeof v === 'number' ? new Date(v * 1000) : new Date(String(v).replace(' ', 'T').replace(/(\.\d+)?$/, '') + (/[Z+]/.test(String(v).slice(10)) ? '' : 'Z'));
  if (Number.isNaN(d.getTime())) return String(v);
  return d.toISOString().slice(0, 19).replace('T', ' ');
}

/** 1536 → "1.5 KiB" */
export function formatSize(v: unknown): string {
  const n = Number(v);
  if (!Number.isFinite(n)) return '';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let x = n;
  let i = 0;
  while (x >= 1024 && i < units.length - 1) {
    x /= 1024;
    i++;
  }
  return i === 0 ? `${n} B` : `${x.toFixed(1)} ${units[i]}`;
}

/** Seconds → "1 h 2 min 3 s" */
export function formatDuration(v: unknown): string {
  const s = Math.round(Number(v));
  if (!Number.isFinite(s) || s < 0) return '';
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const parts = [h ? `${h} h` : '', m ? `${m} min` : '', `${s % 60} s`].filter(Boolean);
  return parts.join(' ');
}

const enumFilter = (e: { name(n: number): string | undefined }) => (v: unknown) => (typeof v === 'number' ? (e.name(v)?.toLowerCase() ?? String(v)) : '');

/** kojiweb's link URLs: `url('taskinfo', {taskID: 3})` → "taskinfo?taskID=3" (relative to /koji/). */
export function pageUrl(page: string, params: Record<string, unknown> = {}): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== null && v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `${page}?${s}` : page;
}

export function makeRenderer(dir = TEMPLATE_DIR): nunjucks.Environment {
  const env = new nunjucks.Environment(new nunjucks.FileSystemLoader(dir, { noCache: false }), { autoescape: true, throwOnUndefined: false, trimBlocks: true, lstripBlocks: true });
  env.addFilter('time', formatTime);
  env.addFilter('size', formatSize);
  env.addFilter('duration', formatDuration);
  env.addFilter('taskState', enumFilter(TASK_STATES));
  env.addFilter('buildState', enumFilter(BUILD_STATES));
  env.addFilter('repoState', enumFilter(REPO_STATES));
  env.addFilter('brState', enumFilter(BR_STATES));
  env.addFilter('userStatus', enumFilter(USER_STATUS));
  env.addFilter('userType', enumFilter(USERTYPES));
  env.addFilter('ucfirst', (v: unknown) => String(v).charAt(0).toUpperCase() + String(v).slice(1));
  env.addFilter('json', (v: unknown) => JSON.stringify(v, null, 2));
  env.addGlobal('url', pageUrl);
  return env;
}
