/**
 * `kojits kojira -c kojira.conf [--force-lock]`: the repo daemon (kojira), alone with its config.
 * Logs go to stderr (pino; WARNING by default as kojira, -v/verbose INFO, -d/debug DEBUG, -q
 * ERROR); one line containing `ready` goes to stdout once it has logged in. Takes kojira's
 * command-line overrides (--sleeptime, --server, --topdir, --user, --password, --principal,
 * --keytab). SIGTERM/SIGINT stop it after the removals it runs.
 */
import { parseArgs } from 'node:util';
import { DAEMON_FLAGS } from './daemon-flags.ts';
import { pino } from 'pino';
import { loadKojiraConfig, type KojiraOptions } from '../config/kojira.ts';
import { ConfigError } from '../config/options.ts';
import { StartupError } from '../protocol/daemon-login.ts';
import { startKojira } from '../kojira/daemon.ts';

const USAGE = `usage: kojits kojira [-c FILE] [--force-lock] [-v] [-d] [-q] [--user USER] [--password PASSWORD]
                     [--principal PRINCIPAL] [--keytab FILE] [--sleeptime S] [-s|--server URL] [--topdir DIR] [--show-config]

  -c, --config FILE   kojira.conf (default /etc/kojira/kojira.conf)
  --force-lock        take over kojira's exclusive session from another kojira
  -v, --verbose       log at INFO;  -d, --debug: log at DEBUG;  -q, --quiet: log only errors
  -f, --fg            accepted for kojira's sake: kojits kojira always runs in the foreground
`;

export async function main(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        ...DAEMON_FLAGS,
        quiet: { type: 'boolean', short: 'q' },
        'show-config': { type: 'boolean' },
        user: { type: 'string' },
        password: { type: 'string' },
        principal: { type: 'string' },
        keytab: { type: 'string' },
        sleeptime: { type: 'string' },
        server: { type: 'string', short: 's' },
        topdir: { type: 'string' },
      },
    }));
  } catch (e) {
    process.stderr.write(`kojits kojira: ${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const overrides: Record<string, unknown> = {};
  for (const k of ['user', 'password', 'principal', 'keytab', 'server', 'topdir'] as const) if (values[k] !== undefined) overrides[k] = values[k];
  if (values.sleeptime !== undefined) {
    if (!/^\d+$/.test(values.sleeptime)) {
      process.stderr.write(`kojits kojira: --sleeptime must be a whole number, got ${JSON.stringify(values.sleeptime)}\n`);
      return 2;
    }
    overrides.sleeptime = Number(values.sleeptime);
  }
  const warnings: string[] = [];
  let o: KojiraOptions;
  try {
    o = loadKojiraConfig(values.config ?? '/etc/kojira/kojira.conf', { env: process.env, warn: (m) => warnings.push(m), overrides });
  } catch (e) {
    process.stderr.write(`kojits kojira: ${(e as Error).message}\n`);
    return 1;
  }
  if (values['show-config']) {
    process.stdout.write(`${JSON.stringify({ ...o, password: o.password === null ? null : '********' }, null, 2)}\n`);
    return 0;
  }
  const level = values.debug || o.debug ? 'debug' : values.verbose || o.verbose ? 'info' : values.quiet ? 'error' : 'warn';
  const log = pino({ level, base: { pid: process.pid, name: 'kojira' } }, pino.destination(2));
  const line = { debug: (m: string) => log.debug(m), info: (m: string) => log.info(m), warn: (m: string) => log.warn(m), error: (m: string) => log.error(m) };
  for (const w of warnings) log.warn(w);
  let run;
  try {
    run = await startKojira(o, line, Boolean(values['force-lock']), (l) => process.stdout.write(`${l}\n`));
  } catch (e) {
    if (e instanceof StartupError || e instanceof ConfigError) {
      log.error(e.message);
      process.stderr.write(`kojits kojira: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
  const stop = (sig: NodeJS.Signals) => {
    log.warn(`${sig}: shutting down`);
    run.stop();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  try {
    return await run.done;
  } finally {
    process.off('SIGTERM', stop);
    process.off('SIGINT', stop);
  }
}
