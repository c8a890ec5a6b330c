/**
 * Python-style signatures of hub methods (and of the builder's task handlers). The catalogue
 * states each method's signature in the same notation Koji's `_listapi` prints
 * (`(userInfo=None, strict=False)`); this module parses it into parameters with defaults, binds
 * incoming positional + keyword arguments to them the way Python does, and renders
 * `argdesc`/`args`/`argspec` for introspection.
 */
import { ParameterError } from './faults.ts';
import { newStruct, type XmlRpcValue } from './values.ts';

export interface Param {
  name: string;
  kind: 'normal' | 'varargs' | 'varkw';
  hasDefault: boolean;
  /** The default as a value (None → null) … */
  default?: XmlRpcValue;
  /** … and as Python wrote it (`None`, `'koji'`). */
  defaultRepr?: string;
}

export interface Signature {
  text: string;
  params: Param[];
}

function parseDefault(repr: string): XmlRpcValue {
  if (repr === 'None') return null;
  if (repr === 'True') return true;
  if (repr === 'False') return false;
  if (/^-?\d+$/.test(repr)) return Number(repr);
  if (/^-?\d+\.\d*$/.test(repr)) return Number(repr);
  const m = /^'(.*)'$/.exec(repr) ?? /^"(.*)"$/.exec(repr);
  if (m) return m[1];
  throw new Error(`unsupported default value in signature: ${repr}`);
}

export function parseSignature(text: string): Signature {
  const m = /^\((.*)\)$/.exec(text.trim());
  if (!m) throw new Error(`bad signature: ${text}`);
  const params: Param[] = [];
  const body = m[1].trim();
  if (body) {
    for (const raw of body.split(/,\s*/)) {
      const part = raw.trim();
      if (part.startsWith('**')) params.push({ name: part.slice(2), kind: 'varkw', hasDefault: false });
      else if (part.startsWith('*')) params.push({ name: part.slice(1), kind: 'varargs', hasDefault: false });
      else {
        const eq = part.indexOf('=');
        if (eq < 0) params.push({ name: part, kind: 'normal', hasDefault: false });
        else {
          const repr = part.slice(eq + 1);
          params.push({ name: part.slice(0, eq), kind: 'normal', hasDefault: true, default: parseDefault(repr), defaultRepr: repr });
        }
      }
    }
  }
  return { text, params };
}

/** Arguments after binding: by parameter name; `*args` as an array, `**kw` as an object. */
export type BoundArgs = Record<string, XmlRpcValue> & { [K: string]: XmlRpcValue };

/** Python's argument binding; mismatches raise ParameterError (fault 1019) like Koji. */
export function bindArgs(method: string, sig: Signature, args: XmlRpcValue[], kwargs: Record<string, XmlRpcValue>): BoundArgs {
  // keyword names come from the caller: `__proto__` must stay an ordinary key
  const out: BoundArgs = newStruct();
  const normal = sig.params.filter((p) => p.kind === 'normal');
  const varargs = sig.params.find((p) => p.kind === 'varargs');
  const varkw = sig.params.find((p) => p.kind === 'varkw');
  // Python mangles double-underscore names: they can only be given by position
  const mangled = (p: Param) => p.name.startsWith('_HostExports__');
  if (args.length > normal.length && !varargs) {
    const min = normal.filter((p) => !p.hasDefault).length;
    const range = min === normal.length ? `${normal.length}` : `from ${min} to ${normal.length}`;
    throw new ParameterError(
      `${method}() takes ${range} positional argument${normal.length === 1 ? '' : 's'} but ${args.length} ${args.length === 1 ? 'was' : 'were'} given`,
    );
  }
  normal.forEach((p, i) => {
    if (i < args.length) out[p.name] = args[i];
  });
  if (varargs) out[varargs.name] = args.slice(normal.length);
  const extra = newStruct();
  for (const [key, value] of Object.entries(kwargs)) {
    const p = normal.find((q) => q.name === key && !mangled(q));
    if (p) {
      if (key in out) throw new ParameterError(`${method}() got multiple values for argument '${key}'`);
      out[key] = value;
    } else if (varkw) extra[key] = value;
    else throw new ParameterError(`${method}() got an unexpected keyword argument '${key}'`);
  }
  const missing = normal.filter((p) => !(p.name in out) && !p.hasDefault).map((p) => p.name);
  if (missing.length) {
    const names = missing.map((n) => `'${n}'`);
    const list = names.length === 1 ? names[0] : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
    throw new ParameterError(`${method}() missing ${missing.length} required positional argument${missing.length === 1 ? '' : 's'}: ${list}`);
  }
  for (const p of normal) if (!(p.name in out)) out[p.name] = p.default ?? null;
  if (varkw) out[varkw.name] = extra;
  return out;
}

/** `args` entry of `_listapi`: names, or [name, default] pairs. */
export function listapiArgs(sig: Signature): XmlRpcValue[] {
  return sig.params.map((p) => (p.hasDefault ? [p.name, p.default ?? null] : p.name));
}

/** `argspec` of `_listapi`: Python's getfullargspec tuple (args, varargs, varkw, defaults, kwonlyargs, kwonlydefaults, annotations). */
export function listapiArgspec(sig: Signature): XmlRpcValue[] {
  const normal = sig.params.filter((p) => p.kind === 'normal');
  const defaults = normal.filter((p) => p.hasDefault).map((p) => p.default ?? null);
  return [
    normal.map((p) => p.name),
    sig.params.find((p) => p.kind === 'varargs')?.name ?? null,
    sig.params.find((p) => p.kind === 'varkw')?.name ?? null,
    defaults.length ? defaults : null,
    [],
    null,
    {},
  ];
}
