/** The basic build lookups every client uses: getBuild, findBuildID. */
import type { XmlRpcValue } from '../../protocol/values.ts';
import { method, t, type MethodDef } from '../registry.ts';
import { findBuildId, getBuild } from '../content/build.ts';

export const buildLookupMethods: MethodDef[] = [
  method({
    name: 'getBuild',
    sig: '(buildInfo, strict=False)',
    doc: 'A build by id, N-V-R or {name, version, release}: id, name, version, release, epoch, nvr, state, owner, volume, times, extra …',
    args: { strict: t.flag },
    handler: async (ctx, a) => (await getBuild(ctx.sql, a.buildInfo, a.strict)) as XmlRpcValue,
  }),
  method({
    name: 'findBuildID',
    sig: '(X, strict=False)',
    doc: 'The id of a build given by id, N-V-R or {name, version, release}.',
    args: { strict: t.flag },
    handler: (ctx, a) => findBuildId(ctx.sql, a.X, a.strict),
  }),
];
