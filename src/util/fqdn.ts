/**
 * The machine's fully qualified name as Python's socket.getfqdn() gives it (kojid names its host
 * principal with it): the name the machine's hostname resolves back to, when that holds a dot;
 * else the hostname itself when it holds one; else the name it resolves back to (`localhost` on
 * a machine whose hostname maps to 127.0.0.1); the bare hostname when it does not resolve.
 */
import { lookup, lookupService } from 'node:dns/promises';
import { hostname } from 'node:os';

export async function fqdn(): Promise<string> {
  const name = hostname();
  let reverse: string;
  try {
    const { address } = await lookup(name);
    reverse = (await lookupService(address, 0)).hostname;
  } catch {
    return name;
  }
  if (reverse.includes('.')) return reverse;
  if (name.includes('.')) return name;
  return reverse || name;
}
