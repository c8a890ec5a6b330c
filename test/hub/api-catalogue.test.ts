import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildRegistry, IMPLEMENTED } from '../../src/hub/api/index.ts';
import { KOJI_API, KOJITS_API } from '../../src/protocol/api.ts';

/**
 * Method name → argument signature (argdesc) of every method a stock Koji 1.35.3 hub lists in
 * `_listapi`: the facts of the project's reference file koji-api-1.35.3-signatures.json (read
 * from a running hub), kept here so that the check always runs.
 */
const STOCK_SIGNATURES = JSON.parse(readFileSync(new URL('../fixtures/koji-api-1.35.3.json', import.meta.url), 'utf8')) as Record<string, string>;

describe('method catalogue', () => {
  const registry = buildRegistry();

  it('lists exactly Koji 1.35.3 hub methods in _listapi, with the same argdesc', () => {
    const names = registry.all().filter((m) => !m.name.startsWith('kojits.')).map((m) => m.name).sort();
    expect(names).toEqual(Object.keys(KOJI_API).sort());
    for (const m of registry.all()) {
      if (m.name.startsWith('kojits.')) continue;
      expect(m.signature.text, m.name).toBe((KOJI_API as Record<string, string>)[m.name]);
    }
    expect(names.length).toBe(320);
  });

  it('declares every koji-ts extension the hub serves, with its signature, for clients', () => {
    const ours = registry.all().filter((m) => m.name.startsWith('kojits.'));
    expect(Object.fromEntries(ours.map((m) => [m.name, m.signature.text]))).toEqual(KOJITS_API);
  });

  it('has exactly the names and signatures a stock Koji 1.35.3 hub lists', () => {
    expect(KOJI_API).toEqual(STOCK_SIGNATURES);
  });

  it('declares a permission or login requirement for every implemented method that writes, except session calls', () => {
    const sessionCalls = new Set(['login', 'sslLogin', 'logout', 'subsession', 'logoutChild', 'exclusiveSession', 'sharedSession']);
    for (const m of IMPLEMENTED) {
      if (!m.writes || sessionCalls.has(m.name)) continue;
      expect(m.requires, m.name).toBeTruthy();
    }
  });
});
