/**
 * kojira.conf: the repo daemon's [kojira] section with Koji 1.35's key names, types and defaults
 * (util/kojira get_options). As kojira: keys that 1.35 no longer uses (`max_repo_tasks`,
 * `ignore_tags`, `queue_file`, …) are accepted with a warning that they do nothing,
 * `deleted_repo_lifetime` is the old name of `expired_repo_lifetime`, `reference_recheck_period`
 * defaults to `recheck_period`, and `cert`/`serverca` default to /etc/kojira/client.crt and
 * /etc/kojira/serverca.crt when those files exist. Unlike kojira, an unknown key is a warning,
 * not a stop; bad values fail naming the file:line.
 */
import { existsSync, readFileSync } from 'node:fs';
import { z } from 'zod';
import { parseIni, type IniFile } from './ini.ts';
import { ConfigError, opt, readOptions } from './options.ts';

export const KOJIRA_OPTIONS = [
  opt('server', 'string', null as string | null, 'URL of the hub (required)'),
  opt('topdir', 'path', '/mnt/koji', 'local path of the hub\'s file tree (holds repos/)'),
  opt('logfile', 'path', '/var/log/kojira.log', 'ignored by koji-ts: kojira logs JSON lines to stderr (kojits up keeps them in DIR/log/kojira.log)'),
  opt('user', 'string', null as string | null, 'user for a password login (a certificate login wins when `cert` exists)'),
  opt('password', 'string', null as string | null, 'password for a password login'),
  opt('cert', 'path', null as string | null, 'client certificate and key (PEM); default /etc/kojira/client.crt when it exists'),
  opt('serverca', 'path', null as string | null, 'CA of the hub certificate; default /etc/kojira/serverca.crt when it exists'),
  opt('no_ssl_verify', 'boolean', false, 'do not verify the hub certificate'),
  opt('principal', 'string', null as string | null, 'Kerberos principal to log in as (with keytab; used when neither cert nor user is set)'),
  opt('keytab', 'path', '/etc/kojira/kojira.keytab', 'keytab holding the Kerberos principal\'s keys'),
  opt('ccache', 'string', null as string | null, 'Kerberos credentials cache (koji-ts default: a MEMORY: cache of the process; kojira\'s is /var/tmp/kojira.ccache)'),
  opt('retry_interval', 'integer', 60, 'seconds between retries of a failed call'),
  opt('max_retries', 'integer', 120, 'retries of a failed call'),
  opt('offline_retry', 'boolean', true, 'keep retrying while the hub is offline'),
  opt('offline_retry_interval', 'integer', 120, 'seconds between retries while the hub is offline'),
  opt('verbose', 'boolean', false, 'log at INFO'),
  opt('debug', 'boolean', false, 'log at DEBUG'),
  opt('sleeptime', 'integer', 15, 'seconds between rounds (koji-ts is woken by the hub when a tag changes)', z.number().int().min(1)),
  opt('max_delete_processes', 'integer', 4, 'repo folders removed at once', z.number().int().min(1)),
  opt('repo_lifetime', 'integer', 7 * 24 * 3600, 'seconds a superseded repo is kept before it expires'),
  opt('dist_repo_lifetime', 'integer', 7 * 24 * 3600, 'the same for dist repos'),
  opt('expired_repo_lifetime', 'integer', null as number | null, 'seconds an expired or problem repo is kept before it is deleted (default 7 days)'),
  opt('deleted_repo_lifetime', 'integer', null as number | null, 'old name of expired_repo_lifetime'),
  opt('init_timeout', 'integer', 7200, 'seconds a repo may stay in INIT before it is marked a problem'),
  opt('recheck_period', 'integer', 3600, 'seconds between the costlier checks of one repo'),
  opt('reference_recheck_period', 'integer', null as number | null, 'seconds between reference checks of one repo (default recheck_period)'),
  opt('check_external_repos', 'boolean', true, 'follow external repos\' repomd.xml timestamps'),
  opt('ignore_stray_repos', 'boolean', false, 'leave repo folders the hub does not know alone'),
  opt('ignore_other_volumes', 'boolean', false, 'do not prune or delete on volumes other than DEFAULT'),
  // koji-ts
  opt('follow_tag_changes', 'boolean', true, 'koji-ts: request a new repo of a target\'s build tag (or a tag with repo.auto) as soon as the tag changes'),
] as const;

/** Keys kojira 1.35 reads but no longer uses. */
const LEGACY = ['delete_batch_size', 'debuginfo_tags', 'ignore_tags', 'max_repo_tasks', 'max_repo_tasks_maven', 'no_repo_effective_age', 'queue_file', 'recent_tasks_lifetime', 'repo_tasks_limit', 'source_tags', 'separate_source_tags', 'with_src'];

type Raw = ReturnType<typeof readRaw>;
export type KojiraOptions = Omit<Raw, 'expired_repo_lifetime' | 'deleted_repo_lifetime' | 'reference_recheck_period'> & {
  expired_repo_lifetime: number;
  reference_recheck_period: number;
};

function readRaw(ini: IniFile, o: { env?: Record<string, string | undefined>; warn?: (m: string) => void; overrides?: Record<string, unknown> }) {
  return readOptions(KOJIRA_OPTIONS, ini.get('kojira'), 'kojira', { env: o.env, envPrefix: 'KOJITS_KOJIRA_', warn: o.warn, ignore: LEGACY, overrides: o.overrides });
}

/** Load kojira.conf, validated; `overrides` are command-line values; KOJITS_KOJIRA_<KEY> variables override the file. */
export function loadKojiraConfig(path: string, o: { env?: Record<string, string | undefined>; warn?: (m: string) => void; overrides?: Record<string, unknown>; exists?: (p: string) => boolean } = {}): KojiraOptions {
  if (!existsSync(path)) throw new ConfigError(`kojira config ${path} not found`);
  const ini: IniFile = new Map();
  parseIni(readFileSync(path, 'utf8'), path, ini);
  for (const name of ini.keys()) {
    if (name !== 'kojira' && name !== 'DEFAULT') throw new ConfigError(`${path}: invalid section found in config file: ${name} (kojira.conf has only [kojira])`);
  }
  const section = ini.get('kojira');
  for (const k of LEGACY) if (section?.values.has(k)) o.warn?.(`${section.where.get(k) ?? path}: the ${k} configuration option is no longer used`);
  const raw = readRaw(ini, o);
  if (!raw.server) throw new ConfigError(`${path}: the server option is required`);
  if (!/^https?:\/\//.test(raw.server)) throw new ConfigError(`${path}: server must be an http:// or https:// URL, got ${JSON.stringify(raw.server)}`);
  let expired = raw.expired_repo_lifetime;
  if (raw.deleted_repo_lifetime !== null) {
    o.warn?.(`${path}: the deleted_repo_lifetime option is deprecated. Use expired_repo_lifetime.`);
    expired ??= raw.deleted_repo_lifetime;
  }
  const exists = o.exists ?? existsSync;
  if (raw.cert === null && exists('/etc/kojira/client.crt')) raw.cert = '/etc/kojira/client.crt';
  if (raw.serverca === null && exists('/etc/kojira/serverca.crt')) raw.serverca = '/etc/kojira/serverca.crt';
  const { deleted_repo_lifetime: _old, ...rest } = raw;
  return { ...rest, expired_repo_lifetime: expired ?? 7 * 24 * 3600, reference_recheck_period: raw.reference_recheck_period ?? raw.recheck_period };
}
