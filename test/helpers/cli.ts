/**
 * Run our koji CLI in-process against a test hub: a temporary koji.conf with a password profile
 * pointing at the hub's plain HTTP URL; `run(...)` logs in as the admin unless told otherwise.
 * Log lines on stderr ("2024-07-03 09:46:40,123 [ERROR] koji: …", as the stock CLI's) come
 * back without their time, so tests compare "[ERROR] koji: …".
 */
import { expect } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../src/cli/main.ts';
import type { CommandResult } from '../../src/cli/command.ts';
import { ADMIN, ADMIN_PASSWORD, type TestHub } from './hub.ts';

export interface CliRunner {
  configFile: string;
  /** run as the admin (password login) */
  run(...args: string[]): Promise<CommandResult>;
  /** run with explicit global options (e.g. another --user, or --noauth) */
  runAs(user: string | null, password: string | null, ...args: string[]): Promise<CommandResult>;
}

/** The time at the start of a log line. */
const LOG_TIME = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} (?=\[[A-Z]+\] koji: )/gm;

export interface CliForOptions {
  /** more lines for the profile (e.g. `poll_interval = 1`) */
  conf?: string;
  /** whether the CLI runs in the background (commands that watch by default then do not); default: as the test process */
  background?: boolean;
}

export function cliFor(hub: TestHub, o: CliForOptions = {}): CliRunner {
  // next to the hub's KojiDir (not inside it: the hub would see a stray folder), gone with it
  const dir = mkdtempSync(join(tmpdir(), 'kojits-cli-'));
  hub.onStop(() => rmSync(dir, { recursive: true, force: true }));
  const configFile = join(dir, 'koji.conf');
  const base = hub.httpUrl!.replace(/\/kojihub$/, '');
  writeFileSync(
    configFile,
    `[test]\nserver = ${hub.httpUrl}\nweburl = ${base}/koji\ntopurl = ${base}/kojifiles\ntopdir = ${hub.kojiDir}\nauthtype = password\nmax_retries = 0\n${o.conf ?? ''}\n`,
  );
  const runAs = (user: string | null, password: string | null, ...args: string[]) => {
    const g = ['-c', configFile, '-p', 'test'];
    if (user) g.push('--user', user);
    if (password) g.push('--password', password);
    if (!user) g.push('--noauth');
    return runCli([...g, ...args], { prompt: async () => '', background: o.background }).then((r) => ({ ...r, error: r.error?.replace(LOG_TIME, '') }));
  };
  return {
    configFile,
    run: (...args) => runAs(ADMIN, ADMIN_PASSWORD, ...args),
    runAs,
  };
}

/** A usage error: exit code 2, nothing on stdout, the command's usage line and "error: <message>" on stderr. */
export function expectUsageError(r: { exitCode: number; error?: string; output: string }, usage: string, message: string): void {
  expect(r.exitCode).toBe(2);
  expect(r.output).toBe('');
  expect(r.error).toMatch(new RegExp(`^usage: koji ${usage.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\n`, 'i'));
  expect(r.error).toContain(`error: ${message}\n`);
}

/**
 * KOJI_SRC (an unpacked Koji source tree), when set: the stock CLI is run anonymously with the
 * same arguments against the same hub, and `ours` must equal its stdout, stderr and exit code.
 * Tests keep their literal expectations; this is an extra check on a machine with Koji's source.
 */
export async function expectSameAsStock(cli: CliRunner, args: string[], ours: CommandResult): Promise<void> {
  const src = process.env.KOJI_SRC;
  if (!src) return;
  // asynchronous: the test hub runs in this process
  const stock = await new Promise<CommandResult>((resolve) => {
    execFile('/usr/bin/python3', [join(src, 'cli/koji'), '-c', cli.configFile, '-p', 'test', '--noauth', ...args], { env: { ...process.env, PYTHONPATH: `${src}:${src}/cli` } }, (e, stdout, stderr) =>
      resolve({ output: stdout, error: stderr.replace(LOG_TIME, ''), exitCode: e ? Number(e.code) : 0 }),
    );
  });
  expect({ ...ours, error: ours.error ?? '' }).toEqual(stock);
}
