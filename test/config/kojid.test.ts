import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { kojidLogLevel, loadKojidConfig } from '../../src/config/kojid.ts';
import { ConfigError } from '../../src/config/options.ts';
import { renderKojidConf } from '../../src/setup/configs.ts';
import { dataLayout } from '../../src/setup/layout.ts';

const dir = mkdtempSync(join(tmpdir(), 'kojidconf-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const file = (text: string) => {
  const f = join(dir, `kojid-${++n}.conf`);
  writeFileSync(f, text);
  return f;
};
const MIN = '[kojid]\nserver = https://hub.example.com/kojihub\ntopurl = https://hub.example.com/kojifiles\n';
const none = () => false;

describe('kojid.conf', () => {
  it("has kojid's defaults", () => {
    const { options } = loadKojidConfig(file(MIN), { exists: none });
    expect(options).toMatchObject({
      sleeptime: 15,
      maxjobs: 10,
      minspace: 8192,
      topdir: '/mnt/koji',
      workdir: '/var/tmp/koji',
      mockdir: '/var/lib/mock',
      mockuser: 'kojibuilder',
      host_principal_format: 'compile/%s@EXAMPLE.COM',
      keytab: '/etc/kojid/kojid.keytab',
      krb_principal: null,
      ccache: null,
      allowed_scms: '',
      log_level: null,
      admin_emails: null,
      retry_interval: 60,
      max_retries: 120,
      offline_retry: true,
      use_createrepo_c: true,
      cert: null,
      serverca: null,
      plugins: [],
      topurl: 'https://hub.example.com/kojifiles',
    });
  });

  it('converts types, takes several topurls and the plugin lists, accepts RLIMIT_* and warns about unknown keys', () => {
    const warnings: string[] = [];
    const f = file(`${MIN}topurl = http://a/files http://b/files\nmaxjobs = 3\nno_ssl_verify = yes\nplugin = one\nplugins = two three\nRLIMIT_NOFILE = 4096\nfrobnicate = 1\n`);
    const { options } = loadKojidConfig(f, { warn: (m) => warnings.push(m), exists: none });
    expect(options).toMatchObject({ maxjobs: 3, no_ssl_verify: true, topurl: 'http://a/files', topurls: ['http://a/files', 'http://b/files'], plugins: ['one', 'two', 'three'] });
    expect(warnings).toEqual([`${f}:10: unknown option frobnicate in [kojid] (ignored)`]);
  });

  it('chooses the buildroot backend: bwrap by default, fault:STEP for tests, anything else refused at its line', () => {
    expect(loadKojidConfig(file(MIN), { exists: none }).options.buildroot_backend).toBe('bwrap');
    expect(loadKojidConfig(file(`${MIN}buildroot_backend = fault:rebuild\n`), { exists: none }).options.buildroot_backend).toBe('fault:rebuild');
    const f = file(`${MIN}buildroot_backend = chroot\n`);
    expect(() => loadKojidConfig(f, { exists: none })).toThrow(`${f}:4: bad value for buildroot_backend`);
  });

  it('takes KOJITS_KOJID_<KEY> from the environment over the file', () => {
    const { options } = loadKojidConfig(file(MIN), { exists: none, env: { KOJITS_KOJID_MAX_LOAD_PER_CPU: '0', KOJITS_KOJID_MAXJOBS: '3' } });
    expect(options.max_load_per_cpu).toBe(0);
    expect(options.maxjobs).toBe(3);
  });

  it('fails on bad values naming file:line, on other sections, and without server or topurl', () => {
    let f = file(`${MIN}maxjobs = many\n`);
    expect(() => loadKojidConfig(f)).toThrow(`${f}:4: maxjobs must be an integer, got "many"`);
    f = file(`${MIN}\nsleeptime = 0\n`);
    expect(() => loadKojidConfig(f)).toThrow(`${f}:5: bad value for sleeptime`);
    f = file(`${MIN}offline_retry = perhaps\n`);
    expect(() => loadKojidConfig(f)).toThrow(ConfigError);
    f = file(`${MIN}log_level = LOUD\n`);
    expect(() => loadKojidConfig(f)).toThrow(`${f}:4: Invalid log level: LOUD`);
    f = file(`${MIN}[other]\nx = 1\n`);
    expect(() => loadKojidConfig(f)).toThrow('invalid section found in config file: other');
    expect(() => loadKojidConfig(file('[kojid]\ntopurl = http://x/\n'))).toThrow('the server option is required');
    expect(() => loadKojidConfig(file('[kojid]\nserver = http://x/kojihub\n'))).toThrow('the topurl option is required');
    expect(() => loadKojidConfig(join(dir, 'missing.conf'))).toThrow('not found');
    // command-line values win and are checked too
    expect(loadKojidConfig(file(MIN), { overrides: { maxjobs: 2 } }).options.maxjobs).toBe(2);
    expect(() => loadKojidConfig(file(MIN), { overrides: { sleeptime: 0 } })).toThrow('command line: bad value for sleeptime');
  });

  it('reads a folder of *.conf files in name order', () => {
    const d = join(dir, 'conf.d');
    mkdirSync(d);
    writeFileSync(join(d, '10-base.conf'), MIN);
    writeFileSync(join(d, '20-local.conf'), '[kojid]\nmaxjobs = 4\n');
    const c = loadKojidConfig(d);
    expect(c.options.maxjobs).toBe(4);
    expect(c.files).toHaveLength(2);
  });

  it('maps log_level (and -v/-d) to pino levels as kojid sets its logger', () => {
    expect(kojidLogLevel(null)).toBe('warn');
    expect(kojidLogLevel('DEBUG')).toBe('debug');
    expect(kojidLogLevel('WARN')).toBe('warn');
    expect(kojidLogLevel('CRITICAL')).toBe('fatal');
    expect(kojidLogLevel(null, { verbose: true })).toBe('info');
    expect(kojidLogLevel('ERROR', { debug: true })).toBe('debug');
    // kojid looks the name up on the logging module: lower case is not a level
    expect(() => kojidLogLevel('debug')).toThrow('Invalid log level: debug');
  });

  it('loads what `kojits init` writes, without warnings', () => {
    const layout = dataLayout(join(dir, 'data'));
    const text = renderKojidConf({ layout, host: 'koji.example.com', httpsPort: 8443, httpPort: 8080, listen: '127.0.0.1', builderName: 'builder1', webSubject: { O: 'koji-ts', OU: 'web', CN: 'kojiweb' }, krbRealm: null, krbKeytab: null });
    const warnings: string[] = [];
    const { options } = loadKojidConfig(file(text), { warn: (m) => warnings.push(m) });
    expect(warnings).toEqual([]);
    expect(options).toMatchObject({
      server: 'https://koji.example.com:8443/kojihub',
      topurl: 'https://koji.example.com:8443/kojifiles',
      topdir: layout.kojiDir,
      workdir: layout.builderWorkDir,
      user: 'builder1',
      cert: layout.builderPem,
      serverca: layout.caCert,
      sleeptime: 15,
      maxjobs: 10,
    });
  });
});
