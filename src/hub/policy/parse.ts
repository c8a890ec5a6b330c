/**
 * Parser of Koji's policy language (koji.policy.SimpleRuleSet), one rule per line:
 *
 *   test [args] [&& test [args] …] :: action      action when every test is true
 *   test [args] [&& test [args] …] !! action      action when not every test is true
 *   test … :: {                                   nested block, closed by a line holding only }
 *   # comment                                     a # anywhere starts a comment
 *
 * There is no `||`. Like Koji, the separator is the LAST `::` on the line, and `!!` only counts
 * when the line has no `::`. Test arguments are read at parse time by each test's factory, so
 * unknown tests and bad arguments are reported when the hub starts, with the policy name and
 * the 1-based line number ("policy tag, line 3: unknown test 'hass_perm'").
 *
 * Stricter than Koji (which would only fail later, or behave oddly): an empty action, an empty
 * test, and a `}` used as an action are rejected.
 */
import { KojiError } from '../../protocol/faults.ts';
import { pySplit, pySplitLines, pyStrip, splitFirstWord } from './py.ts';
import type { ParsedPolicy, ParsedTest, PolicyRule, TestRegistry } from './types.ts';

/** A policy that cannot be parsed. Fault code 1000 (GenericError), like Koji's. */
export class PolicySyntaxError extends KojiError {
  readonly policy: string;
  readonly line: number;
  readonly problem: string;
  constructor(policy: string, line: number, problem: string) {
    super(`policy ${policy}, line ${line}: ${problem}`);
    this.policy = policy;
    this.line = line;
    this.problem = problem;
  }
}

/** Edit distance, to suggest the intended test name for a typo. */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length];
}

function unknownTest(name: string, tests: TestRegistry): string {
  let best: string | null = null;
  let bestDist = Infinity;
  for (const known of tests.keys()) {
    const d = distance(name, known);
    if (d < bestDist) {
      best = known;
      bestDist = d;
    }
  }
  const hint = best !== null && bestDist <= Math.max(1, Math.floor(name.length / 3)) ? ` (did you mean '${best}'?)` : '';
  return `unknown test '${name}'${hint}`;
}

function parseTest(raw: string, tests: TestRegistry, fail: (problem: string) => never): ParsedTest {
  const words = pySplit(raw);
  if (words.length === 0) fail("empty test (expected 'TEST [ARGS]' between '&&' separators)");
  const [name, ...args] = words;
  const factory = tests.get(name);
  if (!factory) fail(unknownTest(name, tests));
  try {
    return { name, args, raw, instance: factory(args, pyStrip(raw)) };
  } catch (e) {
    fail(`test '${pyStrip(raw)}': ${(e as Error).message}`);
  }
}

/**
 * Parse a policy's text. `tests` are the test names the policy may use. Throws
 * PolicySyntaxError naming the policy and line of the first problem.
 */
export function parsePolicy(name: string, text: string, tests: TestRegistry): ParsedPolicy {
  const top: PolicyRule[] = [];
  let cursor = top;
  const stack: Array<{ outer: PolicyRule[]; opener: PolicyRule }> = [];
  const lines = pySplitLines(text);
  for (let idx = 0; idx < lines.length; idx++) {
    const lineNo = idx + 1;
    const fail: (problem: string) => never = (problem) => {
      throw new PolicySyntaxError(name, lineNo, problem);
    };
    const hash = lines[idx].indexOf('#');
    const line = pyStrip(hash >= 0 ? lines[idx].slice(0, hash) : lines[idx]);
    if (line === '') continue;
    if (line === '}') {
      const open = stack.pop();
      if (!open) fail("unbalanced '}' (no block is open)");
      else cursor = open.outer;
      continue;
    }
    let negate = false;
    let pos = line.lastIndexOf('::');
    if (pos < 0) {
      pos = line.lastIndexOf('!!');
      if (pos < 0) fail(`missing action: expected 'TEST [&& TEST …] :: ACTION' or '… !! ACTION', got '${line}'`);
      negate = true;
    }
    const sep = negate ? '!!' : '::';
    const action = pyStrip(line.slice(pos + 2));
    if (action === '') fail(`missing action after '${sep}'`);
    if (action === '}') fail("'}' must be on a line by itself");
    const parsedTests = line.slice(0, pos).split('&&').map((seg) => parseTest(seg, tests, fail));
    const rule: PolicyRule = { line: lineNo, text: line, tests: parsedTests, negate, action };
    cursor.push(rule);
    if (action === '{') {
      const inner: PolicyRule[] = [];
      rule.action = inner;
      stack.push({ outer: cursor, opener: rule });
      cursor = inner;
    }
  }
  const unclosed = stack.pop();
  if (unclosed) {
    throw new PolicySyntaxError(name, unclosed.opener.line, "unclosed '{' (no matching '}' line)");
  }
  return { name, rules: top };
}

/** Koji's all_actions(): the distinct first words of every action in the policy. */
export function allActions(policy: ParsedPolicy): string[] {
  const seen = new Set<string>();
  const walk = (rules: PolicyRule[]): void => {
    for (const r of rules) {
      if (typeof r.action === 'string') seen.add(splitFirstWord(r.action)[0]);
      else walk(r.action);
    }
  };
  walk(policy.rules);
  return [...seen];
}

/** The names of the policies a policy refers to with `policy NAME` tests. */
export function referencedPolicies(policy: ParsedPolicy): string[] {
  const names = new Set<string>();
  const walk = (rules: PolicyRule[]): void => {
    for (const r of rules) {
      for (const t of r.tests) if (t.name === 'policy' && t.args[0]) names.add(t.args[0]);
      if (typeof r.action !== 'string') walk(r.action);
    }
  };
  walk(policy.rules);
  return [...names];
}
