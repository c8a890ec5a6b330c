import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { databaseUrl, loadHubConfig, readHubOptions } from '../../src/config/hub.ts';
import { parseIni } from '../../src/config/ini.ts';
import { ConfigError } from '../../src/config/options.ts';

describe('hub.conf', () => {
  it('has Koji defaults', () => {
    const o = readHubOptions(new Map());
    expect(o).toMatchObject({ KojiDir: '/mnt/koji', DNUsernameComponent: 'CN', LoginCreatesUser: true, CheckClientIP: true, SessionRenewalTimeout: 1440, MaxRequestLength: 4194304, MissingPolicyOk: true, RegexNameInternal: '^[A-Za-z0-9/_.+-]+$', MaxJobs: 15 });
  });

  it('converts types, warns about unknown keys and fails on bad values naming the key', () => {
    const warnings: string[] = [];
    const o = readHubOptions(parseIni('[hub]\nMaxRequestLength = 100\nLockOut = yes\nFrobnicate = 1\nRLIMIT_AS = 1000\n', 'hub.conf'), { warn: (m) => warnings.push(m) });
    expect(o.MaxRequestLength).toBe(100);
    expect(o.LockOut).toBe(true);
    expect(warnings).toEqual(['hub.conf:4: unknown option Frobnicate in [hub] (ignored)']);
    expect(() => readHubOptions(parseIni('[hub]\nMaxRequestLength = lots\n', 'hub.conf'))).toThrow('hub.conf:2: MaxRequestLength must be an integer, got "lots"');
    expect(() => readHubOptions(parseIni('[hub]\nLockOut = perhaps\n', 'hub.conf'))).toThrow(ConfigError);
    expect(() => readHubOptions(parseIni('[hub]\nHTTPSPort = 70000\n', 'hub.conf'))).toThrow('bad value for HTTPSPort');
    expect(() => readHubOptions(parseIni('[hub]\nRegexNameInternal = [oops\n', 'hub.conf'))).toThrow('RegexNameInternal is not a valid regular expression');
  });

  it('takes environment overrides as KOJITS_HUB_<KEY>', () => {
    const o = readHubOptions(parseIni('[hub]\nKojiDir = /a\n'), { env: { KOJITS_HUB_KOJIDIR: '/b', KOJITS_HUB_LOCKOUT: 'true' } });
    expect(o.KojiDir).toBe('/b');
    expect(o.LockOut).toBe(true);
    expect(() => readHubOptions(new Map(), { env: { KOJITS_HUB_MAXJOBS: 'x' } })).toThrow('environment KOJITS_HUB_MAXJOBS: MaxJobs must be an integer');
  });

  it('reads hub.conf.d and the [policy] section', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hubconf-'));
    const f = join(dir, 'hub.conf');
    writeFileSync(f, '[hub]\nKojiDir = /x\n[policy]\ntag =\n  all :: allow\n');
    mkdirSync(`${f}.d`);
    writeFileSync(join(`${f}.d`, '10-more.conf'), '[hub]\nKojiDir = /y\n');
    const cfg = loadHubConfig(f);
    expect(cfg.options.KojiDir).toBe('/y');
    expect(cfg.policy.get('tag')).toBe('\nall :: allow');
    expect(cfg.files).toHaveLength(2);
    expect(() => loadHubConfig(join(dir, 'missing.conf'))).toThrow('run `kojits init`');
  });

  it('builds a database URL from DB* keys or DBConnectionString; none means PGlite', () => {
    expect(databaseUrl(readHubOptions(new Map()))).toBeNull();
    expect(databaseUrl(readHubOptions(parseIni('[hub]\nDBName = koji\nDBUser = koji\nDBPass = s3cr:t\nDBHost = db.example.com\nDBPort = 5433\n')))).toBe('postgres://koji:s3cr%3At@db.example.com:5433/koji');
    expect(databaseUrl(readHubOptions(parseIni("[hub]\nDBConnectionString = dbname=koji user=koji host=/var/run/postgresql\n")))).toBe('postgres://koji@localhost/koji?host=%2Fvar%2Frun%2Fpostgresql');
    expect(databaseUrl(readHubOptions(parseIni('[hub]\nDBConnectionString = postgres://a@b/c\n')))).toBe('postgres://a@b/c');
  });
});
