/**
 * The generic tests of koji/policy.py (true/all, false/none, has, bool, match, match_any,
 * match_all, compare, target) with Koji's edge cases; `policy NAME` is covered in
 * engine.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { GENERIC_TESTS } from '../../../src/hub/policy/tests.ts';
import { fakeEnv, runTest } from './fake-env.ts';

const t = (expr: string, data: Record<string, unknown>) => runTest(expr, data, fakeEnv(), GENERIC_TESTS);

describe('true, all, false, none', () => {
  it('are constant and ignore arguments', async () => {
    expect(await t('true', {})).toBe(true);
    expect(await t('all', {})).toBe(true);
    expect(await t('all whatever args', {})).toBe(true);
    expect(await t('false', {})).toBe(false);
    expect(await t('none', {})).toBe(false);
  });
});

describe('has', () => {
  it('is true when the field is present, even with a null (None) value', async () => {
    expect(await t('has req_channel', { req_channel: 'x' })).toBe(true);
    expect(await t('has req_channel', { req_channel: null })).toBe(true);
    expect(await t('has req_channel', { req_channel: 0 })).toBe(true);
    expect(await t('has req_channel', {})).toBe(false);
    expect(await t('has req_channel', { req_channel: undefined })).toBe(false);
  });

  it('does not see inherited object properties', async () => {
    expect(await t('has toString', {})).toBe(false);
    expect(await t('has constructor', {})).toBe(false);
  });
});

describe('bool', () => {
  it('uses Python truthiness', async () => {
    for (const v of [true, 1, -1, 'x', [0], { a: 1 }, NaN]) expect(await t('bool f', { f: v }), String(v)).toBe(true);
    for (const v of [false, 0, '', [], {}, null, new Set()]) expect(await t('bool f', { f: v }), String(v)).toBe(false);
    expect(await t('bool f', {})).toBe(false);
  });
});

describe('match', () => {
  it('matches a field against any of the globs', async () => {
    expect(await t('match scm_host *.example.com git.*', { scm_host: 'git.fedora' })).toBe(true);
    expect(await t('match scm_host *.example.com', { scm_host: 'src.example.com' })).toBe(true);
    expect(await t('match scm_host *.example.com', { scm_host: 'example.org' })).toBe(false);
  });

  it('is false for an absent or null field and with no patterns', async () => {
    expect(await t('match scm_host *', {})).toBe(false);
    expect(await t('match scm_host *', { scm_host: null })).toBe(false);
    expect(await t('match scm_host', { scm_host: 'x' })).toBe(false);
  });

  it('is case-sensitive', async () => {
    expect(await t('match scm_type GIT', { scm_type: 'git' })).toBe(false);
  });

  it('fails for non-string values, as fnmatch raises TypeError in Koji', async () => {
    await expect(t('match tag 5', { tag: 5 })).rejects.toThrow("policy test 'match tag 5': tag must be a string");
  });
});

describe('match_any and match_all', () => {
  it('match_any: some item matches some pattern', async () => {
    expect(await t('match_any arches x86_64 aarch*', { arches: ['s390x', 'aarch64'] })).toBe(true);
    expect(await t('match_any arches x86_64', { arches: ['s390x', 'ppc64le'] })).toBe(false);
    expect(await t('match_any arches x86_64', { arches: new Set(['x86_64']) })).toBe(true);
  });

  it('match_all: every item matches some pattern', async () => {
    expect(await t('match_all arches x86_64 aarch*', { arches: ['x86_64', 'aarch64'] })).toBe(true);
    expect(await t('match_all arches x86_64', { arches: ['x86_64', 'aarch64'] })).toBe(false);
  });

  it('are false for an empty list, a missing field or a non-list value', async () => {
    for (const test of ['match_any', 'match_all']) {
      expect(await t(`${test} f *`, { f: [] })).toBe(false);
      expect(await t(`${test} f *`, {})).toBe(false);
      expect(await t(`${test} f *`, { f: 'x86_64' })).toBe(false);
      expect(await t(`${test} f *`, { f: { a: 1 } })).toBe(false);
    }
  });

  it('compare str(item), skipping None in match_any and failing on None in match_all', async () => {
    expect(await t('match_any ids 1?', { ids: [7, 12] })).toBe(true);
    expect(await t('match_any flags True', { flags: [true] })).toBe(true);
    expect(await t('match_any f *', { f: [null, 'a'] })).toBe(true);
    expect(await t('match_any f *', { f: [null] })).toBe(false);
    expect(await t('match_all f *', { f: [null, 'a'] })).toBe(false);
  });
});

describe('compare', () => {
  const cases: Array<[string, number, boolean]> = [
    ['<', 4, true], ['<', 5, false], ['>', 6, true], ['>', 5, false], ['<=', 5, true], ['<=', 6, false],
    ['>=', 5, true], ['>=', 4, false], ['=', 5, true], ['=', 4, false], ['!=', 4, true], ['!=', 5, false],
  ];
  it.each(cases)('priority %s 5 with %d is %s', async (op, value, expected) => {
    expect(await t(`compare priority ${op} 5`, { priority: value })).toBe(expected);
  });

  it('accepts Python int and float literals', async () => {
    expect(await t('compare x = 2.5', { x: 2.5 })).toBe(true);
    expect(await t('compare x = -3', { x: -3 })).toBe(true);
    expect(await t('compare x = +1_000', { x: 1000 })).toBe(true);
    expect(await t('compare x < 1e3', { x: 999 })).toBe(true);
    expect(await t('compare x < inf', { x: 1e300 })).toBe(true);
    expect(await t('compare x = 5', { x: 5.0 })).toBe(true);
  });

  it('treats booleans as 0/1 and is false for a missing field', async () => {
    expect(await t('compare flag = 1', { flag: true })).toBe(true);
    expect(await t('compare flag < 1', { flag: false })).toBe(true);
    expect(await t('compare x > 0', {})).toBe(false);
  });

  it('equality with a non-number is simply false/true, ordering fails like Python', async () => {
    expect(await t('compare x = 5', { x: '5' })).toBe(false);
    expect(await t('compare x != 5', { x: null })).toBe(true);
    await expect(t('compare x < 5', { x: null })).rejects.toThrow("'<' not supported between instances of 'NoneType' and 'int'");
    await expect(t('compare x >= 1.5', { x: 'a' })).rejects.toThrow("'>=' not supported between instances of 'str' and 'float'");
  });
});

describe('target', () => {
  it('globs data.target', async () => {
    expect(await t('target f38-* rawhide', { target: 'rawhide' })).toBe(true);
    expect(await t('target f38-*', { target: 'f38-candidate' })).toBe(true);
    expect(await t('target f38-*', { target: 'f39-candidate' })).toBe(false);
    expect(await t('target *', { target: null })).toBe(false);
    expect(await t('target *', {})).toBe(false);
  });
});
