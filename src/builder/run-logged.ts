/**
 * Running a program for a task with its output in a log file that reaches the hub while it runs —
 * kojid's log_output: the file starts with `$ command line`, takes stdout (and stderr with
 * `logerror`), and is uploaded into the task's output as it grows. The result is the exit status
 * in kojid's words (parseStatus) for the error message, or null on success.
 */
import { spawn } from 'node:child_process';
import { openSync, closeSync, writeSync } from 'node:fs';
import { basename } from 'node:path';
import type { TaskContext } from './task.ts';
import { LogUploader } from './tasklog.ts';
import { killTree } from './proctree.ts';
import type { StepTimes } from './step-times.ts';

export interface RunLoggedOptions {
  cwd?: string;
  env?: Record<string, string>;
  /** stderr into the log too (kojid's logerror) */
  logerror?: boolean;
  /** append to the log instead of starting it anew */
  append?: boolean;
  /** marks: the program's run (named by argv[0]), then the last log upload */
  steps?: StepTimes;
}

/** A shell-quoted command line, for messages (koji.util's format_shell_cmd, in spirit). */
export function shellCmd(argv: string[]): string {
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

/** kojid's parseStatus: "<cmd> exited with status N" or "… was killed by signal S". */
export function statusText(argv: string[], code: number | null, signal: NodeJS.Signals | null): string {
  return code !== null ? `${shellCmd(argv)} exited with status ${code}` : `${shellCmd(argv)} was killed by signal ${signal}`;
}

/** Run argv[0] with argv[1..]; its output goes to `logfile`, uploaded as the task runs. Resolves to null on success, else the status text. */
export async function runLogged(task: TaskContext, argv: string[], logfile: string, o: RunLoggedOptions = {}): Promise<string | null> {
  const fd = openSync(logfile, o.append ? 'a' : 'w');
  writeSync(fd, `$ ${argv.join(' ')}\n`);
  const uploader = new LogUploader(task.session, task.uploadDir(), { debug() {}, info() {}, warn: (m: string) => task.log.warn(m), error: (m: string) => task.log.error(m) });
  uploader.add(logfile, basename(logfile));
  uploader.start();
  try {
    const child = spawn(argv[0], argv.slice(1), {
      cwd: o.cwd,
      env: { ...process.env, ...(o.env ?? {}) },
      stdio: ['ignore', fd, o.logerror ? fd : 'ignore'],
      detached: true,
    });
    const onExit = () => void killTree(child.pid ?? null);
    process.once('exit', onExit);
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
      child.once('error', (e) => reject(Object.assign(new Error(`cannot run ${argv[0]}: ${e.message}`), { name: 'OSError' })));
      child.once('exit', (c, s) => resolve([c, s]));
    });
    process.removeListener('exit', onExit);
    o.steps?.mark(basename(argv[0]));
    return code === 0 ? null : statusText(argv, code, signal);
  } finally {
    closeSync(fd);
    uploader.stop();
    await uploader.sync().catch((e: Error) => task.log.warn(`log upload of ${logfile}: ${e.message}`));
    o.steps?.mark('log upload');
  }
}
