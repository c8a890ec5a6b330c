/**
 * Shared types of the policy engine: policy data, the test plug-in interface (a factory that
 * reads a test's arguments at parse time and returns a runnable instance, like Koji's
 * BaseSimpleTest subclasses), the parsed rule AST and the evaluation context.
 */
import type { PolicyEnv } from './env.ts';

/** The data a policy is checked against, e.g. {tag, build, user_id, package, operation}. */
export type PolicyData = Record<string, unknown>;

/** What a test sees while it runs. */
export interface TestContext {
  readonly data: PolicyData;
  readonly env: PolicyEnv;
  /** Test instances currently running in this evaluation (loop guard for `policy NAME`). */
  readonly running: Set<object>;
  /**
   * Apply another policy to the same data (for `policy NAME`); resolves to its raw action or
   * null when no rule matched; throws GenericError "no such policy: NAME".
   */
  applyPolicy(name: string): Promise<string | null>;
  /** Append a line to the evaluation trace. */
  trace(line: string): void;
}

/** A test as it appears in one place of one rule, with its arguments already read. */
export interface PolicyTestInstance {
  run(ctx: TestContext): boolean | Promise<boolean>;
}

/**
 * Reads a test's arguments (the words after its name) when the policy is parsed; throws an
 * Error whose message explains bad arguments (reported with policy name and line).
 * `text` is the test as written, e.g. "match scm_host *.example.com".
 */
export type PolicyTestFactory = (args: string[], text: string) => PolicyTestInstance;

/** The tests a policy may use, by name. */
export type TestRegistry = ReadonlyMap<string, PolicyTestFactory>;

/** One test of a rule. */
export interface ParsedTest {
  name: string;
  args: string[];
  /** the test's text exactly as between `&&` separators (Koji's str(test), spaces kept) */
  raw: string;
  instance: PolicyTestInstance;
}

/** One rule: tests, negation and either an action or a nested block of rules. */
export interface PolicyRule {
  /** 1-based line number in the policy text */
  line: number;
  /** the rule's text without comment, trimmed */
  text: string;
  tests: ParsedTest[];
  /** `!!` rule: the action applies when not all tests are true */
  negate: boolean;
  /** the action text (trimmed), or the rules of a `{ … }` block */
  action: string | PolicyRule[];
}

/** A parsed policy. */
export interface ParsedPolicy {
  name: string;
  rules: PolicyRule[];
}
