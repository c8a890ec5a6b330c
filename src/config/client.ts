/**
 * koji.conf profiles, read the way the koji CLI reads them: /etc/koji.conf.d/*.conf,
 * /etc/koji.conf, then ~/.koji/config.d/*.conf and ~/.koji/config (or only `-c FILE`, which must
 * exist); later files win; the profile is a section. Koji's defaults and value types.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseIni, type IniFile } from './ini.ts';
import { ConfigError, opt, readOptions } from './options.ts';

export const CLIENT_OPTIONS = [
  opt('server', 'string', 'http://localhost/kojihub', 'URL of the hub'),
  opt('weburl', 'string', 'http://localhost/koji', 'URL of the web interface'),
  opt('topurl', 'string', null as string | null, 'URL of the file tree'),
  opt('pkgurl', 'string', null as string | null, 'obsolete: use topurl'),
  opt('topdir', 'path', '/mnt/koji', 'local path of the file tree'),
  opt('max_retries', 'integer', 30, 'retries of a failed call'),
  opt('retry_interval', 'integer', 20, 'seconds between retries'),
  opt('anon_retry', 'boolean', false, 'retry anonymous calls too'),
  opt('offline_retry', 'boolean', false, 'keep retrying while the hub is offline'),
  opt('offline_retry_interval', 'integer', 20, 'seconds between offline retries'),
  opt('timeout', 'integer', 43200, 'seconds a call may take'),
  opt('auth_timeout', 'integer', 60, 'seconds a login may take'),
  opt('use_fast_upload', 'boolean', true, 'upload with the octet-stream protocol'),
  opt('upload_blocksize', 'integer', 1048576, 'bytes per upload chunk'),
  opt('poll_interval', 'integer', 6, 'seconds between task polls'),
  opt('principal', 'string', null as string | null, 'Kerberos principal'),
  opt('keytab', 'path', null as string | null, 'Kerberos keytab'),
  opt('cert', 'path', null as string | null, 'client certificate + key (PEM)'),
  opt('serverca', 'path', null as string | null, 'CA of the hub certificate'),
  opt('no_ssl_verify', 'boolean', false, 'do not verify the hub certificate'),
  opt('authtype', 'string', null as string | null, 'noauth, ssl, password or kerberos'),
  opt('debug', 'boolean', false, 'debug output'),
  opt('debug_xmlrpc', 'boolean', false, 'XML-RPC debug output'),
  opt('pyver', 'integer', null as number | null, 'ignored'),
  opt('plugin_paths', 'string', null as string | null, 'ignored: koji-ts has no CLI plugins'),
  opt('force_auth', 'boolean', false, 'log in even for read-only commands'),
] as const;

export type ClientConfig = ReturnType<typeof readProfile>;

function readDir(dir: string): string[] {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.conf'))
    .sort()
    .map((f) => join(dir, f));
}

export function expandUser(p: string): string {
  return p === '~' ? homedir() : p.startsWith('~/') ? join(homedir(), p.slice(2)) : p;
}

/** The files the CLI reads, in order (later wins). */
export function clientConfigFiles(userConfig: string | null, home = homedir()): string[] {
  const files = [...readDir('/etc/koji.conf.d')];
  if (existsSync('/etc/koji.conf')) files.push('/etc/koji.conf');
  if (userConfig) {
    const f = expandUser(userConfig);
    if (!existsSync(f)) throw new ConfigError(`Config file ${f} can't be opened.`);
    if (statSync(f).isDirectory()) files.push(...readDir(f));
    else files.push(f);
  } else {
    files.push(...readDir(join(home, '.koji', 'config.d')));
    if (existsSync(join(home, '.koji', 'config'))) files.push(join(home, '.koji', 'config'));
  }
  return files;
}

export function readProfile(ini: IniFile, profile: string, warn?: (m: string) => void) {
  const section = ini.get(profile);
  if (!section) throw new ConfigError(`no configuration for profile name: ${profile}`);
  const cfg = readOptions(CLIENT_OPTIONS, section, profile, {
    warn,
    // keys Koji's CLI accepts silently (it ignores unknown keys)
    ignore: ['user', 'password', 'krbservice', 'krb_rdns', 'krb_canon_host', 'krb_server_realm'],
  });
  const home = homedir();
  for (const [key, dflt] of [['cert', '.koji/client.crt'], ['serverca', '.koji/serverca.crt']] as const) {
    if (cfg[key] === null) {
      const fn = join(home, dflt);
      cfg[key] = existsSync(fn) ? fn : '';
    } else cfg[key] = expandUser(cfg[key] as string);
  }
  cfg.topdir = expandUser(cfg.topdir);
  return { ...cfg, profile };
}

export function loadClientConfig(profile: string, userConfig: string | null, warn?: (m: string) => void): ClientConfig {
  const ini: IniFile = new Map();
  for (const f of clientConfigFiles(userConfig)) parseIni(readFileSync(f, 'utf8'), f, ini);
  return readProfile(ini, profile, warn);
}
