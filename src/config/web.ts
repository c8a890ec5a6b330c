/**
 * web.conf: the web interface's [web] section with kojiweb 1.35's key names, types and defaults
 * (wsgi_publisher's cfgmap), plus koji-ts's listener keys: kojiweb runs under Apache, koji-ts's
 * web serves HTTP itself — on a Unix socket the hub forwards /koji to (`ListenSocket`, as Apache
 * would with mod_proxy), and/or on a TCP port of its own (`ListenAddress` + `HTTPPort`).
 * Unknown keys warn; bad values fail naming the file:line.
 */
import { existsSync, readFileSync } from 'node:fs';
import { z } from 'zod';
import { parseIni, type IniFile } from './ini.ts';
import { ConfigError, opt, readOptions } from './options.ts';
import { LOG_LEVEL_CHECK } from './loglevel.ts';

export const WEB_OPTIONS = [
  opt('SiteName', 'string', null as string | null, 'name shown in page titles and the header'),
  opt('KojiHubURL', 'string', 'http://localhost/kojihub', 'URL of the hub'),
  opt('KojiFilesURL', 'string', 'http://localhost/kojifiles', 'URL of the file tree (logs, RPMs)'),
  opt('KojiTheme', 'string', null as string | null, 'accepted for kojiweb\'s sake; koji-ts has one theme'),
  opt('KojiGreeting', 'string', 'Welcome to Koji Web', 'greeting on the summary page'),
  opt('LiteralFooter', 'boolean', true, 'accepted for kojiweb\'s sake (the footer is always literal text)'),
  opt('WebPrincipal', 'string', null as string | null, 'the web\'s own Kerberos principal (listed in hub.conf ProxyPrincipals), for logging users in to the hub; alone it also means WebAuthType = gssapi'),
  opt('WebKeytab', 'path', '/etc/httpd.keytab', 'Kerberos keytab with HTTP/<web host> (browsers\' tickets, WebAuthType = gssapi) and WebPrincipal\'s keys'),
  opt('WebCCache', 'string', null as string | null, 'credentials cache for WebPrincipal\'s tickets (kojiweb: /var/tmp/kojiweb.ccache; koji-ts default: a MEMORY: cache of the process)'),
  opt('KrbService', 'string', 'host', 'Kerberos service of the hub (not supported by koji-ts yet)'),
  opt('KrbRDNS', 'boolean', true, 'Kerberos reverse DNS (not supported by koji-ts yet)'),
  opt('KrbCanonHost', 'boolean', false, 'Kerberos host canonicalisation (not supported by koji-ts yet)'),
  opt('KrbServerRealm', 'string', null as string | null, 'Kerberos realm of the hub (not supported by koji-ts yet)'),
  opt('WebAuthType', 'string', null as string | null, 'how users log in to the web: ssl (client certificate) or gssapi (Kerberos SPNEGO); unset: gssapi with WebPrincipal, else ssl with WebCert'),
  opt('WebCert', 'path', null as string | null, 'the web\'s certificate and key (PEM) for logging users in to the hub through ProxyDNs'),
  opt('KojiHubCA', 'path', '/etc/kojiweb/kojihubca.crt', 'CA of the hub\'s certificate'),
  opt('ClientCA', 'path', null as string | null, 'CA of browsers\' client certificates (older kojiweb key; the hub checks them)'),
  opt('PythonDebug', 'boolean', false, 'accepted for kojiweb\'s sake; error pages never show stack traces'),
  opt('LoginTimeout', 'integer', 72, 'hours a web login lasts', z.number().int().min(1)),
  opt('Secret', 'string', null as string | null, 'signs the session cookies (required for logins)'),
  opt('LoginDisabled', 'boolean', false, 'no login link'),
  opt('LibPath', 'path', '/usr/share/koji-web/lib', 'accepted for kojiweb\'s sake'),
  opt('LogLevel', 'string', 'WARNING', 'DEBUG, INFO, WARNING, ERROR or CRITICAL', LOG_LEVEL_CHECK),
  opt('LogFormat', 'string', null as string | null, 'accepted for kojiweb\'s sake (logs are JSON lines)'),
  opt('HiddenUsers', 'string', '', 'user ids (space separated) whose tasks the summary page leaves out'),
  opt('Tasks', 'string', '', 'extra task methods in the tasks page\'s method list (space or comma separated)'),
  opt('ToplevelTasks', 'string', '', 'extra methods of tasks that have no parent'),
  opt('ParentTasks', 'string', '', 'extra methods of tasks that have children'),
  opt('MBS_WEB_URL', 'string', null as string | null, 'Module Build Service URL, linked from module builds'),
  // koji-ts: where the web listens
  opt('ListenSocket', 'path', null as string | null, 'koji-ts: Unix socket the hub forwards /koji to (hub.conf WebSocket); trusted for the browser\'s certificate'),
  opt('ListenAddress', 'string', '127.0.0.1', 'koji-ts: address of the TCP listener (HTTPPort)'),
  opt('HTTPPort', 'integer', 0, 'koji-ts: plain HTTP port of its own (0: none)', z.number().int().min(0).max(65535)),
] as const;

const RLIMITS = ['RLIMIT_AS', 'RLIMIT_CORE', 'RLIMIT_CPU', 'RLIMIT_DATA', 'RLIMIT_FSIZE', 'RLIMIT_MEMLOCK', 'RLIMIT_NOFILE', 'RLIMIT_NPROC', 'RLIMIT_OFILE', 'RLIMIT_RSS', 'RLIMIT_STACK'];

type Raw = ReturnType<typeof readRaw>;
export type WebOptions = Omit<Raw, 'HiddenUsers' | 'Tasks' | 'ToplevelTasks' | 'ParentTasks'> & {
  HiddenUsers: number[];
  Tasks: string[];
  ToplevelTasks: string[];
  ParentTasks: string[];
};

function readRaw(ini: IniFile, o: { env?: Record<string, string | undefined>; warn?: (m: string) => void }) {
  return readOptions(WEB_OPTIONS, ini.get('web'), 'web', { env: o.env, envPrefix: 'KOJITS_WEB_', warn: o.warn, ignore: RLIMITS });
}

const list = (s: string) => s.split(/[\s,]+/).filter(Boolean);

/** Read web.conf text (`where` names it in messages). */
export function parseWebConfig(text: string, where: string, o: { env?: Record<string, string | undefined>; warn?: (m: string) => void } = {}): WebOptions {
  const ini: IniFile = new Map();
  parseIni(text, where, ini);
  const raw = readRaw(ini, o);
  for (const k of ['KojiHubURL', 'KojiFilesURL'] as const) {
    if (!/^https?:\/\//.test(raw[k])) throw new ConfigError(`${where}: ${k} must be an http:// or https:// URL, got ${JSON.stringify(raw[k])}`);
  }
  if (raw.WebAuthType !== null && raw.WebAuthType !== 'ssl' && raw.WebAuthType !== 'gssapi') {
    throw new ConfigError(`${where}: Invalid value ${raw.WebAuthType} for WebAuthType (ssl or gssapi)`);
  }
  const hidden = list(raw.HiddenUsers);
  const bad = hidden.find((h) => !/^\d+$/.test(h));
  if (bad) throw new ConfigError(`${where}: HiddenUsers must be numeric user ids, got ${JSON.stringify(bad)}`);
  if (!raw.ListenSocket && !raw.HTTPPort) throw new ConfigError(`${where}: the web listens nowhere: set ListenSocket (the hub forwards /koji to it) or HTTPPort`);
  return { ...raw, HiddenUsers: hidden.map(Number), Tasks: list(raw.Tasks), ToplevelTasks: list(raw.ToplevelTasks), ParentTasks: list(raw.ParentTasks) };
}

/**
 * How browsers prove who they are, as kojiweb derives it: WebAuthType when set, else gssapi when
 * the web has a principal (WebPrincipal), else ssl when it has a certificate (WebCert).
 */
export function webAuthType(o: Pick<WebOptions, 'WebAuthType' | 'WebPrincipal' | 'WebCert'>): 'ssl' | 'gssapi' | null {
  if (o.WebAuthType === 'ssl' || o.WebAuthType === 'gssapi') return o.WebAuthType;
  if (o.WebPrincipal) return 'gssapi';
  return o.WebCert ? 'ssl' : null;
}

/** Load web.conf; KOJITS_WEB_<KEY> variables override the file. */
export function loadWebConfig(path: string, o: { env?: Record<string, string | undefined>; warn?: (m: string) => void } = {}): WebOptions {
  if (!existsSync(path)) throw new ConfigError(`web config ${path} not found (run \`kojits init\` to create one)`);
  return parseWebConfig(readFileSync(path, 'utf8'), path, o);
}
