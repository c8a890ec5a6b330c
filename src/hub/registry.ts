/**
 * The method catalogue: each hub method is data — name, Python-style signature (the `argdesc`
 * Koji's `_listapi` shows), required permission, whether it writes, argument types — plus a
 * handler. The dispatcher, permission checks, `_listapi` and `system.*` all read from here.
 */
import { z } from 'zod';
import { ParameterError } from '../protocol/faults.ts';
import { Float, isStruct, truthy, type XmlRpcValue, type XmlRpcStruct } from '../protocol/values.ts';
import { parseSignature, type Signature, type BoundArgs } from '../protocol/signature.ts';
import type { CallContext } from './types.ts';

/**
 * Who may call: a permission name (admin always passes), 'login' (any logged-in user),
 * 'host' is a permission like any other; 'hostSession' = a build host with an exclusive session.
 */
export type Requirement = { perm: string } | { anyPerm: string[] } | 'login' | 'hostSession' | null;

export interface MethodDef<A = BoundArgs> {
  name: string;
  /** signature as `_listapi` shows it, e.g. "(userInfo=None, strict=False)" */
  sig: string;
  /** the real parameters when the public signature is only (*args, **opts) */
  bindSig?: string;
  requires?: Requirement;
  /** true when the method may change data: it runs in a transaction */
  writes?: boolean;
  /** argument schemas by parameter name; others pass through untyped */
  args?: z.ZodRawShape;
  doc?: string;
  /**
   * Work done before the method's transaction, straight on the pool: CPU-heavy checks (password
   * hashing) that must not hold the write lock, and writes that must stay when the call fails
   * (counting failed logins). Its result reaches the handler as `ctx.prepared`. A method with a
   * prepare step cannot be called inside a multicall.
   */
  prepare?(ctx: CallContext, a: A): Promise<unknown>;
  handler(ctx: CallContext, a: A): Promise<XmlRpcValue> | XmlRpcValue;
  /**
   * count / filterResults / countAndFilterResults of this method without building its whole
   * result: the length of the list the handler would return and, with a filter, the sorted and
   * cut rows; null when it cannot do that filter (the wrappers then sort the handler's list).
   */
  paged?(ctx: CallContext, a: A, f: ResultFilter | null): Promise<{ total: number; rows: XmlRpcValue[] } | null>;
}

/** countAndFilterResults' filterOpts: sort key ('-' descending), None greatest, offset, limit. */
export interface ResultFilter {
  order: string | null;
  noneGreatest: boolean;
  offset: number | null;
  limit: number | null;
}

export interface RegisteredMethod extends MethodDef {
  signature: Signature;
  binding: Signature;
  schema: z.ZodObject<z.ZodRawShape> | null;
}

/** Define a method with typed arguments inferred from its `args` schemas. */
export function method<S extends z.ZodRawShape>(
  def: Omit<MethodDef, 'args' | 'handler' | 'prepare' | 'paged'> & {
    args?: S;
    prepare?(ctx: CallContext, a: z.infer<z.ZodObject<S>> & BoundArgs): Promise<unknown>;
    handler(ctx: CallContext, a: z.infer<z.ZodObject<S>> & BoundArgs): Promise<XmlRpcValue> | XmlRpcValue;
    paged?(ctx: CallContext, a: z.infer<z.ZodObject<S>> & BoundArgs, f: ResultFilter | null): Promise<{ total: number; rows: XmlRpcValue[] } | null>;
  },
): MethodDef {
  return def as unknown as MethodDef;
}

/** A method that changes data and answers None (Koji's mutators without a result). */
export function noneMethod<S extends z.ZodRawShape>(
  def: Omit<MethodDef, 'args' | 'handler' | 'prepare' | 'writes'> & {
    args?: S;
    run(ctx: CallContext, a: z.infer<z.ZodObject<S>> & BoundArgs): Promise<unknown>;
  },
): MethodDef {
  const { run, ...rest } = def;
  return method({
    ...rest,
    writes: true,
    async handler(ctx, a) {
      await run(ctx, a as never);
      return null;
    },
  });
}

export class Registry {
  private readonly methods = new Map<string, RegisteredMethod>();

  add(...defs: MethodDef[]): this {
    for (const d of defs) {
      if (this.methods.has(d.name)) throw new Error(`hub method ${d.name} registered twice`);
      const signature = parseSignature(d.sig);
      const binding = d.bindSig ? parseSignature(d.bindSig) : signature;
      for (const k of Object.keys(d.args ?? {})) {
        if (!binding.params.some((p) => p.name === k)) throw new Error(`hub method ${d.name}: type given for unknown parameter ${k}`);
      }
      this.methods.set(d.name, { ...d, signature, binding, schema: d.args ? z.object(d.args).loose() : null });
    }
    return this;
  }

  get(name: string): RegisteredMethod | undefined {
    return this.methods.get(name);
  }

  all(): RegisteredMethod[] {
    return [...this.methods.values()];
  }

  names(): string[] {
    return [...this.methods.keys()];
  }
}

/** Koji's ids, counts, events and states are PostgreSQL `integer`s. */
export const INT32_MIN = -2147483648;
export const INT32_MAX = 2147483647;

export function isInt32(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= INT32_MIN && v <= INT32_MAX;
}

/** An integer (number or bigint) that does not fit in 32 bits. */
function tooWide(v: unknown): boolean {
  if (typeof v === 'bigint') return v < BigInt(INT32_MIN) || v > BigInt(INT32_MAX);
  return typeof v === 'number' && Number.isInteger(v) && !isInt32(v);
}

function outOfRange(m: RegisteredMethod, arg: string, v: unknown): Error {
  return new ParameterError(`invalid value for argument '${arg}' of ${m.name}(): ${String(v)} is out of range (ids and counts are 32-bit integers)`);
}

/**
 * Check and convert bound arguments against a method's schemas (fault 1019 on mismatch).
 * Arguments without a schema must not carry integers beyond 32 bits (at the top level, or as a
 * `**kw` value): untyped arguments are ids, names and flags that end up compared with integer
 * columns. Arguments that may be wider (sizes, offsets, timestamps) are declared with a schema.
 */
export function checkArgTypes(m: RegisteredMethod, bound: BoundArgs): BoundArgs {
  for (const p of m.binding.params) {
    if (p.kind === 'varargs' || (m.args && Object.hasOwn(m.args, p.name))) continue;
    const v = bound[p.name];
    if (p.kind === 'varkw') {
      if (isStruct(v)) for (const k of Object.keys(v)) if (tooWide(v[k])) throw outOfRange(m, k, v[k]);
    } else if (tooWide(v)) throw outOfRange(m, p.name, v);
  }
  if (!m.schema) return bound;
  const r = m.schema.safeParse(bound);
  if (r.success) return r.data as BoundArgs;
  const issue = r.error.issues[0];
  const arg = String(issue.path[0] ?? '?');
  const got = describe(bound[arg]);
  throw new ParameterError(`invalid type for argument '${arg}' of ${m.name}(): ${issue.message} (got ${got})`);
}

function describe(v: unknown): string {
  if (v === null || v === undefined) return 'None';
  if (Array.isArray(v)) return 'list';
  if (v instanceof Float) return `float ${v.value}`;
  if (isStruct(v)) return 'struct';
  if (typeof v === 'number') return Number.isInteger(v) ? `int ${v}` : `float ${v}`;
  if (typeof v === 'bigint') return `int ${v}`;
  if (typeof v === 'string') return `string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v)}`;
  return typeof v;
}

const toNumber = (v: unknown) => (v instanceof Float ? v.value : typeof v === 'bigint' ? Number(v) : v);
const intMessage = { message: 'expected an integer' };
const int32Message = { message: 'expected a 32-bit integer (ids and counts are 32-bit)' };
const int32 = () => z.number(intMessage).int(intMessage).min(INT32_MIN, int32Message).max(INT32_MAX, int32Message);
const intText = (v: unknown) => (typeof v === 'string' && /^-?\d+$/.test(v.trim()) ? Number(v) : toNumber(v));
/** A struct as decoded, passed on as it is (no copy: every key, `__proto__` included, stays). */
const structType = z.custom<XmlRpcStruct>((v) => isStruct(v), { message: 'expected a struct' });

/** Argument types in Koji's terms. Python truthiness for flags; ids or names for lookups. */
export const t = {
  /** anything; the handler checks it (also: exempts the argument from the 32-bit rule) */
  any: z.any(),
  /** a 32-bit integer: an id, a count, an event, a state */
  int: z.preprocess(toNumber, int32()),
  /** an integer of up to 64 bits (or its decimal text): a size, an offset, a limit */
  int64: z.preprocess(intText, z.number(intMessage).int(intMessage)),
  /** 32-bit ints that may arrive as decimal strings (the CLI sends some numbers as text) */
  intish: z.preprocess(intText, int32()),
  number: z.preprocess(toNumber, z.number({ message: 'expected a number' })),
  str: z.string({ message: 'expected a string' }),
  /** Python truthiness, as Koji's `if flag:` */
  flag: z.any().transform((v: unknown) => truthy(v)),
  /** an id (int) or a name (string) */
  idOrName: z.union([int32(), z.string()], { message: 'expected an id (32-bit int) or a name (string)' }),
  /** an id, a name or a struct with id/name */
  info: z.union([int32(), z.string(), structType], { message: 'expected an id (32-bit int), a name or a struct' }),
  struct: structType,
  list: z.array(z.any(), { message: 'expected a list' }),
  strList: z.array(z.string(), { message: 'expected a list of strings' }),
};

/** Python truthiness of a decoded XML-RPC value (shared with the builder and the CLI). */
export { truthy };

/** queryOpts: order, offset, limit, countOnly, asList, group. */
export const queryOptsSchema = z
  .object({
    order: z.string().nullish(),
    offset: z.number().int().nullish(),
    limit: z.number().int().nullish(),
    countOnly: z.any().optional(),
    asList: z.any().optional(),
    group: z.string().nullish(),
    rowlock: z.any().optional(),
  })
  .loose()
  .nullable();
