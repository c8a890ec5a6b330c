/**
 * The `kojits` subcommands other than `up` (see kojits.ts for the list): loaded only by the
 * command that needs them, so that `kojits up`, the supervisor, stays small.
 */
import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { initDataDir, issueCertificate } from '../setup/init.ts';
import { dataLayout } from '../setup/layout.ts';
import { openDatabase } from '../db/open.ts';
import { migrate } from '../db/migrate.ts';
import { bootstrapDatabase } from '../hub/bootstrap.ts';
import { serve } from './serve.ts';
import { setPasswordViaHub } from './passwd.ts';
import { hubReadyLine, loginCommands } from './banner.ts';
import { bootstrapSpec, initFrom, lockDataFolder, markBootstrapped, say, serverUrl, SETUP_OPTIONS, type SetupValues } from './datadir.ts';

export async function cmdInit(argv: string[]): Promise<number> {
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
    const spec = bootstrapSpec(r);
    const created = await bootstrapDatabase(db, spec);
    if (!values.db) markBootstrapped(r, spec);
    say(`data folder ${r.dataDir}: ${r.created.length} files/folders created${created.length ? `; database: ${created.join(', ')}` : ''}`);
  } finally {
    await db.close();
  }
  say(`admin user: kojiadmin (password in ${r.adminPasswordFile}; certificate ${r.adminPem}; browser bundle ${r.adminP12})`);
  say(`client profile: ${loginCommands(r.layout).cert}`);
  return 0;
}

/**
 * `_createdb --data DIR [--db URL]` (for `up`): the data folder's database (PGlite in DIR/db
 * unless --db or hub.conf names a PostgreSQL server), migrated, with the first users.
 */
export async function cmdCreateDb(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { data: { type: 'string' }, db: { type: 'string' } } });
  if (!values.data) throw new Error('--data DIR is required');
  const r = await initDataDir({ dataDir: values.data });
  const url = serverUrl(r, values.db);
  const db = await openDatabase({ url, pgliteDir: r.dbDir });
  try {
    const spec = bootstrapSpec(r);
    for (const c of await bootstrapDatabase(db, spec)) say(`created ${c}`);
    if (!url) markBootstrapped(r, spec);
  } finally {
    await db.close();
  }
  return 0;
}

export async function cmdHub(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { config: { type: 'string' }, db: { type: 'string' }, pglite: { type: 'string' } } });
  const conf = values.config ?? '/etc/koji-hub/hub.conf';
  const served = await serve({ hubConf: conf, pgliteDir: values.pglite ? resolve(values.pglite) : null, dbUrl: values.db ?? null, log: say });
  say(`database: ${served.dbLabel}`);
  say(hubReadyLine({ https: served.running.httpsUrl, http: served.running.httpUrl }, served.listenAddress));
  await waitForSignal();
  await served.stop();
  return 0;
}

export async function cmdCert(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { data: { type: 'string' }, host: { type: 'boolean' } } });
  if (!values.data || positionals.length !== 1) throw new Error('usage: kojits cert --data DIR [--host] NAME');
  const file = await issueCertificate({ dataDir: values.data, name: positionals[0], kind: values.host ? 'host' : 'user' });
  say(file);
  return 0;
}

export async function cmdPasswd(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { data: { type: 'string' }, 'password-file': { type: 'string' } } });
  if (!values.data || positionals.length !== 1) throw new Error('usage: kojits passwd --data DIR USER [--password-file FILE]');
  const pw = values['password-file'] ? readFileSync(values['password-file'], 'utf8').replace(/\r?\n$/, '') : await readPasswordFromStdin();
  await setPasswordViaHub(dataLayout(values.data).kojiConf, positionals[0], pw);
  say(`password of ${positionals[0]} set`);
  return 0;
}

export async function cmdMigrate(argv: string[]): Promise<number> {
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
