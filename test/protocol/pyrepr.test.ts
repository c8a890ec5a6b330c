/**
 * Python's repr() and str() of decoded values (expectations checked against CPython 3.11).
 */
import { describe, expect, it } from 'vitest';
import { pyFloatRepr, pyRepr, pyStr, pyStrOf } from '../../src/protocol/pyrepr.ts';
import { Binary, Float } from '../../src/protocol/values.ts';

describe('Python repr', () => {
  it('quotes and escapes strings as repr() does', () => {
    expect(pyRepr('x')).toBe("'x'");
    expect(pyRepr("it's")).toBe('"it\'s"');
    expect(pyStr('say "hi" it\'s')).toBe("'say \"hi\" it\\'s'");
    expect(pyStr('a\nb\tc\\')).toBe("'a\\nb\\tc\\\\'");
    expect(pyStr('\x00\x7f\x85\u200b\u00e9 \u{1f600}')).toBe("'\\x00\\x7f\\x85\\u200bé 😀'");
  });

  it('writes floats in Python\'s shortest form', () => {
    const cases: Array<[number, string]> = [
      [1e16, '1e+16'], [1e15, '1000000000000000.0'], [0.0001, '0.0001'], [1e-5, '1e-05'], [-0, '-0.0'], [2, '2.0'],
      [1.5e300, '1.5e+300'], [0.1 + 0.2, '0.30000000000000004'], [-2.5e-7, '-2.5e-07'], [NaN, 'nan'], [-Infinity, '-inf'],
    ];
    for (const [n, want] of cases) expect(pyFloatRepr(n), String(n)).toBe(want);
    expect(pyRepr(new Float(3))).toBe('3.0');
    expect(pyRepr(1.5)).toBe('1.5');
    expect(pyRepr(7)).toBe('7');
    expect(pyRepr(1e21)).toBe('1000000000000000000000');
  });

  it('formats containers: dicts in their key order unless sorted, sets, bytes, None/True/False', () => {
    expect(pyRepr({ b: 1, a: [null, true, false] })).toBe("{'b': 1, 'a': [None, True, False]}");
    expect(pyRepr({ b: 1, a: 2 }, { sortDicts: true })).toBe("{'a': 2, 'b': 1}");
    expect(pyRepr(new Set())).toBe('set()');
    expect(pyRepr(new Set([1, 2]))).toBe('{1, 2}');
    expect(pyRepr(new Binary(Buffer.from([0x61, 0x27, 0x62, 0x00, 0xff])))).toBe('b"a\'b\\x00\\xff"');
    expect(pyRepr(undefined)).toBe('None');
  });

  it('gives str() of strings unquoted and of anything else its repr', () => {
    expect(pyStrOf('x')).toBe('x');
    expect(pyStrOf(false)).toBe('False');
    expect(pyStrOf(['x'])).toBe("['x']");
  });
});
