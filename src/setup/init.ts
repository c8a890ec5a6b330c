/**
 * `kojits init`: turn a data folder into a ready-to-run koji-ts instance — a private CA and the
 * certificates of the hub, web, kojira, a build host and the admin; the admin's browser bundle
 * and password; KojiDir, database and log folders; Koji-format config files. Idempotent: an
 * existing file is never rewritten, only missing pieces are made. Also issues certificates
 * for new users and build hosts.
 */
import { hubKeytab } from './configs.ts';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { reverseHostname } from '../util/fqdn.ts';
import { hostname } from 'node:os';
import { dirname, resolve } from 'node:path';
import { X509Certificate, createPublicKey } from 'node:crypto';
import { dataLayout, issuedCertPath, type DataLayout } from './layout.ts';
import { SetupLog } from './files.ts';
import { checkCertName, checkHost, readRecordedSettings, resolveSettings, SetupError, type SettingChange, type SetupSettings } from './settings.ts';
import { updateConfigFile } from './reconfigure.ts';
import {
  altNamesFor, bundlePem, createCA, generateRsaKey, issueCert, keyMatchesCert, makePkcs12, randomSecret, signedBy, splitPem,
  type AltName, type CertAndKey, type Subject,
} from './pki.ts';
import { renderHubConf, renderKojiConf, renderKojidConf, renderKojiraConf, renderWebConf, type ConfigContext } from './configs.ts';

export interface InitOptions {
  dataDir: string;
  /** default 'localhost' */
  host?: string;
  /** default 8443 */
  httpsPort?: number;
  /** default 8080 */
  httpPort?: number;
  /** address to listen on; default: the host (localhost → 127.0.0.1) */
  listen?: string;
  /** default: the host option */
  builderName?: string;
  /** Kerberos realm for hub.conf's Kerberos keys and the kojits-krb profile */
  krbRealm?: string;
  /** the hub's keytab (hub.conf AuthKeytab); default DIR/etc/hub.keytab when a realm is given */
  krbKeytab?: string;
}

export interface InitResult {
  dataDir: string;
  layout: DataLayout;
  /** the values in effect (from DIR/etc/kojits.json when it existed) */
  settings: SetupSettings;
  hubConf: string;
  kojidConf: string;
  kojiraConf: string;
  webConf: string;
  kojiConf: string;
  caCert: string;
  hubPem: string;
  adminPem: string;
  adminP12: string;
  adminP12PasswordFile: string;
  adminPasswordFile: string;
  kojiDir: string;
  dbDir: string;
  logDir: string;
  /** plaintext password of user kojiadmin (from DIR/client/admin-password) */
  adminPassword: string;
  /** absolute paths of the folders and files this run created */
  created: string[];
  /** ports or listen address given that replaced the recorded ones */
  changes: SettingChange[];
  /** config files edited to follow `changes` */
  updated: string[];
  warnings: string[];
}

const ORG = 'koji-ts';
const WEB_SUBJECT: Subject = { O: ORG, OU: 'kojiweb', CN: 'kojiweb' };
const SECRET_MODE = 0o600;

interface LeafSpec {
  file: string;
  subject: Subject;
  usage: 'server' | 'client';
  altNames?: AltName[];
}

function checkDataDir(dir: string): string {
  const d = resolve(dir);
  // Koji's Python tools read these files with configparser, which treats % specially
  if (/[%\r\n]/.test(d)) throw new SetupError(`data folder ${JSON.stringify(d)}: the path must not contain '%' or line breaks`);
  return d;
}

/** os.hostname() and, when DNS knows one, the name it resolves back to. */
async function machineNames(): Promise<string[]> {
  const h = hostname();
  const names = [h];
  const reverse = await reverseHostname();
  if (reverse && reverse !== h) names.push(reverse);
  return names.filter((n) => {
    try {
      return n !== '' && checkHost(n) === n;
    } catch {
      return false;
    }
  });
}

/** The CA of a data folder; the key may be absent (kept offline), then nothing can be signed. */
function loadCA(L: DataLayout): { certPem: string; keyPem: string | null } | null {
  if (!existsSync(L.caCert)) return null;
  const certPem = readFileSync(L.caCert, 'utf8');
  const keyPem = existsSync(L.caKey) ? readFileSync(L.caKey, 'utf8') : null;
  if (keyPem && !keyMatchesCert({ certPem, keyPem })) throw new SetupError(`${L.caKey} does not belong to ${L.caCert}`);
  return { certPem, keyPem };
}

function requireKey(ca: { certPem: string; keyPem: string | null } | null, L: DataLayout): CertAndKey {
  if (!ca) throw new SetupError(`no CA in ${L.pkiDir} (run \`kojits init\` first)`);
  if (!ca.keyPem) throw new SetupError(`${L.caKey} is missing: cannot sign new certificates (restore it, or remove ${L.caCert} to start a new CA)`);
  return { certPem: ca.certPem, keyPem: ca.keyPem };
}

async function ensurePki(L: DataLayout, s: SetupSettings, log: SetupLog): Promise<void> {
  log.ensureDir(L.pkiDir, 0o700);
  const hubNames = ['localhost', '127.0.0.1', '::1', s.host, ...(await machineNames())];
  const leaves: LeafSpec[] = [
    { file: L.hubPem, subject: { O: ORG, OU: 'hub', CN: s.host }, usage: 'server', altNames: altNamesFor(hubNames) },
    { file: L.kojiwebPem, subject: WEB_SUBJECT, usage: 'client' },
    { file: L.kojiraPem, subject: { O: ORG, OU: 'kojira', CN: 'kojira' }, usage: 'client' },
    { file: L.builderPem, subject: { O: ORG, OU: 'builder', CN: s.builderName }, usage: 'client' },
    { file: L.kojiadminPem, subject: { O: ORG, OU: 'users', CN: 'kojiadmin' }, usage: 'client' },
  ];
  const missing = leaves.filter((l) => !existsSync(l.file));
  let ca = loadCA(L);
  if (!ca && existsSync(L.caKey)) {
    // the key survived but not the certificate: make the certificate again from the same key
    const keyPem = readFileSync(L.caKey, 'utf8');
    const publicPem = createPublicKey(keyPem).export({ type: 'spki', format: 'pem' }).toString();
    const made = await createCA({ subject: { O: ORG, OU: 'ca', CN: `koji-ts CA ${hostname()}` }, key: { keyPem, publicPem } });
    log.writeNew(L.caCert, made.certPem, 0o644);
    log.warn(`${L.caCert} was missing and has been made again from ${L.caKey}`);
    ca = made;
  }
  // generate all missing keys at once (in the libuv thread pool)
  const keys = await Promise.all([...(ca ? [] : [generateRsaKey()]), ...missing.map(() => generateRsaKey())]);
  if (!ca) {
    const made = await createCA({ subject: { O: ORG, OU: 'ca', CN: `koji-ts CA ${hostname()}` }, key: keys.shift() });
    log.writeNew(L.caKey, made.keyPem, SECRET_MODE);
    log.writeNew(L.caCert, made.certPem, 0o644);
    ca = made;
  }
  for (const leaf of leaves) {
    if (missing.includes(leaf)) {
      const ck = await issueCert({ ca: requireKey(ca, L), subject: leaf.subject, usage: leaf.usage, altNames: leaf.altNames, key: keys.shift() });
      log.writeNew(leaf.file, bundlePem(ck), SECRET_MODE);
    } else if (!signedBy(readFileSync(leaf.file, 'utf8'), ca.certPem)) {
      log.warn(`${leaf.file} was not issued by the CA in ${L.caCert}; clients will not trust it (remove it and run init again to replace it)`);
    }
  }
}

function ensureClient(L: DataLayout, log: SetupLog): void {
  log.ensureDir(L.clientDir, 0o700);
  if (!existsSync(L.adminPem)) log.writeNew(L.adminPem, readFileSync(L.kojiadminPem), SECRET_MODE);
  if (!existsSync(L.serverCa)) log.writeNew(L.serverCa, readFileSync(L.caCert), 0o644);
  log.writeNew(L.adminPasswordFile, randomSecret(20) + '\n', SECRET_MODE);
  if (!existsSync(L.adminP12)) {
    log.writeNew(L.adminP12PasswordFile, randomSecret(20) + '\n', SECRET_MODE);
    const password = readFileSync(L.adminP12PasswordFile, 'utf8').replace(/\r?\n$/, '');
    const ck = splitPem(readFileSync(L.adminPem, 'utf8'), L.adminPem);
    const p12 = makePkcs12({ ck, chain: [readFileSync(L.caCert, 'utf8')], password, friendlyName: 'kojiadmin (koji-ts)' });
    log.writeNew(L.adminP12, p12, SECRET_MODE);
  } else if (!existsSync(L.adminP12PasswordFile)) {
    log.warn(`${L.adminP12PasswordFile} is missing, so ${L.adminP12} cannot be opened; remove ${L.adminP12} and run init again to make a new one`);
  }
}

/** The config files of a data folder as init writes them for settings `s`. */
function configTexts(L: DataLayout, s: SetupSettings, webSecret: string): Array<{ file: string; text: string; mode?: number }> {
  const ctx: ConfigContext = { layout: L, ...s, webSubject: WEB_SUBJECT };
  return [
    { file: L.hubConf, text: renderHubConf(ctx) },
    { file: L.kojidConf, text: renderKojidConf(ctx) },
    { file: L.kojiraConf, text: renderKojiraConf(ctx) },
    { file: L.webConf, text: renderWebConf(ctx, webSecret), mode: SECRET_MODE },
    { file: L.kojiConf, text: renderKojiConf(ctx) },
  ];
}

function ensureConfigs(L: DataLayout, s: SetupSettings, log: SetupLog): void {
  log.ensureDir(L.etcDir);
  for (const c of configTexts(L, s, randomSecret(32))) if (!existsSync(c.file)) log.writeNew(c.file, c.text, c.mode);
}

/** Edit the existing config files from settings `before` to `after`; returns the files changed. */
function updateConfigs(L: DataLayout, before: SetupSettings, after: SetupSettings, log: SetupLog): string[] {
  const news = configTexts(L, after, '');
  const changed: string[] = [];
  configTexts(L, before, '').forEach((old, i) => {
    const r = updateConfigFile(old.file, old.text, news[i].text);
    if (r.changed) changed.push(old.file);
    for (const n of r.notes) log.warn(n);
  });
  return changed;
}

/** Create (or complete) the data folder `opts.dataDir`; see the module comment. */
export async function initDataDir(opts: InitOptions): Promise<InitResult> {
  const L = dataLayout(checkDataDir(opts.dataDir));
  const log = new SetupLog();
  const recorded = readRecordedSettings(L.optionsFile);
  const { settings, recorded: before, writeRecord, differences, changes } = resolveSettings(
    { host: opts.host, httpsPort: opts.httpsPort, httpPort: opts.httpPort, listen: opts.listen, builderName: opts.builderName, krbRealm: opts.krbRealm, krbKeytab: opts.krbKeytab },
    recorded,
  );
  if (differences.length) {
    log.warn(
      `${L.optionsFile} records other values than given (${differences.join('; ')}); existing files were kept and the recorded values used. ` +
        `To change them, edit ${L.optionsFile} and remove the files that mention them (etc/*.conf, client/koji.conf, pki/hub.pem, pki/builder.pem), then run init again.`,
    );
  }
  log.ensureDir(L.dataDir);
  log.ensureDir(L.etcDir);
  // the files first, then the record: an edit that fails leaves the record as it was
  const updated = changes.length ? updateConfigs(L, before, settings, log) : [];
  if (writeRecord) {
    // settings that are off (Kerberos) are left out of the record
    const text = JSON.stringify(settings, (_k, v: unknown) => (v === null ? undefined : v), 2) + '\n';
    if (recorded) {
      // complete an older record in place
      const tmp = `${L.optionsFile}.${process.pid}.tmp`;
      writeFileSync(tmp, text);
      renameSync(tmp, L.optionsFile);
    } else log.writeNew(L.optionsFile, text);
  }
  for (const d of [L.kojiDir, ...L.kojiSubdirs, L.dbDir, L.logDir, L.builderWorkDir]) log.ensureDir(d);
  await ensurePki(L, settings, log);
  ensureClient(L, log);
  ensureConfigs(L, settings, log);
  if (settings.krbRealm) {
    const keytab = hubKeytab({ krbKeytab: settings.krbKeytab, layout: L });
    if (!existsSync(keytab)) {
      log.warn(`the hub's keytab ${keytab} does not exist yet; the hub will not start without it. Make it on the KDC: kadmin -q "ktadd -k ${keytab} HTTP/${settings.host}@${settings.krbRealm}"`);
    }
  }
  const adminPassword = readFileSync(L.adminPasswordFile, 'utf8').replace(/\r?\n$/, '');
  return {
    dataDir: L.dataDir,
    layout: L,
    settings,
    hubConf: L.hubConf,
    kojidConf: L.kojidConf,
    kojiraConf: L.kojiraConf,
    webConf: L.webConf,
    kojiConf: L.kojiConf,
    caCert: L.caCert,
    hubPem: L.hubPem,
    adminPem: L.adminPem,
    adminP12: L.adminP12,
    adminP12PasswordFile: L.adminP12PasswordFile,
    adminPasswordFile: L.adminPasswordFile,
    kojiDir: L.kojiDir,
    dbDir: L.dbDir,
    logDir: L.logDir,
    adminPassword,
    created: log.created,
    changes,
    updated,
    warnings: log.warnings,
  };
}

export interface IssueCertificateOptions {
  dataDir: string;
  /** user name or build host name: the certificate's CN */
  name: string;
  kind: 'user' | 'host';
  /** default DIR/pki/<name>.pem */
  outFile?: string;
}

/**
 * Issue a client certificate (cert + key in one PEM, mode 0600) signed by the data folder's
 * CA, for a user (OU=users) or a build host (OU=builder). An existing file is kept when it
 * holds the same subject, and refused otherwise. Returns the file's path.
 */
export async function issueCertificate(o: IssueCertificateOptions): Promise<string> {
  checkCertName(o.name);
  const L = dataLayout(checkDataDir(o.dataDir));
  const out = o.outFile ? resolve(o.outFile) : issuedCertPath(L.dataDir, o.name);
  const subject: Subject = { O: ORG, OU: o.kind === 'user' ? 'users' : 'builder', CN: o.name };
  const want = `O=${subject.O}\nOU=${subject.OU}\nCN=${subject.CN}`;
  if (existsSync(out)) {
    const have = new X509Certificate(splitPem(readFileSync(out, 'utf8'), out).certPem).subject.trim();
    if (have !== want) throw new SetupError(`${out} already exists and holds a certificate for ${have.replace(/\n/g, ', ')}, not ${want.replace(/\n/g, ', ')}`);
    return out;
  }
  const ca = requireKey(loadCA(L), L);
  const ck = await issueCert({ ca, subject, usage: 'client' });
  const log = new SetupLog();
  log.ensureDir(dirname(out));
  log.writeNew(out, bundlePem(ck), SECRET_MODE);
  return out;
}

export { SetupError } from './settings.ts';
