/**
 * hub.conf: Koji's [hub] keys (same names, types and defaults as Koji 1.35) plus the keys
 * koji-ts needs because it serves HTTP(S) itself instead of sitting behind Apache (their names
 * follow Apache's mod_ssl directives that Koji admins already know). [policy] is kept raw
 * for the policy engine.
 */
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { parseIni, type IniFile } from './ini.ts';
import { ConfigError, opt, readOptions } from './options.ts';
import { LOG_LEVEL_CHECK } from './loglevel.ts';

export const HUB_OPTIONS = [
  // database
  opt('DBName', 'string', null as string | null, 'database name (PostgreSQL server)'),
  opt('DBUser', 'string', null as string | null, 'database user'),
  opt('DBHost', 'string', null as string | null, 'database host'),
  opt('DBhost', 'string', null as string | null, 'alias of DBHost'),
  opt('DBPort', 'integer', null as number | null, 'database port'),
  opt('DBPass', 'string', null as string | null, 'database password'),
  opt('DBConnectionString', 'string', null as string | null, 'postgres:// URL or libpq "key=value" string; overrides the DB* keys'),
  opt('DBTimeZone', 'string', null as string | null, 'time zone of timestamps in replies (default: the hub process time zone)'),
  opt('DBPoolSize', 'integer', 10, 'connections per hub process to a PostgreSQL server'),
  opt('KojiDir', 'path', '/mnt/koji', 'top of the file tree (packages, repos, work, scratch)'),
  // auth
  opt('AuthPrincipal', 'string', null as string | null, 'the service principal Kerberos clients get tickets for, e.g. HTTP/koji.example.com@EXAMPLE.COM (Koji clients ask for HTTP/<hub host>); unset: any HTTP/… key of AuthKeytab'),
  opt('AuthKeytab', 'path', null as string | null, 'keytab holding the key of AuthPrincipal; set, the hub accepts Kerberos (GSSAPI Negotiate) logins at /kojihub/ssllogin'),
  opt('ProxyPrincipals', 'string', '', 'GSSAPI principals allowed to log in other users (comma list)'),
  opt('HostPrincipalFormat', 'string', null as string | null, 'e.g. compile/%s@EXAMPLE.COM, gives new hosts a principal'),
  opt('AllowedKrbRealms', 'string', '*', 'realms accepted for Kerberos principals (comma list, * = all)'),
  opt('DisableURLSessions', 'boolean', false, 'refuse session ids carried in the query string'),
  opt('DNUsernameComponent', 'string', 'CN', 'certificate subject component holding the user name'),
  opt('ProxyDNs', 'string', '', 'certificate subject DNs allowed to log in other users (| list)'),
  opt('CheckClientIP', 'boolean', true, 'bind sessions to the client address'),
  opt('LoginCreatesUser', 'boolean', true, 'create unknown users on certificate/GSSAPI login'),
  opt('AllowProxyAuthType', 'boolean', false, 'let proxies choose the proxied authtype'),
  opt('SessionRenewalTimeout', 'integer', 1440, 'minutes before a session must be renewed (0 = never)'),
  // web and notifications
  opt('KojiWebURL', 'string', 'http://localhost.localdomain/koji', 'URL of the web interface'),
  opt('EmailDomain', 'string', null as string | null, 'domain appended to user names for mail'),
  opt('NotifyOnSuccess', 'boolean', true, 'send notifications for successful builds'),
  opt('DisableNotifications', 'boolean', false, 'never send notifications'),
  // plugins, debugging, logging
  opt('Plugins', 'string', '', 'hub plugins to load (not supported yet by koji-ts)'),
  opt('PluginPath', 'string', '/usr/lib/koji-hub-plugins', 'where plugins live'),
  opt('KojiDebug', 'boolean', false, 'put stack traces in fault strings'),
  opt('KojiTraceback', 'string', null as string | null, 'traceback style: normal or extended'),
  opt('VerbosePolicy', 'boolean', false, 'explain policy decisions in faults'),
  opt('LogLevel', 'string', 'WARNING', 'DEBUG, INFO, WARNING, ERROR or CRITICAL (Koji\'s logger:LEVEL pairs are accepted; the main level counts)', LOG_LEVEL_CHECK),
  opt('LogFormat', 'string', '', 'ignored: koji-ts logs JSON lines (pino)'),
  opt('MissingPolicyOk', 'boolean', true, 'allow when no policy is configured'),
  opt('EnableMaven', 'boolean', false, 'maven support'),
  opt('EnableWin', 'boolean', false, 'windows build support'),
  opt('MemoryWarnThreshold', 'integer', 5000, 'KiB of growth per request that is logged'),
  opt('MaxRequestLength', 'integer', 4194304, 'largest XML-RPC request body in bytes (uploads are not limited by it)'),
  opt('MaxUploadChunk', 'integer', 268435456, 'koji-ts: largest single upload chunk in bytes (0 = no limit); clients send 1 MiB chunks. An upload offset may lie at most one such chunk (256 MiB when 0) beyond the end of the file'),
  opt('MaxChecksumBytes', 'integer', 68719476736, 'koji-ts: most bytes one checksum of an uploaded file may read (checkUpload with verify, uploadFile); larger files are refused with a fault (0 = no limit). A checksum also stops when its client disconnects'),
  opt('MaxMulticallCalls', 'integer', 10000, 'koji-ts: most calls in one multiCall (0 = no limit)'),
  opt('MaxReplySize', 'integer', 268435456, 'koji-ts: largest reply in bytes, a multiCall\'s results counted together (0 = no limit); a larger one is answered with a fault'),
  opt('LoginFailureLimit', 'integer', 5, 'koji-ts: failed password logins for one user name before each further attempt must wait (0 = no limit); see src/hub/auth/throttle.ts'),
  opt('LoginAddressFailureLimit', 'integer', 30, 'koji-ts: failed password logins from one client address before each further attempt must wait (0 = no limit)'),
  opt('LoginFailureWindow', 'integer', 900, 'koji-ts: seconds without failures after which failed logins are forgotten'),
  opt('LoginThrottleMaxDelay', 'integer', 300, 'koji-ts: longest wait, in seconds, after repeated failed logins'),
  opt('LockOut', 'boolean', false, 'only admins may call (maintenance)'),
  opt('ServerOffline', 'boolean', false, 'answer every call with fault 1014'),
  opt('OfflineMessage', 'string', null as string | null, 'message of the offline fault'),
  opt('MaxNameLengthInternal', 'integer', 256, 'longest name of tags, targets, channels…'),
  opt('RegexNameInternal', 'string', '^[A-Za-z0-9/_.+-]+$', 'allowed internal names'),
  opt('RegexUserName', 'string', '^[A-Za-z0-9/_.@-]+$', 'allowed user names'),
  opt('RPMDefaultChecksums', 'string', 'md5 sha256', 'checksums computed on import'),
  // scheduler
  opt('MaxJobs', 'integer', 15, 'tasks per host when the host does not say'),
  opt('CapacityOvercommit', 'integer', 5, 'weight a host may exceed its capacity by'),
  opt('ReadyTimeout', 'integer', 180, 'seconds of silence before a host is not ready'),
  opt('AssignTimeout', 'integer', 300, 'seconds an assigned task may wait to be opened'),
  opt('SoftRefusalTimeout', 'integer', 900, 'seconds a soft refusal lasts'),
  opt('HostTimeout', 'integer', 900, 'seconds of silence before a host loses its open tasks'),
  opt('RunInterval', 'integer', 60, 'seconds between scheduler runs'),
  // repos
  opt('MaxRepoTasks', 'integer', 10, ''),
  opt('MaxRepoTasksMaven', 'integer', 2, ''),
  opt('RepoRetries', 'integer', 3, ''),
  opt('RequestCleanTime', 'integer', 1440, 'minutes'),
  opt('AllowNewRepo', 'boolean', true, ''),
  opt('RepoLag', 'integer', 3600, 'seconds'),
  opt('RepoAutoLag', 'integer', 7200, 'seconds'),
  opt('RepoLagWindow', 'integer', 600, 'seconds'),
  opt('RepoQueueUser', 'string', 'kojira', ''),
  opt('DebuginfoTags', 'string', '', ''),
  opt('SourceTags', 'string', '', ''),
  opt('SeparateSourceTags', 'string', '', ''),
  // koji-ts: the hub serves HTTP(S) itself
  opt('ListenAddress', 'string', '0.0.0.0', 'address the hub listens on'),
  opt('HTTPSPort', 'integer', 8443, 'HTTPS port (0 = no HTTPS)', z.number().int().min(0).max(65535)),
  opt('HTTPPort', 'integer', 8080, 'plain HTTP port (0 = none); password logins and anonymous reads', z.number().int().min(0).max(65535)),
  opt('SSLCertificateFile', 'path', null as string | null, 'server certificate (PEM)'),
  opt('SSLCertificateKeyFile', 'path', null as string | null, 'server key (PEM); defaults to SSLCertificateFile'),
  opt('SSLCACertificateFile', 'path', null as string | null, 'CA(s) that sign client certificates'),
  opt('HubWorkers', 'integer', 1, 'hub processes (PostgreSQL server only; PGlite allows one)', z.number().int().min(1).max(64)),
  opt('ReplyCacheSize', 'integer', 268435456, 'bytes of large listing replies kept on local disk for reuse (0 = off); see src/hub/reply-cache.ts'),
  opt('ServeKojiFiles', 'boolean', true, 'koji-ts: serve KojiFilesDir read-only at /kojifiles/ (clients\' topurl) on the HTTP and HTTPS ports, as Apache does for Koji; turn off when another web server serves the file tree'),
  opt('WebSocket', 'path', null as string | null, 'koji-ts: forward /koji and /koji-static to the web interface listening on this Unix socket (web.conf ListenSocket), as Apache forwards to kojiweb'),
  opt('KojiFilesDir', 'path', null as string | null, 'koji-ts: the folder served at /kojifiles/ (default: KojiDir)'),
  opt('SessionUpdateInterval', 'integer', 60, 'seconds: a session\'s update_time is written at most this often (Koji writes it on every call)'),
] as const;

export type HubOptions = ReturnType<typeof readHubOptions>;

const RLIMITS = ['RLIMIT_AS', 'RLIMIT_CORE', 'RLIMIT_CPU', 'RLIMIT_DATA', 'RLIMIT_FSIZE', 'RLIMIT_MEMLOCK', 'RLIMIT_NOFILE', 'RLIMIT_NPROC', 'RLIMIT_OFILE', 'RLIMIT_RSS', 'RLIMIT_STACK'];

export interface HubConfig {
  options: HubOptions;
  /** [policy] section: policy name → rule text */
  policy: Map<string, string>;
  files: string[];
}

export function readHubOptions(ini: IniFile, o: { env?: Record<string, string | undefined>; warn?: (m: string) => void; overrides?: Record<string, unknown> } = {}) {
  const opts = readOptions(HUB_OPTIONS, ini.get('hub'), 'hub', {
    env: o.env,
    envPrefix: 'KOJITS_HUB_',
    warn: o.warn,
    ignore: RLIMITS,
    overrides: o.overrides,
  });
  if (opts.DBHost === null) opts.DBHost = opts.DBhost;
  for (const key of ['RegexNameInternal', 'RegexUserName'] as const) {
    try {
      new RegExp(opts[key]);
    } catch (e) {
      throw new ConfigError(`hub: ${key} is not a valid regular expression: ${(e as Error).message}`);
    }
  }
  return opts;
}

/** Load hub.conf plus hub.conf.d/*.conf (sorted), like Koji. */
export function loadHubConfig(file: string, o: { env?: Record<string, string | undefined>; warn?: (m: string) => void; overrides?: Record<string, unknown> } = {}): HubConfig {
  const ini: IniFile = new Map();
  const files: string[] = [];
  const dir = `${file}.d`;
  if (!existsSync(file)) throw new ConfigError(`hub config ${file} not found (run \`kojits init\` to create one)`);
  parseIni(readFileSync(file, 'utf8'), file, ini);
  files.push(file);
  if (existsSync(dir)) {
    for (const f of readdirSync(dir).filter((n) => n.endsWith('.conf')).sort()) {
      parseIni(readFileSync(join(dir, f), 'utf8'), join(dir, f), ini);
      files.push(join(dir, f));
    }
  }
  const options = readHubOptions(ini, o);
  const policy = new Map<string, string>();
  const ps = ini.get('policy');
  if (ps) for (const [k, v] of ps.values) policy.set(k, v);
  return { options, policy, files };
}

/** Build a postgres:// URL (or pass one through) from the DB* keys; null means PGlite. */
export function databaseUrl(opts: HubOptions): string | null {
  const cs = opts.DBConnectionString;
  if (cs) {
    if (/^postgres(ql)?:\/\//.test(cs)) return cs;
    const kv = Object.fromEntries(
      [...cs.matchAll(/(\w+)\s*=\s*('(?:[^'\\]|\\.)*'|\S+)/g)].map((m) => [m[1], m[2].replace(/^'|'$/g, '')]),
    );
    return buildUrl(kv.user, kv.password, kv.host, kv.port ? Number(kv.port) : null, kv.dbname);
  }
  if (opts.DBName) return buildUrl(opts.DBUser, opts.DBPass, opts.DBHost, opts.DBPort, opts.DBName);
  return null;
}

function buildUrl(user: string | null | undefined, pass: string | null | undefined, host: string | null | undefined, port: number | null | undefined, db: string | null | undefined): string {
  const auth = user ? `${encodeURIComponent(user)}${pass ? ':' + encodeURIComponent(pass) : ''}@` : '';
  const h = host ?? 'localhost';
  const hostPart = h.startsWith('/') ? `localhost` : h;
  const q = h.startsWith('/') ? `?host=${encodeURIComponent(h)}` : '';
  return `postgres://${auth}${hostPart}${port ? ':' + port : ''}/${encodeURIComponent(db ?? 'koji')}${q}`;
}
