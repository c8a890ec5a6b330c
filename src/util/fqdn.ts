/**
 * The machine's names as DNS gives them: the name its hostname resolves back to, and its fully
 * qualified name the way Python's socket.getfqdn() picks it (kojid names its host principal with
 * it). A DNS that does not answer within 1.5 s counts as no answer.
 */
import { lookup, lookupService } from 'node:dns/promises';
import { hostname } from 'node:os';

const DNS_TIMEOUT_MS = 1500;

function bounded<T>(p: Promise<T>): Promise<T> {
  return Promise.race([p, new Promise<never>((_, rej) => setTimeout(() => rej(new Error('DNS did not answer')), DNS_TIMEOUT_MS).unref())]);
}

/** The name the machine's hostname resolves back to; null when it does not resolve. */
export async function reverseHostname(): Promise<string | null> {
  try {
    const { address } = await bounded(lookup(hostname()));
    return (await bounded(lookupService(address, 0))).hostname || null;
  } catch {
    return null;
  }
}

/**
 * As socket.getfqdn(): the reverse name when it holds a dot; else the hostname itself when it
 * holds one; else the reverse name (`localhost` on a machine whose hostname maps to
 * 127.0.0.1); the bare hostname when it does not resolve.
 */
export async function fqdn(): Promise<string> {
  const name = hostname();
  const reverse = await reverseHostname();
  if (reverse === null) return name;
  if (reverse.includes('.')) return reverse;
  if (name.includes('.')) return name;
  return reverse;
}
