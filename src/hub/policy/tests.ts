/**
 * The generic policy tests of koji/policy.py (plus the hub's `policy NAME`), which look only
 * at the policy data:
 *
 *   true, all              always true            false, none       always false
 *   has FIELD              FIELD is present (even when None/null)
 *   bool FIELD             FIELD is present and truthy (Python truthiness)
 *   match FIELD GLOB…      FIELD (a string) matches any glob; absent or None is false
 *   match_any FIELD GLOB…  FIELD is a non-empty list and some item matches some glob
 *   match_all FIELD GLOB…  FIELD is a non-empty list and every item matches some glob
 *   compare FIELD OP NUM   numeric comparison, OP one of < > <= >= = !=
 *   target GLOB…           like `match target GLOB…`
 *   policy NAME            the named policy's whole action is allow, yes or true (any case)
 *
 * Arguments are checked when the policy is parsed (Koji checks those of `has` and `compare`
 * then, the others only when the rule runs). The hub's tests are in hub-tests.ts.
 */
import { GenericError } from '../../protocol/faults.ts';
import { multiFnmatch } from '../../util/fnmatch.ts';
import { asList, hasField, parsePyNumber, pyTruthy, pyTypeName } from './py.ts';
import { pyRepr, pyStrOf } from '../../protocol/pyrepr.ts';
import type { PolicyTestFactory, PolicyTestInstance, TestRegistry } from './types.ts';

/** The first argument, or an error naming what it should be. */
export function requireArg(args: string[], what: string): string {
  if (args.length === 0 || args[0] === '') throw new Error(`missing ${what}`);
  return args[0];
}

/**
 * MatchTest's comparison: null/undefined never match; other values must be strings (Python's
 * fnmatch raises TypeError for anything else, which Koji reports as a fault).
 */
export function matchValue(text: string, what: string, value: unknown, patterns: readonly string[]): boolean {
  if (value === null || value === undefined) return false;
  if (typeof value !== 'string') {
    throw new GenericError(`policy test '${text}': ${what} must be a string to match against patterns, got ${pyRepr(value)}`);
  }
  return multiFnmatch(value, patterns);
}

/** A test that is always (or never) true; arguments are ignored. */
function constant(value: boolean): PolicyTestFactory {
  return () => ({ run: () => value });
}

/** `match FIELD GLOB…` on a fixed field (MatchTest subclasses such as `target`). */
export function fieldMatch(field: string): PolicyTestFactory {
  return (args, text) => ({
    run: (ctx) => hasField(ctx.data, field) && matchValue(text, field, ctx.data[field], args),
  });
}

/** `bool` on a fixed field (BoolTest subclasses such as `is_child_task`). */
export function fieldBool(field: string): PolicyTestFactory {
  return () => ({ run: (ctx) => hasField(ctx.data, field) && pyTruthy(ctx.data[field]) });
}

const has: PolicyTestFactory = (args) => {
  const field = requireArg(args, 'field name (has FIELD)');
  return { run: (ctx) => hasField(ctx.data, field) };
};

const bool: PolicyTestFactory = (args) => {
  const field = requireArg(args, 'field name (bool FIELD)');
  return { run: (ctx) => hasField(ctx.data, field) && pyTruthy(ctx.data[field]) };
};

const match: PolicyTestFactory = (args, text) => {
  const field = requireArg(args, 'field name (match FIELD GLOB…)');
  const patterns = args.slice(1);
  return { run: (ctx) => hasField(ctx.data, field) && matchValue(text, field, ctx.data[field], patterns) };
};

/** Items of a list field as strings (str(item)); null when the field is not a non-empty list. */
function listItems(value: unknown): unknown[] | null {
  const list = pyTruthy(value) ? asList(value) : null;
  return list && list.length ? list : null;
}

const matchAny: PolicyTestFactory = (args) => {
  const field = requireArg(args, 'field name (match_any FIELD GLOB…)');
  const patterns = args.slice(1);
  return {
    run: (ctx) => {
      const items = listItems(ctx.data[field]);
      return !!items && items.some((i) => i !== null && i !== undefined && multiFnmatch(pyStrOf(i), patterns));
    },
  };
};

const matchAll: PolicyTestFactory = (args) => {
  const field = requireArg(args, 'field name (match_all FIELD GLOB…)');
  const patterns = args.slice(1);
  return {
    run: (ctx) => {
      const items = listItems(ctx.data[field]);
      return !!items && items.every((i) => i !== null && i !== undefined && multiFnmatch(pyStrOf(i), patterns));
    },
  };
};

const OPERATORS: Record<string, (a: number, b: number) => boolean> = {
  '<': (a, b) => a < b,
  '>': (a, b) => a > b,
  '<=': (a, b) => a <= b,
  '>=': (a, b) => a >= b,
  '=': (a, b) => a === b,
  '!=': (a, b) => a !== b,
};

const compare: PolicyTestFactory = (args) => {
  if (args.length < 3) throw new Error('expected compare FIELD OP NUMBER');
  const [field, op] = args;
  const func = OPERATORS[op];
  if (!Object.hasOwn(OPERATORS, op)) throw new Error(`invalid comparison '${op}' (use one of < > <= >= = !=)`);
  const text = args.slice(2).join(' ');
  const value = args.length === 3 ? parsePyNumber(text) : null;
  if (value === null) throw new Error(`invalid number '${text}'`);
  return {
    run: (ctx) => {
      if (!hasField(ctx.data, field)) return false;
      let v = ctx.data[field];
      if (typeof v === 'boolean') v = Number(v); // Python bools are ints
      if (typeof v === 'number') return func(v, value);
      // Python: == and != work between any types, ordering raises TypeError
      if (op === '=') return false;
      if (op === '!=') return true;
      throw new GenericError(`'${op}' not supported between instances of '${pyTypeName(v)}' and '${Number.isInteger(value) ? 'int' : 'float'}'`);
    },
  };
};

/**
 * `policy NAME`: true when the named policy's action, as a whole and ignoring case, is allow,
 * yes or true (so "allow because …" is false). A policy that re-enters the same `policy`
 * test (directly or through others) fails with "encountered policy loop at policy NAME".
 */
const policy: PolicyTestFactory = (args, text) => {
  const name = requireArg(args, 'policy name (policy NAME)');
  const instance: PolicyTestInstance = {
    run: async (ctx) => {
      if (ctx.running.has(instance)) throw new GenericError(`encountered policy loop at ${text}`);
      ctx.running.add(instance);
      let result: string | null;
      try {
        result = await ctx.applyPolicy(name);
      } finally {
        ctx.running.delete(instance);
      }
      return result !== null && ['yes', 'true', 'allow'].includes(result.toLowerCase());
    },
  };
  return instance;
};

/** The tests of koji/policy.py and `policy`, by name. */
export const GENERIC_TESTS: TestRegistry = new Map<string, PolicyTestFactory>([
  ['true', constant(true)],
  ['all', constant(true)],
  ['false', constant(false)],
  ['none', constant(false)],
  ['has', has],
  ['bool', bool],
  ['match', match],
  ['match_any', matchAny],
  ['match_all', matchAll],
  ['compare', compare],
  ['target', fieldMatch('target')],
  ['policy', policy],
]);
