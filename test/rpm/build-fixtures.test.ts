/** The rpmbuild test helper: skipping only outside CI, and a clear failure without rpmbuild. */
import { describe, expect, it } from 'vitest';
import { buildFixture, skipWithoutRpmbuild } from './build-fixtures.ts';

describe('rpmbuild fixtures', () => {
  it('lets tests skip without rpmbuild only outside CI', () => {
    expect(skipWithoutRpmbuild({}, false)).toBe(true);
    expect(skipWithoutRpmbuild({ CI: 'false' }, false)).toBe(true);
    expect(skipWithoutRpmbuild({ CI: 'true' }, false)).toBe(false);
    expect(skipWithoutRpmbuild({}, true)).toBe(false);
  });

  it('fails naming what is missing when rpmbuild is not on PATH', () => {
    const path = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      expect(() => buildFixture('hello')).toThrow(/needs rpmbuild and rpm on PATH/);
    } finally {
      process.env.PATH = path;
    }
  });
});
