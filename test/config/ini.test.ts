import { describe, expect, it } from 'vitest';
import { IniError, parseBool, parseIni } from '../../src/config/ini.ts';

describe('INI reader (configparser semantics)', () => {
  it('reads sections, = and : separators, case-insensitive keys and comments', () => {
    const ini = parseIni('# top\n[hub]\nDBName = koji\nKojiDir: /mnt/koji\n; note\n  # indented comment\nLockOut=On\n', 'hub.conf');
    const hub = ini.get('hub')!;
    expect(hub.values.get('dbname')).toBe('koji');
    expect(hub.values.get('kojidir')).toBe('/mnt/koji');
    expect(hub.values.get('lockout')).toBe('On');
    expect(hub.spelled.get('dbname')).toBe('DBName');
    expect(hub.where.get('lockout')).toBe('hub.conf:7');
  });

  it('joins indented continuation lines (multi-line policy rules)', () => {
    const ini = parseIni('[policy]\ntag =\n    has_perm admin :: allow\n    # a comment\n\n    all :: deny\nother = x\n');
    expect(ini.get('policy')!.values.get('tag')).toBe('\nhas_perm admin :: allow\n\nall :: deny');
    expect(ini.get('policy')!.values.get('other')).toBe('x');
  });

  it('feeds [DEFAULT] values to every section', () => {
    const ini = parseIni('[DEFAULT]\ntopdir = /srv/koji\n[a]\nserver = x\n[b]\ntopdir = /other\n');
    expect(ini.get('a')!.values.get('topdir')).toBe('/srv/koji');
    expect(ini.get('b')!.values.get('topdir')).toBe('/other');
  });

  it('later files override earlier ones when parsed into the same map', () => {
    const ini = parseIni('[koji]\nserver = a\nweburl = w\n', 'one');
    parseIni('[koji]\nserver = b\n', 'two', ini);
    expect(ini.get('koji')!.values.get('server')).toBe('b');
    expect(ini.get('koji')!.values.get('weburl')).toBe('w');
  });

  it('names the file and line of a bad line', () => {
    expect(() => parseIni('[hub]\nthis line is wrong\n', 'hub.conf')).toThrow(IniError);
    expect(() => parseIni('[hub]\nthis line is wrong\n', 'hub.conf')).toThrow('hub.conf:2: cannot parse line');
    expect(() => parseIni('key = value\n', 'x.conf')).toThrow('x.conf:1: option "key" appears before any [section] header');
  });

  it('parses booleans like configparser', () => {
    for (const t of ['1', 'yes', 'True', 'on', 'ON']) expect(parseBool(t)).toBe(true);
    for (const f of ['0', 'no', 'false', 'Off']) expect(parseBool(f)).toBe(false);
    expect(parseBool('maybe')).toBeUndefined();
  });
});
