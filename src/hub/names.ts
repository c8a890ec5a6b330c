/**
 * One rule per kind of name, applied wherever such a name enters the hub (created by an admin,
 * by an import, by a login that creates its user):
 *  - internal names (tags, targets, packages, channels, permissions, groups, hosts, volumes …):
 *    Koji's MaxNameLengthInternal and RegexNameInternal;
 *  - user names and Kerberos principals: MaxNameLengthInternal and RegexUserName;
 *  - names that become directories under KojiDir (packages, tags, targets, volumes, versions,
 *    releases): beyond Koji, never '', '.', '..', '/', '\' or control characters.
 */
import { GenericError } from '../protocol/faults.ts';
import type { CallContext } from './types.ts';

export function verifyNameInternal(ctx: CallContext, name: unknown): asserts name is string {
  if (typeof name !== 'string') throw new GenericError('Name should be string');
  const max = ctx.hub.options.MaxNameLengthInternal;
  if (max !== 0 && name.length > max) throw new GenericError(`Name ${name} is too long. Max length is ${max} characters`);
  const re = ctx.hub.options.RegexNameInternal;
  if (re && !new RegExp(re).test(name)) throw new GenericError(`Name ${name} does not match RegexNameInternal value`);
}

export function verifyNameUser(ctx: CallContext, name?: unknown, krb?: unknown): void {
  if (name && typeof name !== 'string') throw new GenericError('Name should be string');
  if (krb && typeof krb !== 'string') throw new GenericError('Kerberos principal should be string');
  const max = ctx.hub.options.MaxNameLengthInternal;
  const shown = (s: string) => (s.length > 100 ? `${s.slice(0, 100)}…` : s);
  if (max !== 0) {
    if (typeof name === 'string' && name.length > max) throw new GenericError(`Name ${shown(name)} is too long. Max length is ${max} characters`);
    if (typeof krb === 'string' && krb.length > max) throw new GenericError(`Kerberos principal ${shown(krb)} is too long. Max length is ${max} characters`);
  }
  const re = ctx.hub.options.RegexUserName;
  if (re) {
    const rx = new RegExp(re);
    if (typeof name === 'string' && !rx.test(name)) throw new GenericError(`Name ${name} does not match RegexUserName value`);
    if (typeof krb === 'string' && !rx.test(krb)) throw new GenericError(`Kerberos principal ${krb} does not match RegexUserName value`);
  }
}

/** A path component that must not be able to leave its directory (names, versions, releases). */
export function checkPathComponent(what: string, value: string): void {
  if (value === '' || value === '.' || value === '..' || /[/\\\x00-\x1f\x7f]/.test(value)) {
    throw new GenericError(`Invalid ${what} ${JSON.stringify(value)}: it becomes a directory name, so '.', '..', '/', '\\\\' and control characters are not allowed`);
  }
}

/** An internal name that also becomes a directory: package, tag, build target, volume. */
export function verifyDirName(ctx: CallContext, kind: 'package' | 'tag' | 'build target' | 'volume', name: unknown): asserts name is string {
  verifyNameInternal(ctx, name);
  checkPathComponent(`${kind} name`, name);
}
