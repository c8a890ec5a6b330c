import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadKojiraConfig } from '../../src/config/kojira.ts';
import { ConfigError } from '../../src/config/options.ts';
import { renderKojiraConf } from '../../src/setup/configs.ts';
import { dataLayout } from '../../src/setup/layout.ts';

const dir = mkdtempSync(join(tmpdir(), 'kojiraconf-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const file = (text: string) => {
  const f = join(dir, `kojira-${++n}.conf`);
  writeFileSync(f, text);
  return f;
};
const MIN = '[kojira]\nserver = https://hub.example.com/kojihub\n';
const none = () => false;

describe('kojira.conf', () => {
  it("has kojira's defaults", () => {
    const o = loadKojiraConfig(file(MIN), { exists: none });
    expect(o).toMatchObject({
      sleeptime: 15,
      topdir: '/mnt/koji',
      max_delete_processes: 4,
      repo_lifetime: 604800,
      dist_repo_lifetime: 604800,
      expired_repo_lifetime: 604800,
      init_timeout: 7200,
      recheck_period: 3600,
      reference_recheck_period: 3600,
      check_external_repos: true,
      ignore_stray_repos: false,
      follow_tag_changes: true,
      cert: null,
      principal: null,
      keytab: '/etc/kojira/kojira.keytab',
      ccache: null,
    });
  });

  it('takes deleted_repo_lifetime as the old name of expired_repo_lifetime, with a warning', () => {
    const warnings: string[] = [];
    const o = loadKojiraConfig(file(`${MIN}deleted_repo_lifetime = 60\nrecheck_period = 10\n`), { exists: none, warn: (m) => warnings.push(m) });
    expect(o.expired_repo_lifetime).toBe(60);
    expect(o.reference_recheck_period).toBe(10);
    expect(warnings.join('\n')).toContain('deleted_repo_lifetime option is deprecated');
    const both = loadKojiraConfig(file(`${MIN}deleted_repo_lifetime = 60\nexpired_repo_lifetime = 70\n`), { exists: none, warn: () => undefined });
    expect(both.expired_repo_lifetime).toBe(70);
  });

  it('warns about keys kojira 1.35 no longer uses, and refuses bad values and sections', () => {
    const warnings: string[] = [];
    loadKojiraConfig(file(`${MIN}max_repo_tasks = 10\nignore_tags = foo*\n`), { exists: none, warn: (m) => warnings.push(m) });
    expect(warnings).toHaveLength(2);
    expect(warnings.join('\n')).toMatch(/:3: the max_repo_tasks configuration option is no longer used/);
    expect(warnings.join('\n')).toMatch(/:4: the ignore_tags configuration option is no longer used/);
    expect(() => loadKojiraConfig(file(`${MIN}sleeptime = soon\n`), { exists: none })).toThrow(/sleeptime must be an integer/);
    expect(() => loadKojiraConfig(file(`${MIN}[other]\nx = 1\n`), { exists: none })).toThrow(ConfigError);
    expect(() => loadKojiraConfig(file('[kojira]\ntopdir = /x\n'), { exists: none })).toThrow(/server option is required/);
  });

  it('loads what `kojits init` writes, without warnings', () => {
    const layout = dataLayout(join(dir, 'data'));
    const text = renderKojiraConf({ layout, host: 'koji.example.com', httpsPort: 8443, httpPort: 8080, listen: '127.0.0.1', builderName: 'builder1', webSubject: { O: 'koji-ts', OU: 'web', CN: 'kojiweb' }, krbRealm: null, krbKeytab: null });
    const warnings: string[] = [];
    const o = loadKojiraConfig(file(text), { warn: (m) => warnings.push(m) });
    expect(warnings).toEqual([]);
    expect(o).toMatchObject({ server: 'https://koji.example.com:8443/kojihub', topdir: layout.kojiDir, cert: layout.kojiraPem, serverca: layout.caCert });
  });
});
