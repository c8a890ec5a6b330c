/**
 * kojid.conf: the build daemon's [kojid] section with Koji 1.35's key names, types and defaults
 * (builder/kojid get_options), plus the few keys koji-ts adds. As in kojid, `server` and
 * `topurl` are required, `topurl` may list several URLs (the first is used), `plugin`/`plugins`
 * are space-separated lists, RLIMIT_* keys are accepted, and `cert`/`serverca` default to
 * /etc/kojid/client.crt and /etc/kojid/serverca.crt when those files exist. Unlike kojid,
 * unknown keys are warned about instead of stopping the daemon; bad values fail naming the
 * file:line.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { parseIni, type IniFile } from './ini.ts';
import { ConfigError, opt, readOptions } from './options.ts';

const MAVEN_REPO_IGNORE = '*.md5 *.sha1 maven-metadata*.xml _maven.repositories _remote.repositories resolver-status.properties *.lastUpdated';

export const KOJID_OPTIONS = [
  // the hub and logins
  opt('server', 'string', null as string | null, 'URL of the hub (required)'),
  opt('user', 'string', null as string | null, 'user name for a password login (a certificate login wins when `cert` exists)'),
  opt('password', 'string', null as string | null, 'password for a password login'),
  opt('cert', 'path', null as string | null, 'client certificate and key (PEM) for sslLogin; default /etc/kojid/client.crt when it exists'),
  opt('serverca', 'path', null as string | null, 'CA of the hub certificate; default /etc/kojid/serverca.crt when it exists'),
  opt('no_ssl_verify', 'boolean', false, 'do not verify the hub certificate'),
  opt('krb_principal', 'string', null as string | null, 'Kerberos principal to log in as (used when neither cert nor user is set; default from host_principal_format)'),
  opt('host_principal_format', 'string', 'compile/%s@EXAMPLE.COM', 'Kerberos principal of the host when krb_principal is unset, %s = the machine\'s fully qualified name (as socket.getfqdn())'),
  opt('keytab', 'path', '/etc/kojid/kojid.keytab', 'keytab holding the Kerberos principal\'s keys'),
  opt('ccache', 'string', null as string | null, 'Kerberos credentials cache (koji-ts default: a MEMORY: cache of the process; kojid\'s is /var/tmp/kojid.ccache)'),
  opt('retry_interval', 'integer', 60, 'seconds between retries of a failed call'),
  opt('max_retries', 'integer', 120, 'retries of a failed call'),
  opt('offline_retry', 'boolean', true, 'keep retrying while the hub is offline'),
  opt('offline_retry_interval', 'integer', 120, 'seconds between retries while the hub is offline'),
  opt('timeout', 'integer', null as number | null, 'seconds a call may take'),
  opt('use_fast_upload', 'boolean', true, 'upload with the octet-stream protocol (koji-ts always does)'),
  // the daemon
  opt('sleeptime', 'integer', 15, 'seconds between check-ins when idle (koji-ts is woken at once when a task is assigned)', z.number().int().min(1)),
  opt('maxjobs', 'integer', 10, 'largest number of tasks run at once', z.number().int().min(1)),
  opt('minspace', 'integer', 8192, 'MB of free space (in mockdir) needed to take tasks'),
  opt('admin_emails', 'string', null as string | null, 'addresses error notices go to (not sent by koji-ts yet)'),
  opt('log_level', 'string', null as string | null, 'DEBUG, INFO, WARNING, ERROR or CRITICAL (default WARNING)'),
  opt('log_timestamps', 'boolean', false, 'ignored: koji-ts logs JSON lines with times'),
  opt('topdir', 'path', '/mnt/koji', 'local path of the hub\'s file tree'),
  opt('topurl', 'string', null as string | null, 'URL of the hub\'s file tree (required; several may be given, the first is used)'),
  opt('pkgurl', 'string', null as string | null, 'obsolete'),
  opt('workdir', 'path', '/var/tmp/koji', 'local scratch space of tasks'),
  opt('pluginpath', 'string', '/usr/lib/koji-builder-plugins', 'folders (colon-separated) holding builder plugins'),
  opt('plugin', 'string', '', 'plugins to load (space-separated names; koji-ts loads NAME.mjs or NAME.js)'),
  opt('plugins', 'string', '', 'alias of plugin'),
  opt('task_avail_delay', 'integer', 300, 'seconds (Koji < 1.35 scheduling; unused)'),
  // build roots and builds
  opt('mockdir', 'path', '/var/lib/mock', 'where mock keeps build roots (koji-ts: cached roots and clones under mockdir/koji-ts)'),
  opt('mockpath', 'path', '/usr/bin/mock', 'the mock program (kojid reads options.mockpath with this default, though its config parser rejects the key)'),
  opt('mockuser', 'string', 'kojibuilder', 'user mock runs builds as'),
  opt('mockhost', 'string', 'koji-linux-gnu', 'host part of the build target triplet'),
  opt('chroot_tmpdir', 'path', '/chroot_tmpdir', 'temporary folder inside build roots'),
  opt('packager', 'string', 'Koji', 'Packager put in RPM headers'),
  opt('vendor', 'string', 'Koji', 'Vendor put in RPM headers'),
  opt('distribution', 'string', 'Koji', 'Distribution put in RPM headers'),
  opt('literal_task_arches', 'string', '', 'arches not mapped to their canonical arch'),
  opt('buildroot_basic_cleanup_delay', 'integer', 120, 'seconds before a finished build root is cleaned'),
  opt('buildroot_final_cleanup_delay', 'integer', 86400, 'seconds before a finished build root is removed'),
  opt('failed_buildroot_lifetime', 'integer', 3600 * 4, 'seconds a failed build root is kept'),
  opt('rpmbuild_timeout', 'integer', 3600 * 24, 'seconds a build may take'),
  opt('oz_install_timeout', 'integer', 0, 'seconds an image install may take'),
  opt('mock_bootstrap_image', 'string', null as string | null, 'mock bootstrap image'),
  opt('yum_proxy', 'string', null as string | null, 'proxy for build roots'),
  opt('xz_options', 'string', '-z6T0', 'xz options for images'),
  opt('support_rpm_source_layout', 'boolean', true, 'accept sources in the rpm SOURCES/SPECS layout'),
  opt('build_arch_can_fail', 'boolean', false, 'a failing arch does not fail the build'),
  opt('maven_repo_ignore', 'string', MAVEN_REPO_IGNORE, 'files left out of maven repos'),
  // sources
  opt('allowed_scms', 'string', '', 'space-separated host:repository[:use_common[:source_cmd]] entries builds may check out from'),
  opt('allowed_scms_use_config', 'boolean', true, 'check SCMs against allowed_scms'),
  opt('allowed_scms_use_policy', 'boolean', false, 'check SCMs against the hub\'s build_from_scm policy'),
  opt('allow_password_in_scm_url', 'boolean', false, 'allow passwords in SCM URLs'),
  opt('allow_noverifyssl', 'boolean', false, 'allow repos without SSL verification'),
  opt('scm_credentials_dir', 'path', null as string | null, 'credentials for SCM checkouts'),
  // repos
  opt('use_createrepo_c', 'boolean', true, 'createrepo_c instead of createrepo'),
  opt('createrepo_skip_stat', 'boolean', true, 'createrepo --skip-stat'),
  opt('createrepo_update', 'boolean', true, 'reuse old repodata'),
  opt('distrepo_skip_stat', 'boolean', false, 'createrepo --skip-stat for dist repos'),
  opt('copy_old_repodata', 'boolean', true, 'copy old repodata when nothing changed (Koji defaults to false)'),
  opt('createrepo_inline', 'boolean', true, 'newRepo makes the repodata of a single arch itself instead of in a createrepo subtask (koji-ts)'),
  // mail
  opt('smtphost', 'string', 'example.com', 'mail server'),
  opt('smtp_user', 'string', null as string | null, 'mail server user'),
  opt('smtp_pass', 'string', null as string | null, 'mail server password'),
  opt('from_addr', 'string', 'Koji Build System <buildsys@example.com>', 'sender of mails'),
  // koji-ts
  opt('max_load_per_cpu', 'float', 4.0, 'koji-ts: not ready for tasks while the 1-minute load average exceeds this many per CPU (kojid: 4; 0 = no check)', z.number().min(0)),
  opt('buildroot_backend', 'string', 'bwrap', 'koji-ts: how buildroots are made — bwrap (dnf + bubblewrap, src/builder/buildroot), mock (as kojid, for Fedora/EL builders: mockpath, /etc/mock/koji) or fault:create|install|rebuild|buildSRPM (fails there, for tests)', z.string().regex(/^(bwrap|mock|fault:(create|install|rebuild|buildSRPM))$/)),
  opt('spare_task_process', 'boolean', true, 'koji-ts: keep one task process started ahead while tasks come, so a task starts without waiting for Node.js to load (≈55 MB; stopped after 5 idle minutes)'),
] as const;

/** The options as the builder uses them: `plugins` is the list of `plugin` and `plugins`, `topurls` every URL of `topurl`. */
export type KojidOptions = Omit<ReturnType<typeof readKojidOptions>, 'plugin' | 'plugins' | 'topurl'> & { topurl: string; topurls: string[]; plugins: string[] };

const LOG_LEVELS = { CRITICAL: 'fatal', FATAL: 'fatal', ERROR: 'error', WARNING: 'warn', WARN: 'warn', INFO: 'info', DEBUG: 'debug', NOTSET: 'warn' } as const;

export type BuilderLogLevel = (typeof LOG_LEVELS)[keyof typeof LOG_LEVELS];

/** kojid's log_level (a Python logging level name, upper case as kojid requires) as a pino level. */
export function kojidLogLevel(value: string | null, o: { debug?: boolean; verbose?: boolean } = {}): BuilderLogLevel {
  if (o.debug) return 'debug';
  if (o.verbose) return 'info';
  if (value === null || value === '') return 'warn';
  if (!Object.hasOwn(LOG_LEVELS, value)) throw new ConfigError(`Invalid log level: ${value}`);
  return LOG_LEVELS[value as keyof typeof LOG_LEVELS];
}

function readKojidOptions(ini: IniFile, o: { env?: Record<string, string | undefined>; warn?: (m: string) => void; overrides?: Record<string, unknown> }) {
  return readOptions(KOJID_OPTIONS, ini.get('kojid'), 'kojid', {
    env: o.env,
    envPrefix: 'KOJITS_KOJID_',
    warn: o.warn,
    ignore: [...(ini.get('kojid')?.values.keys() ?? [])].filter((k) => k.toUpperCase().startsWith('RLIMIT_')),
    overrides: o.overrides,
  });
}

export interface KojidConfig {
  options: KojidOptions;
  files: string[];
}

/** The files of a config path: the file itself, or a folder's *.conf in name order. */
function configFiles(path: string): string[] {
  if (!existsSync(path)) throw new ConfigError(`builder config ${path} not found`);
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path)
    .filter((f) => f.endsWith('.conf'))
    .sort()
    .map((f) => join(path, f));
}

/**
 * Load kojid.conf (or a folder of *.conf files), validated; `overrides` are command-line values;
 * with `env`, KOJITS_KOJID_<KEY> variables override the files (as KOJITS_HUB_* do for hub.conf).
 */
export function loadKojidConfig(path: string, o: { env?: Record<string, string | undefined>; warn?: (m: string) => void; overrides?: Record<string, unknown>; exists?: (p: string) => boolean } = {}): KojidConfig {
  const files = configFiles(path);
  const ini: IniFile = new Map();
  for (const f of files) parseIni(readFileSync(f, 'utf8'), f, ini);
  for (const name of ini.keys()) {
    if (name !== 'kojid' && name !== 'DEFAULT') throw new ConfigError(`${path}: invalid section found in config file: ${name} (kojid.conf has only [kojid])`);
  }
  const raw = readKojidOptions(ini, o);
  const where = (key: string) => ini.get('kojid')?.where.get(key) ?? path;
  if (!raw.server) throw new ConfigError(`${path}: the server option is required`);
  if (!/^https?:\/\//.test(raw.server)) throw new ConfigError(`${where('server')}: server must be an http:// or https:// URL, got ${JSON.stringify(raw.server)}`);
  if (!raw.topurl) throw new ConfigError(`${path}: the topurl option is required`);
  try {
    kojidLogLevel(raw.log_level);
  } catch (e) {
    throw new ConfigError(`${where('log_level')}: ${(e as Error).message}`);
  }
  const exists = o.exists ?? existsSync;
  if (raw.cert === null && exists('/etc/kojid/client.crt')) raw.cert = '/etc/kojid/client.crt';
  if (raw.serverca === null && exists('/etc/kojid/serverca.crt')) raw.serverca = '/etc/kojid/serverca.crt';
  const topurls = raw.topurl.split(/\s+/).filter(Boolean);
  const { plugin, plugins, ...rest } = raw;
  const options: KojidOptions = { ...rest, topurl: topurls[0], topurls, plugins: `${plugin} ${plugins}`.split(/\s+/).filter(Boolean) };
  if (raw.pkgurl) o.warn?.(`${where('pkgurl')}: the pkgurl option is obsolete`);
  return { options, files };
}
