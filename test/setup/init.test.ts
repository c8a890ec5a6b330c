/**
 * `kojits init` on a real temporary folder: every path of the layout, file modes, idempotence
 * (a second run touches nothing), filling in only what is missing, the recorded settings, and
 * the written config files read back through the project's own readers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { createHash, X509Certificate } from 'node:crypto';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { initDataDir, type InitResult } from '../../src/setup/init.ts';
import { dataLayout } from '../../src/setup/layout.ts';
import { loadHubConfig, databaseUrl } from '../../src/config/hub.ts';
import { parseIni } from '../../src/config/ini.ts';

const OPTS = { host: 'koji.example.test', httpsPort: 18443, httpPort: 18080, builderName: 'builder1.example.test' };
/** the settings in effect: the listen address defaults to the host */
const SETTINGS = { ...OPTS, listen: 'koji.example.test', krbRealm: null, krbKeytab: null };

let dir: string;
let first: InitResult;

/** path → content hash, mode and mtime of everything under `root` */
function snapshot(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (p: string) => {
    const st = statSync(p);
    const hash = st.isDirectory() ? 'dir' : createHash('sha256').update(readFileSync(p)).digest('hex');
    out.set(p, `${hash} ${(st.mode & 0o777).toString(8)} ${st.mtimeMs}`);
    if (st.isDirectory()) for (const n of readdirSync(p)) walk(join(p, n));
  };
  walk(root);
  return out;
}

const mode = (p: string) => statSync(p).mode & 0o777;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kojits-init-'));
  first = await initDataDir({ dataDir: dir, ...OPTS });
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('initDataDir', () => {
  it('creates the whole layout', () => {
    const L = dataLayout(dir);
    const files = [
      L.caCert, L.caKey, L.hubPem, L.kojiwebPem, L.kojiraPem, L.builderPem, L.kojiadminPem,
      L.adminPem, L.adminP12, L.adminP12PasswordFile, L.serverCa, L.adminPasswordFile, L.kojiConf,
      L.hubConf, L.kojidConf, L.kojiraConf, L.webConf, L.optionsFile,
    ];
    for (const f of files) expect(statSync(f).isFile(), f).toBe(true);
    for (const d of [L.kojiDir, ...L.kojiSubdirs, L.dbDir, L.logDir, L.builderWorkDir]) expect(statSync(d).isDirectory(), d).toBe(true);
    expect(L.kojiSubdirs.map((d) => d.slice(L.kojiDir.length + 1))).toEqual(['packages', 'repos', 'repos-dist', 'work', 'scratch']);
    expect(readdirSync(L.dbDir)).toEqual([]);
    expect(first.warnings).toEqual([]);
    for (const f of files) expect(first.created).toContain(f);
    expect(first.hubConf).toBe(join(dir, 'etc', 'hub.conf'));
    expect(first.kojiConf).toBe(join(dir, 'client', 'koji.conf'));
    expect(first.adminP12).toBe(join(dir, 'client', 'admin.p12'));
    expect(first.kojiDir).toBe(join(dir, 'koji'));
    expect(first.dbDir).toBe(join(dir, 'db'));
    expect(first.settings).toEqual(SETTINGS);
  });

  it('keeps keys and secrets private', () => {
    const L = dataLayout(dir);
    for (const f of [L.caKey, L.hubPem, L.kojiwebPem, L.kojiraPem, L.builderPem, L.kojiadminPem, L.adminPem, L.adminP12, L.adminP12PasswordFile, L.adminPasswordFile, L.webConf]) {
      expect(mode(f).toString(8), f).toBe('600');
    }
    expect(mode(L.caCert) & 0o044).toBe(0o044);
  });

  it('makes a 20-character admin password and a 32-character web secret', () => {
    const text = readFileSync(first.adminPasswordFile, 'utf8');
    expect(text).toMatch(/^[A-Za-z0-9]{20}\n$/);
    expect(first.adminPassword).toBe(text.trim());
    const web = parseIni(readFileSync(first.webConf, 'utf8')).get('web')!;
    expect(web.values.get('secret')).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(web.values.get('webcert')).toBe(join(dir, 'pki', 'kojiweb.pem'));
    expect(web.values.get('kojihuburl')).toBe('https://koji.example.test:18443/kojihub');
    expect(web.values.get('loginTimeout'.toLowerCase())).toBe('72');
  });

  it('changes nothing when run again', async () => {
    const before = snapshot(dir);
    const again = await initDataDir({ dataDir: dir });
    expect(again.created).toEqual([]);
    expect(again.warnings).toEqual([]);
    expect(again.settings).toEqual(SETTINGS);
    expect(again.adminPassword).toBe(first.adminPassword);
    expect(snapshot(dir)).toEqual(before);
  });

  it('warns and keeps everything when given another host or build host name than recorded', async () => {
    const before = snapshot(dir);
    const r = await initDataDir({ dataDir: dir, host: 'other.example.test', builderName: 'b2', httpPort: 18080 });
    expect(r.created).toEqual([]);
    expect(r.changes).toEqual([]);
    expect(r.settings).toEqual(SETTINGS);
    expect(r.warnings).toHaveLength(1);
    expect(r.warnings[0]).toContain('host: recorded "koji.example.test", given "other.example.test"');
    expect(r.warnings[0]).toContain('builderName: recorded "builder1.example.test", given "b2"');
    expect(r.warnings[0]).not.toContain('httpPort:');
    expect(snapshot(dir)).toEqual(before);
  });

  it('fills in only what is missing', async () => {
    const L = dataLayout(dir);
    const keep = readFileSync(L.kojiConf, 'utf8');
    const p12pw = readFileSync(L.adminP12PasswordFile, 'utf8');
    unlinkSync(L.kojiConf);
    unlinkSync(L.adminP12);
    const kojid = readFileSync(L.kojidConf, 'utf8');
    writeFileSync(L.kojidConf, '[kojid]\n# edited by the admin\n');
    const r = await initDataDir({ dataDir: dir });
    expect(r.created.sort()).toEqual([L.adminP12, L.kojiConf].sort());
    expect(readFileSync(L.kojiConf, 'utf8')).toBe(keep);
    expect(readFileSync(L.adminP12PasswordFile, 'utf8')).toBe(p12pw);
    expect(readFileSync(L.kojidConf, 'utf8')).toBe('[kojid]\n# edited by the admin\n');
    writeFileSync(L.kojidConf, kojid);
  });

  it('writes a hub.conf that loads without warnings', () => {
    const warnings: string[] = [];
    const cfg = loadHubConfig(first.hubConf, { env: {}, warn: (m) => warnings.push(m) });
    expect(warnings).toEqual([]);
    const o = cfg.options;
    expect(o.KojiDir).toBe(join(dir, 'koji'));
    expect(o.DNUsernameComponent).toBe('CN');
    expect(o.ProxyDNs).toBe('CN=kojiweb,OU=kojiweb,O=koji-ts');
    expect(o.LoginCreatesUser).toBe(true);
    expect(o.KojiWebURL).toBe('https://koji.example.test:18443/koji');
    expect(o.ListenAddress).toBe('koji.example.test');
    expect(o.HTTPSPort).toBe(18443);
    expect(o.HTTPPort).toBe(18080);
    expect(o.SSLCertificateFile).toBe(join(dir, 'pki', 'hub.pem'));
    expect(o.SSLCACertificateFile).toBe(join(dir, 'pki', 'ca.crt'));
    expect(databaseUrl(o)).toBeNull();
    expect(cfg.policy.size).toBe(0);
  });

  it('derives ProxyDNs from the web certificate subject', () => {
    const web = new X509Certificate(readFileSync(join(dir, 'pki', 'kojiweb.pem')));
    const rfc2253 = web.subject.trim().split('\n').reverse().join(',');
    expect(loadHubConfig(first.hubConf, { env: {} }).options.ProxyDNs).toBe(rfc2253);
  });

  it('writes a koji.conf with both profiles and absolute paths', () => {
    const ini = parseIni(readFileSync(first.kojiConf, 'utf8'), first.kojiConf);
    const ssl = ini.get('kojits')!.values;
    expect(Object.fromEntries(ssl)).toEqual({
      server: 'https://koji.example.test:18443/kojihub',
      weburl: 'https://koji.example.test:18443/koji',
      topurl: 'http://koji.example.test:18080/kojifiles',
      topdir: join(dir, 'koji'),
      authtype: 'ssl',
      cert: join(dir, 'client', 'admin.pem'),
      serverca: join(dir, 'client', 'serverca.crt'),
    });
    const pw = ini.get('kojits-password')!.values;
    expect(Object.fromEntries(pw)).toEqual({
      server: 'http://koji.example.test:18080/kojihub',
      weburl: 'http://koji.example.test:18080/koji',
      topurl: 'http://koji.example.test:18080/kojifiles',
      topdir: join(dir, 'koji'),
      authtype: 'password',
    });
    for (const v of [ssl.get('topdir'), ssl.get('cert'), ssl.get('serverca')]) expect(isAbsolute(v!)).toBe(true);
  });

  it('writes kojid.conf and kojira.conf for certificate logins', () => {
    const kojid = parseIni(readFileSync(first.kojidConf, 'utf8')).get('kojid')!.values;
    expect(kojid.get('server')).toBe('https://koji.example.test:18443/kojihub');
    expect(kojid.get('topurl')).toBe('https://koji.example.test:18443/kojifiles');
    expect(kojid.get('topdir')).toBe(join(dir, 'koji'));
    expect(kojid.get('workdir')).toBe(join(dir, 'builder', 'work'));
    expect(kojid.get('cert')).toBe(join(dir, 'pki', 'builder.pem'));
    expect(kojid.get('serverca')).toBe(join(dir, 'pki', 'ca.crt'));
    expect(kojid.get('user')).toBe('builder1.example.test');
    expect(kojid.get('maxjobs')).toBe('10');
    expect(kojid.get('sleeptime')).toBe('15');
    const builder = new X509Certificate(readFileSync(join(dir, 'pki', 'builder.pem')));
    expect(builder.subject.trim()).toBe('O=koji-ts\nOU=builder\nCN=builder1.example.test');
    const kojira = parseIni(readFileSync(join(dir, 'etc', 'kojira.conf'), 'utf8')).get('kojira')!.values;
    expect(kojira.get('cert')).toBe(join(dir, 'pki', 'kojira.pem'));
    expect(kojira.get('logfile')).toBe(join(dir, 'log', 'kojira.log'));
    expect(kojira.get('topdir')).toBe(join(dir, 'koji'));
  });

  it('puts the host in the server certificate', () => {
    const hub = new X509Certificate(readFileSync(join(dir, 'pki', 'hub.pem')));
    expect(hub.subject.trim()).toBe('O=koji-ts\nOU=hub\nCN=koji.example.test');
    expect(hub.checkHost('koji.example.test')).toBe('koji.example.test');
    expect(hub.checkHost('localhost')).toBe('localhost');
    expect(hub.checkIP('::1')).toBe('::1');
  });

  it('refuses bad settings', async () => {
    const other = mkdtempSync(join(tmpdir(), 'kojits-bad-'));
    try {
      await expect(initDataDir({ dataDir: other, host: 'bad host' })).rejects.toThrow(/"bad host" is not a valid host name/);
      await expect(initDataDir({ dataDir: other, httpsPort: 70000 })).rejects.toThrow(/port must be an integer/);
      await expect(initDataDir({ dataDir: other, builderName: '../x' })).rejects.toThrow(/"\.\.\/x"/);
      await expect(initDataDir({ dataDir: join(other, '100%') })).rejects.toThrow(/must not contain '%'/);
      expect(readdirSync(other)).toEqual([]);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });
});
