/**
 * The koji CLI entry: global options (as the stock koji CLI: -p/--profile, -c/--config,
 * --user, --password, --authtype, --cert, --noauth, --force-auth, -s/--server …), the profile
 * from koji.conf, then the command. `runCli` returns output and exit code (tests call it
 * in-process); bin/koji prints them.
 */
import { createInterface } from 'node:readline';
import { basename } from 'node:path';
import { isatty } from 'node:tty';
import { loadClientConfig, type ClientConfig } from '../config/client.ts';
import { ConfigError } from '../config/options.ts';
import { IniError } from '../config/ini.ts';
import { ClientSession } from '../protocol/client.ts';
import { activateSession, ensureConnection, isConnectionError } from './session.ts';
import { CliError, UsageError, type CliContext, type Command, type CommandResult, type GlobalOptions } from './command.ts';
import { formatHelp, parseCommandArgs, usageFailure } from './parse.ts';
import { COMMANDS, findCommand, isStockCommand } from './commands/index.ts';
import { GREETINGS } from './commands/misc.ts';
import { commonCommandsLine, epilog, listCommands as listCommandsOf } from './help.ts';
import { exceptionLine, logLine } from './log.ts';


const GLOBAL_SPECS = [
  { name: 'profile', short: 'p', type: 'string' as const, help: 'specify a configuration profile. default: koji' },
  { name: 'config', short: 'c', type: 'string' as const, dest: 'configFile', metavar: 'FILE', help: "load profile's settings from another file. Use with --profile." },
  { name: 'keytab', type: 'string' as const, metavar: 'FILE', help: 'specify a Kerberos keytab to use' },
  { name: 'principal', type: 'string' as const, help: 'specify a Kerberos principal to use' },
  { name: 'cert', type: 'string' as const, metavar: 'FILE', help: 'specify a SSL cert to use' },
  { name: 'runas', type: 'string' as const, help: 'run as the specified user (requires special privileges)' },
  { name: 'user', type: 'string' as const, help: 'specify user' },
  { name: 'password', type: 'string' as const, help: 'specify password' },
  { name: 'noauth', type: 'bool' as const, help: 'do not authenticate' },
  { name: 'force-auth', type: 'bool' as const, help: 'authenticate even for read-only operations' },
  { name: 'authtype', type: 'string' as const, help: 'force use of a type of authentication, options: noauth, ssl, password, or kerberos' },
  { name: 'debug', short: 'd', type: 'bool' as const, help: 'show debug output' },
  { name: 'debug-xmlrpc', type: 'bool' as const, help: 'show xmlrpc debug output' },
  { name: 'quiet', short: 'q', type: 'bool' as const, help: 'run quietly' },
  { name: 'skip-main', type: 'bool' as const, help: "don't actually run main" },
  { name: 'server', short: 's', type: 'string' as const, help: 'url of XMLRPC server' },
  { name: 'topdir', type: 'string' as const, help: 'specify topdir' },
  { name: 'weburl', type: 'string' as const, help: 'url of the Koji web interface' },
  { name: 'topurl', type: 'string' as const, help: 'url for Koji file access' },
  { name: 'help-commands', type: 'bool' as const, help: 'list commands' },
];

export interface CliIo {
  /** answers for prompts (tests); otherwise the terminal is asked */
  prompt?: (question: string, hidden?: boolean) => Promise<string>;
  /** program name shown in messages (argv[1] basename) */
  progname?: string;
  /** where a command's progressive stdout goes (bin/koji: the terminal); otherwise it is kept and returned with the output */
  stdout?: (text: string) => void;
  /** whether the CLI runs in the background (default: stdin is not a terminal) */
  background?: boolean;
}

/** The command list, as `koji help` prints it (see help.ts). */
function listCommands(prog: string): string {
  return listCommandsOf(prog, COMMANDS);
}

/** Split argv at the command: global options come first (optparse disable_interspersed_args). */
function splitGlobal(argv: string[]): { globals: string[]; rest: string[] } {
  const takesValue = new Set<string>();
  for (const s of GLOBAL_SPECS) {
    if (s.type === 'string') {
      takesValue.add(`--${s.name}`);
      if (s.short) takesValue.add(`-${s.short}`);
    }
  }
  let i = 0;
  while (i < argv.length) {
    const a = argv[i];
    if (a === '--') return { globals: argv.slice(0, i), rest: argv.slice(i + 1) };
    if (!a.startsWith('-') || a === '-') break;
    i += takesValue.has(a) ? 2 : 1;
  }
  return { globals: argv.slice(0, i), rest: argv.slice(i) };
}

async function terminalPrompt(question: string, hidden = false): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  if (hidden) (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = (s: string) => {
    if (s.includes(question)) process.stderr.write(question);
  };
  const answer = await new Promise<string>((r) => rl.question(question, r));
  rl.close();
  if (hidden) process.stderr.write('\n');
  return answer;
}

export async function runCli(argv: string[], io: CliIo = {}): Promise<CommandResult> {
  const prog = io.progname ?? 'koji';
  const globalUsage = `${prog} [global-options] command [command-options-and-arguments]\n\n${commonCommandsLine(COMMANDS)}`;
  const err: string[] = [];
  const { globals, rest } = splitGlobal(argv);
  let g;
  try {
    g = parseCommandArgs(GLOBAL_SPECS, globals);
  } catch (e) {
    if (e instanceof UsageError) return usageFailure(globalUsage, prog, e.message);
    throw e;
  }
  if (g.help) {
    return { output: formatHelp(globalUsage, GLOBAL_SPECS) + epilog(prog, COMMANDS), exitCode: 0 };
  }
  const o = g.opts as Record<string, unknown>;
  const global: GlobalOptions = {
    profile: (o.profile as string) ?? basename(prog),
    configFile: (o.configFile as string) ?? null,
    user: (o.user as string) ?? null,
    password: (o.password as string) ?? null,
    noauth: Boolean(o.noauth),
    forceAuth: Boolean(o.force_auth),
    authtype: (o.authtype as string) ?? null,
    cert: (o.cert as string) ?? null,
    runas: (o.runas as string) ?? null,
    server: (o.server as string) ?? null,
    topdir: (o.topdir as string) ?? null,
    weburl: (o.weburl as string) ?? null,
    topurl: (o.topurl as string) ?? null,
    debug: Boolean(o.debug),
    debugXmlrpc: Boolean(o.debug_xmlrpc),
    quiet: Boolean(o.quiet),
  };
  let config: ClientConfig;
  try {
    config = loadClientConfig(global.profile, global.configFile, (m) => err.push(m));
  } catch (e) {
    if (e instanceof ConfigError || e instanceof IniError) {
      return usageFailure(globalUsage, prog, e.message);
    }
    throw e;
  }
  // command-line values win over the profile
  if (global.server) config.server = global.server;
  if (global.cert) config.cert = global.cert;
  if (global.topdir) config.topdir = global.topdir;
  if (global.weburl) config.weburl = global.weburl;
  if (global.topurl) config.topurl = global.topurl;
  if (global.authtype) config.authtype = global.authtype;
  if (config.force_auth) global.forceAuth = true;
  if (config.debug) global.debug = true;

  if (rest.length === 0 || o.help_commands) return { output: listCommands(prog), error: err.join('\n'), exitCode: 0 };
  let name = rest[0];
  // as the stock CLI: a greeting (its moshimoshi greetings) runs moshimoshi
  if (GREETINGS.includes(name.toLowerCase())) name = 'moshimoshi';
  const cmd = findCommand(name);
  if (!cmd) {
    // a command of the stock CLI that koji-ts lacks: one line, not the whole command list
    if (isStockCommand(name)) return { output: '', error: [...err, `${prog}: ${rest[0]} is not available in koji-ts yet`].join('\n') + '\n', exitCode: 2 };
    return { output: listCommands(prog), error: [...err, logLine(`Unknown command: ${rest[0]}`)].join('\n') + '\n', exitCode: 1 };
  }
  if (o.skip_main) return { output: '', exitCode: 0 };
  return runCommand(cmd, rest.slice(1), { global, config, prog, io, err });
}

async function runCommand(cmd: Command, argv: string[], env: { global: GlobalOptions; config: ClientConfig; prog: string; io: CliIo; err: string[] }): Promise<CommandResult> {
  const { global, config, prog, err } = env;
  const tail = cmd.plainUsage ? '' : '\n(Specify the --help global option for a list of other help options)';
  const usage = () => `usage: ${prog} ${cmd.usage.replaceAll('%prog', prog)}${tail}`;
  const session = new ClientSession(config.server, {
    cert: config.cert || undefined,
    serverca: config.serverca || undefined,
    noSslVerify: config.no_ssl_verify,
    timeout: config.timeout,
    authTimeout: config.auth_timeout,
    maxRetries: config.max_retries,
    retryInterval: config.retry_interval,
    anonRetry: config.anon_retry,
    offlineRetry: config.offline_retry,
    offlineRetryInterval: config.offline_retry_interval,
    uploadBlocksize: config.upload_blocksize,
    debugXmlrpc: global.debugXmlrpc ? (line) => err.push(line) : undefined,
  });
  const printed: string[] = [];
  const ctx: CliContext = {
    global,
    config,
    session,
    warn: (m) => err.push(m),
    print: env.io.stdout ?? ((text) => printed.push(text)),
    runningInBackground: () => env.io.background ?? !isatty(0),
    activate: () => activateSession(session, global, config, ctx.prompt),
    prompt: env.io.prompt ?? terminalPrompt,
  };
  const finish = (r: CommandResult): CommandResult => ({ ...r, output: printed.join('') + r.output, error: [...err, r.error ?? ''].filter(Boolean).join('\n') + (err.length || r.error ? '\n' : '') });
  try {
    const parsed = parseCommandArgs(cmd.options ?? [], argv);
    if (parsed.help) return finish({ output: formatHelp(usage(), cmd.options ?? [], cmd.description), exitCode: 0 });
    const needsLogin = !cmd.anon || global.forceAuth || argv.includes('--mine');
    if (cmd.local) {
      // no hub needed
    } else if (needsLogin) await ctx.activate();
    else await ensureConnection(session, global.debug);
    const r = await cmd.handler(ctx, parsed.opts, parsed.args, usage);
    const result: CommandResult = typeof r === 'string' ? { output: r, exitCode: 0 } : r ?? { output: '', exitCode: 0 };
    return finish(result);
  } catch (e) {
    if (e instanceof UsageError) return finish(usageFailure(usage(), prog, e.message));
    if (e instanceof CliError) return finish({ output: '', error: e.message, exitCode: e.exitCode });
    const ex = e instanceof Error ? e : new Error(String(e));
    // with --debug the stock CLI lets the exception through: Python prints its traceback
    if (global.debug) return finish({ output: '', error: String(ex.stack), exitCode: 1 });
    if (isConnectionError(ex)) return finish({ output: '', error: logLine(`ConnectionError: ${config.server}: ${ex.message}`), exitCode: 1 });
    return finish({ output: '', error: exceptionLine(ex), exitCode: 1 });
  } finally {
    try {
      await session.logout();
    } catch {
      /* as the stock CLI: logout failures are ignored */
    }
    session.close();
  }
}
