/**
 * `kojits`: the server-side executable. Subcommands:
 *   init    create a data folder (CA, certificates, configs, KojiDir, database, first users)
 *   up      run everything that exists so far from a data folder (init first if needed)
 *   hub     run the hub from a hub.conf (production: PostgreSQL server, several hubs)
 *   cert    issue a certificate for a new user or build host
 *   passwd  set a user's password (through the running hub, as the admin)
 *   migrate apply database migrations to a PostgreSQL server
 */
import { parseArgs } from 'node:util';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { dataLayout } from '../setup/layout.ts';
import { isHubChild } from './hub-child.ts';

// Each command imports what it needs when it runs: a hub process then holds no PKI library, no
// embedded database and no client code (a few tens of MiB per process).
const initModule = () => import('../setup/init.ts');
const openDatabase: typeof import('../db/open.ts').openDatabase = async (...a) => (await import('../db/open.ts')).openDatabase(...a);
const bootstrapDatabase: typeof import('../hub/bootstrap.ts').bootstrapDatabase = async (...a) => (await import('../hub/bootstrap.ts')).bootstrapDatabase(...a);
const serve: typeof import('./serve.ts').serve = async (...a) => (await import('./serve.ts')).serve(...a);

const USAGE = `usage: kojits <command> [options]

commands:
  init    --data DIR [--host H] [--https-port N] [--http-port M] [--builder NAME] [--db URL]
  up      --data DIR [--host H] [--https-port N] [--http-port M] [--db URL] [--init]
  hub     --config hub.conf [--db URL] [--pglite DIR]
  cert    --data DIR [--host] NAME
  passwd  --data DIR USER [--password-file FILE]
  migrate --db URL
`;

// the extra hub processes (HubWorkers > 1) stay quiet; the first one reports
const say = (l: string) => {
  if (!isHubChild()) process.stdout.write(l + '\n');
};

function nodeArch(): string {
  return ({ x64: 'x86_64', arm64: 'aarch64', ppc64: 'ppc64le', s390x: 's390x', ia32: 'i686' } as Record<string, string>)[process.arch] ?? process.arch;
}

function intOpt(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || Number(v) > 65535) throw new Error(`--${name} must be a port number (0-65535), got ${JSON.stringify(v)}`);
  return Number(v);
}

async function cmdInit(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { data: { type: 'string' }, host: { type: 'string' }, 'https-port': { type: 'string' }, 'http-port': { type: 'string' }, builder: { type: 'string' }, db: { type: 'string' } } });
  if (!values.data) throw new Error('--data DIR is required');
  const { initDataDir } = await initModule();
  const r = await initDataDir({ dataDir: values.data, host: values.host, httpsPort: intOpt(values['https-port'], 'https-port'), httpPort: intOpt(values['http-port'], 'http-port'), builderName: values.builder });
  for (const w of r.warnings) say(`warning: ${w}`);
  const db = await openDatabase({ url: values.db ?? null, pgliteDir: r.dbDir });
  try {
    const created = await bootstrapDatabase(db, {
      admin: { name: 'kojiadmin', password: r.adminPassword },
      kojira: 'kojira',
      builders: [{ name: r.settings.builderName, arches: [nodeArch()] }],
    });
    say(`data folder ${r.dataDir}: ${r.created.length} files/folders created${created.length ? `; database: ${created.join(', ')}` : ''}`);
  } finally {
    await db.close();
  }
  say(`admin user: kojiadmin (password in ${r.adminPasswordFile}; certificate ${r.adminPem}; browser bundle ${r.adminP12})`);
  say(`client profile: koji -c ${r.kojiConf} -p kojits moshimoshi`);
  return 0;
}

async function cmdUp(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { data: { type: 'string' }, host: { type: 'string' }, 'https-port': { type: 'string' }, 'http-port': { type: 'string' }, db: { type: 'string' }, init: { type: 'boolean' } } });
  if (!values.data) throw new Error('--data DIR is required');
  const layout = dataLayout(values.data);
  const httpsPort = intOpt(values['https-port'], 'https-port');
  const httpPort = intOpt(values['http-port'], 'http-port');
  const { initDataDir } = await initModule();
  const r = await initDataDir({ dataDir: values.data, host: values.host, httpsPort, httpPort });
  if (r.created.length) say(`initialised ${r.dataDir} (${r.created.length} files/folders created)`);
  for (const w of r.warnings) say(`warning: ${w}`);
  const served = await serve({
    hubConf: layout.hubConf,
    pgliteDir: layout.dbDir,
    dbUrl: values.db ?? null,
    overrides: { HTTPSPort: httpsPort, HTTPPort: httpPort },
    bootstrap: {
      admin: { name: 'kojiadmin', password: r.adminPassword },
      kojira: 'kojira',
      builders: [{ name: r.settings.builderName, arches: [nodeArch()] }],
    },
    log: say,
  });
  const host = r.settings.host;
  const urls = [served.running.httpsUrl, served.running.httpUrl].filter(Boolean).map((u) => (u as string).replace('//localhost:', `//${host}:`));
  say(`database: ${served.dbLabel}`);
  say(`koji-ts hub ready: ${urls.join(' and ')}`);
  say(`  certificate login: koji -c ${layout.kojiConf} -p kojits moshimoshi`);
  say(`  password login:    koji -c ${layout.kojiConf} -p kojits-password --user kojiadmin --password "$(cat ${layout.adminPasswordFile})" moshimoshi`);
  await waitForSignal();
  say('stopping');
  await served.stop();
  return 0;
}

async function cmdHub(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { config: { type: 'string' }, db: { type: 'string' }, pglite: { type: 'string' } } });
  const conf = values.config ?? '/etc/koji-hub/hub.conf';
  const served = await serve({ hubConf: conf, pgliteDir: values.pglite ? resolve(values.pglite) : null, dbUrl: values.db ?? null, log: say });
  say(`database: ${served.dbLabel}`);
  say(`koji-ts hub ready: ${[served.running.httpsUrl, served.running.httpUrl].filter(Boolean).join(' and ')}`);
  await waitForSignal();
  await served.stop();
  return 0;
}

async function cmdCert(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { data: { type: 'string' }, host: { type: 'boolean' } } });
  if (!values.data || positionals.length !== 1) throw new Error('usage: kojits cert --data DIR [--host] NAME');
  const { issueCertificate } = await initModule();
  const file = await issueCertificate({ dataDir: values.data, name: positionals[0], kind: values.host ? 'host' : 'user' });
  say(file);
  return 0;
}

async function cmdPasswd(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { data: { type: 'string' }, 'password-file': { type: 'string' } } });
  if (!values.data || positionals.length !== 1) throw new Error('usage: kojits passwd --data DIR USER [--password-file FILE]');
  const pw = values['password-file'] ? readFileSync(values['password-file'], 'utf8').replace(/\r?\n$/, '') : await readPasswordFromStdin();
  const { setPasswordViaHub } = await import('./passwd.ts');
  await setPasswordViaHub(dataLayout(values.data).kojiConf, positionals[0], pw);
  say(`password of ${positionals[0]} set`);
  return 0;
}

async function cmdMigrate(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { db: { type: 'string' } } });
  if (!values.db) throw new Error('--db postgres://… is required');
  const db = await openDatabase({ url: values.db }, { migrate: false });
  try {
    const { migrate } = await import('../db/migrate.ts');
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
  const commands: Record<string, (a: string[]) => Promise<number>> = { init: cmdInit, up: cmdUp, hub: cmdHub, cert: cmdCert, passwd: cmdPasswd, migrate: cmdMigrate };
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
    else process.stderr.write(`kojits ${cmd}: ${err.message}\n`);
    if (process.env.KOJITS_DEBUG) process.stderr.write(`${err.stack}\n`);
    return 1;
  }
}

export function defaultDataDir(): string {
  return resolve(process.env.KOJITS_DATA ?? 'data');
}

export { existsSync };
