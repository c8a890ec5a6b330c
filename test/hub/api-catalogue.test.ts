import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildRegistry, IMPLEMENTED } from '../../src/hub/api/index.ts';
import { KOJI_API } from '../../src/hub/api/koji-api.ts';

describe('method catalogue', () => {
  const registry = buildRegistry();

  it('lists exactly Koji 1.35.3 hub methods in _listapi, with the same argdesc', () => {
    const names = registry.all().filter((m) => !m.name.startsWith('kojits.')).map((m) => m.name).sort();
    expect(names).toEqual(Object.keys(KOJI_API).sort());
    for (const m of registry.all()) {
      if (m.name.startsWith('kojits.')) continue;
      expect(m.signature.text, m.name).toBe(KOJI_API[m.name]);
    }
    expect(names.length).toBe(320);
  });

  it('matches the reference file shipped with the project docs when it is present', () => {
    let ref: Record<string, string> | null;
    try {
      ref = JSON.parse(readFileSync(new URL('../../../shared/reference/koji-api-1.35.3-signatures.json', import.meta.url), 'utf8'));
    } catch {
      ref = null;
    }
    if (ref) expect(KOJI_API).toEqual(ref);
  });

  it('declares a permission or login requirement for every implemented method that writes, except session calls', () => {
    const sessionCalls = new Set(['login', 'sslLogin', 'logout', 'subsession', 'logoutChild', 'exclusiveSession', 'sharedSession']);
    for (const m of IMPLEMENTED) {
      if (!m.writes || sessionCalls.has(m.name)) continue;
      expect(m.requires, m.name).toBeTruthy();
    }
  });
});
