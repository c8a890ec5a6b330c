/** evalPolicy: run a hub policy against data and return its action (Koji's eval_policy). */
import { GenericError } from '../../protocol/faults.ts';
import type { PolicyData } from '../policy/index.ts';
import { policyEnv } from '../policy/hub.ts';
import { method, t, type MethodDef } from '../registry.ts';

export const policyMethods: MethodDef[] = [
  method({
    name: 'evalPolicy',
    sig: '(name, data)',
    doc: 'Evaluate a named policy with the given data; returns the action text, or None when no rule matches.',
    args: { name: t.str, data: t.struct },
    async handler(ctx, a) {
      if (!ctx.hub.policies.has(a.name)) throw new GenericError(`no such policy: ${a.name}`);
      const r = await ctx.hub.policies.evaluate(a.name, a.data as PolicyData, policyEnv(ctx));
      return r ? r.raw : null;
    },
  }),
];
