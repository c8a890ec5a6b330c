/**
 * How column values come out of PostgreSQL, shared by both drivers so they agree exactly:
 * - timestamptz/timestamp → Python's `str(datetime)` text (`2024-03-12 00:06:28.541893-04:00`),
 *   the form Koji puts on the wire;
 * - double precision → {@link Float}, so it travels as `<double>` (see protocol/values.ts);
 * - bigint / numeric → number (ids and sizes fit in 2^53).
 */
import { Float } from '../protocol/values.ts';

export const OID = {
  int8: 20,
  float4: 700,
  float8: 701,
  timestamp: 1114,
  timestamptz: 1184,
  numeric: 1700,
} as const;

/** Convert PostgreSQL's ISO text timestamp to Python's str(datetime) form. */
export function pgTimestampToPython(text: string): string {
  const m = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d)(?:\.(\d+))?(?:([+-])(\d\d)(?::?(\d\d))?(?::?(\d\d))?)?$/.exec(text);
  if (!m) return text;
  const [, date, time, frac, sign, hh, mm, ss] = m;
  let out = `${date} ${time}`;
  if (frac && Number(frac) !== 0) out += '.' + frac.padEnd(6, '0').slice(0, 6);
  if (sign) {
    out += `${sign}${hh}:${mm ?? '00'}`;
    if (ss && ss !== '00') out += `:${ss}`;
  }
  return out;
}

export const parsers: Record<number, (text: string) => unknown> = {
  [OID.int8]: (t) => Number(t),
  [OID.numeric]: (t) => Number(t),
  [OID.float4]: (t) => new Float(Number(t)),
  [OID.float8]: (t) => new Float(Number(t)),
  [OID.timestamp]: pgTimestampToPython,
  [OID.timestamptz]: pgTimestampToPython,
};
