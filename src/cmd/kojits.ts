/**
 * `kojits`: the server-side executable. Subcommands:
 *   init    create a data folder (CA, certificates, configs, KojiDir, database, first users)
 *   up      the supervisor: everything of a data folder as child processes (init first if needed, see up.ts)
 *   hub     run the hub from a hub.conf (production: PostgreSQL server, several hubs)
 *   cert    issue a certificate for a new user or build host
 *   passwd  set a user's password (through the running hub, as the admin)
 *   migrate apply database migrations to a PostgreSQL server
 *   builder the build daemon from a kojid.conf (src/cmd/builder.ts)
 *   kojira  the repo daemon from a kojira.conf (src/cmd/kojira.ts)
 *   web     the web interface from a web.conf (src/cmd/web.ts)
 *   base-repo  a repo of RPMs converted from this machine's Debian packages, for buildroots (src/cmd/base-repo.ts)
 *   demo    a ready-to-build target on the running hub: base repo, tags, groups, first repo (src/setup/demo.ts)
 * and, for `up` only, `_createdb` (makes and bootstraps a data folder's database, in a child process);
 * for the builder, `_task` (the process one task runs in, src/builder/task-main.ts).
 */
import { resolve } from 'node:path';
import { watchSupervisor } from '../service/parent.ts';

const USAGE = `usage: kojits <command> [options]

commands:
  init    --data DIR [--host H] [--https-port N] [--http-port M] [--listen ADDR] [--builder NAME] [--db URL] [--krb-realm REALM [--keytab FILE]]
  up      --data DIR [--host H] [--https-port N] [--http-port M] [--listen ADDR] [--db URL] [--krb-realm REALM [--keytab FILE]]
  hub     --config hub.conf [--db URL] [--pglite DIR]
  cert    --data DIR [--host] NAME
  passwd  --data DIR USER [--password-file FILE]
  migrate --db URL
  builder -c kojid.conf [--force-lock]
  kojira  -c kojira.conf [--force-lock]
  web     -c web.conf
  base-repo DIR [--cache-dir DIR] [--jobs N]
  demo    [--data DIR] [--tag NAME] [--base-repo DIR]
`;

type Command = (argv: string[]) => Promise<number>;

// each command's code is loaded when it runs (bin/kojits compiles them into chunks of their own)
const COMMANDS: Record<string, () => Promise<Command>> = {
  init: async () => (await import('./commands.ts')).cmdInit,
  up: async () => {
    const { cmdUp } = await import('./up.ts');
    return (a) => cmdUp(a, { has: (c) => Object.hasOwn(COMMANDS, c) });
  },
  hub: async () => (await import('./commands.ts')).cmdHub,
  cert: async () => (await import('./commands.ts')).cmdCert,
  passwd: async () => (await import('./commands.ts')).cmdPasswd,
  migrate: async () => (await import('./commands.ts')).cmdMigrate,
  _createdb: async () => (await import('./commands.ts')).cmdCreateDb,
  builder: async () => (await import('./builder.ts')).main,
  kojira: async () => (await import('./kojira.ts')).main,
  web: async () => (await import('./web.ts')).main,
  'base-repo': async () => (await import('./base-repo.ts')).cmdBaseRepo,
  demo: async () => (await import('./demo.ts')).main,
  _task: async () => (await import('../builder/task-main.ts')).main,
};

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    process.stdout.write(USAGE);
    return cmd ? 0 : 2;
  }
  const fn = Object.hasOwn(COMMANDS, cmd) ? COMMANDS[cmd] : undefined;
  if (!fn) {
    process.stderr.write(`kojits: unknown command ${JSON.stringify(cmd)}\n${USAGE}`);
    return 2;
  }
  // run by `kojits up`: stop when it is gone
  watchSupervisor({ say: (l) => process.stderr.write(`kojits ${cmd}: ${l}\n`) });
  try {
    return await (await fn())(rest);
  } catch (e) {
    const err = e as Error & { code?: string };
    if (err.code === 'EADDRINUSE') process.stderr.write(`kojits ${cmd}: ${err.message}: another program uses that port; pick others with --https-port/--http-port\n`);
    else if (err.code === 'EADDRNOTAVAIL' || (err.code === 'ENOTFOUND' && (err as { syscall?: string }).syscall === 'getaddrinfo')) {
      process.stderr.write(`kojits ${cmd}: cannot listen there (${err.message}): hub.conf's ListenAddress is no address of this machine; pick one with --listen ADDR (0.0.0.0: every interface)\n`);
    } else process.stderr.write(`kojits ${cmd}: ${err.message}\n`);
    if (process.env.KOJITS_DEBUG) process.stderr.write(`${err.stack}\n`);
    return 1;
  }
}

export function defaultDataDir(): string {
  return resolve(process.env.KOJITS_DATA ?? 'data');
}
