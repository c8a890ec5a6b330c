/**
 * The policy parser: every syntax form, comments, nesting, test argument checks and error
 * messages with policy name and line number.
 */
import { describe, expect, it } from 'vitest';
import { ALL_TESTS } from '../../../src/hub/policy/hub-tests.ts';
import { PolicySyntaxError, allActions, parsePolicy, referencedPolicies } from '../../../src/hub/policy/parse.ts';
import { GENERIC_TESTS } from '../../../src/hub/policy/tests.ts';
import type { PolicyRule } from '../../../src/hub/policy/types.ts';

const parse = (text: string) => parsePolicy('tag', text, ALL_TESTS);

function errorOf(text: string, tests = ALL_TESTS): PolicySyntaxError {
  try {
    parsePolicy('tag', text, tests);
  } catch (e) {
    expect(e).toBeInstanceOf(PolicySyntaxError);
    return e as PolicySyntaxError;
  }
  throw new Error('expected a syntax error');
}

describe('parsePolicy: rules', () => {
  it('parses a simple rule with its line, tests, arguments and action', () => {
    const p = parse('has_perm admin :: allow');
    expect(p.name).toBe('tag');
    expect(p.rules).toHaveLength(1);
    const [r] = p.rules;
    expect(r).toMatchObject({ line: 1, text: 'has_perm admin :: allow', negate: false, action: 'allow' });
    expect(r.tests.map((t) => [t.name, t.args])).toEqual([['has_perm', ['admin']]]);
  });

  it('parses && chains and keeps each test text as Koji does (spaces kept)', () => {
    const [r] = parse('  tag f3* && operation tag move  :: deny not here').rules;
    expect(r.tests.map((t) => t.name)).toEqual(['tag', 'operation']);
    expect(r.tests.map((t) => t.raw)).toEqual(['tag f3* ', ' operation tag move  ']);
    expect(r.tests[1].args).toEqual(['tag', 'move']);
    expect(r.action).toBe('deny not here');
  });

  it('parses !! as a negated rule', () => {
    const [r] = parse('has_perm admin && tag f* !! deny admins only').rules;
    expect(r.negate).toBe(true);
    expect(r.action).toBe('deny admins only');
  });

  it('splits at the last :: and only looks for !! when there is no ::', () => {
    const [a] = parse('match scm_url git::host* :: allow').rules;
    expect(a.tests[0].args).toEqual(['scm_url', 'git::host*']);
    expect(a.action).toBe('allow');
    const [b] = parse('all !! deny :: allow').rules;
    expect(b.negate).toBe(false);
    expect(b.tests[0].raw).toBe('all !! deny ');
    expect(b.action).toBe('allow');
    const [c] = parse('all :: deny no!!').rules;
    expect(c.negate).toBe(false);
    expect(c.action).toBe('deny no!!');
  });

  it('accepts tight spacing', () => {
    const [r] = parse('all::allow').rules;
    expect(r.tests[0].raw).toBe('all');
    expect(r.action).toBe('allow');
  });

  it('skips blank lines and # comments, whole-line or trailing, counting lines correctly', () => {
    const p = parse('# header\n\n   \t\nall :: allow # trailing comment\n  # indented comment\nnone :: deny');
    expect(p.rules.map((r) => [r.line, r.action])).toEqual([[4, 'allow'], [6, 'deny']]);
    expect(p.rules[0].text).toBe('all :: allow');
  });

  it('starts a comment at any #, as Koji does (even inside a pattern)', () => {
    const [r] = parse('all :: deny see bug#123').rules;
    expect(r.action).toBe('deny see bug');
    expect(errorOf('match package foo#bar :: allow').message).toContain("got 'match package foo'");
  });

  it('handles CRLF and other Python line breaks', () => {
    const p = parse('none :: a\r\nall :: b\rall :: c\n');
    expect(p.rules.map((r) => [r.line, r.action])).toEqual([[1, 'a'], [2, 'b'], [3, 'c']]);
  });

  it('gives an empty policy no rules', () => {
    expect(parse('').rules).toEqual([]);
    expect(parse('\n# nothing\n').rules).toEqual([]);
  });
});

describe('parsePolicy: nested blocks', () => {
  const text = `
tag f* :: {
    has_perm admin :: allow
    operation untag !! {
        package bash :: deny no bash
    }
    all :: deny
}
all :: allow
`;
  it('builds a tree of rules', () => {
    const p = parse(text);
    expect(p.rules).toHaveLength(2);
    const block = p.rules[0];
    expect(block.line).toBe(2);
    expect(Array.isArray(block.action)).toBe(true);
    const inner = block.action as PolicyRule[];
    expect(inner.map((r) => r.line)).toEqual([3, 4, 7]);
    expect(inner[1].negate).toBe(true);
    expect((inner[1].action as PolicyRule[])[0]).toMatchObject({ line: 5, action: 'deny no bash' });
    expect(p.rules[1]).toMatchObject({ line: 9, action: 'allow' });
  });

  it('accepts a comment after { and an indented }', () => {
    const p = parse('all :: {   # open\n  all :: allow\n    }   # close');
    expect((p.rules[0].action as PolicyRule[])[0].action).toBe('allow');
  });

  it('reports an unbalanced } with its line', () => {
    expect(errorOf('all :: allow\n}').message).toBe("policy tag, line 2: unbalanced '}' (no block is open)");
    const e = errorOf('all :: {\n all :: a\n}\n}');
    expect(e.line).toBe(4);
  });

  it('reports an unclosed { at the line that opened it', () => {
    const e = errorOf('all :: allow\nall :: {\n  all :: {\n    all :: a\n  }\n');
    expect(e.message).toBe("policy tag, line 2: unclosed '{' (no matching '}' line)");
    expect(errorOf('all :: {\n all :: {\n').line).toBe(2);
  });

  it('rejects } as an action (it must be on a line by itself)', () => {
    expect(errorOf('all :: {\nall :: }').message).toBe("policy tag, line 2: '}' must be on a line by itself");
  });
});

describe('parsePolicy: errors', () => {
  it('names unknown tests with the line number and a suggestion', () => {
    const e = errorOf('all :: allow\n\nhass_perm admin :: allow');
    expect(e.message).toBe("policy tag, line 3: unknown test 'hass_perm' (did you mean 'has_perm'?)");
    expect(e).toMatchObject({ policy: 'tag', line: 3, faultCode: 1000 });
    expect(errorOf('all && frobnicate x :: allow').message).toBe("policy tag, line 1: unknown test 'frobnicate'");
  });

  it('checks test names against the registry it is given', () => {
    expect(errorOf('has_perm admin :: allow', GENERIC_TESTS).message).toContain("unknown test 'has_perm'");
  });

  it('reports a line without :: or !!', () => {
    expect(errorOf('\nall allow').message).toBe(
      "policy tag, line 2: missing action: expected 'TEST [&& TEST …] :: ACTION' or '… !! ACTION', got 'all allow'");
  });

  it('reports an empty action', () => {
    expect(errorOf('all ::').message).toBe("policy tag, line 1: missing action after '::'");
    expect(errorOf('all !!   # nothing').message).toBe("policy tag, line 1: missing action after '!!'");
  });

  it('reports empty tests', () => {
    expect(errorOf(':: allow').message).toMatch(/^policy tag, line 1: empty test/);
    expect(errorOf('all && && true :: allow').message).toMatch(/empty test/);
    expect(errorOf('all && :: allow').message).toMatch(/empty test/);
  });

  it('reports bad test arguments at parse time', () => {
    expect(errorOf('has :: allow').message).toBe("policy tag, line 1: test 'has': missing field name (has FIELD)");
    expect(errorOf('bool :: allow').message).toContain("test 'bool': missing field name");
    expect(errorOf('match :: allow').message).toContain("test 'match': missing field name");
    expect(errorOf('match_any :: allow').message).toContain('missing field name');
    expect(errorOf('match_all :: allow').message).toContain('missing field name');
    expect(errorOf('policy :: allow').message).toContain("test 'policy': missing policy name");
    expect(errorOf('compare x < :: allow').message).toContain("test 'compare x <': expected compare FIELD OP NUMBER");
    expect(errorOf('compare x == 5 :: allow').message).toContain("invalid comparison '=='");
    expect(errorOf('compare x < five :: allow').message).toContain("invalid number 'five'");
    expect(errorOf('compare x < 5 6 :: allow').message).toContain("invalid number '5 6'");
  });

  it('accepts tests whose patterns are optional', () => {
    expect(() => parse('match field :: allow\nuser :: allow\nhas_perm :: allow\nall extra words :: allow')).not.toThrow();
  });
});

describe('allActions and referencedPolicies', () => {
  it('lists the first word of every action, nested ones included', () => {
    const p = parse('all :: {\n none :: deny nope\n all :: {\n  all :: use default\n }\n}\nall :: allow\nnone :: deny');
    expect(allActions(p).sort()).toEqual(['allow', 'deny', 'use']);
  });

  it('lists the policies named by policy tests', () => {
    const p = parse('policy a :: allow\nall :: {\n policy b && policy a :: x\n}');
    expect(referencedPolicies(p).sort()).toEqual(['a', 'b']);
  });
});
