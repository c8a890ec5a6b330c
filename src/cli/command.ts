/**
 * The shape every CLI command module has (one module per command group): names, help text,
 * an options table, whether it needs a login, and a handler that RETURNS its output instead of
 * printing it, so tests can run commands in-process.
 */
import type { ClientSession } from '../protocol/client.ts';
import type { ClientConfig } from '../config/client.ts';

export type OptionType = 'string' | 'int' | 'float' | 'bool' | 'append' | 'count';

export interface OptionSpec {
  /** long name without dashes, e.g. 'krb-principal' (value key: krb_principal) */
  name: string;
  short?: string;
  type: OptionType;
  help: string;
  metavar?: string;
  default?: unknown;
  /** store into another key (optparse `dest`) */
  dest?: string;
  /** for bool options that set a value other than true (optparse store_const / store_false) */
  value?: unknown;
  hidden?: boolean;
  /** only the short form exists (optparse's `-o FILE` without a long name); `name` is then the short letter */
  shortOnly?: boolean;
}

export type Options = Record<string, unknown>;

export interface CommandResult {
  output: string;
  /** written to stderr */
  error?: string;
  exitCode: number;
}

/** Raised by handlers for user mistakes: printed as "<usage>\nkoji <cmd>: error: <msg>" (exit 2). */
export class UsageError extends Error {}

/** Raised for failures that are not bugs: the message is printed to stderr, exit code given. */
export class CliError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
  }
}

export interface GlobalOptions {
  profile: string;
  configFile: string | null;
  user: string | null;
  password: string | null;
  noauth: boolean;
  forceAuth: boolean;
  authtype: string | null;
  cert: string | null;
  runas: string | null;
  server: string | null;
  topdir: string | null;
  weburl: string | null;
  topurl: string | null;
  debug: boolean;
  debugXmlrpc: boolean;
  quiet: boolean;
}

export interface CliContext {
  global: GlobalOptions;
  config: ClientConfig;
  /** the hub session; for non-anonymous commands it is logged in before the handler runs */
  session: ClientSession;
  /** lines the handler wants on stderr even when it succeeds */
  warn(msg: string): void;
  /**
   * Text for stdout now, before the handler returns (a command that watches tasks prints as it
   * goes); it comes before the handler's returned output.
   */
  print(text: string): void;
  /** koji_cli.lib._running_in_bg: commands that would watch a task by default do not then */
  runningInBackground(): boolean;
  /** log in now (for anonymous commands that discover they need it) */
  activate(): Promise<void>;
  /** read a line from the terminal (passwords); tests inject answers */
  prompt(question: string, hidden?: boolean): Promise<string>;
}

export interface Command {
  name: string;
  aliases?: string[];
  /** help category: admin, bind, build, download, info, misc, monitor, search */
  category: string;
  summary: string;
  /** text after "usage: koji " */
  usage: string;
  description?: string;
  /** the usage text is printed as it is (the stock command builds its own, without get_usage_str's line) */
  plainUsage?: boolean;
  /** read-only: skip login unless --force-auth (Koji's anon_handle_*) */
  anon?: boolean;
  /** never talks to the hub (no login, no connection check), as the stock `help` */
  local?: boolean;
  options?: OptionSpec[];
  handler(ctx: CliContext, opts: Options, args: string[], usage: () => string): Promise<string | CommandResult | void>;
}
