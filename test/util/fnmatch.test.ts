/**
 * fnmatch against Python's fnmatch.fnmatch on Linux. The expectations below were produced once
 * with CPython 3.11 (`fnmatch.fnmatch(name, pattern)`); the test itself does not run Python.
 */
import { describe, expect, it } from 'vitest';
import { fnmatch, multiFnmatch } from '../../src/util/fnmatch.ts';

// [name, pattern, fnmatch.fnmatch(name, pattern)]
const PYTHON_RESULTS: Array<[string, string, boolean]> = [
  ["bash", "bash", true],
  ["bash", "Bash", false],
  ["bash", "b*", true],
  ["bash", "*sh", true],
  ["bash", "*", true],
  ["", "*", true],
  ["", "", true],
  ["a", "", false],
  ["", "?", false],
  ["a/b", "a*", true],
  ["a/b", "a?b", true],
  ["a\nb", "a?b", true],
  ["a\nb", "a*", true],
  ["f38-build", "f3?-*", true],
  ["f38", "f3[0-9]", true],
  ["f3a", "f3[0-9]", false],
  ["f3a", "f3[!0-9]", true],
  ["f35", "f3[!0-9]", false],
  ["]", "[]]", true],
  ["a", "[]a]", true],
  ["b", "[]a]", false],
  ["!", "[!]", false],
  ["[!]", "[!]", true],
  ["x", "[!]x]", false],
  ["]", "[!]x]", false],
  ["y", "[!]x]", true],
  ["[", "[", true],
  ["[abc", "[abc", true],
  ["a", "[abc", false],
  ["-", "[a-]", true],
  ["a", "[a-]", true],
  ["b", "[a-]", false],
  ["-", "[-a]", true],
  ["b", "[-a]", false],
  ["-", "[!-a]", false],
  ["b", "[!-a]", true],
  ["b", "[a-c-e]", true],
  ["-", "[a-c-e]", true],
  ["d", "[a-c-e]", false],
  ["e", "[a-c-e]", true],
  ["a", "[z-a]", false],
  ["z", "[z-a]", false],
  ["a", "[!z-a]", true],
  ["q", "[!z-a]", true],
  ["b", "[bz-ac]", true],
  ["c", "[bz-ac]", true],
  ["m", "[bz-ac]", false],
  ["\\", "[\\]", true],
  ["\\", "\\", true],
  ["a\\b", "a\\b", true],
  ["*", "\\*", false],
  ["\\x", "\\*", true],
  ["^", "[^a]", true],
  ["b", "[^a]", false],
  ["a", "[^a]", true],
  ["&", "[&&]", true],
  ["|", "[a|b]", true],
  ["~", "[~]", true],
  ["abcabc", "*abc", true],
  ["abcab", "*abc", false],
  ["aaa", "a*a*a", true],
  ["aa", "a*a*a", false],
  ["mississippi", "m*iss*ppi", true],
  ["mississippi", "m*is*sip*", true],
  ["x.y", "*.*", true],
  ["xy", "*.*", false],
  ["é", "?", true],
  ["€", "[€]", true],
  ["😀", "?", true],
  ["😀x", "??", true],
  ["Δ", "[Α-Ω]", true],
  ["bash", "ba[sz]h", true],
  ["bazh", "ba[sz]h", true],
  ["bash", "ba[!sz]h", false],
  ["foo-1.0", "foo-[0-9]*", true],
  ["a]", "a]", true],
  ["a", "[a", false],
  ["[a]", "[[]a]", true],
  ["[", "[[]", true],
  ["a-b", "a[-]b", true],
  ["a]b", "a[]]b", true],
  ["ab", "a[]]b", false],
  ["3", "[1-35]", true],
  ["4", "[1-35]", false],
  ["5", "[1-35]", true],
  ["!", "[!!]", false],
  ["a", "[!!]", true],
  ["%", "[$-*]", true],
  ["+", "[$-*]", false],
  ["-", "[+--]", true],
  [",", "[+--]", true],
  [".", "[+--]", false],
  ["Z", "[a-z]", false],
];

describe('fnmatch (Python semantics)', () => {
  it.each(PYTHON_RESULTS)('fnmatch(%j, %j) is %s', (name, pattern, expected) => {
    expect(fnmatch(name, pattern)).toBe(expected);
  });

  it('is case-sensitive and anchored at both ends', () => {
    expect(fnmatch('BASH', 'bash')).toBe(false);
    expect(fnmatch('xbash', 'bash')).toBe(false);
    expect(fnmatch('bashx', 'bash')).toBe(false);
  });

  it('lets * cross slashes and match the empty string', () => {
    expect(fnmatch('/mnt/koji/packages/a/b', '/mnt/*/b')).toBe(true);
    expect(fnmatch('ab', 'a*b')).toBe(true);
    expect(fnmatch('ab', 'a**b')).toBe(true);
  });

  it('treats regular-expression characters literally', () => {
    expect(fnmatch('a.b', 'a.b')).toBe(true);
    expect(fnmatch('axb', 'a.b')).toBe(false);
    expect(fnmatch('a+b(c)', 'a+b(c)')).toBe(true);
    expect(fnmatch('$x^', '$x^')).toBe(true);
    expect(fnmatch('a{1}', 'a{1}')).toBe(true);
  });

  it('handles long inputs without catastrophic backtracking', () => {
    const name = 'a'.repeat(5000);
    expect(fnmatch(name, '*a*a*a*a*a*a*a*b')).toBe(false);
    expect(fnmatch(name + 'b', '*a*a*a*a*a*a*a*b')).toBe(true);
  });

  it('caches compiled patterns without changing results', () => {
    for (let i = 0; i < 1100; i++) expect(fnmatch(`pkg${i}`, `pkg${i}`)).toBe(true);
    expect(fnmatch('pkg1', 'pkg[0-9]')).toBe(true);
  });

  it('multiFnmatch is true when any pattern matches', () => {
    expect(multiFnmatch('f38-build', ['f37-*', 'f38-*'])).toBe(true);
    expect(multiFnmatch('f39-build', ['f37-*', 'f38-*'])).toBe(false);
    expect(multiFnmatch('anything', [])).toBe(false);
  });
});
