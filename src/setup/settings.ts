/**
 * The few choices `kojits init` makes (host name, ports, listen address, build host name):
 * validation, defaults, and the record in DIR/etc/kojits.json that later runs reuse, so that
 * certificates, URLs and config files stay consistent with each other.
 */
import { existsSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';

export interface SetupSettings {
  /** name (or address) clients use to reach the hub; goes into URLs and the server certificate */
  host: string;
  httpsPort: number;
  httpPort: number;
  /** address the hub listens on (hub.conf ListenAddress); default: the host, localhost → 127.0.0.1 */
  listen: string;
  /** CN of DIR/pki/builder.pem and `user` in kojid.conf */
  builderName: string;
  /** Kerberos realm: set, the hub accepts Kerberos logins (hub.conf AuthPrincipal …) and koji.conf gets a kojits-krb profile */
  krbRealm: string | null;
  /** the hub's keytab (hub.conf AuthKeytab), holding HTTP/<host>@<krbRealm> */
  krbKeytab: string | null;
}

export const DEFAULT_SETTINGS = { host: 'localhost', httpsPort: 8443, httpPort: 8080 } as const;

/** What data folders made before `listen` was recorded listen on (their hub.conf says so). */
const LEGACY_LISTEN = '0.0.0.0';

const KEYS = ['host', 'httpsPort', 'httpPort', 'listen', 'builderName', 'krbRealm', 'krbKeytab'] as const;
/** Settings that later runs may change: only config files mention them (not certificates). */
export const CHANGEABLE = ['httpsPort', 'httpPort', 'listen', 'krbRealm', 'krbKeytab'] as const;
/** Settings that are off (null) unless given: a record without them had them off. */
const OPTIONAL = ['krbRealm', 'krbKeytab'] as const;

/** Listen where clients are told to connect: the host itself (localhost as 127.0.0.1). */
export function defaultListen(host: string): string {
  return host === 'localhost' ? '127.0.0.1' : host;
}

/** Names of users and build hosts that get certificates (also safe as file names). */
export const CERT_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._@-]*$/;

const LABEL = '[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?';
const HOSTNAME_RE = new RegExp(`^${LABEL}(?:\\.${LABEL})*\\.?$`);

export class SetupError extends Error {}

export function checkCertName(name: string, what = 'name'): void {
  if (!CERT_NAME_RE.test(name)) {
    throw new SetupError(`invalid ${what} ${JSON.stringify(name)}: use letters, digits, '.', '_', '@' and '-', starting with a letter or digit`);
  }
}

/** A host name or IP address (IPv6 with or without brackets); returns it normalized. */
export function checkHost(host: string, where = 'host'): string {
  const h = host.trim().replace(/^\[(.*)\]$/, '$1');
  if (isIP(h) || (h.length <= 253 && HOSTNAME_RE.test(h))) return h;
  throw new SetupError(`${where}: ${JSON.stringify(host)} is not a valid host name or IP address`);
}

export function checkPort(port: unknown, where: string): number {
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new SetupError(`${where}: port must be an integer from 1 to 65535, got ${JSON.stringify(port)}`);
  }
  return port;
}

function validate(s: Partial<SetupSettings>, where: string): Partial<SetupSettings> {
  const out: Partial<SetupSettings> = {};
  if (s.host !== undefined) out.host = checkHost(String(s.host), `${where} host`);
  if (s.httpsPort !== undefined) out.httpsPort = checkPort(s.httpsPort, `${where} httpsPort`);
  if (s.httpPort !== undefined) out.httpPort = checkPort(s.httpPort, `${where} httpPort`);
  if (s.listen !== undefined) out.listen = checkHost(String(s.listen), `${where} listen`);
  if (s.builderName !== undefined) {
    checkCertName(String(s.builderName), `${where} builderName`);
    out.builderName = String(s.builderName);
  }
  if (s.krbRealm !== undefined && s.krbRealm !== null) {
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(String(s.krbRealm))) throw new SetupError(`${where} krbRealm: ${JSON.stringify(s.krbRealm)} is not a Kerberos realm name (e.g. EXAMPLE.COM)`);
    out.krbRealm = String(s.krbRealm);
  }
  if (s.krbKeytab !== undefined && s.krbKeytab !== null) {
    const k = String(s.krbKeytab);
    if (!k.startsWith('/') || /[%\r\n]/.test(k)) throw new SetupError(`${where} krbKeytab: ${JSON.stringify(k)} must be an absolute path without '%' or line breaks`);
    out.krbKeytab = k;
  }
  return out;
}

export function readRecordedSettings(file: string): Partial<SetupSettings> | null {
  if (!existsSync(file)) return null;
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new SetupError(`${file}: not valid JSON (${(e as Error).message}); fix or remove it`);
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) throw new SetupError(`${file}: expected a JSON object`);
  const d = data as Record<string, unknown>;
  const pick = (k: keyof SetupSettings) => (d[k] === undefined || d[k] === null ? undefined : d[k]);
  return validate(
    {
      host: pick('host') as string,
      httpsPort: pick('httpsPort') as number,
      httpPort: pick('httpPort') as number,
      listen: pick('listen') as string,
      builderName: pick('builderName') as string,
      krbRealm: pick('krbRealm') as string,
      krbKeytab: pick('krbKeytab') as string,
    },
    file,
  );
}

export interface SettingChange {
  key: (typeof CHANGEABLE)[number];
  from: string | number | null;
  to: string | number;
}

export interface ResolvedSettings {
  settings: SetupSettings;
  /** the settings the existing files were made from (the record, completed like `settings`) */
  recorded: SetupSettings;
  /** the record lacks some keys, is absent, or changes: it should be written */
  writeRecord: boolean;
  /** `key: recorded X, given Y` for each given host or build host name that differs from the record (kept) */
  differences: string[];
  /** given ports or listen address that differ from the record: they replace it */
  changes: SettingChange[];
}

/**
 * The host and build host name of the record win over given ones: the certificates were made
 * for them. Ports and the listen address given win over the record (the config files that
 * mention them are then updated, see reconfigure.ts). Given values fill in what the record
 * lacks; defaults fill in the rest.
 */
export function resolveSettings(given: Partial<SetupSettings>, recorded: Partial<SetupSettings> | null): ResolvedSettings {
  const g = validate(given, 'option');
  // a record without `listen` was made when init always wrote ListenAddress = 0.0.0.0
  const r: Partial<SetupSettings> = recorded ? { listen: LEGACY_LISTEN, ...recorded } : {};
  const host = r.host ?? g.host ?? DEFAULT_SETTINGS.host;
  const fill = (k: (typeof CHANGEABLE)[number], dflt: string | number | null) => r[k] ?? g[k] ?? dflt;
  // off unless given: on an existing folder, a given value is a change (below), not a fill-in
  const optional = (k: (typeof OPTIONAL)[number]) => (recorded ? r[k] ?? null : g[k] ?? null);
  const base: SetupSettings = {
    host,
    httpsPort: fill('httpsPort', DEFAULT_SETTINGS.httpsPort) as number,
    httpPort: fill('httpPort', DEFAULT_SETTINGS.httpPort) as number,
    listen: fill('listen', defaultListen(host)) as string,
    builderName: r.builderName ?? g.builderName ?? (CERT_NAME_RE.test(host) ? host : 'builder'),
    krbRealm: optional('krbRealm'),
    krbKeytab: optional('krbKeytab'),
  };
  const settings = { ...base };
  const differences: string[] = [];
  const changes: SettingChange[] = [];
  for (const k of KEYS) {
    const was = recorded && (OPTIONAL as readonly string[]).includes(k) ? r[k] ?? null : r[k];
    if (was === undefined || g[k] === undefined || was === g[k]) continue;
    if ((CHANGEABLE as readonly string[]).includes(k)) {
      changes.push({ key: k as (typeof CHANGEABLE)[number], from: was, to: g[k] as string | number });
      Object.assign(settings, { [k]: g[k] });
    } else differences.push(`${k}: recorded ${JSON.stringify(r[k])}, given ${JSON.stringify(g[k])}`);
  }
  const writeRecord = changes.length > 0 || KEYS.some((k) => !(OPTIONAL as readonly string[]).includes(k) && recorded?.[k] === undefined);
  if (settings.httpsPort === settings.httpPort) throw new SetupError(`httpsPort and httpPort are both ${settings.httpPort}; they must differ`);
  return { settings, recorded: base, writeRecord, differences, changes };
}
