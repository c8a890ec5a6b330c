import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { clientConfigFiles, loadClientConfig } from '../../src/config/client.ts';

describe('koji.conf profiles', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kojiconf-'));
  const file = join(dir, 'koji.conf');
  writeFileSync(file, '[koji]\nserver = https://hub.example.com/kojihub\nmax_retries = 3\nanon_retry = yes\nuser = ignored\n[other]\nserver = http://x/kojihub\nauthtype = password\ncert = ~/my.pem\n');

  it('reads a profile with Koji defaults and types', () => {
    const c = loadClientConfig('koji', file);
    expect(c).toMatchObject({ profile: 'koji', server: 'https://hub.example.com/kojihub', max_retries: 3, anon_retry: true, topdir: '/mnt/koji', weburl: 'http://localhost/koji', timeout: 43200, use_fast_upload: true });
  });

  it('expands ~ in paths', () => {
    const c = loadClientConfig('other', file);
    expect(c.cert).toMatch(/^\/.*\/my\.pem$/);
    expect(c.authtype).toBe('password');
  });

  it('fails clearly for a missing profile, a missing -c file and bad values', () => {
    expect(() => loadClientConfig('nope', file)).toThrow('no configuration for profile name: nope');
    expect(() => loadClientConfig('koji', join(dir, 'absent.conf'))).toThrow("can't be opened");
    const bad = join(dir, 'bad.conf');
    writeFileSync(bad, '[koji]\nmax_retries = many\n');
    expect(() => loadClientConfig('koji', bad)).toThrow('max_retries must be an integer');
  });

  it('with -c reads only that file after the system files', () => {
    const files = clientConfigFiles(file);
    expect(files[files.length - 1]).toBe(file);
    expect(files.some((f) => f.includes('.koji'))).toBe(false);
  });
});
