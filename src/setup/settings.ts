/**
 * The few choices `kojits init` makes (host name, ports, build host name): validation, defaults,
 * and the record in DIR/etc/kojits.json that later runs reuse, so that certificates, URLs and
 * config files stay consistent with each other.
 */
import { existsSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';

export interface SetupSettings {
  /** name (or address) clients use to reach the hub; goes into URLs and the server certificate */
  host: string;
  httpsPort: number;
  httpPort: number;
  /** CN of DIR/pki/builder.pem and `user` in kojid.conf */
  builderName: string;
}

export const DEFAULT_SETTINGS = { host: 'localhost', httpsPort: 8443, httpPort: 8080 } as const;

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
  if (s.builderName !== undefined) {
    checkCertName(String(s.builderName), `${where} builderName`);
    out.builderName = String(s.builderName);
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
    { host: pick('host') as string, httpsPort: pick('httpsPort') as number, httpPort: pick('httpPort') as number, builderName: pick('builderName') as string },
    file,
  );
}

export interface ResolvedSettings {
  settings: SetupSettings;
  /** the record lacks some keys (or is absent) and should be written */
  writeRecord: boolean;
  /** `key: recorded X, given Y` for each given value that differs from the record */
  differences: string[];
}

/**
 * Recorded values win over given ones: the existing certificates and config files were made
 * from them. Given values only fill in what the record lacks.
 */
export function resolveSettings(given: Partial<SetupSettings>, recorded: Partial<SetupSettings> | null): ResolvedSettings {
  const g = validate(given, 'option');
  const r = recorded ?? {};
  const host = r.host ?? g.host ?? DEFAULT_SETTINGS.host;
  const settings: SetupSettings = {
    host,
    httpsPort: r.httpsPort ?? g.httpsPort ?? DEFAULT_SETTINGS.httpsPort,
    httpPort: r.httpPort ?? g.httpPort ?? DEFAULT_SETTINGS.httpPort,
    builderName: r.builderName ?? g.builderName ?? (CERT_NAME_RE.test(host) ? host : 'builder'),
  };
  const differences: string[] = [];
  for (const k of ['host', 'httpsPort', 'httpPort', 'builderName'] as const) {
    if (r[k] !== undefined && g[k] !== undefined && r[k] !== g[k]) differences.push(`${k}: recorded ${JSON.stringify(r[k])}, given ${JSON.stringify(g[k])}`);
  }
  const writeRecord = (['host', 'httpsPort', 'httpPort', 'builderName'] as const).some((k) => r[k] === undefined);
  if (settings.httpsPort === settings.httpPort) throw new SetupError(`httpsPort and httpPort are both ${settings.httpPort}; they must differ`);
  return { settings, writeRecord, differences };
}
