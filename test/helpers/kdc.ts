/**
 * A throwaway MIT Kerberos KDC for one test run: realm EXAMPLE.COM in a temporary directory
 * (database made with kdb5_util, principals and keytabs with kadmin.local), krb5kdc on a loopback
 * port, no DNS. `env` is what a process needs to use it (KRB5_CONFIG, a replay cache of the
 * run's own); tickets are got with the real kinit. Stopped by pid.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { bundlePem, createCA, issueCert, type CertAndKey } from '../../src/setup/pki.ts';
import { freePort } from './hub-process.ts';

const run = promisify(execFile);

export const REALM = 'EXAMPLE.COM';

/** Debian's krb5 programs live in /usr/sbin; tests skip (or fail under CI) without them. */
export function kdcAvailable(): boolean {
  return existsSync('/usr/sbin/krb5kdc') && existsSync('/usr/sbin/kadmin.local') && existsSync('/usr/bin/kinit');
}

export interface Kdc {
  dir: string;
  port: number;
  /** KRB5_CONFIG, KRB5_KDC_PROFILE and KRB5RCACHEDIR of this run */
  env: Record<string, string>;
  addPrincipal(name: string, password?: string): Promise<void>;
  /** export keys of `principals` into a keytab file (keeping their key version) */
  keytab(file: string, ...principals: string[]): Promise<string>;
  /** a credentials cache holding a ticket for `principal` (password or keytab) */
  kinit(principal: string, o: { password?: string; keytab?: string; lifetime?: string; ccache?: string }): Promise<string>;
  disablePrincipal(name: string): Promise<void>;
  stop(): Promise<void>;
}

function waitForPort(port: number, child: ChildProcess, ms: number): Promise<void> {
  const until = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      if (child.exitCode !== null) return reject(new Error(`krb5kdc exited with ${child.exitCode}`));
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve();
      });
      s.once('error', () => {
        s.destroy();
        if (Date.now() > until) reject(new Error(`krb5kdc did not listen on 127.0.0.1:${port} within ${ms} ms`));
        else setTimeout(attempt, 50);
      });
    };
    attempt();
  });
}

/**
 * Start the KDC. With `useInThisProcess`, this process's environment points at it (kdc.env) until
 * stop(), which then puts back the environment as it was before start (KRB5CCNAME and the
 * other variables tests set meanwhile included).
 */
export async function startKdc(o: { useInThisProcess?: boolean } = {}): Promise<Kdc> {
  const before = o.useInThisProcess ? { ...process.env } : null;
  const dir = mkdtempSync(join(tmpdir(), 'kojits-kdc-'));
  const port = await freePort();
  const krb5conf = join(dir, 'krb5.conf');
  const kdcconf = join(dir, 'kdc.conf');
  const rcache = join(dir, 'rcache');
  await mkdir(rcache);
  writeFileSync(
    krb5conf,
    `[libdefaults]
  default_realm = ${REALM}
  dns_lookup_kdc = false
  dns_lookup_realm = false
  rdns = false
  dns_canonicalize_hostname = false
  udp_preference_limit = 1
  clockskew = 1
[realms]
  ${REALM} = {
    kdc = 127.0.0.1:${port}
    admin_server = 127.0.0.1:${port}
  }
[domain_realm]
  localhost = ${REALM}
  127.0.0.1 = ${REALM}
`,
  );
  writeFileSync(
    kdcconf,
    `[kdcdefaults]
  kdc_ports = ${port}
  kdc_tcp_ports = ${port}
  kdc_listen = 127.0.0.1:${port}
  kdc_tcp_listen = 127.0.0.1:${port}
[realms]
  ${REALM} = {
    database_name = ${join(dir, 'principal')}
    key_stash_file = ${join(dir, 'stash')}
    acl_file = ${join(dir, 'kadm5.acl')}
    max_life = 10h 0m 0s
    supported_enctypes = aes256-cts-hmac-sha1-96:normal aes128-cts-hmac-sha1-96:normal
  }
`,
  );
  writeFileSync(join(dir, 'kadm5.acl'), '');
  const env = { KRB5_CONFIG: krb5conf, KRB5_KDC_PROFILE: kdcconf, KRB5RCACHEDIR: rcache };
  const opts = { env: { ...process.env, ...env }, cwd: dir };
  await run('/usr/sbin/kdb5_util', ['-r', REALM, 'create', '-s', '-P', 'kdc-master-password'], opts);
  const child = spawn('/usr/sbin/krb5kdc', ['-n', '-r', REALM], { ...opts, stdio: 'ignore' });
  // a test process that dies without stop() (a crash, a timeout) takes the KDC with it
  const reap = () => {
    if (child.exitCode === null && child.pid) process.kill(child.pid, 'SIGKILL');
  };
  process.once('exit', reap);
  await waitForPort(port, child, 10_000);
  if (before) Object.assign(process.env, env);
  const kadmin = (q: string) => run('/usr/sbin/kadmin.local', ['-r', REALM, '-q', q], opts);
  let n = 0;
  return {
    dir,
    port,
    env,
    async addPrincipal(name, password) {
      // the kadmin query is one string: names and passwords of tests never hold quotes
      await kadmin(password ? `addprinc -pw "${password}" ${name}` : `addprinc -randkey ${name}`);
    },
    async keytab(file, ...principals) {
      await kadmin(`ktadd -norandkey -k ${file} ${principals.join(' ')}`);
      return file;
    },
    async kinit(principal, o) {
      const ccache = o.ccache ?? `FILE:${join(dir, `cc-${++n}`)}`;
      const args = [...(o.lifetime ? ['-l', o.lifetime] : []), ...(o.keytab ? ['-k', '-t', o.keytab] : []), principal];
      await new Promise<void>((resolve, reject) => {
        const k = spawn('/usr/bin/kinit', args, { env: { ...process.env, ...env, KRB5CCNAME: ccache }, stdio: ['pipe', 'ignore', 'pipe'] });
        let err = '';
        k.stderr.on('data', (d: Buffer) => (err += d.toString()));
        k.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`kinit ${principal} failed: ${err.trim()}`))));
        k.stdin.end(o.password ? `${o.password}\n` : '');
      });
      return ccache;
    },
    async disablePrincipal(name) {
      await kadmin(`modprinc -allow_tix ${name}`);
    },
    async stop() {
      process.off('exit', reap);
      if (child.exitCode === null && child.pid) {
        const gone = new Promise((r) => child.once('exit', r));
        process.kill(child.pid, 'SIGTERM');
        await Promise.race([gone, new Promise((r) => setTimeout(r, 5000))]);
        if (child.exitCode === null) process.kill(child.pid, 'SIGKILL');
      }
      rmSync(dir, { recursive: true, force: true });
      if (before) {
        for (const k of Object.keys(process.env)) if (!(k in before)) delete process.env[k];
        Object.assign(process.env, before);
      }
    },
  };
}

/**
 * A CA (`dir`/ca.crt) and a hub certificate for `localhost` (`dir`/hub.pem): Kerberos clients ask
 * for HTTP@<the URL's host>, so hubs that take Negotiate are reached as https://localhost:….
 */
export async function localhostTls(dir: string): Promise<{ ca: string; cert: string; authority: CertAndKey }> {
  const authority = await createCA({ subject: { O: 'koji-ts', OU: 'ca', CN: 'test CA' } });
  const ca = join(dir, 'ca.crt');
  writeFileSync(ca, authority.certPem);
  const server = await issueCert({ ca: authority, subject: { O: 'koji-ts', OU: 'hub', CN: 'localhost' }, usage: 'server', altNames: [{ dns: 'localhost' }, { ip: '127.0.0.1' }] });
  const cert = join(dir, 'hub.pem');
  writeFileSync(cert, bundlePem(server));
  return { ca, cert, authority };
}
