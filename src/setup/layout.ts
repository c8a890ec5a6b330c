/**
 * The layout of a koji-ts data folder (what `kojits init` creates): one place that names every
 * path, so the set-up, the hub, the CLI and the tests agree on where things live.
 */
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export interface DataLayout {
  /** absolute data folder */
  dataDir: string;
  pkiDir: string;
  caCert: string;
  caKey: string;
  /** server certificate + key (hub and web) */
  hubPem: string;
  /** the web's proxy identity towards the hub */
  kojiwebPem: string;
  kojiraPem: string;
  builderPem: string;
  kojiadminPem: string;
  clientDir: string;
  adminPem: string;
  adminP12: string;
  adminP12PasswordFile: string;
  serverCa: string;
  adminPasswordFile: string;
  kojiConf: string;
  /** KojiDir (topdir) */
  kojiDir: string;
  kojiSubdirs: string[];
  dbDir: string;
  logDir: string;
  kojiraLog: string;
  builderDir: string;
  builderWorkDir: string;
  etcDir: string;
  hubConf: string;
  kojidConf: string;
  kojiraConf: string;
  webConf: string;
  /** the web's Unix socket (hub.conf WebSocket, web.conf ListenSocket), in a private folder */
  webSocket: string;
  /** options `kojits init` used, reused by later runs */
  optionsFile: string;
}

export const KOJI_SUBDIRS = ['packages', 'repos', 'repos-dist', 'work', 'scratch'] as const;

export function dataLayout(dataDir: string): DataLayout {
  const d = resolve(dataDir);
  const pki = join(d, 'pki');
  const client = join(d, 'client');
  const koji = join(d, 'koji');
  const etc = join(d, 'etc');
  const builder = join(d, 'builder');
  return {
    dataDir: d,
    pkiDir: pki,
    caCert: join(pki, 'ca.crt'),
    caKey: join(pki, 'ca.key'),
    hubPem: join(pki, 'hub.pem'),
    kojiwebPem: join(pki, 'kojiweb.pem'),
    kojiraPem: join(pki, 'kojira.pem'),
    builderPem: join(pki, 'builder.pem'),
    kojiadminPem: join(pki, 'kojiadmin.pem'),
    clientDir: client,
    adminPem: join(client, 'admin.pem'),
    adminP12: join(client, 'admin.p12'),
    adminP12PasswordFile: join(client, 'admin.p12-password'),
    serverCa: join(client, 'serverca.crt'),
    adminPasswordFile: join(client, 'admin-password'),
    kojiConf: join(client, 'koji.conf'),
    kojiDir: koji,
    kojiSubdirs: KOJI_SUBDIRS.map((s) => join(koji, s)),
    dbDir: join(d, 'db'),
    logDir: join(d, 'log'),
    kojiraLog: join(d, 'log', 'kojira.log'),
    builderDir: builder,
    builderWorkDir: join(builder, 'work'),
    etcDir: etc,
    hubConf: join(etc, 'hub.conf'),
    kojidConf: join(etc, 'kojid.conf'),
    kojiraConf: join(etc, 'kojira.conf'),
    webConf: join(etc, 'web.conf'),
    webSocket: webSocketPath(d),
    optionsFile: join(etc, 'kojits.json'),
  };
}

/** Certificate file for a user or build host issued by `issueCertificate`. */
export function issuedCertPath(dataDir: string, name: string): string {
  return join(resolve(dataDir), 'pki', `${name}.pem`);
}

/**
 * DIR/run/web.sock; a Unix socket path has at most 107 bytes, so a deep data folder gets a
 * private folder under the temporary directory instead, named after the data folder.
 */
function webSocketPath(d: string): string {
  const p = join(d, 'run', 'web.sock');
  if (Buffer.byteLength(p) <= 100) return p;
  return join(tmpdir(), `kojits-${createHash('sha256').update(d).digest('hex').slice(0, 12)}`, 'web.sock');
}
