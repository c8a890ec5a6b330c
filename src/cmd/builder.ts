/**
 * `kojits builder -c kojid.conf [--force-lock]`: the build daemon (kojid), alone with its config.
 * Logs go to stderr (pino, at kojid.conf's log_level, WARNING by default; -v INFO, -d DEBUG); one
 * line containing `ready` goes to stdout once the daemon has logged in and checked in. Takes
 * kojid's command-line overrides (--maxjobs, --sleeptime, --workdir, …). SIGTERM/SIGINT stop it
 * cleanly (its tasks are freed); SIGUSR1 restarts it once no task runs. A `restart` task restarts
 * it in place: config read again, new login.
 */
import { mkdirSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { DAEMON_FLAGS } from './daemon-flags.ts';
import { pino, type Logger } from 'pino';
import { ConfigError } from '../config/options.ts';
import { kojidLogLevel, loadKojidConfig, type KojidConfig } from '../config/kojid.ts';
import { connect, StartupError } from '../builder/connect.ts';
import { TaskManager } from '../builder/daemon.ts';
import { handlerRegistry } from '../builder/handlers/index.ts';

const USAGE = `usage: kojits builder [-c FILE] [--force-lock] [-v] [-d] [--user USER] [--password PASSWORD]
                      [--maxjobs N] [--minspace MB] [--sleeptime S] [--server URL] [--topdir DIR]
                      [--topurl URL] [--workdir DIR] [--mockdir DIR] [--mockuser USER] [--admin-emails A]

  -c, --config FILE   kojid.conf (default /etc/kojid/kojid.conf; a folder: its *.conf)
  --force-lock        take over the host's exclusive session from another daemon
  -v, --verbose       log at INFO;  -d, --debug: log at DEBUG
  -f, --fg            accepted for kojid's sake: the builder always runs in the foreground
`;

const INT_FLAGS = ['maxjobs', 'minspace', 'sleeptime'] as const;
const STR_FLAGS = ['user', 'password', 'server', 'topdir', 'topurl', 'workdir', 'mockdir', 'mockuser', 'admin-emails'] as const;

function overridesOf(values: Record<string, string | boolean | undefined>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of INT_FLAGS) {
    const v = values[k];
    if (typeof v !== 'string') continue;
    if (!/^\d+$/.test(v)) throw new ConfigError(`--${k} must be a whole number, got ${JSON.stringify(v)}`);
    out[k] = Number(v);
  }
  for (const k of STR_FLAGS) if (typeof values[k] === 'string') out[k.replace('-', '_')] = values[k];
  return out;
}

/** The ready line is printed once per process, restarts included. */
let announced = false;

export async function main(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        ...DAEMON_FLAGS,
        ...Object.fromEntries([...INT_FLAGS, ...STR_FLAGS].map((k) => [k, { type: 'string' }])),
      },
    }));
  } catch (e) {
    process.stderr.write(`kojits builder: ${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const file = (values.config as string | undefined) ?? '/etc/kojid/kojid.conf';
  const warnings: string[] = [];
  const load = (): KojidConfig => loadKojidConfig(file, { env: process.env, warn: (m) => warnings.push(m), overrides: overridesOf(values) });
  let cfg: KojidConfig;
  let log: Logger;
  try {
    cfg = load();
    const level = kojidLogLevel(cfg.options.log_level, { debug: Boolean(values.debug), verbose: Boolean(values.verbose) });
    log = pino({ level, base: { pid: process.pid, name: 'kojid' } }, pino.destination(2));
  } catch (e) {
    process.stderr.write(`kojits builder: ${(e as Error).message}\n`);
    return 1;
  }
  for (;;) {
    for (const w of warnings.splice(0)) log.warn(w);
    try {
      const code = await runOnce(cfg, log, Boolean(values['force-lock']));
      if (code !== null) return code;
      cfg = load();
    } catch (e) {
      if (e instanceof StartupError || e instanceof ConfigError) {
        log.error(e.message);
        process.stderr.write(`kojits builder: ${e.message}\n`);
        return 1;
      }
      throw e;
    }
  }
}

/** One life of the daemon: the exit code, or null to restart. */
async function runOnce(cfg: KojidConfig, log: Logger, forceLock: boolean): Promise<number | null> {
  const o = cfg.options;
  mkdirSync(o.workdir, { recursive: true });
  const handlers = await handlerRegistry(o);
  log.info(`Starting up (${cfg.files.join(', ')})`);
  const conn = await connect(o, forceLock);
  const tm = new TaskManager(conn, handlers, {
    options: o,
    log,
    logLevel: log.level,
    onReady: (line) => {
      if (announced) return;
      announced = true;
      process.stdout.write(`${line}\n`);
    },
  });
  let signals = 0;
  const onStop = (sig: NodeJS.Signals) => {
    if (++signals > 1) {
      log.warn(`${sig} again: stopping the tasks at once`);
      tm.killAllNow();
      process.exit(1);
    }
    tm.stop(sig);
  };
  const onRestart = () => tm.gracefulRestart();
  const onExit = () => tm.killAllNow();
  process.on('SIGTERM', onStop);
  process.on('SIGINT', onStop);
  process.on('SIGUSR1', onRestart);
  process.on('exit', onExit);
  try {
    const r = await tm.run();
    await Promise.race([conn.session.logout().catch(() => undefined), new Promise((r) => setTimeout(r, 5000).unref())]);
    return r.restart ? null : r.code;
  } finally {
    conn.session.close();
    process.off('SIGTERM', onStop);
    process.off('SIGINT', onStop);
    process.off('SIGUSR1', onRestart);
    process.off('exit', onExit);
  }
}
