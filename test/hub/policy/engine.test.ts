/**
 * Rule evaluation (first match, blocks, !!, lazy async tests, last_rule text), `policy NAME`
 * with its loop guard, eval_policy and check_policy/assert_policy semantics.
 */
import { describe, expect, it } from 'vitest';
import { ActionNotAllowed } from '../../../src/protocol/faults.ts';
import { checkPolicy } from '../../../src/hub/policy/engine.ts';
import { ALL_TESTS } from '../../../src/hub/policy/hub-tests.ts';
import type { PolicyTestFactory, TestRegistry } from '../../../src/hub/policy/types.ts';
import { fakeEnv, policySet } from './fake-env.ts';

/** ALL_TESTS plus `probe NAME yes|no [ms]`, which records its name and may resolve late. */
function probing(): { tests: TestRegistry; seen: string[] } {
  const seen: string[] = [];
  const probe: PolicyTestFactory = (args) => ({
    run: async () => {
      if (args[2]) await new Promise((r) => setTimeout(r, Number(args[2])));
      seen.push(args[0]);
      return args[1] === 'yes';
    },
  });
  return { tests: new Map([...ALL_TESTS, ['probe', probe]]), seen };
}

const env = fakeEnv();

describe('rule evaluation', () => {
  it('returns the first matching rule, split into action and reason', async () => {
    const set = policySet({ p: 'none :: first\nall :: deny   you shall not pass\nall :: allow' });
    const r = await set.evaluate('p', {}, env);
    expect(r).toMatchObject({ action: 'deny', reason: 'you shall not pass', raw: 'deny   you shall not pass', matched: 'all :: deny   you shall not pass' });
  });

  it('returns null when no rule matches', async () => {
    expect(await policySet({ p: 'none :: allow' }).evaluate('p', {}, env)).toBeNull();
    expect(await policySet({ p: '' }).evaluate('p', {}, env)).toBeNull();
  });

  it('throws for an unknown policy', async () => {
    await expect(policySet({}).evaluate('nope', {}, env)).rejects.toThrow('no such policy: nope');
  });

  it('requires every test of a rule (&&)', async () => {
    const set = policySet({ p: 'has a && has b :: both\nhas a :: only a' });
    expect((await set.evaluate('p', { a: 1, b: 1 }, env))?.action).toBe('both');
    expect((await set.evaluate('p', { a: 1 }, env))?.action).toBe('only');
  });

  it('applies !! when not all tests are true', async () => {
    const set = policySet({ p: 'has a && has b !! deny incomplete\nall :: allow' });
    expect((await set.evaluate('p', { a: 1 }, env))?.raw).toBe('deny incomplete');
    expect((await set.evaluate('p', {}, env))?.raw).toBe('deny incomplete');
    expect((await set.evaluate('p', { a: 1, b: 2 }, env))?.raw).toBe('allow');
  });

  it('enters a matching block and falls through to the following rules when nothing inside matches', async () => {
    const set = policySet({
      p: `
has tag :: {
    match tag f* :: {
        match op tag :: allow fedora
    }
    match tag el* :: deny rhel
}
has op :: op-only
all :: default
`,
    });
    const action = async (data: Record<string, unknown>) => (await set.evaluate('p', data, env))?.raw;
    expect(await action({ tag: 'f38', op: 'tag' })).toBe('allow fedora');
    expect(await action({ tag: 'f38', op: 'untag' })).toBe('op-only'); // inner block fell through, outer too
    expect(await action({ tag: 'f38' })).toBe('default');
    expect(await action({ tag: 'el9' })).toBe('deny rhel');
    expect(await action({ op: 'x' })).toBe('op-only');
  });

  it('supports negated blocks', async () => {
    const set = policySet({ p: 'has_perm admin !! {\n  all :: deny not admin\n}\nall :: allow' });
    const e = fakeEnv({ users: [{ id: 1, name: 'u', usertype: 0 }], perms: { 1: ['admin'] } });
    expect((await set.evaluate('p', { user_id: 1 }, e))?.raw).toBe('allow');
    expect((await set.evaluate('p', { user_id: 2 }, e))?.raw).toBe('deny not admin');
  });

  it('stops at the first false test and awaits tests one at a time', async () => {
    const { tests, seen } = probing();
    const set = policySet({ p: 'probe a yes 20 && probe b no && probe c yes :: x\nprobe d yes 5 && probe e yes :: y' }, tests);
    expect((await set.evaluate('p', {}, env))?.raw).toBe('y');
    expect(seen).toEqual(['a', 'b', 'd', 'e']);
  });

  it('stops at the first matching rule', async () => {
    const { tests, seen } = probing();
    await policySet({ p: 'probe a yes :: x\nprobe b yes :: y' }, tests).evaluate('p', {}, env);
    expect(seen).toEqual(['a']);
  });

  it('records a trace of every test and decision', async () => {
    const r = await policySet({ p: 'has a :: {\n  has b :: x\n}\nall :: y' }).evaluate('p', { a: 1 }, env);
    expect(r?.trace).toEqual([
      'p:1: has a -> true',
      'p:1: matched, entering block',
      'p:2: has b -> false',
      'p:1: no match in block, continuing',
      'p:4: all -> true',
      'p:4: matched, action: y',
    ]);
  });
});

describe('matched rule text (Koji last_rule)', () => {
  const matched = async (text: string, data: Record<string, unknown> = {}) => {
    const set = policySet({ p: text });
    return (await checkPolicy(set, 'p', data, env)).matched;
  };

  it('prints a simple or negated rule as written', async () => {
    expect(await matched('all :: allow')).toBe('all :: allow');
    expect(await matched('none !! allow')).toBe('none !! allow');
    expect(await matched('has_perm admin&&none !! deny x', {})).toBe('has_perm admin&&none !! deny x');
    expect(await matched('all::allow')).toBe('all:: allow');
  });

  it('joins nested rules with "... "', async () => {
    expect(await matched('all :: {\n  all :: {\n    all :: allow\n  }\n}')).toBe('all :: ... all :: ... all :: allow');
  });

  it('ends in (no match) and keeps a matched block of the last top-level rule', async () => {
    expect(await matched('none :: allow')).toBe('(no match)');
    expect(await matched('all :: {\n  none :: allow\n}')).toBe('all :: (no match)');
  });

  it('keeps an inner block that fell through, as Koji does', async () => {
    expect(await matched('all :: {\n  all :: {\n    none :: x\n  }\n  all :: y\n}')).toBe('all :: ... all :: ... all :: y');
    expect(await matched('all :: {\n  none :: x\n}\nall :: y')).toBe('all :: y');
  });
});

describe('policy NAME', () => {
  it('is true for a whole action of allow, yes or true in any case', async () => {
    for (const action of ['allow', 'yes', 'true', 'ALLOW', 'Yes']) {
      const set = policySet({ inner: `all :: ${action}`, outer: 'policy inner :: ok\nall :: no' });
      expect((await set.evaluate('outer', {}, env))?.action, action).toBe('ok');
    }
  });

  it('is false for deny, for an allow with a reason and when nothing matches', async () => {
    for (const inner of ['all :: deny', 'all :: allow because', 'none :: allow', '']) {
      const set = policySet({ inner, outer: 'policy inner :: ok\nall :: no' });
      expect((await set.evaluate('outer', {}, env))?.action, inner).toBe('no');
    }
  });

  it('sees the same data and env', async () => {
    const set = policySet({ inner: 'match package b* :: yes', outer: 'policy inner && has tag :: ok' });
    expect((await set.evaluate('outer', { package: 'bash', tag: 'x' }, env))?.action).toBe('ok');
    expect(await set.evaluate('outer', { package: 'zsh', tag: 'x' }, env)).toBeNull();
  });

  it('includes the inner policy in the trace', async () => {
    const set = policySet({ inner: 'all :: yes', outer: 'policy inner :: ok' });
    expect((await set.evaluate('outer', {}, env))?.trace).toEqual([
      'inner:1: all -> true', 'inner:1: matched, action: yes', 'outer:1: policy inner -> true', 'outer:1: matched, action: ok',
    ]);
  });

  it('fails at run time for a policy that does not exist', async () => {
    await expect(policySet({ outer: 'policy ghost :: ok' }).evaluate('outer', {}, env)).rejects.toThrow('no such policy: ghost');
  });

  it('fails clearly (no stack overflow) for a policy that refers to itself', async () => {
    const set = policySet({ a: 'policy a :: allow' });
    await expect(set.evaluate('a', {}, env)).rejects.toThrow('encountered policy loop at policy a');
  });

  it('detects loops through other policies', async () => {
    const set = policySet({ a: 'has x :: deny\npolicy b :: allow', b: 'policy c :: allow', c: 'all :: {\n policy a :: allow\n}' });
    await expect(set.check('a', {}, env, { strict: true })).rejects.toThrow('encountered policy loop at policy b');
  });

  it('allows the same policy to be used more than once when it is not a loop', async () => {
    const set = policySet({ admin: 'has_perm admin :: allow', p: 'policy admin && has x :: one\npolicy admin :: two\nall :: three' });
    const e = fakeEnv({ users: [{ id: 1, name: 'root', usertype: 0 }], perms: { 1: ['admin'] } });
    expect((await set.evaluate('p', { user_id: 1 }, e))?.action).toBe('two');
    expect((await set.evaluate('p', { user_id: 1 }, e))?.action).toBe('two');
  });
});

describe('checkPolicy', () => {
  const logs: string[] = [];
  const log = { info: (m: string) => logs.push(`info ${m}`), error: (m: string) => logs.push(`error ${m}`) };
  const users = fakeEnv({
    users: [{ id: 1, name: 'alice', usertype: 0 }, { id: 2, name: 'bob', usertype: 0 }],
    perms: { 1: ['admin'], 2: ['repo'] },
    sessionUser: 2,
  });
  const set = policySet({
    tag: 'match tag f* :: deny no fedora tags\nmatch tag allow* :: Allow\nmatch tag yes* :: yes\nmatch tag plain* :: deny',
  }, ALL_TESTS, { log });

  it('allows only the action allow (any case)', async () => {
    expect(await set.check('tag', { tag: 'allowed' }, users)).toMatchObject({ allowed: true, reason: '', action: 'allow', forced: false });
  });

  it('treats any action other than allow/deny as an error in the policy (denied, logged)', async () => {
    logs.length = 0;
    expect(await set.check('tag', { tag: 'yes' }, users)).toMatchObject({ allowed: false, reason: 'error in policy', action: 'yes' });
    expect(logs).toEqual(['error Invalid action in policy tag, rule: match tag yes* :: yes']);
  });

  it('returns a denial with its reason, or the default with "not covered by policy"', async () => {
    expect(await set.check('tag', { tag: 'f38' }, users)).toMatchObject({ allowed: false, reason: 'no fedora tags', matched: 'match tag f* :: deny no fedora tags' });
    expect(await set.check('tag', { tag: 'el9' }, users)).toMatchObject({ allowed: false, reason: 'not covered by policy', action: 'deny', matched: '(no match)' });
    expect(await set.check('tag', { tag: 'el9' }, users, { default: 'allow' })).toMatchObject({ allowed: true, reason: 'not covered by policy' });
  });

  it('throws ActionNotAllowed (1004) with Koji\'s wording when strict', async () => {
    const err = await set.check('tag', { tag: 'f38' }, users, { strict: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ActionNotAllowed);
    expect(err).toMatchObject({ faultCode: 1004, message: 'policy violation (tag): no fedora tags' });
    await expect(set.check('tag', { tag: 'plain' }, users, { strict: true })).rejects.toThrow(/^policy violation \(tag\)$/);
    await expect(set.assert('tag', { tag: 'el9' }, users)).rejects.toThrow('policy violation (tag): not covered by policy');
    await expect(set.assert('tag', { tag: 'allowed' }, users)).resolves.toBeUndefined();
  });

  it('appends the matched rule when verbose (VerbosePolicy/KojiDebug)', async () => {
    const verbose = policySet({ tag: 'all :: {\n match tag f* :: deny no fedora tags\n}' }, ALL_TESTS, { verbose: true });
    await expect(verbose.assert('tag', { tag: 'f38' }, users)).rejects.toThrow(
      'policy violation (tag): no fedora tags [rule: all :: ... match tag f* :: deny no fedora tags]');
    await expect(verbose.assert('tag', { tag: 'el9' }, users)).rejects.toThrow(
      'policy violation (tag): not covered by policy [rule: all :: (no match)]');
    await expect(verbose.assert('other', {}, users)).resolves.toBeUndefined();
  });

  it('allows a missing policy when MissingPolicyOk (default), else denies', async () => {
    expect(await set.check('dist_repo', {}, users)).toMatchObject({ allowed: true, reason: 'missing policy', matched: '' });
    const strictSet = policySet({}, ALL_TESTS, { missingPolicyOk: false, verbose: true });
    expect(await strictSet.check('dist_repo', {}, users)).toMatchObject({ allowed: false, reason: 'missing policy' });
    await expect(strictSet.assert('dist_repo', {}, users)).rejects.toThrow('policy violation (dist_repo): missing policy [rule: ]');
  });

  it('lets an admin force past a denial, logging it', async () => {
    logs.length = 0;
    const r = await set.check('tag', { tag: 'f38', user_id: 1 }, users, { strict: true, force: true });
    expect(r).toMatchObject({ allowed: true, reason: 'overriden by force', forced: true, action: 'deny' });
    expect(logs).toEqual(['info Policy tag overriden by force: alice: no fedora tags']);
  });

  it('does not let a non-admin force, and uses the session user when data has no user_id', async () => {
    await expect(set.check('tag', { tag: 'f38', user_id: 2 }, users, { strict: true, force: true })).rejects.toThrow('policy violation (tag)');
    await expect(set.check('tag', { tag: 'f38' }, users, { strict: true, force: true })).rejects.toThrow('policy violation (tag)');
    expect(await set.check('tag', { tag: 'f38' }, fakeEnv({ users: [{ id: 1, name: 'alice', usertype: 0 }], perms: { 1: ['admin'] }, sessionUser: 1 }), { force: true }))
      .toMatchObject({ allowed: true, forced: true });
    expect(await set.check('tag', { tag: 'f38' }, fakeEnv(), { force: true })).toMatchObject({ allowed: false });
  });

  it('trusts isAdmin when given', async () => {
    const e = fakeEnv({ users: [{ id: 1, name: 'alice', usertype: 0 }], perms: { 1: ['admin'] } });
    expect(await set.check('tag', { tag: 'f38', user_id: 1 }, e, { force: true, isAdmin: false })).toMatchObject({ allowed: false });
    expect(await set.check('tag', { tag: 'f38' }, e, { force: true, isAdmin: true })).toMatchObject({ allowed: true, forced: true });
    expect(e.calls.filter((c) => c.startsWith('userPerms'))).toEqual([]);
  });

  it('does not need force for an allowed action, nor consult the user for it', async () => {
    const e = fakeEnv();
    expect(await set.check('tag', { tag: 'allowed' }, e, { force: true })).toMatchObject({ allowed: true, forced: false });
    expect(e.calls).toEqual([]);
  });

  it('returns the trace', async () => {
    const r = await set.check('tag', { tag: 'f38' }, users);
    expect(r.trace).toEqual(['tag:1: match tag f* -> true', 'tag:1: matched, action: deny no fedora tags']);
  });
});
