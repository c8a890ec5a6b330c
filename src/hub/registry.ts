/**
 * The method catalogue: each hub method is data — name, Python-style signature (the `argdesc`
 * Koji's `_listapi` shows), required permission, whether it writes, argument types — plus a
 * handler. The dispatcher, permission checks, `_listapi` and `system.*` all read from here.
 */
import { z } from 'zod';
import { ParameterError } from '../protocol/faults.ts';
import { Float, isStruct, type XmlRpcValue, type XmlRpcStruct } from '../protocol/values.ts';
import { parseSignature, type Signature, type BoundArgs } from './signature.ts';
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
}

export interface RegisteredMethod extends MethodDef {
  signature: Signature;
  binding: Signature;
  schema: z.ZodObject<z.ZodRawShape> | null;
}

/** Define a method with typed arguments inferred from its `args` schemas. */
export function method<S extends z.ZodRawShape>(
  def: Omit<MethodDef, 'args' | 'handler' | 'prepare'> & {
    args?: S;
    prepare?(ctx: CallContext, a: z.infer<z.ZodObject<S>> & BoundArgs): Promise<unknown>;
    handler(ctx: CallContext, a: z.infer<z.ZodObject<S>> & BoundArgs): Promise<XmlRpcValue> | XmlRpcValue;
  },
): MethodDef {
  return def as unknown as MethodDef;
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

/** Check and convert bound arguments against a method's schemas (fault 1019 on mismatch). */
export function checkArgTypes(m: RegisteredMethod, bound: BoundArgs): BoundArgs {
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
  if (v instanceof Float) return 'float';
  if (isStruct(v)) return 'struct';
  if (typeof v === 'number') return Number.isInteger(v) ? `int ${v}` : `float ${v}`;
  if (typeof v === 'string') return `string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v)}`;
  return typeof v;
}

const toNumber = (v: unknown) => (v instanceof Float ? v.value : typeof v === 'bigint' ? Number(v) : v);

/** Argument types in Koji's terms. Python truthiness for flags; ids or names for lookups. */
export const t = {
  any: z.any(),
  int: z.preprocess(toNumber, z.number({ message: 'expected an integer' }).int({ message: 'expected an integer' })),
  /** ints that may arrive as decimal strings (the CLI sends some numbers as text) */
  intish: z.preprocess((v) => (typeof v === 'string' && /^-?\d+$/.test(v.trim()) ? Number(v) : toNumber(v)), z.number({ message: 'expected an integer' }).int({ message: 'expected an integer' })),
  number: z.preprocess(toNumber, z.number({ message: 'expected a number' })),
  str: z.string({ message: 'expected a string' }),
  /** Python truthiness, as Koji's `if flag:` */
  flag: z.any().transform((v: unknown) => truthy(v)),
  /** an id (int) or a name (string) */
  idOrName: z.union([z.number().int(), z.string()], { message: 'expected an id (int) or a name (string)' }),
  /** an id, a name or a struct with id/name */
  info: z.union([z.number().int(), z.string(), z.record(z.string(), z.any())], { message: 'expected an id, a name or a struct' }),
  struct: z.record(z.string(), z.any(), { message: 'expected a struct' }) as z.ZodType<XmlRpcStruct>,
  list: z.array(z.any(), { message: 'expected a list' }),
  strList: z.array(z.string(), { message: 'expected a list of strings' }),
};

/** Python truthiness of a decoded XML-RPC value. */
export function truthy(v: unknown): boolean {
  if (v === null || v === undefined || v === false || v === 0 || v === '') return false;
  if (v instanceof Float) return v.value !== 0;
  if (Array.isArray(v)) return v.length > 0;
  if (isStruct(v)) return Object.keys(v).length > 0;
  return true;
}

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
