/**
 * `kojits`: the server-side executable. Subcommands:
 *   init    create a data folder (CA, certificates, configs, KojiDir, database, first users)
 *   up      run everything that exists so far from a data folder (init first if needed)
 *   hub     run the hub from a hub.conf (production: PostgreSQL server, several hubs)
 *   cert    issue a certificate for a new user or build host
 *   passwd  set a user's password (through the running hub, as the admin)
 *   migrate apply database migrations to a PostgreSQL server
 *   builder the build daemon from a kojid.conf (src/cmd/builder.ts; bin/kojits loads it alone)
 * and, for `up` only, `_createdb` (the PGlite database of a new data folder, in a child process).
 */
import cluster from 'node:cluster';
import { parseArgs } from 'node:util';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { initDataDir, issueCertificate, type InitResult } from '../setup/init.ts';
import { dataLayout } from '../setup/layout.ts';
import { openDatabase } from '../db/open.ts';
import { childEnv, lockFolder, type FolderLock } from '../db/lock.ts';
import { migrate } from '../db/migrate.ts';
import { bootstrapDatabase, type BootstrapSpec } from '../hub/bootstrap.ts';
import { serve } from './serve.ts';
import { setPasswordViaHub } from './passwd.ts';
import { changeLines, clientUrl, loginCommands, profileMismatches } from './banner.ts';
import { runKojitsChild } from './child.ts';
import { databaseUrl, loadHubConfig } from '../config/hub.ts';

const USAGE = `usage: kojits <command> [options]

commands:
  init    --data DIR [--host H] [--https-port N] [--http-port M] [--listen ADDR] [--builder NAME] [--db URL]
  up      --data DIR [--host H] [--https-port N] [--http-port M] [--listen ADDR] [--db URL]
  hub     --config hub.conf [--db URL] [--pglite DIR]
  cert    --data DIR [--host] NAME
  passwd  --data DIR USER [--password-file FILE]
  migrate --db URL
  builder -c kojid.conf [--force-lock]
`;

// hub worker processes (HubWorkers > 1) stay quiet; the primary reports
const say = (l: string) => {
  if (!cluster.isWorker) process.stdout.write(l + '\n');
};

function nodeArch(): string {
  return ({ x64: 'x86_64', arm64: 'aarch64', ppc64: 'ppc64le', s390x: 's390x', ia32: 'i686' } as Record<string, string>)[process.arch] ?? process.arch;
}

function intOpt(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || Number(v) > 65535) throw new Error(`--${name} must be a port number (0-65535), got ${JSON.stringify(v)}`);
  return Number(v);
}

type SetupValues = { data?: string; host?: string; 'https-port'?: string; 'http-port'?: string; listen?: string; builder?: string; db?: string };

const SETUP_OPTIONS = {
  data: { type: 'string' },
  host: { type: 'string' },
  'https-port': { type: 'string' },
  'http-port': { type: 'string' },
  listen: { type: 'string' },
  db: { type: 'string' },
} as const;

/** initDataDir with the command line's settings; reports what it changed and warns. */
async function initFrom(values: SetupValues): Promise<InitResult> {
  const r = await initDataDir({
    dataDir: values.data as string,
    host: values.host,
    httpsPort: intOpt(values['https-port'], 'https-port'),
    httpPort: intOpt(values['http-port'], 'http-port'),
    listen: values.listen,
    builderName: values.builder,
  });
  for (const l of changeLines(r)) say(l);
  for (const w of r.warnings) say(`warning: ${w}`);
  return r;
}

function bootstrapSpec(r: InitResult): BootstrapSpec {
  return { admin: { name: 'kojiadmin', password: r.adminPassword }, kojira: 'kojira', builders: [{ name: r.settings.builderName, arches: [nodeArch()] }] };
}

async function cmdInit(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { ...SETUP_OPTIONS, builder: { type: 'string' } } });
  if (!values.data) throw new Error('--data DIR is required');
  const lock = lockDataFolder(values.data);
  try {
    return await initAndBootstrap(values);
  } finally {
    lock.release();
  }
}

async function initAndBootstrap(values: SetupValues): Promise<number> {
  const r = await initFrom(values);
  const db = await openDatabase({ url: values.db ?? null, pgliteDir: r.dbDir });
  try {
    const created = await bootstrapDatabase(db, bootstrapSpec(r));
    say(`data folder ${r.dataDir}: ${r.created.length} files/folders created${created.length ? `; database: ${created.join(', ')}` : ''}`);
  } finally {
    await db.close();
  }
  say(`admin user: kojiadmin (password in ${r.adminPasswordFile}; certificate ${r.adminPem}; browser bundle ${r.adminP12})`);
  say(`client profile: ${loginCommands(r.layout).cert}`);
  return 0;
}

async function cmdUp(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { ...SETUP_OPTIONS } });
  if (!values.data) throw new Error('--data DIR is required');
  // hub worker processes run under the primary, which holds the folder
  const lock = cluster.isWorker ? null : lockDataFolder(values.data);
  try {
    return await upLocked(values, lock);
  } finally {
    lock?.release();
  }
}

async function upLocked(values: SetupValues, lock: FolderLock | null): Promise<number> {
  const r = await initFrom(values);
  if (r.created.length) say(`initialised ${r.dataDir} (${r.created.length} files/folders created)`);
  if (lock && !values.db && !databaseUrl(loadHubConfig(r.hubConf, { env: process.env, warn: () => undefined }).options) && !existsSync(join(r.dbDir, 'PG_VERSION'))) {
    // initdb runs in throw-away PGlite instances whose ~450 MB of WebAssembly memory V8 gives
    // back only after full collections, which an idle hub never runs: make the database in a
    // child process, whose memory goes with it
    await runKojitsChild(['_createdb', '--data', r.dataDir], childEnv(lock));
  }
  // hub.conf says where to listen: init keeps it in line with the settings and koji.conf
  const served = await serve({ hubConf: r.hubConf, pgliteDir: r.dbDir, dbUrl: values.db ?? null, bootstrap: bootstrapSpec(r), log: say });
  const urls = { https: clientUrl(r.settings.host, served.running.httpsUrl), http: clientUrl(r.settings.host, served.running.httpUrl) };
  say(`database: ${served.dbLabel}`);
  for (const w of profileMismatches(r.kojiConf, urls)) say(`warning: ${w}`);
  say(`koji-ts hub ready: ${[urls.https, urls.http].filter(Boolean).join(' and ')} (listening on ${listenLabel(served.listenAddress)})`);
  const login = loginCommands(r.layout);
  say(`  certificate login: ${login.cert}`);
  say(`  password login:    ${login.password}`);
  await waitForSignal();
  say('stopping');
  await served.stop();
  return 0;
}

function listenLabel(address: string): string {
  return address === '0.0.0.0' || address === '::' ? `${address}, every interface` : address;
}

/** `_createdb --data DIR` (for `up`): the data folder's PGlite database, migrated, with the first users. */
async function cmdCreateDb(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { data: { type: 'string' } } });
  if (!values.data) throw new Error('--data DIR is required');
  const r = await initDataDir({ dataDir: values.data });
  const db = await openDatabase({ url: null, pgliteDir: r.dbDir });
  try {
    for (const c of await bootstrapDatabase(db, bootstrapSpec(r))) say(`created ${c}`);
  } finally {
    await db.close();
  }
  return 0;
}

async function cmdHub(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { config: { type: 'string' }, db: { type: 'string' }, pglite: { type: 'string' } } });
  const conf = values.config ?? '/etc/koji-hub/hub.conf';
  const served = await serve({ hubConf: conf, pgliteDir: values.pglite ? resolve(values.pglite) : null, dbUrl: values.db ?? null, log: say });
  say(`database: ${served.dbLabel}`);
  say(`koji-ts hub ready: ${[served.running.httpsUrl, served.running.httpUrl].filter(Boolean).join(' and ')} (listening on ${listenLabel(served.listenAddress)})`);
  await waitForSignal();
  await served.stop();
  return 0;
}

async function cmdCert(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { data: { type: 'string' }, host: { type: 'boolean' } } });
  if (!values.data || positionals.length !== 1) throw new Error('usage: kojits cert --data DIR [--host] NAME');
  const file = await issueCertificate({ dataDir: values.data, name: positionals[0], kind: values.host ? 'host' : 'user' });
  say(file);
  return 0;
}

async function cmdPasswd(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { data: { type: 'string' }, 'password-file': { type: 'string' } } });
  if (!values.data || positionals.length !== 1) throw new Error('usage: kojits passwd --data DIR USER [--password-file FILE]');
  const pw = values['password-file'] ? readFileSync(values['password-file'], 'utf8').replace(/\r?\n$/, '') : await readPasswordFromStdin();
  await setPasswordViaHub(dataLayout(values.data).kojiConf, positionals[0], pw);
  say(`password of ${positionals[0]} set`);
  return 0;
}

async function cmdMigrate(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { db: { type: 'string' } } });
  if (!values.db) throw new Error('--db postgres://… is required');
  const db = await openDatabase({ url: values.db }, { migrate: false });
  try {
    const applied = await migrate(db);
    say(applied.length ? `applied: ${applied.join(', ')}` : 'database is up to date');
  } finally {
    await db.close();
  }
  return 0;
}

async function readPasswordFromStdin(): Promise<string> {
  if (process.stdin.isTTY) process.stderr.write('New password: ');
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) {
    chunks.push(c as Buffer);
    if (process.stdin.isTTY && Buffer.concat(chunks).includes(10)) break;
  }
  return Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0];
}

/**
 * One `kojits up` or `init` per data folder at a time: the lock of its database folder (the
 * same one the PGlite driver takes), held before any file of the folder is touched.
 */
function lockDataFolder(dataDir: string): FolderLock {
  return lockFolder(dataLayout(dataDir).dbDir, { hint: 'stop it first or use another --data folder' });
}

function waitForSignal(): Promise<void> {
  return new Promise((r) => {
    const done = () => {
      process.off('SIGTERM', done);
      process.off('SIGINT', done);
      r();
    };
    process.on('SIGTERM', done);
    process.on('SIGINT', done);
  });
}

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  const commands: Record<string, (a: string[]) => Promise<number>> = {
    init: cmdInit,
    up: cmdUp,
    hub: cmdHub,
    cert: cmdCert,
    passwd: cmdPasswd,
    migrate: cmdMigrate,
    _createdb: cmdCreateDb,
    builder: async (a) => (await import('./builder.ts')).main(a),
  };
  if (!cmd || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    process.stdout.write(USAGE);
    return cmd ? 0 : 2;
  }
  const fn = commands[cmd];
  if (!fn) {
    process.stderr.write(`kojits: unknown command ${JSON.stringify(cmd)}\n${USAGE}`);
    return 2;
  }
  try {
    return await fn(rest);
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

export { existsSync };
