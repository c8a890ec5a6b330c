/**
 * The JavaScript shapes of XML-RPC values in Koji's dialect.
 *
 * JavaScript has one number type, but Koji's wire format tells `<int>` from `<double>`
 * (a host's `capacity` is a float even when it is 2.0, and Python prints it as "2.0").
 * Values that must travel as `<double>` whatever their magnitude are wrapped in {@link Float};
 * the database layer wraps `double precision` columns this way, so a column's SQL type
 * decides its wire type, as it does in Python Koji.
 */
export class Float {
  constructor(readonly value: number) {}
  valueOf(): number {
    return this.value;
  }
  toJSON(): number {
    return this.value;
  }
  toString(): string {
    return String(this.value);
  }
}

/** Raw bytes, sent as `<base64>`. (File data in uploads is base64 *text* in a `<string>`.) */
export class Binary {
  constructor(readonly data: Buffer) {}
}

/** An XML-RPC `<dateTime.iso8601>` received from a peer; Koji itself sends timestamps as strings. */
export class DateTime {
  constructor(readonly iso: string) {}
  toString(): string {
    return this.iso;
  }
}

export type XmlRpcValue =
  | null
  | undefined
  | boolean
  | number
  | bigint
  | string
  | Float
  | Binary
  | DateTime
  | Date
  | XmlRpcValue[]
  | { [key: string]: XmlRpcValue };

export type XmlRpcStruct = { [key: string]: XmlRpcValue };

/**
 * An empty dictionary without a prototype. Decoded structs are such dictionaries, and so must be
 * anything filled with keys that come from callers or stored data: on a plain `{}`,
 * `x['__proto__'] = v` replaces the prototype instead of adding a key, and `'constructor' in x`
 * is true.
 */
export function newStruct<T = XmlRpcValue>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}

export function isStruct(v: unknown): v is XmlRpcStruct {
  return (
    typeof v === 'object' &&
    v !== null &&
    !Array.isArray(v) &&
    !(v instanceof Float) &&
    !(v instanceof Binary) &&
    !(v instanceof DateTime) &&
    !(v instanceof Date)
  );
}

/** Python truthiness of a decoded XML-RPC value. */
export function truthy(v: unknown): boolean {
  if (v === null || v === undefined || v === false || v === 0 || v === '') return false;
  if (v instanceof Float) return v.value !== 0;
  if (Array.isArray(v)) return v.length > 0;
  if (isStruct(v)) return Object.keys(v).length > 0;
  return true;
}
