/**
 * The time zone abbreviation koji.formatTimeLong prints ('%Z' of a datetime carrying
 * dateutil.tz.gettz()): read from the zone's TZif file the way dateutil's tzfile reads it
 * (TZ names a file under the zoneinfo directories; unset, /etc/localtime), so zones whose
 * names ICU spells differently (IST, GST, +04 …) come out as the stock CLI prints them.
 * Falls back to ICU's short name when there is no readable zone file.
 */
import { readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';

interface TtInfo {
  offset: number;
  isdst: boolean;
  abbr: string;
}

interface ZoneData {
  /** transition times as local wall-clock seconds (dateutil's trans_list) */
  trans: number[];
  types: TtInfo[];
  std: TtInfo | null;
  before: TtInfo | null;
}

const TZPATHS = ['/usr/share/zoneinfo', '/usr/lib/zoneinfo', '/usr/share/lib/zoneinfo', '/etc/zoneinfo'];
let cache: { key: string; zone: ZoneData | null } | null = null;

function zoneFile(): string[] {
  let name = process.env.TZ;
  if (name && name.startsWith(':')) name = name.slice(1);
  if (!name) return ['/etc/localtime', ...TZPATHS.map((p) => join(p, 'localtime'))];
  if (isAbsolute(name)) return [name];
  return TZPATHS.map((p) => join(p, name.replace(/ /g, '_')));
}

/** dateutil.tz.tzfile._read_tzfile: the version-1 (32-bit) data only. */
function parseTzif(buf: Buffer): ZoneData | null {
  if (buf.length < 44 || buf.toString('latin1', 0, 4) !== 'TZif') return null;
  const [isgmtcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt] = [0, 1, 2, 3, 4, 5].map((i) => buf.readInt32BE(20 + i * 4));
  let p = 44;
  const utc: number[] = [];
  for (let i = 0; i < timecnt; i++, p += 4) utc.push(buf.readInt32BE(p));
  const idx: number[] = [];
  for (let i = 0; i < timecnt; i++, p++) idx.push(buf.readUInt8(p));
  const raw: Array<[number, number, number]> = [];
  for (let i = 0; i < typecnt; i++, p += 6) raw.push([buf.readInt32BE(p), buf.readInt8(p + 4), buf.readUInt8(p + 5)]);
  const chars = buf.toString('latin1', p, p + charcnt);
  void leapcnt;
  void isstdcnt;
  void isgmtcnt;
  const types: TtInfo[] = raw.map(([off, dst, ai]) => {
    const end = chars.indexOf('\0', ai);
    // dateutil rounds offsets to whole minutes
    return { offset: Math.round(off / 60) * 60, isdst: dst !== 0, abbr: chars.slice(ai, end === -1 ? undefined : end) };
  });
  const transTypes = idx.map((i) => types[i]);
  let std: TtInfo | null = null;
  let dstInfo: TtInfo | null = null;
  let before: TtInfo | null = null;
  if (types.length) {
    if (!utc.length) std = types[0];
    else {
      for (let i = timecnt - 1; i >= 0; i--) {
        const t = transTypes[i];
        if (!std && !t.isdst) std = t;
        else if (!dstInfo && t.isdst) dstInfo = t;
        if (std && dstInfo) break;
      }
      if (!std && dstInfo) std = dstInfo;
      before = types.find((t) => !t.isdst) ?? types[0];
    }
  }
  // wall-clock transition times, as dateutil computes them
  const trans: number[] = [];
  let lastdst: boolean | null = null;
  let lastoffset = 0;
  let lastdstoffset = 0;
  let lastbase: number | null = null;
  transTypes.forEach((t, i) => {
    let dstoffset = 0;
    if (lastdst !== null && t.isdst) {
      if (!lastdst) dstoffset = t.offset - lastoffset;
      if (!dstoffset && lastdstoffset) dstoffset = lastdstoffset;
      lastdstoffset = dstoffset;
    }
    const base = t.offset - dstoffset;
    let adjustment = base;
    if (lastbase !== null && base !== lastbase && t.isdst !== lastdst) adjustment = lastbase;
    lastdst = t.isdst;
    lastoffset = t.offset;
    lastbase = base;
    trans.push(utc[i] + adjustment);
  });
  return { trans, types: transTypes, std, before };
}

function loadZone(): ZoneData | null {
  const key = process.env.TZ ?? '\0unset';
  if (cache && cache.key === key) return cache.zone;
  let zone: ZoneData | null = null;
  for (const f of zoneFile()) {
    try {
      zone = parseTzif(readFileSync(f));
      break;
    } catch {
      /* try the next place */
    }
  }
  cache = { key, zone };
  return zone;
}

function ttinfo(z: ZoneData, idx: number | null): TtInfo | null {
  if (idx === null || idx + 1 >= z.trans.length) return z.std;
  if (idx < 0) return z.before;
  return z.types[idx];
}

/** Local wall-clock time of `d` as seconds since the epoch (a naive datetime's timestamp). */
function wallSeconds(d: Date): number {
  return Date.UTC(d.getFullYear(), d.getMonth(), d.getDate(), d.getHours(), d.getMinutes(), d.getSeconds()) / 1000;
}

/** datetime.fromtimestamp's fold: 1 for the second of two instants showing the same wall time. */
function foldOf(d: Date): number {
  const t = Math.floor(d.getTime() / 1000);
  const wall = wallSeconds(d);
  const probe1 = wallSeconds(new Date((t - 86400) * 1000));
  const trans = wall - probe1 - 86400;
  if (trans < 0 && wallSeconds(new Date((t + trans) * 1000)) === wall) return 1;
  return 0;
}

function icuName(d: Date): string {
  for (const locale of ['en-US', 'en-GB']) {
    const name = new Intl.DateTimeFormat(locale, { timeZoneName: 'short' }).formatToParts(d).find((p) => p.type === 'timeZoneName')?.value;
    if (name && !/^(GMT|UTC)[+\-\u2212]/.test(name)) return name;
  }
  const off = -d.getTimezoneOffset();
  const abs = Math.abs(off);
  const pad2 = (n: number) => String(n).padStart(2, '0');
  return (off < 0 ? '-' : '+') + pad2(Math.floor(abs / 60)) + (abs % 60 ? pad2(abs % 60) : '');
}

/** The abbreviation '%Z' gives for the local time `d` (e.g. UTC, CET, CEST, IST). */
export function localTzName(d: Date): string {
  const z = loadZone();
  if (!z) return icuName(d);
  const wall = wallSeconds(d);
  let idx: number | null = null;
  if (z.trans.length) {
    // bisect_right - 1
    let lo = 0;
    let hi = z.trans.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (wall < z.trans[mid]) hi = mid;
      else lo = mid + 1;
    }
    idx = lo - 1;
    // dateutil's _resolve_ambiguous_time: in a repeated hour, the first pass keeps the old type
    if (idx > 0 && !foldOf(d)) {
      const cur = ttinfo(z, idx);
      const prev = ttinfo(z, idx - 1);
      if (cur && prev && wall < z.trans[idx] + (prev.offset - cur.offset)) idx -= 1;
    }
  }
  return ttinfo(z, idx)?.abbr ?? icuName(d);
}
