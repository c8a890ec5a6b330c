/**
 * Log lines of task processes in pino's format (JSON: numeric level, time, pid, the task, msg) on
 * stderr, which they share with the daemon. Task processes write these few lines themselves
 * instead of loading pino: one less module per process (≈9 MB each).
 */
import { writeSync } from 'node:fs';
import type { LineLog } from '../util/line-log.ts';


const LEVELS: Record<string, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: Infinity };

export function jsonLog(level: string, base: Record<string, unknown>): LineLog {
  const min = LEVELS[level] ?? 30;
  const at = (n: number) => (msg: string) => {
    if (n < min) return;
    try {
      writeSync(2, `${JSON.stringify({ level: n, time: Date.now(), ...base, msg })}\n`);
    } catch {
      // stderr gone: nothing to tell
    }
  };
  return { debug: at(20), info: at(30), warn: at(40), error: at(50) };
}
