/** The one JSON encoding of stored XML-RPC values (tag/build/rpm/archive extra): Python's json dialect. */
import { describe, expect, it } from 'vitest';
import { decodeStoredJson, encodeStoredJson } from '../../src/hub/content/stored-json.ts';
import { Binary, DateTime, Float, type XmlRpcValue } from '../../src/protocol/values.ts';

const fail = (text: string) => new Error(`bad: ${text}`);
const roundTrip = (v: XmlRpcValue) => decodeStoredJson(encodeStoredJson(v, 'x'), fail);

describe('stored JSON values', () => {
  it('writes what Python json.dumps writes (separators, ensure_ascii, NaN/Infinity)', () => {
    expect(encodeStoredJson({ a: 1, b: [true, null, 'é"\n'], c: new Float(2) }, 'x')).toBe('{"a": 1, "b": [true, null, "\\u00e9\\"\\n"], "c": 2.0}');
    expect(encodeStoredJson([NaN, Infinity, -Infinity, new Float(NaN), 1.5, 1e300], 'x')).toBe('[NaN, Infinity, -Infinity, NaN, 1.5, 1e+300]');
    expect(encodeStoredJson(9223372036854775807n, 'x')).toBe('9223372036854775807');
  });

  it('gives values back with their types: 64-bit ints, doubles, NaN and infinities', () => {
    expect(roundTrip(9223372036854775807n)).toBe(9223372036854775807n);
    expect(roundTrip(-9223372036854775808n)).toBe(-9223372036854775808n);
    expect(roundTrip(2 ** 53 + 2)).toEqual(new Float(2 ** 53 + 2));
    expect(roundTrip(new Float(2))).toEqual(new Float(2));
    expect(roundTrip(1.5)).toEqual(new Float(1.5));
    expect(roundTrip(new Float(NaN))).toEqual(new Float(NaN));
    expect(roundTrip(Infinity)).toEqual(new Float(Infinity));
    expect(roundTrip(-Infinity)).toEqual(new Float(-Infinity));
    expect(roundTrip(7)).toBe(7);
    expect(roundTrip({ s: 'ünï', l: [[], {}], n: null, t: false })).toEqual({ s: 'ünï', l: [[], {}], n: null, t: false });
  });

  it('keeps __proto__ and constructor as ordinary keys', () => {
    const v = JSON.parse('{"__proto__": {"description": "x"}, "constructor": 1}') as XmlRpcValue;
    const back = roundTrip(v) as Record<string, XmlRpcValue>;
    expect(Object.getPrototypeOf(back)).toBeNull();
    expect(Object.keys(back)).toEqual(['__proto__', 'constructor']);
    expect(back.description).toBeUndefined();
    expect(back.__proto__).toEqual({ description: 'x' });
  });

  it('reads what Koji stored (json.dumps text)', () => {
    expect(decodeStoredJson('{"rpm.macro.dist": ".el9", "n": 1.0, "big": 12345678901234567890}', fail)).toEqual({ 'rpm.macro.dist': '.el9', n: new Float(1), big: 12345678901234567890n });
    expect(decodeStoredJson(' [1 , 2 ] ', fail)).toEqual([1, 2]);
  });

  it('refuses bytes and dateTime values naming the key, and text that is not JSON', () => {
    expect(() => encodeStoredJson({ k: new Binary(Buffer.from('hi')) }, "tag extra 'e'")).toThrow(/base64 .* \(tag extra 'e', key 'k'\)/);
    expect(() => encodeStoredJson([1, new DateTime('20240101T00:00:00')], "tag extra 'e'")).toThrow(/dateTime .*key '1'/);
    expect(() => encodeStoredJson(new Date(), 'x')).toThrow(/dateTime/);
    for (const bad of ['', '{', '[1,]', '{"a" 1}', 'nul', '"x', '1 2', '{1: 2}', "'a'"]) {
      expect(() => decodeStoredJson(bad, fail), bad).toThrow(`bad: ${bad}`);
    }
  });
});
