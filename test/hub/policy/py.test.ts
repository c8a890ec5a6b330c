/**
 * The Python-semantics helpers behind the policy engine (expectations checked against CPython).
 */
import { describe, expect, it } from 'vitest';
import { parsePyNumber, pySplit, pySplitLines, pyTruthy, splitFirstWord } from '../../../src/hub/policy/py.ts';

describe('Python helpers', () => {
  it('pySplit and splitFirstWord behave like str.split() and str.split(None, 1)', () => {
    expect(pySplit('  a \t b\n c  ')).toEqual(['a', 'b', 'c']);
    expect(pySplit('   ')).toEqual([]);
    expect(splitFirstWord('deny   you  shall not pass ')).toEqual(['deny', 'you  shall not pass ']);
    expect(splitFirstWord('allow')).toEqual(['allow', '']);
    expect(splitFirstWord('')).toEqual(['', '']);
  });

  it('pySplitLines behaves like str.splitlines()', () => {
    expect(pySplitLines('a\nb\n')).toEqual(['a', 'b']);
    expect(pySplitLines('a\n\n')).toEqual(['a', '']);
    expect(pySplitLines('')).toEqual([]);
    expect(pySplitLines('a\r\nb\rc\u2028d\x0be')).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('parsePyNumber accepts what int() then float() accept', () => {
    expect(parsePyNumber('10')).toBe(10);
    expect(parsePyNumber('-007')).toBe(-7);
    expect(parsePyNumber('1_000')).toBe(1000);
    expect(parsePyNumber('2.5')).toBe(2.5);
    expect(parsePyNumber('.5')).toBe(0.5);
    expect(parsePyNumber('5.')).toBe(5);
    expect(parsePyNumber('1e-3')).toBe(0.001);
    expect(parsePyNumber('-Infinity')).toBe(-Infinity);
    expect(parsePyNumber('nan')).toBeNaN();
    for (const bad of ['', 'x', '0x10', '1__0', '_1', '1_', '5 6', '1e', 'e3', '.']) expect(parsePyNumber(bad), bad).toBeNull();
  });

  it('pyTruthy follows bool()', () => {
    expect([0, '', [], {}, null, undefined, false, new Set(), new Map()].map(pyTruthy)).toEqual(Array(9).fill(false));
    expect([1, 'a', [0], { a: 0 }, true, NaN, new Set([0])].map(pyTruthy)).toEqual(Array(7).fill(true));
  });
});
