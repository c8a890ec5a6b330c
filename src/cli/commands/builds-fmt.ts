/**
 * Formatting helpers of the build commands: koji.taskLabel (from task-label.ts), koji.util.formatChangelog,
 * the optparse "time" option type (a timestamp or a date/time), and koji.PathInfo's typed
 * build directories.
 */
import { Float, type XmlRpcStruct, type XmlRpcValue } from '../../protocol/values.ts';
import { PathInfo } from '../../util/pathinfo.ts';
import { UsageError } from '../command.ts';
import { pyStr } from '../../protocol/pyrepr.ts';
import { DAYS, MONTHS } from './common.ts';

export { taskLabel } from '../task-label.ts';

/** koji.util.formatChangelog: "* Tue Jan 02 2024 author\ntext\n\n" per entry. */
export function formatChangelog(entries: XmlRpcStruct[]): string {
  return entries
    .map((e) => {
      const m = /^(\d{4})-(\d\d)-(\d\d)/.exec(String(e.date));
      const d = m ? new Date(Date.UTC(+m[1], +m[2] - 1, +m[3])) : new Date(NaN);
      const date = `${DAYS[d.getUTCDay()]} ${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, '0')} ${d.getUTCFullYear()}`;
      return `* ${date} ${String(e.author)}\n${String(e.text)}\n\n`;
    })
    .join('');
}

/**
 * The optparse "time" type of the stock CLI: a number of seconds, or a date/time read in the
 * local zone ("2020-12-31", "2020-12-31 12:35[:56]", or what Date.parse understands).
 */
export function parseTimeOption(flag: string, value: string): number {
  const v = value.trim();
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(v)) return Number(v);
  const m = /^(\d{4})-(\d\d?)-(\d\d?)(?:[ T](\d\d?):(\d\d)(?::(\d\d)(?:\.\d+)?)?)?$/.exec(v);
  const t = m ? new Date(+m[1], +m[2] - 1, +m[3], +(m[4] ?? 0), +(m[5] ?? 0), +(m[6] ?? 0)).getTime() : Date.parse(v);
  if (!Number.isFinite(t)) throw new UsageError(`option ${flag}: invalid time specification: ${pyStr(value)}`);
  return Math.floor(t / 1000);
}

/** A CLI time value for the hub: an integer, or a double for fractions (as Python sends floats). */
export function timeArg(ts: number): XmlRpcValue {
  return new Float(ts);
}

export class BuildPaths extends PathInfo {
  mavenbuild(b: XmlRpcStruct): string {
    return `${this.build(b as never)}/maven`;
  }

  mavenfile(a: XmlRpcStruct): string {
    return `${String(a.group_id).replace(/\./g, '/')}/${String(a.artifact_id)}/${String(a.version)}/${String(a.filename)}`;
  }

  winbuild(b: XmlRpcStruct): string {
    return `${this.build(b as never)}/win`;
  }

  winfile(a: XmlRpcStruct): string {
    return a.relpath ? `${String(a.relpath)}/${String(a.filename)}` : String(a.filename);
  }
}
