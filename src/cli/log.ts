/**
 * How the stock CLI reports failures: through Python's logging, as
 * "<asctime> [<LEVEL>] koji: <message>" on stderr (asctime: "2024-07-03 09:46:40,123", local
 * time). Its main logs "<exception class>: <message>" for any exception a command dies with,
 * and "Unknown command: <name>". Plain messages (warn(), error()) and usage errors are printed
 * without this prefix.
 */
import { Fault } from '../protocol/faults.ts';
import { pyRepr } from '../protocol/pyrepr.ts';

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** logging.Formatter's default asctime of a moment, in local time. */
export function logTime(d: Date): string {
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())},${pad(d.getMilliseconds(), 3)}`;
}

/** One line as the stock CLI's "koji" logger writes it. */
export function logLine(message: string, level = 'ERROR', now = new Date()): string {
  return `${logTime(now)} [${level}] koji: ${message}`;
}

/**
 * What the stock CLI's main logs for an exception: "<class>: <str(exception)>". A fault that
 * maps to no Koji error class stays an xmlrpc Fault, whose str() is "<Fault N: 'text'>".
 */
export function exceptionLine(e: Error): string {
  if (e instanceof Fault) return logLine(`Fault: <Fault ${e.faultCode}: ${pyRepr(e.faultString)}>`);
  return logLine(`${e.name}: ${e.message}`);
}
