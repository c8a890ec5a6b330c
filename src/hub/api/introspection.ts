/** Introspection and trivial calls: hello, echo, versions, _listapi, system.* , showOpts. */
import { API_VERSION, KOJI_VERSION } from '../../protocol/version.ts';
import { Float, type XmlRpcValue } from '../../protocol/values.ts';
import { pyRepr } from '../../protocol/pyrepr.ts';
import { listapiArgs, listapiArgspec } from '../../protocol/signature.ts';
import { method, t, type MethodDef } from '../registry.ts';
import type { CallContext } from '../types.ts';

/** Extension methods of koji-ts (not in Koji's API) stay out of `_listapi`, which mirrors Koji's. */
export const isExtension = (name: string) => name.startsWith('kojits.');

function listapi(ctx: CallContext): XmlRpcValue[] {
  return ctx.hub.registry
    .all()
    .filter((m) => !isExtension(m.name))
    .map((m) => ({
      name: m.name,
      doc: m.doc ?? null,
      argspec: listapiArgspec(m.signature),
      argdesc: m.signature.text,
      args: listapiArgs(m.signature),
    }));
}

export const introspectionMethods: MethodDef[] = [
  method({ name: 'hello', sig: '(*args)', doc: 'Simple testing call returning a string', handler: () => 'Hello World' }),
  method({ name: 'echo', sig: '(*args)', handler: (_ctx, a) => a.args as XmlRpcValue[] }),
  method({ name: 'getKojiVersion', sig: '()', handler: () => KOJI_VERSION }),
  method({ name: 'getAPIVersion', sig: '()', handler: () => API_VERSION }),
  method({ name: 'mavenEnabled', sig: '()', doc: 'Get status of maven support', handler: (ctx) => ctx.hub.options.EnableMaven }),
  method({ name: 'winEnabled', sig: '()', doc: 'Get status of windows support', handler: (ctx) => ctx.hub.options.EnableWin }),
  method({ name: '_listapi', sig: '()', doc: 'List available API calls', handler: (ctx) => listapi(ctx) }),
  method({ name: 'system.listMethods', sig: '()', handler: (ctx) => ctx.hub.registry.names() }),
  method({ name: 'system.methodSignature', sig: '(method)', handler: () => 'signatures not supported' }),
  method({
    name: 'system.methodHelp',
    sig: '(method)',
    handler: (ctx, a) => {
      const m = typeof a.method === 'string' ? ctx.hub.registry.get(a.method) : undefined;
      if (!m) return '';
      let help = `${m.name}${m.signature.text}`;
      if (m.doc) help += `\ndescription: ${m.doc}`;
      return help;
    },
  }),
  method({
    name: 'showOpts',
    sig: '(as_string=True)',
    requires: { perm: 'admin' },
    doc: 'Returns hub options',
    args: { as_string: t.flag },
    handler: (ctx, a) => {
      if (a.as_string) return pyRepr(ctx.hub.options);
      const out: Record<string, XmlRpcValue> = {};
      for (const [k, v] of Object.entries(ctx.hub.options)) out[k] = typeof v === 'number' && !Number.isInteger(v) ? new Float(v) : (v as XmlRpcValue);
      return out;
    },
  }),
];
