/**
 * The RPM header structure (used by both the signature header and the main header): a 16-byte
 * preamble (magic 8e ad e8 01, 4 reserved bytes, index entry count, data store size), the index
 * of 16-byte entries {tag, type, offset, count} and the data store. Every entry is checked when
 * the header is parsed, so reading a value later cannot run outside the data store; values are
 * decoded on demand. Also the tag accessors (getTag and typed helpers) and RpmFormatError.
 */
import { RPM_TYPE, RPM_TYPE_NAMES, RPM_TYPE_SIZE, RPMSIGTAG, tagName, tagNumber } from './tags.ts';

/** Any structural problem in an RPM file; the message says what is wrong and where. */
export class RpmFormatError extends Error {
  override name = 'RpmFormatError';
  /** The file the error is about, when read from a file. */
  path?: string;
}

export const HEADER_MAGIC = Buffer.from([0x8e, 0xad, 0xe8, 0x01]);
/** Bytes before the index: magic, reserved, index count, data size. */
export const HEADER_PREAMBLE_SIZE = 16;
export const HEADER_ENTRY_SIZE = 16;
/** Most index entries accepted in one header (rpm's own limit is 65535). */
export const MAX_INDEX_ENTRIES = 1_000_000;
/** Largest data store accepted in one header (rpm's own limit is 256 MiB). */
export const MAX_DATA_SIZE = 256 * 1024 * 1024;

export type HeaderKind = 'signature' | 'main';

export interface HeaderEntry {
  /** Position in the index (0-based). */
  index: number;
  tag: number;
  type: number;
  /** Offset of the value inside the data store. */
  offset: number;
  count: number;
  /** Bytes the value takes in the data store (computed and checked at parse time). */
  size: number;
}

export interface RpmHeader {
  kind: HeaderKind;
  /** File offset of the header's magic. */
  start: number;
  /** Length of the header structure: 16 + 16 × indexCount + dataSize (without any padding). */
  length: number;
  indexCount: number;
  dataSize: number;
  /** Index entries in file order. */
  entries: readonly HeaderEntry[];
  /** Entry per tag (when a tag repeats, the last entry wins, as in Koji's RawHeader). */
  tags: ReadonlyMap<number, HeaderEntry>;
  /** The header's bytes, magic to end of data store. */
  bytes: Buffer;
}

/** A decoded tag value: NULL → null, integer types → number[] (INT64 → bigint[]), STRING and
 * I18NSTRING (first, i.e. C-locale, string) → string, STRING_ARRAY → string[], BIN → Buffer. */
export type TagValue = null | string | string[] | number[] | bigint[] | Buffer;

export function formatError(message: string): RpmFormatError {
  return new RpmFormatError(message);
}

function where(kind: HeaderKind, start: number): string {
  return `${kind} header at offset ${start}`;
}

function describeTag(tag: number, kind: HeaderKind): string {
  const name = tagName(tag, kind === 'signature');
  return name ? `tag ${tag} ${name}` : `tag ${tag}`;
}

/**
 * Check a header preamble (16 bytes at file offset `start`) and return the index count and data
 * size; `available` is how many bytes the file has from `start` on.
 */
export function parsePreamble(kind: HeaderKind, start: number, pre: Buffer, available: number): { indexCount: number; dataSize: number; length: number } {
  if (!pre.subarray(0, 4).equals(HEADER_MAGIC)) {
    throw formatError(`${where(kind, start)}: bad header magic ${pre.subarray(0, 4).toString('hex')} (expected ${HEADER_MAGIC.toString('hex')})`);
  }
  const indexCount = pre.readUInt32BE(8);
  const dataSize = pre.readUInt32BE(12);
  if (indexCount === 0) throw formatError(`${where(kind, start)}: header has no index entries`);
  if (indexCount > MAX_INDEX_ENTRIES) {
    throw formatError(`${where(kind, start)}: index entry count ${indexCount} exceeds the limit of ${MAX_INDEX_ENTRIES}`);
  }
  if (dataSize > MAX_DATA_SIZE) {
    throw formatError(`${where(kind, start)}: data store size ${dataSize} exceeds the limit of ${MAX_DATA_SIZE} bytes`);
  }
  const length = HEADER_PREAMBLE_SIZE + indexCount * HEADER_ENTRY_SIZE + dataSize;
  if (length > available) {
    throw formatError(
      `file is truncated: ${kind} header needs ${length} bytes at offset ${start} ` +
        `(${indexCount} index entries, ${dataSize} bytes of data), only ${available} left`,
    );
  }
  return { indexCount, dataSize, length };
}

/** Bytes of the value of one entry, checking it lies inside the data store. */
function entrySize(store: Buffer, type: number, offset: number, count: number, at: () => string): number {
  const dl = store.length;
  const outside = (detail: string) => formatError(`${at()} points outside the data store (${detail}; the data store is ${dl} bytes)`);
  if (type === RPM_TYPE.NULL) return 0;
  if (offset >= dl) throw outside(`offset ${offset}`);
  const elem = RPM_TYPE_SIZE[type];
  if (elem > 0) {
    if (elem > 1 && offset % elem !== 0) throw formatError(`${at()} is misaligned: offset ${offset} of ${RPM_TYPE_NAMES[type]} data is not a multiple of ${elem}`);
    const size = count * elem;
    if (offset + size > dl) throw outside(`offset ${offset} + ${count} × ${elem} bytes`);
    return size;
  }
  // string types: `count` NUL-terminated strings (STRING: exactly one)
  if (type === RPM_TYPE.STRING && count !== 1) throw formatError(`${at()} is a STRING with count ${count} (expected 1)`);
  if (count > dl - offset) throw outside(`offset ${offset}, ${count} strings`);
  let pos = offset;
  for (let i = 0; i < count; i++) {
    const end = store.indexOf(0, pos);
    if (end < 0) throw outside(`string ${i + 1} of ${count} at offset ${pos} has no terminating NUL`);
    pos = end + 1;
  }
  return pos - offset;
}

/**
 * Parse a whole header structure (`bytes` = magic to end of data store, as sized by
 * parsePreamble) found at file offset `start`.
 */
export function parseHeader(kind: HeaderKind, start: number, bytes: Buffer): RpmHeader {
  const { indexCount, dataSize, length } = parsePreamble(kind, start, bytes.subarray(0, HEADER_PREAMBLE_SIZE), bytes.length);
  if (length !== bytes.length) throw formatError(`${where(kind, start)}: header is ${length} bytes, got ${bytes.length}`);
  const storeOffset = HEADER_PREAMBLE_SIZE + indexCount * HEADER_ENTRY_SIZE;
  const store = bytes.subarray(storeOffset, storeOffset + dataSize);
  const entries: HeaderEntry[] = [];
  const tags = new Map<number, HeaderEntry>();
  for (let i = 0; i < indexCount; i++) {
    const p = HEADER_PREAMBLE_SIZE + i * HEADER_ENTRY_SIZE;
    const tag = bytes.readUInt32BE(p);
    const type = bytes.readUInt32BE(p + 4);
    const offset = bytes.readInt32BE(p + 8);
    const count = bytes.readUInt32BE(p + 12);
    const at = () => `${where(kind, start)}: index entry ${i} (${describeTag(tag, kind)})`;
    if (type > RPM_TYPE.I18NSTRING) throw formatError(`${at()} has unknown data type ${type}`);
    if (offset < 0) throw formatError(`${at()} points outside the data store (negative offset ${offset})`);
    const size = entrySize(store, type, offset, count, at);
    const entry: HeaderEntry = { index: i, tag, type, offset, count, size };
    entries.push(entry);
    tags.set(tag, entry);
  }
  return { kind, start, length, indexCount, dataSize, entries, tags, bytes };
}

function dataStore(h: RpmHeader): Buffer {
  const off = HEADER_PREAMBLE_SIZE + h.indexCount * HEADER_ENTRY_SIZE;
  return h.bytes.subarray(off, off + h.dataSize);
}

function readStrings(store: Buffer, offset: number, count: number): string[] {
  const out: string[] = [];
  let pos = offset;
  for (let i = 0; i < count; i++) {
    const end = store.indexOf(0, pos);
    out.push(store.toString('utf8', pos, end));
    pos = end + 1;
  }
  return out;
}

/** Decode the value of one (already checked) entry. */
export function entryValue(h: RpmHeader, e: HeaderEntry): TagValue {
  const store = dataStore(h);
  const { offset, count } = e;
  switch (e.type) {
    case RPM_TYPE.NULL:
      return null;
    case RPM_TYPE.CHAR:
    case RPM_TYPE.INT8:
      return Array.from(store.subarray(offset, offset + count));
    case RPM_TYPE.INT16:
      return Array.from({ length: count }, (_, i) => store.readUInt16BE(offset + 2 * i));
    case RPM_TYPE.INT32:
      return Array.from({ length: count }, (_, i) => store.readUInt32BE(offset + 4 * i));
    case RPM_TYPE.INT64:
      return Array.from({ length: count }, (_, i) => store.readBigUInt64BE(offset + 8 * i));
    case RPM_TYPE.STRING:
      return readStrings(store, offset, 1)[0];
    case RPM_TYPE.BIN:
      return store.subarray(offset, offset + count);
    case RPM_TYPE.STRING_ARRAY:
      return readStrings(store, offset, count);
    case RPM_TYPE.I18NSTRING:
      // the first translation is the one for the first locale of HEADERI18NTABLE, i.e. "C"
      return count > 0 ? readStrings(store, offset, 1)[0] : '';
    default:
      throw formatError(`${where(h.kind, h.start)}: entry ${e.index} has unknown data type ${e.type}`);
  }
}

/** Resolve a tag given as number or name; names are looked up for the kind of header given. */
export function resolveTag(h: RpmHeader, tag: number | string): number {
  if (typeof tag === 'number') return tag;
  const up = tag.trim().toUpperCase();
  const n = h.kind === 'signature' && !up.startsWith('RPMTAG_') ? (RPMSIGTAG[up.replace(/^RPMSIGTAG_/, '')] ?? tagNumber(up)) : tagNumber(up);
  if (n === undefined) throw new Error(`unknown RPM tag name "${tag}"`);
  return n;
}

/** The entry of a tag, if present. */
export function getEntry(h: RpmHeader, tag: number | string): HeaderEntry | undefined {
  return h.tags.get(resolveTag(h, tag));
}

/** The decoded value of a tag (see TagValue), or undefined when the header lacks it. */
export function getTag(h: RpmHeader, tag: number | string): TagValue | undefined {
  const e = getEntry(h, tag);
  return e ? entryValue(h, e) : undefined;
}

/** Whether the header has the tag. */
export function hasTag(h: RpmHeader, tag: number | string): boolean {
  return getEntry(h, tag) !== undefined;
}

function wrongType(h: RpmHeader, e: HeaderEntry, wanted: string): RpmFormatError {
  return formatError(`${where(h.kind, h.start)}: index entry ${e.index} (${describeTag(e.tag, h.kind)}) has type ${RPM_TYPE_NAMES[e.type]}; expected ${wanted}`);
}

/** A string tag (STRING, I18NSTRING, or a one-element STRING_ARRAY); null when absent. */
export function getString(h: RpmHeader, tag: number | string): string | null {
  const e = getEntry(h, tag);
  if (!e) return null;
  const v = entryValue(h, e);
  if (typeof v === 'string') return v;
  if (Array.isArray(v) && e.type === RPM_TYPE.STRING_ARRAY && v.length === 1) return v[0] as string;
  throw wrongType(h, e, 'a string');
}

/** A string-array tag (a single STRING is returned as a one-element list); [] when absent. */
export function getStrings(h: RpmHeader, tag: number | string): string[] {
  const e = getEntry(h, tag);
  if (!e) return [];
  if (e.type === RPM_TYPE.I18NSTRING) return readStrings(dataStore(h), e.offset, e.count);
  const v = entryValue(h, e);
  if (typeof v === 'string') return [v];
  if (e.type === RPM_TYPE.STRING_ARRAY) return v as string[];
  throw wrongType(h, e, 'a string array');
}

/** An integer tag as numbers (INT64 values must fit in a double exactly); [] when absent. */
export function getNumbers(h: RpmHeader, tag: number | string): number[] {
  const e = getEntry(h, tag);
  if (!e) return [];
  if (e.type === RPM_TYPE.INT64) {
    return (entryValue(h, e) as bigint[]).map((b) => {
      if (b > BigInt(Number.MAX_SAFE_INTEGER)) throw formatError(`${where(h.kind, h.start)}: index entry ${e.index} (${describeTag(e.tag, h.kind)}) holds ${b}, too large for a number`);
      return Number(b);
    });
  }
  if (e.type >= RPM_TYPE.CHAR && e.type <= RPM_TYPE.INT32) return entryValue(h, e) as number[];
  throw wrongType(h, e, 'an integer');
}

/** The first value of an integer tag, or null when absent or empty. */
export function getNumber(h: RpmHeader, tag: number | string): number | null {
  const v = getNumbers(h, tag);
  return v.length > 0 ? v[0] : null;
}

/** A BIN tag's bytes (a view into the header), or null when absent. */
export function getBinary(h: RpmHeader, tag: number | string): Buffer | null {
  const e = getEntry(h, tag);
  if (!e) return null;
  if (e.type !== RPM_TYPE.BIN) throw wrongType(h, e, 'binary data');
  return entryValue(h, e) as Buffer;
}
