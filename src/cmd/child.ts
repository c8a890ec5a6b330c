/**
 * `kojits` subcommands run as child processes of this one: the same node and bin/kojits.
 * `runKojitsChild` runs one to completion (`kojits up` makes a new PGlite database so, see
 * up.ts) with output passed through, SIGTERM and SIGINT passed on, and the parent's data folder
 * lock lent to the child; `kojitsCommand` is the command line of a supervised service.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { checkoutBin } from './banner.ts';

export class StoppedError extends Error {}

/**
 * node and its arguments that run `kojits <args>` of this checkout, with this process's node
 * options (e.g. a heap setting from bin/kojits's #! line; not a debugger's port).
 */
export function kojitsCommand(args: string[]): { command: string; args: string[] } {
  const nodeOptions = process.execArgv.filter((a) => !/^--(inspect|debug)/.test(a));
  return { command: process.execPath, args: [...nodeOptions, kojitsBin(), ...args] };
}

/** bin/kojits of this checkout. */
export function kojitsBin(): string {
  const bin = checkoutBin('kojits');
  if (!bin) throw new Error('cannot find bin/kojits');
  return bin;
}

export async function runKojitsChild(args: string[], env: Record<string, string> = {}): Promise<void> {
  const c = kojitsCommand(args);
  const child = spawn(c.command, c.args, { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, ...env } });
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
