/**
 * `kojits` subcommands run as child processes of this one (today `kojits up` makes a new
 * PGlite database in a child, see upLocked; issue 7's supervisor will run its services so):
 * the same node and bin/kojits, output passed through, SIGTERM and SIGINT passed on, and the
 * parent's data folder lock lent to the child.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { checkoutBin } from './banner.ts';

export class StoppedError extends Error {}

export async function runKojitsChild(args: string[], env: Record<string, string> = {}): Promise<void> {
  const bin = checkoutBin('kojits');
  if (!bin) throw new Error('cannot find bin/kojits');
  const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, ...env } });
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  process.on('SIGTERM', forward);
  process.on('SIGINT', forward);
  try {
    const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
    if (signal) throw new StoppedError(`stopped by ${signal} during \`kojits ${args[0]}\``);
    if (code !== 0) throw new Error(`\`kojits ${args[0]}\` failed (exit code ${code})`);
  } finally {
    process.off('SIGTERM', forward);
    process.off('SIGINT', forward);
  }
}
