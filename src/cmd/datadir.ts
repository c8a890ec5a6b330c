/**
 * What `kojits init` and `kojits up` do to a data folder before anything runs: take its lock,
 * create or update its files from the command line's settings, and make and bootstrap its
 * database (the admin, kojira and the first build host). A PGlite database remembers in
 * DIR/db/kojits-bootstrap.json what it was bootstrapped with, so that `up` opens it only when
 * that is still to be done.
 */
import cluster from 'node:cluster';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { initDataDir, type InitResult } from '../setup/init.ts';
import { dataLayout } from '../setup/layout.ts';
import { lockFolder, type FolderLock } from '../db/lock.ts';
import type { BootstrapSpec } from '../hub/bootstrap.ts';
import { databaseUrl, loadHubConfig } from '../config/hub.ts';
import { changeLines } from './banner.ts';

// hub worker processes (HubWorkers > 1) stay quiet; the primary reports
export const say = (l: string) => {
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

export type SetupValues = { data?: string; host?: string; 'https-port'?: string; 'http-port'?: string; listen?: string; builder?: string; db?: string; 'krb-realm'?: string; keytab?: string };

export const SETUP_OPTIONS = {
  data: { type: 'string' },
  host: { type: 'string' },
  'https-port': { type: 'string' },
  'http-port': { type: 'string' },
  listen: { type: 'string' },
  db: { type: 'string' },
  'krb-realm': { type: 'string' },
  keytab: { type: 'string' },
} as const;

/** initDataDir with the command line's settings; reports what it changed and warns. */
export async function initFrom(values: SetupValues): Promise<InitResult> {
  const r = await initDataDir({
    dataDir: values.data as string,
    host: values.host,
    httpsPort: intOpt(values['https-port'], 'https-port'),
    httpPort: intOpt(values['http-port'], 'http-port'),
    listen: values.listen,
    builderName: values.builder,
    krbRealm: values['krb-realm'],
    krbKeytab: values.keytab === undefined ? undefined : resolve(values.keytab),
  });
  for (const l of changeLines(r)) say(l);
  for (const w of r.warnings) say(`warning: ${w}`);
  return r;
}

/** The admin, kojira and the first build host (in the default and createrepo channels). */
export function bootstrapSpec(r: InitResult): BootstrapSpec {
  return {
    admin: { name: 'kojiadmin', password: r.adminPassword },
    kojira: 'kojira',
    builders: [{ name: r.settings.builderName, arches: [nodeArch()], channels: ['default', 'createrepo'] }],
  };
}

/**
 * One `kojits up` or `init` per data folder at a time: the lock of its database folder (the
 * same one the PGlite driver takes), held before any file of the folder is touched.
 */
export function lockDataFolder(dataDir: string): FolderLock {
  return lockFolder(dataLayout(dataDir).dbDir, { hint: 'stop it first or use another --data folder' });
}

/** The PostgreSQL server the data folder's hub uses (--db, else hub.conf), or null for PGlite in DIR/db. */
export function serverUrl(r: InitResult, db: string | undefined): string | null {
  return db ?? databaseUrl(loadHubConfig(r.hubConf, { env: process.env, warn: () => undefined }).options);
}

const MARKER = 'kojits-bootstrap.json';

/** What a bootstrap record says (the admin's password is not part of it). */
function markerText(spec: BootstrapSpec): string {
  return JSON.stringify({ admin: spec.admin.name, kojira: spec.kojira ?? null, builders: spec.builders ?? [] }) + '\n';
}

/** Remember that DIR/db was bootstrapped with `spec`. */
export function markBootstrapped(r: InitResult, spec: BootstrapSpec): void {
  writeFileSync(join(r.dbDir, MARKER), markerText(spec));
}

/** Whether DIR/db is a PGlite database bootstrapped with `spec`. */
export function isBootstrapped(r: InitResult, spec: BootstrapSpec): boolean {
  if (!existsSync(join(r.dbDir, 'PG_VERSION'))) return false;
  try {
    return readFileSync(join(r.dbDir, MARKER), 'utf8') === markerText(spec);
  } catch {
    return false;
  }
}
