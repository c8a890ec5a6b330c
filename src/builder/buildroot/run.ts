/**
 * Processes of a buildroot with their output appended to a log file in the result folder as it
 * is written (so a build handler can stream it to the hub), each in a process group of its own
 * so that the whole tree can be stopped (proctree.ts), and the backend's own log lines in
 * mock's files: state.log (phases with their durations) and mock_output.log (commands run).
 */
import { spawn } from 'node:child_process';
import { appendFileSync, closeSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { killTree } from '../proctree.ts';
import { shellCmd, statusText } from '../run-logged.ts';

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** kojid's words for a failure ("… exited with status 1"), null on success */
  failure: string | null;
}

/** Log files of one root, in its result folder. */
export class RootLogs {
  private readonly running = new Set<number>();

  constructor(readonly resultdir: string) {
    mkdirSync(resultdir, { recursive: true });
  }

  file(name: string): string {
    return join(this.resultdir, name);
  }

  /** A timestamped line in `name` (mock's "2024-01-01 12:00:00,000 - text" form). */
  line(name: string, text: string): void {
    appendFileSync(this.file(name), `${new Date().toISOString().replace('T', ' ').replace('Z', '').replace('.', ',')} - ${text}\n`);
  }

  /** Run `fn` as a phase: "Start: what" / "Finish: what" (with seconds) in state.log. */
  async phase<T>(what: string, fn: () => Promise<T>): Promise<T> {
    const t0 = Date.now();
    this.line('state.log', `Start: ${what}`);
    try {
      return await fn();
    } finally {
      this.line('state.log', `Finish: ${what} (${((Date.now() - t0) / 1000).toFixed(2)} s)`);
    }
  }

  /** Run argv with stdout and stderr appended to `log`; the command line goes to mock_output.log and the log first. */
  async run(argv: string[], log: string, o: { env?: Record<string, string>; cwd?: string; signal?: AbortSignal } = {}): Promise<RunResult> {
    this.line('mock_output.log', `Executing command: ${shellCmd(argv)}`);
    appendFileSync(this.file(log), `$ ${shellCmd(argv)}\n`);
    const fd = openSync(this.file(log), 'a');
    try {
      const child = spawn(argv[0], argv.slice(1), { cwd: o.cwd, env: o.env ?? { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C' }, stdio: ['ignore', fd, fd], detached: true });
      const pid = child.pid;
      if (pid) this.running.add(pid);
      const onAbort = () => void this.kill();
      o.signal?.addEventListener('abort', onAbort, { once: true });
      try {
        const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
          child.once('error', (e) => reject(new Error(`cannot run ${argv[0]}: ${e.message}`, { cause: e })));
          child.once('exit', (c, s) => resolve([c, s]));
        });
        const failure = code === 0 ? null : statusText(argv, code, signal);
        this.line('mock_output.log', failure ?? 'Child return code was: 0');
        return { code, signal, failure };
      } finally {
        o.signal?.removeEventListener('abort', onAbort);
        if (pid) {
          // what the command left behind in its group
          await killTree(null, { pgid: pid, graceMs: 200 });
          this.running.delete(pid);
        }
      }
    } finally {
      closeSync(fd);
    }
  }

  /** Stop every running command's process tree. */
  async kill(): Promise<void> {
    await Promise.all([...this.running].map((pid) => killTree(pid, { pgid: pid, graceMs: 1000 })));
  }
}
