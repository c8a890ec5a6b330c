/**
 * Text of the five configuration files `kojits init` writes (hub.conf, kojid.conf, kojira.conf,
 * web.conf and the client's koji.conf), in Koji's formats and key names so that Koji admins and
 * the stock Python tools read them as they are. Only keys that matter are written.
 */
import { isIP } from 'node:net';
import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { formatIni } from '../config/ini.ts';
import type { DataLayout } from './layout.ts';
import type { Subject } from './pki.ts';

export interface ConfigContext {
  layout: DataLayout;
  host: string;
  httpsPort: number;
  httpPort: number;
  /** hub.conf ListenAddress */
  listen: string;
  builderName: string;
  /** subject of the web's proxy certificate (DIR/pki/kojiweb.pem) */
  webSubject: Subject;
  /** Kerberos realm (null: certificates and passwords only) */
  krbRealm: string | null;
  /** the hub's keytab (default DIR/etc/hub.keytab) */
  krbKeytab: string | null;
}

/** hub.conf AuthKeytab: the given keytab, or one in DIR/etc. */
export function hubKeytab(c: Pick<ConfigContext, 'krbKeytab' | 'layout'>): string {
  return c.krbKeytab ?? join(c.layout.etcDir, 'hub.keytab');
}

/** The hub.conf keys of Kerberos logins (none without a realm). */
function hubKerberos(c: ConfigContext): Array<string | [string, string]> {
  const realm = c.krbRealm;
  if (!realm) return [];
  return [
    '',
    'Kerberos (GSSAPI) logins at /kojihub/ssllogin: clients get tickets for AuthPrincipal',
    '(Koji clients ask for HTTP/<the host in their server URL>), whose key is in AuthKeytab',
    ['AuthPrincipal', `HTTP/${c.host}@${realm}`],
    ['AuthKeytab', hubKeytab(c)],
    ['AllowedKrbRealms', realm],
    'principals allowed to log in on behalf of other users (the web with WebPrincipal), comma list',
    ['ProxyPrincipals', `koji/kojiweb@${realm}`],
    'principal given to new build hosts by koji add-host (%s = the host name)',
    ['HostPrincipalFormat', `compile/%s@${realm}`],
  ];
}

const HEADER = 'Written by `kojits init`; edit freely, `kojits init` never rewrites an existing file.';

/** Host part of a URL: IPv6 addresses need brackets. */
export function urlHost(host: string): string {
  return isIP(host) === 6 ? `[${host}]` : host;
}

export function httpsBase(c: ConfigContext): string {
  return `https://${urlHost(c.host)}:${c.httpsPort}`;
}

export function httpBase(c: ConfigContext): string {
  return `http://${urlHost(c.host)}:${c.httpPort}`;
}

/** RFC 2253 form of a subject, most specific component first (as the hub derives it). */
export function rfc2253(s: Subject): string {
  const esc = (v: string) => v.replace(/([,+"\\<>;=])/g, '\\$1').replace(/^([ #])/, '\\$1').replace(/ $/, '\\ ');
  return `CN=${esc(s.CN)},OU=${esc(s.OU)},O=${esc(s.O)}`;
}

export function renderHubConf(c: ConfigContext): string {
  const L = c.layout;
  return formatIni([
    {
      name: 'hub',
      comment: `koji-ts hub configuration (Koji's hub.conf keys plus koji-ts's listener keys).\n${HEADER}`,
      entries: [
        'Database: without DB* keys the hub keeps an embedded PostgreSQL (PGlite) in',
        `${L.dbDir}. To use a PostgreSQL server instead, set e.g.`,
        'DBConnectionString = postgres://koji:secret@db.example.com:5432/koji',
        '(or DBName, DBUser, DBHost, DBPort, DBPass as in Koji).',
        '',
        'top of the file tree: packages, repos, work, scratch',
        ['KojiDir', L.kojiDir],
        '',
        'certificate logins: the user name is the CN of the client certificate',
        ['DNUsernameComponent', 'CN'],
        'subjects allowed to log in on behalf of other users (the web), separated by |',
        ['ProxyDNs', rfc2253(c.webSubject)],
        ['LoginCreatesUser', 'On'],
        ...hubKerberos(c),
        '',
        ['KojiWebURL', `${httpsBase(c)}/koji`],
        'koji-ts: forward /koji to the web interface listening on this socket (web.conf ListenSocket)',
        ['WebSocket', L.webSocket],
        '',
        'koji-ts serves HTTP(S) itself (no Apache): where to listen and which certificates to use.',
        'Plain HTTP carries passwords: to listen on every interface, set 0.0.0.0 (or :: for IPv6 too)',
        'knowingly (`kojits up --listen 0.0.0.0` does that)',
        ['ListenAddress', c.listen],
        ['HTTPSPort', c.httpsPort],
        'plain HTTP: anonymous calls and password logins',
        ['HTTPPort', c.httpPort],
        'server certificate and key (one PEM file); the web interface uses the same one',
        ['SSLCertificateFile', L.hubPem],
        'CA that signs client certificates (users, build hosts, kojira, the web)',
        ['SSLCACertificateFile', L.caCert],
      ],
    },
    {
      name: 'policy',
      entries: [
        'Hub policies, as in Koji, e.g.',
        '  tag =',
        '      has_perm admin :: allow',
        '      all :: deny',
        'Empty: every policy uses its built-in default.',
      ],
    },
  ]);
}

export function renderKojidConf(c: ConfigContext): string {
  const L = c.layout;
  const base = httpsBase(c);
  return formatIni([
    {
      name: 'kojid',
      comment: `Build host daemon configuration (Koji's kojid.conf keys).\n${HEADER}`,
      entries: [
        'seconds to sleep between polls of the hub',
        ['sleeptime', 15],
        'largest number of tasks run at once',
        ['maxjobs', 10],
        'MB of free space required for each build root',
        ['minspace', 8192],
        'seconds after which a finished build root is cleaned (basic, then completely)',
        ['buildroot_basic_cleanup_delay', 120],
        ['buildroot_final_cleanup_delay', 86400],
        '',
        'the hub and its file tree',
        ['server', `${base}/kojihub`],
        ['topurl', `${base}/kojifiles`],
        ['topdir', L.kojiDir],
        'local scratch space for tasks',
        ['workdir', L.builderWorkDir],
        '',
        'buildroots (koji-ts keeps its cached roots and per-build clones under mockdir/koji-ts)',
        ['mockdir', builderMockdir(L)],
        ['mockuser', 'kojibuilder'],
        ['mockhost', 'koji-linux-gnu'],
        'seconds a build may take',
        ['rpmbuild_timeout', 86400],
        '',
        'values put in rpm headers',
        ['vendor', 'Koji'],
        ['packager', 'Koji'],
        ['distribution', 'Koji'],
        '',
        'repository generation',
        ['use_createrepo_c', true],
        ['createrepo_update', true],
        '',
        'space-separated host:repository[:use_common[:source_cmd]] entries builds may check out from',
        `allowed_scms = git.example.org:/example/*:no :${join(L.dataDir, 'git')}/*:no:`,
        '',
        'mail notifications',
        'smtphost = smtp.example.com',
        'from_addr = Koji Build System <buildsys@example.com>',
        '',
        'certificate login: this host authenticates as the CN of its certificate',
        ['user', c.builderName],
        ['cert', L.builderPem],
        ...(c.krbRealm
          ? [`Kerberos instead: remove user and cert, set host_principal_format = compile/%s@${c.krbRealm}`, 'and keytab = a keytab holding that principal (koji add-host gave the host this principal)']
          : []),
        'CA that issued the hub\'s certificate',
        ['serverca', L.caCert],
      ],
    },
  ]);
}

export function renderKojiraConf(c: ConfigContext): string {
  const L = c.layout;
  return formatIni([
    {
      name: 'kojira',
      comment: `Repository regeneration daemon configuration (Koji's kojira.conf keys).\n${HEADER}`,
      entries: [
        ['server', `${httpsBase(c)}/kojihub`],
        'the folder that holds repos/',
        ['topdir', L.kojiDir],
        ['logfile', L.kojiraLog],
        '',
        'certificate login',
        ['cert', L.kojiraPem],
        ...(c.krbRealm ? [`Kerberos instead: remove cert, set principal = koji/kojira@${c.krbRealm} and keytab = its keytab`] : []),
        ['serverca', L.caCert],
        '',
        'seconds a superseded repo is kept, then seconds an expired one is kept before removal',
        ['repo_lifetime', 604800],
        ['dist_repo_lifetime', 604800],
        ['expired_repo_lifetime', 604800],
        'follow external repositories\' repomd.xml timestamps (a change makes new repos)',
        ['check_external_repos', true],
        'koji-ts requests a new repo of a target\'s build tag as soon as the tag changes (Koji waits',
        'for RepoLag); follow_tag_changes = false turns that off (Koji\'s kojira refuses that key)',
        ['ignore_other_volumes', false],
        ['debug', false],
      ],
    },
  ]);
}

export function renderWebConf(c: ConfigContext, secret: string): string {
  const L = c.layout;
  const base = httpsBase(c);
  return formatIni([
    {
      name: 'web',
      comment: `Web interface configuration (Koji's web.conf keys).\n${HEADER}`,
      entries: [
        ['SiteName', 'koji-ts'],
        ['KojiHubURL', `${base}/kojihub`],
        ['KojiFilesURL', `${base}/kojifiles`],
        '',
        'the web logs users in to the hub through this certificate (listed in hub.conf ProxyDNs)',
        ['WebCert', L.kojiwebPem],
        ...(c.krbRealm
          ? [
              'Kerberos: WebAuthType = gssapi lets browsers log in by SPNEGO (WebKeytab must hold',
              `HTTP/${c.host}@${c.krbRealm}); with WebPrincipal = koji/kojiweb@${c.krbRealm} (in the same keytab)`,
              'instead of WebCert, the web also logs users in to the hub by Kerberos (hub.conf ProxyPrincipals)',
            ]
          : []),
        ['KojiHubCA', L.caCert],
        '',
        'hours a web login lasts',
        ['LoginTimeout', 72],
        'signs the web\'s session cookies; keep it private',
        ['Secret', secret],
        '',
        ['LibPath', '/usr/share/koji-web/lib'],
        ['LiteralFooter', true],
        '',
        'koji-ts: the hub forwards /koji to this socket (hub.conf WebSocket); to serve the web on a',
        'port of its own as well, set HTTPPort (and ListenAddress)',
        ['ListenSocket', L.webSocket],
      ],
    },
  ]);
}

/** The client profiles: `kojits` (certificate over HTTPS) and `kojits-password` (plain HTTP). */
export function renderKojiConf(c: ConfigContext): string {
  const L = c.layout;
  const s = httpsBase(c);
  const p = httpBase(c);
  return formatIni([
    {
      name: 'kojits',
      comment: `Koji client profiles for this koji-ts instance, for koji-ts's CLI and the stock koji CLI:\n  koji -c ${L.kojiConf} -p kojits moshimoshi\n${HEADER}`,
      entries: [
        ['server', `${s}/kojihub`],
        ['weburl', `${s}/koji`],
        'the file tree needs no login: over plain HTTP, the stock CLI (whose downloads do not use',
        'serverca) can fetch from it too',
        ['topurl', c.httpPort > 0 ? `${p}/kojifiles` : `${s}/kojifiles`],
        ['topdir', L.kojiDir],
        ['authtype', 'ssl'],
        'client certificate and key (user kojiadmin)',
        ['cert', L.adminPem],
        'CA that issued the hub\'s certificate',
        ['serverca', L.serverCa],
      ],
    },
    ...(c.krbRealm
      ? [
          {
            name: 'kojits-krb',
            comment: `Kerberos login (kinit you@${c.krbRealm} first, then koji -p kojits-krb moshimoshi)`,
            entries: [
              ['server', `${s}/kojihub`],
              ['weburl', `${s}/koji`],
              ['topurl', c.httpPort > 0 ? `${p}/kojifiles` : `${s}/kojifiles`],
              ['topdir', L.kojiDir],
              ['authtype', 'kerberos'],
              ['serverca', L.serverCa],
            ] as Array<[string, string]>,
          },
        ]
      : []),
    {
      name: 'kojits-password',
      comment: `Password login over plain HTTP (e.g. koji -p kojits-password --user kojiadmin --password "$(cat ${L.adminPasswordFile})" moshimoshi)`,
      entries: [
        ['server', `${p}/kojihub`],
        ['weburl', `${p}/koji`],
        ['topurl', `${p}/kojifiles`],
        ['topdir', L.kojiDir],
        ['authtype', 'password'],
      ],
    },
  ]);
}

/**
 * Where npm start's builder keeps buildroots: in the data folder when every folder above it lets
 * others pass (builds run as an unprivileged user, which must reach the roots), else — a data
 * folder under a private home such as /root — a folder of its own under /var/tmp.
 */
export function builderMockdir(L: Pick<DataLayout, 'builderDir' | 'dataDir'>): string {
  for (let d = L.dataDir; ; d = dirname(d)) {
    let mode = 0o755;
    try {
      mode = statSync(d).mode;
    } catch {
      // not made yet: made with the usual modes
    }
    if (!(mode & 0o001)) return `/var/tmp/koji-ts-mock-${createHash('sha256').update(L.dataDir).digest('hex').slice(0, 12)}`;
    if (d === dirname(d)) return join(L.builderDir, 'mock');
  }
}
