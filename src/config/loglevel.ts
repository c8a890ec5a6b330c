/**
 * hub.conf's LogLevel read as Koji reads it (kojixmlrpc.setup_logging2), mapped to pino's
 * levels: whitespace-separated parts, each a level name (DEBUG, INFO, WARNING, ERROR, CRITICAL)
 * for the main "koji" logger or `logger:LEVEL` for one logger. koji-ts has one logger, so it
 * takes the main level (a bare name or an empty logger name, the last one wins; WARNING when
 * none); KojiDebug forces DEBUG. Names are accepted in any case.
 */
import { z } from 'zod';
import { ConfigError } from './options.ts';

const PINO_LEVELS = { DEBUG: 'debug', INFO: 'info', WARNING: 'warn', ERROR: 'error', CRITICAL: 'fatal' } as const;

type PinoLevel = (typeof PINO_LEVELS)[keyof typeof PINO_LEVELS];

function parts(value: string): Array<{ main: boolean; level: string }> {
  return value
    .split(/\s+/)
    .filter(Boolean)
    .map((part) => {
      const i = part.indexOf(':');
      return i === -1 ? { main: true, level: part } : { main: i === 0, level: part.slice(i + 1) };
    });
}

const isLevel = (level: string) => Object.hasOwn(PINO_LEVELS, level.toUpperCase());

/** Validation of the LogLevel option (Koji refuses to start on "Invalid log level: …"). */
export const LOG_LEVEL_CHECK = z.string().superRefine((value, ctx) => {
  for (const p of parts(value)) if (!isLevel(p.level)) ctx.addIssue({ code: 'custom', message: `Invalid log level: ${p.level}` });
});

/** The pino level of the hub's logger for its LogLevel and KojiDebug options. */
export function hubLogLevel(o: { LogLevel: string; KojiDebug?: boolean }): PinoLevel {
  if (o.KojiDebug) return 'debug';
  let level: PinoLevel = 'warn';
  for (const p of parts(o.LogLevel)) {
    if (!isLevel(p.level)) throw new ConfigError(`hub: Invalid log level: ${p.level}`);
    if (p.main) level = PINO_LEVELS[p.level.toUpperCase() as keyof typeof PINO_LEVELS];
  }
  return level;
}
