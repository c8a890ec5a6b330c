/**
 * Real `kojits` processes for tests: spawn `node bin/kojits …` (or any command), wait for a
 * line, stop by pid with a bounded wait, and pick free loopback ports.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { processGone } from '../../src/util/pid.ts';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const KOJITS = `${ROOT}bin/kojits`;

export interface Proc {
  child: ChildProcess;
  pid: number;
  /** everything written to stdout and stderr so far */
  output(): string;
  /** resolves with the first output line matching `re` (rejects when the process exits first or after `ms`) */
  waitFor(re: RegExp, ms?: number): Promise<string>;
  /** resolves with the exit code (or signal name) */
  exited: Promise<number | string>;
  /** SIGTERM (or `signal`), then SIGKILL after `ms`; resolves with the exit code */
  stop(signal?: NodeJS.Signals, ms?: number): Promise<number | string>;
}

const started = new Set<Proc>();

/** Kill whatever this file's tests started and left running (for afterAll). */
export async function stopAll(): Promise<void> {
  await Promise.all([...started].map((p) => p.stop('SIGKILL')));
}

/** `env` is added to this process's environment, from which the variables `unset` matches are taken out. */
export function start(cmd: string, args: string[], o: { cwd?: string; env?: Record<string, string>; unset?: RegExp } = {}): Proc {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !o.unset?.test(k)));
  const child = spawn(cmd, args, { cwd: o.cwd ?? ROOT, env: { ...env, ...o.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const listeners = new Set<() => void>();
  const onData = (d: Buffer) => {
    out += d.toString();
    for (const l of listeners) l();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<number | string>((resolve) => child.on('exit', (code, sig) => resolve(code ?? sig ?? -1)));
  let done = false;
  void exited.then(() => {
    done = true;
    started.delete(p);
    for (const l of listeners) l();
  });
  const p: Proc = {
    child,
    pid: child.pid as number,
    output: () => out,
    exited,
    waitFor(re, ms = 60_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => finish(new Error(`timed out after ${ms} ms waiting for ${re}; output:\n${out}`)), ms);
        const check = () => {
          const line = out.split('\n').find((l) => re.test(l));
          if (line !== undefined) finish(null, line);
          else if (done) finish(new Error(`process exited before printing ${re}; output:\n${out}`));
        };
        const finish = (err: Error | null, line?: string) => {
          clearTimeout(timer);
          listeners.delete(check);
          if (err) reject(err);
          else resolve(line as string);
        };
        listeners.add(check);
        check();
      });
    },
    async stop(signal = 'SIGTERM', ms = 15_000) {
      if (!done) child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), ms);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };
  started.add(p);
  return p;
}

export function startKojits(args: string[], o: { cwd?: string; env?: Record<string, string>; unset?: RegExp } = {}): Proc {
  return start(process.execPath, [KOJITS, ...args], o);
}

/** Run `node bin/kojits …` to completion (bounded). */
export async function runKojits(args: string[], o: { cwd?: string; env?: Record<string, string>; ms?: number } = {}): Promise<{ code: number | string; output: string }> {
  const p = startKojits(args, o);
  const timer = setTimeout(() => p.child.kill('SIGKILL'), o.ms ?? 90_000);
  const code = await p.exited;
  clearTimeout(timer);
  return { code, output: p.output() };
}

/** A port that was free on 127.0.0.1 a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** The command line of a process ('' when it is gone). */
export function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trimEnd();
  } catch {
    return '';
  }
}

/** The parent pid of a process (from /proc; throws when it is gone). */
export function parentPid(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
}

/** Pids of `pid` and all its descendants (from /proc). */
export function processTree(pid: number): number[] {
  const parent = new Map<number, number>();
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      parent.set(Number(e), parentPid(Number(e)));
    } catch {
      // gone meanwhile
    }
  }
  const out = [pid];
  for (let i = 0; i < out.length; i++) for (const [c, pp] of parent) if (pp === out[i]) out.push(c);
  return out;
}

export const alive = (pid: number): boolean => !processGone(pid);

/** Whether something accepts connections on 127.0.0.1:port. */
export function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(true));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(false)));
  });
}

export async function until(cond: () => boolean | Promise<boolean>, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await cond()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return cond();
}
