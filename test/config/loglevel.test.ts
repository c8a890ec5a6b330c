/** hub.conf's LogLevel, as Koji reads it, mapped to pino levels: one function for every hub. */
import { describe, expect, it } from 'vitest';
import { readHubOptions } from '../../src/config/hub.ts';
import { parseIni } from '../../src/config/ini.ts';
import { hubLogLevel } from '../../src/config/loglevel.ts';

const levelOf = (text: string, kojiDebug = false) => hubLogLevel({ ...readHubOptions(parseIni(`[hub]\n${text}\n`, 'hub.conf')), KojiDebug: kojiDebug });

describe('LogLevel', () => {
  it('maps Koji\'s level names to pino\'s, WARNING by default', () => {
    expect(hubLogLevel(readHubOptions(new Map()))).toBe('warn');
    expect(levelOf('LogLevel = DEBUG')).toBe('debug');
    expect(levelOf('LogLevel = INFO')).toBe('info');
    expect(levelOf('LogLevel = ERROR')).toBe('error');
    expect(levelOf('LogLevel = CRITICAL')).toBe('fatal');
    expect(levelOf('LogLevel = warning')).toBe('warn');
  });

  it('takes the main level of logger:LEVEL pairs, and DEBUG under KojiDebug', () => {
    expect(levelOf('LogLevel = koji.db:DEBUG ERROR')).toBe('error');
    expect(levelOf('LogLevel = :INFO koji.auth:DEBUG')).toBe('info');
    expect(levelOf('LogLevel = koji.db:DEBUG')).toBe('warn');
    expect(levelOf('LogLevel = ERROR', true)).toBe('debug');
  });

  it('refuses names that are no level, as Koji does', () => {
    expect(() => levelOf('LogLevel = LOUD')).toThrow('bad value for LogLevel: Invalid log level: LOUD');
    expect(() => levelOf('LogLevel = koji.db:VERBOSE')).toThrow('Invalid log level: VERBOSE');
  });
});
