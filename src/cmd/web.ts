/**
 * `kojits web -c web.conf`: the web interface (kojiweb) alone with its config. Logs JSON lines to
 * stderr; prints one `ready` line when it listens. SIGTERM/SIGINT stop it.
 */
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { hubLogLevel } from '../config/loglevel.ts';
import { loadWebConfig, type WebOptions } from '../config/web.ts';
import { startWeb } from '../web/server.ts';
import { ConfigError } from '../config/options.ts';

const USAGE = `usage: kojits web [-c FILE] [--show-config]

  -c, --config FILE   web.conf (default /etc/kojiweb/web.conf)
`;

export async function main(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({ args: argv, options: { config: { type: 'string', short: 'c' }, 'show-config': { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } }));
  } catch (e) {
    process.stderr.write(`kojits web: ${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const warnings: string[] = [];
  let o: WebOptions;
  try {
    o = loadWebConfig(values.config ?? '/etc/kojiweb/web.conf', { env: process.env, warn: (m) => warnings.push(m) });
  } catch (e) {
    process.stderr.write(`kojits web: ${(e as Error).message}\n`);
    return 1;
  }
  if (values['show-config']) {
    process.stdout.write(`${JSON.stringify({ ...o, Secret: o.Secret === null ? null : '********' }, null, 2)}\n`);
    return 0;
  }
  const log = pino({ level: hubLogLevel({ LogLevel: o.LogLevel }), base: { pid: process.pid, name: 'kojiweb' } }, pino.destination(2));
  for (const w of warnings) log.warn(w);
  let server;
  try {
    server = await startWeb(o, log);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    process.stderr.write(`kojits web: ${e.message}\n`);
    return 1;
  }
  process.stdout.write(`koji-ts web ready: ${server.where.join(' and ')} (hub ${o.KojiHubURL})\n`);
  await new Promise<void>((resolve) => {
    const stop = (sig: NodeJS.Signals) => {
      log.warn(`${sig}: shutting down`);
      resolve();
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
  await server.close();
  return 0;
}
