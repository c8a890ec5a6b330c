/**
 * Where the hub listens, and later changes of ports or listen address on an existing data
 * folder: ListenAddress follows the host (localhost → 127.0.0.1) unless `listen` is given;
 * given ports and listen address replace the recorded ones and every config file that
 * mentions them is edited to match (values edited by hand are left alone and reported).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initDataDir } from '../../src/setup/init.ts';
import { dataLayout } from '../../src/setup/layout.ts';
import { resolveSettings } from '../../src/setup/settings.ts';
import { applyEdits } from '../../src/setup/reconfigure.ts';
import { parseIni } from '../../src/config/ini.ts';
import { loadHubConfig } from '../../src/config/hub.ts';

const dir = mkdtempSync(join(tmpdir(), 'kojits-reconf-'));
const L = dataLayout(dir);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ini = (file: string) => parseIni(readFileSync(file, 'utf8'), file);
const value = (file: string, section: string, key: string) => ini(file).get(section)?.values.get(key);
const record = () => JSON.parse(readFileSync(L.optionsFile, 'utf8'));

beforeAll(async () => {
  await initDataDir({ dataDir: dir });
});

describe('listen address', () => {
  it('defaults to the host, localhost meaning 127.0.0.1', () => {
    const listen = (host?: string, listen?: string) => resolveSettings({ host, listen }, null).settings.listen;
    expect(listen()).toBe('127.0.0.1');
    expect(listen('localhost')).toBe('127.0.0.1');
    expect(listen('127.0.0.1')).toBe('127.0.0.1');
    expect(listen('::1')).toBe('::1');
    expect(listen('koji.example.org')).toBe('koji.example.org');
    expect(listen('koji.example.org', '0.0.0.0')).toBe('0.0.0.0');
    expect(() => listen(undefined, 'not an address')).toThrow('option listen: "not an address" is not a valid host name or IP address');
  });

  it('is written to hub.conf and the record', () => {
    expect(loadHubConfig(L.hubConf, { env: {} }).options.ListenAddress).toBe('127.0.0.1');
    expect(record()).toEqual({ host: 'localhost', httpsPort: 8443, httpPort: 8080, listen: '127.0.0.1', builderName: 'localhost' });
  });

  it('stays 0.0.0.0 for a data folder made before it was recorded', async () => {
    const { listen: _listen, ...old } = record();
    writeFileSync(L.optionsFile, JSON.stringify(old));
    const text = readFileSync(L.hubConf, 'utf8');
    writeFileSync(L.hubConf, text.replace('ListenAddress = 127.0.0.1', 'ListenAddress = 0.0.0.0'));
    const r = await initDataDir({ dataDir: dir });
    expect(r.settings.listen).toBe('0.0.0.0');
    expect(r.changes).toEqual([]);
    expect(record().listen).toBe('0.0.0.0');
    const back = await initDataDir({ dataDir: dir, listen: '127.0.0.1' });
    expect(back.changes).toEqual([{ key: 'listen', from: '0.0.0.0', to: '127.0.0.1' }]);
    expect(back.updated).toEqual([L.hubConf]);
    expect(readFileSync(L.hubConf, 'utf8')).toBe(text);
  });
});

describe('changing ports', () => {
  it('edits every config file that names them, and the record', async () => {
    const hub = readFileSync(L.hubConf, 'utf8');
    writeFileSync(L.hubConf, hub.replace('[policy]', '[policy]\ntag =\n    all :: allow\n').replace('LoginCreatesUser = On', '# kept\nLoginCreatesUser = Off'));
    const mode = statSync(L.webConf).mode & 0o777;
    const r = await initDataDir({ dataDir: dir, httpsPort: 9443, httpPort: 9080 });
    expect(r.changes).toEqual([
      { key: 'httpsPort', from: 8443, to: 9443 },
      { key: 'httpPort', from: 8080, to: 9080 },
    ]);
    expect(r.updated).toEqual([L.hubConf, L.kojidConf, L.kojiraConf, L.webConf, L.kojiConf]);
    expect(r.warnings).toEqual([]);
    expect(r.settings).toMatchObject({ httpsPort: 9443, httpPort: 9080 });
    expect(record()).toMatchObject({ httpsPort: 9443, httpPort: 9080 });

    const o = loadHubConfig(L.hubConf, { env: {} });
    expect(o.options).toMatchObject({ HTTPSPort: 9443, HTTPPort: 9080, KojiWebURL: 'https://localhost:9443/koji', LoginCreatesUser: false });
    expect(o.policy.get('tag')?.trim()).toBe('all :: allow');
    expect(readFileSync(L.hubConf, 'utf8')).toContain('# kept\nLoginCreatesUser = Off\n');
    expect(value(L.kojiConf, 'kojits', 'server')).toBe('https://localhost:9443/kojihub');
    expect(value(L.kojiConf, 'kojits', 'topurl')).toBe('http://localhost:9080/kojifiles');
    expect(value(L.kojiConf, 'kojits-password', 'server')).toBe('http://localhost:9080/kojihub');
    expect(value(L.kojiConf, 'kojits-password', 'weburl')).toBe('http://localhost:9080/koji');
    expect(value(L.kojidConf, 'kojid', 'server')).toBe('https://localhost:9443/kojihub');
    expect(value(L.kojiraConf, 'kojira', 'server')).toBe('https://localhost:9443/kojihub');
    expect(value(L.webConf, 'web', 'kojihuburl')).toBe('https://localhost:9443/kojihub');
    expect(value(L.webConf, 'web', 'secret')).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(statSync(L.webConf).mode & 0o777).toBe(mode);

    const again = await initDataDir({ dataDir: dir, httpsPort: 9443 });
    expect(again.changes).toEqual([]);
    expect(again.updated).toEqual([]);
  });

  it('leaves a value edited by hand alone and says so', async () => {
    const conf = readFileSync(L.kojiConf, 'utf8');
    writeFileSync(L.kojiConf, conf.replace('server = https://localhost:9443/kojihub', 'server = https://proxy.example.org/kojihub'));
    const r = await initDataDir({ dataDir: dir, httpsPort: 10443 });
    expect(r.updated).toContain(L.kojiConf);
    expect(value(L.kojiConf, 'kojits', 'server')).toBe('https://proxy.example.org/kojihub');
    expect(value(L.kojiConf, 'kojits', 'weburl')).toBe('https://localhost:10443/koji');
    expect(r.warnings).toEqual([
      `${L.kojiConf}: [kojits] server reads https://proxy.example.org/kojihub, not https://localhost:9443/kojihub as written by init; left alone (the new value would be https://localhost:10443/kojihub)`,
    ]);
  });

  it('edits INI text key by key, keeping everything else', () => {
    const text = '# c\n[a]\nx = 1\n; x = 1\nX: 1\n[b]\nx = 1\r\ny=2\n';
    const r = applyEdits(text, [
      { section: 'a', key: 'x', from: '1', to: '9' },
      { section: 'b', key: 'y', from: '3', to: '4' },
      { section: 'b', key: 'z', from: '1', to: '2' },
    ]);
    expect(r.text).toBe('# c\n[a]\nx = 9\n; x = 1\nX: 9\n[b]\nx = 1\r\ny=2\n');
    expect(r.skipped.map((s) => [s.key, s.current])).toEqual([['y', '2'], ['z', null]]);
  });
});

describe('Kerberos on an existing data folder', () => {
  it('adds hub.conf keys and a kojits-krb profile when a realm is given, keeping hand edits', async () => {
    const hub = readFileSync(L.hubConf, 'utf8');
    writeFileSync(L.hubConf, hub.replace('[policy]', 'ProxyPrincipals = web/by-hand@EXAMPLE.COM\n\n[policy]'));
    const keytab = join(dir, 'etc', 'hub.keytab');
    const r = await initDataDir({ dataDir: dir, krbRealm: 'EXAMPLE.COM', krbKeytab: keytab });
    expect(r.changes).toEqual([
      { key: 'krbRealm', from: null, to: 'EXAMPLE.COM' },
      { key: 'krbKeytab', from: null, to: keytab },
    ]);
    expect(r.updated).toEqual([L.hubConf, L.kojiConf]);
    expect(r.warnings).toEqual([
      `${L.hubConf}: [hub] proxyprincipals is already set to web/by-hand@EXAMPLE.COM; left alone (init would set koji/kojiweb@EXAMPLE.COM)`,
      expect.stringContaining(`the hub's keytab ${keytab} does not exist yet`),
    ]);
    const text = readFileSync(L.hubConf, 'utf8');
    expect(text).toMatch(/\nAuthPrincipal = HTTP\/localhost@EXAMPLE\.COM\nAuthKeytab = .*\nAllowedKrbRealms = EXAMPLE\.COM\nHostPrincipalFormat = compile\/%s@EXAMPLE\.COM\n\n\[policy\]/);
    const o = loadHubConfig(L.hubConf, { env: {} });
    expect(o.options).toMatchObject({ AuthPrincipal: 'HTTP/localhost@EXAMPLE.COM', AuthKeytab: keytab, AllowedKrbRealms: 'EXAMPLE.COM', ProxyPrincipals: 'web/by-hand@EXAMPLE.COM' });
    expect(o.policy.get('tag')?.trim()).toBe('all :: allow');
    expect(value(L.kojiConf, 'kojits-krb', 'authtype')).toBe('kerberos');
    expect(value(L.kojiConf, 'kojits-krb', 'server')).toBe(value(L.kojiConf, 'kojits', 'weburl')?.replace(/koji$/, 'kojihub'));
    expect(record()).toMatchObject({ krbRealm: 'EXAMPLE.COM', krbKeytab: keytab });

    const again = await initDataDir({ dataDir: dir });
    expect(again.changes).toEqual([]);
    expect(again.settings).toMatchObject({ krbRealm: 'EXAMPLE.COM' });
  });

  it('refuses a realm or keytab that cannot be written into the configs', async () => {
    await expect(initDataDir({ dataDir: dir, krbRealm: 'EXAMPLE COM' })).rejects.toThrow(/not a Kerberos realm name/);
    await expect(initDataDir({ dataDir: dir, krbRealm: 'EXAMPLE.COM', krbKeytab: 'relative.keytab' })).rejects.toThrow(/must be an absolute path/);
  });
});
