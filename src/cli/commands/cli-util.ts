/**
 * Helpers for the tag and package-list commands: the stock CLI's `--event/--ts/--repo` options
 * (koji.util.eventFromOpts and its "Querying at event" line with time.asctime), Python's int()
 * and arg_filter(parse_json=True), and keeping what a command already printed when it then
 * fails (the stock CLI prints as it goes, so earlier lines stay on stdout).
 */
import { Fault, KojiError } from '../../protocol/faults.ts';
import { Float, type XmlRpcStruct, type XmlRpcValue } from '../../protocol/values.ts';
import { CliError, UsageError, type CliContext, type CommandResult, type OptionSpec, type Options } from '../command.ts';
import { pyStr } from '../../protocol/pyrepr.ts';
import { asctime, PyError, toNum } from './common.ts';
import { exceptionLine } from '../log.ts';
import { usageFailure } from '../parse.ts';

/** The --event/--ts/--repo options many read commands share. */
export const EVENT_OPTIONS: OptionSpec[] = [
  { name: 'event', type: 'int', metavar: 'EVENT#', help: 'query at event' },
  { name: 'ts', type: 'int', metavar: 'TIMESTAMP', help: 'query at last event before timestamp' },
  { name: 'repo', type: 'int', metavar: 'REPO#', help: 'query at event for a repo' },
];


export interface QueryEvent {
  id: number;
  /** seconds since the epoch */
  ts: number;
}

/** koji.util.eventFromOpts: --event (when non-zero), else --ts, else --repo's create event. */
export async function eventFromOpts(ctx: CliContext, o: Options): Promise<QueryEvent | null> {
  let e: XmlRpcStruct | null = null;
  if (o.event) e = await ctx.session.call<XmlRpcStruct>('getEvent', [o.event as number]);
  else if (o.ts !== null && o.ts !== undefined) e = await ctx.session.call<XmlRpcStruct>('getLastEvent', [], { before: o.ts as number });
  else if (o.repo !== null && o.repo !== undefined) {
    const r = await ctx.session.call<XmlRpcStruct>('repoInfo', [o.repo as number], { strict: true });
    return { id: r.create_event as number, ts: toNum(r.create_ts) };
  }
  return e ? { id: e.id as number, ts: toNum(e.ts) } : null;
}

/** "Querying at event %(id)i (%(timestr)s)" */
export function queryingLine(ev: QueryEvent): string {
  return `Querying at event ${ev.id} (${asctime(ev.ts)})`;
}

/** Python's int(s) of a command-line string (ValueError as the stock CLI would die with). */
export function pyIntOf(s: string): number {
  const t = s.trim();
  if (!/^[+-]?\d+(_\d+)*$/.test(t)) throw new PyError('ValueError', `invalid literal for int() with base 10: ${pyStr(s)}`);
  return Number(t.replace(/_/g, ''));
}

/** str.isdigit() for ASCII input. */
export function isDigits(s: string | null | undefined): boolean {
  return typeof s === 'string' && /^\d+$/.test(s);
}

const ARGMAP: Record<string, XmlRpcValue> = { None: null, True: true, False: false };

/** koji_cli.lib.arg_filter: int, float (sent as a double), None/True/False, JSON (parseJson), else the string. */
export function argFilterJson(arg: string, parseJson: boolean): XmlRpcValue {
  const t = arg.trim();
  if (/^[+-]?\d+(_\d+)*$/.test(t)) return Number(t.replace(/_/g, ''));
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) return new Float(Number(t));
  if (/^[+-]?(inf|infinity|nan)$/i.test(t)) return new Float(Number(t.replace(/inf(inity)?/i, 'Infinity')));
  if (arg in ARGMAP) return ARGMAP[arg];
  if (parseJson) {
    try {
      return JSON.parse(arg) as XmlRpcValue;
    } catch {
      /* not JSON: the plain string */
    }
  }
  return arg;
}

const joined = (out: string[]) => (out.length ? out.join('\n') + '\n' : '');

/** A usage error reported after the lines in `out` (already on stdout), for the command's usage() text. */
export function usageAfter(out: string[], usage: () => string, message: string): CommandResult {
  const text = usage();
  return usageFailure(text, /^usage: (\S+)/.exec(text)?.[1] ?? 'koji', message, joined(out));
}

/**
 * The lines in `out` stay on stdout and a hub error (or a Python exception koji-ts reproduces)
 * is logged as the stock CLI's main logs it; anything else is thrown on.
 */
export function failedAfter(out: string[], e: unknown): CommandResult {
  if (e instanceof KojiError || e instanceof Fault || e instanceof PyError) return { output: joined(out), error: exceptionLine(e), exitCode: 1 };
  throw e;
}

/**
 * Run the part of a command that may fail after it printed something: the lines already in
 * `out` stay on stdout and the failure is reported as the CLI's main would report it.
 */
export async function keepOutput(out: string[], usage: () => string, body: () => Promise<CommandResult | void>): Promise<CommandResult> {
  try {
    const r = await body();
    if (r) return { ...r, output: joined(out) + r.output };
    return { output: joined(out), exitCode: 0 };
  } catch (e) {
    if (e instanceof UsageError) return usageAfter(out, usage, e.message);
    if (e instanceof CliError) return { output: joined(out), error: e.message, exitCode: e.exitCode };
    return failedAfter(out, e);
  }
}

/** Python's "%-Ns" % value for str(value). */
export function pad(v: unknown, width: number): string {
  const s = v === null || v === undefined ? 'None' : typeof v === 'boolean' ? (v ? 'True' : 'False') : String(v);
  const n = [...s].length;
  return n >= width ? s : s + ' '.repeat(width - n);
}
