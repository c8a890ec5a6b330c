/**
 * Evaluation of parsed policies (SimpleRuleSet.apply) and Koji's hub entry points check_policy,
 * assert_policy and eval_policy.
 *
 * Rules are tried in order and the first match wins. A rule's tests run lazily, one at a time,
 * stopping at the first false one. A matching `{` block is entered; when nothing inside it
 * matches, evaluation continues with the rules after the block. `!!` rules match when not all
 * tests are true. `matched` reproduces Koji's last_rule() text (shown by VerbosePolicy), e.g.
 * "has_perm admin :: ... tag f* :: allow", ending in "(no match)" when nothing matched.
 */
import { ActionNotAllowed, GenericError } from '../../protocol/faults.ts';
import type { PolicyEnv } from './env.ts';
import { policyGetUser } from './lookup.ts';
import { pyStrip, splitFirstWord } from './py.ts';
import type { ParsedPolicy, PolicyData, PolicyRule, TestContext } from './types.ts';

/** Where policy decisions are logged; a pino logger fits. */
export interface PolicyLogger {
  debug?(msg: string): void;
  info(msg: string): void;
  warn?(msg: string): void;
  error(msg: string): void;
}

const SILENT: PolicyLogger = { info() {}, error() {} };

/** The outcome of a policy whose rules matched. */
export interface PolicyResult {
  /** first word of the action, as written (e.g. "allow", "deny", "use", "DEFAULT") */
  action: string;
  /** the rest of the action text (e.g. the denial message), '' when none */
  reason: string;
  /** the whole action text */
  raw: string;
  /** the matched rule(s), as Koji's last_rule() prints them */
  matched: string;
  /** every test evaluated and its result, for debugging */
  trace: string[];
}

export interface CheckOptions {
  /** the action when no rule matches (Koji: 'deny') */
  default?: string;
  /** throw ActionNotAllowed (fault 1004) instead of returning a denial */
  strict?: boolean;
  /** let an admin override a denial (logged) */
  force?: boolean;
  /** whether the acting user is an admin; when omitted, read from the data's user via env */
  isAdmin?: boolean;
}

export interface CheckResult {
  allowed: boolean;
  /** why: the action's text after its first word, "not covered by policy", "missing policy",
   *  "error in policy" (action neither allow nor deny) or "overriden by force" (sic, Koji) */
  reason: string;
  /** the lower-cased first word of the action (or the default) */
  action: string;
  /** the matched rule(s) as Koji's last_rule() prints them ('' for a missing policy) */
  matched: string;
  trace: string[];
  /** a denial overridden by an admin's force */
  forced: boolean;
}

export interface PolicySetOptions {
  /** hub.conf MissingPolicyOk (default true): a policy that does not exist allows */
  missingPolicyOk?: boolean;
  /** hub.conf VerbosePolicy or KojiDebug: denial messages end with " [rule: …]" */
  verbose?: boolean;
  log?: PolicyLogger;
}

interface Shared {
  data: PolicyData;
  env: PolicyEnv;
  running: Set<object>;
  trace: string[];
  lookup(name: string): ParsedPolicy | undefined;
}

function lastRuleText(path: PolicyRule[], action: string | null): string {
  const parts = path.map((r) => r.tests.map((t) => t.raw).join('&&') + (r.negate ? '!! ' : ':: '));
  return parts.join('... ') + (action ?? '(no match)');
}

async function runRules(policy: string, rules: PolicyRule[], top: boolean, ctx: TestContext, path: PolicyRule[][]): Promise<string | null> {
  for (const rule of rules) {
    // like Koji, the record of matched rules restarts with each top-level rule
    if (top) path[0] = [];
    let value = true;
    for (const test of rule.tests) {
      const ok = await test.instance.run(ctx);
      ctx.trace(`${policy}:${rule.line}: ${pyStrip(test.raw)} -> ${ok}`);
      if (!ok) {
        value = false;
        break;
      }
    }
    if (rule.negate) value = !value;
    if (!value) continue;
    path[0].push(rule);
    if (typeof rule.action === 'string') {
      ctx.trace(`${policy}:${rule.line}: matched${rule.negate ? ' (!!)' : ''}, action: ${rule.action}`);
      return rule.action;
    }
    ctx.trace(`${policy}:${rule.line}: matched${rule.negate ? ' (!!)' : ''}, entering block`);
    const inner = await runRules(policy, rule.action, false, ctx, path);
    if (inner !== null) return inner;
    ctx.trace(`${policy}:${rule.line}: no match in block, continuing`);
  }
  return null;
}

async function apply(policy: ParsedPolicy, sh: Shared): Promise<{ action: string | null; matched: string }> {
  const ctx: TestContext = {
    data: sh.data,
    env: sh.env,
    running: sh.running,
    trace: (line) => sh.trace.push(line),
    applyPolicy: async (name) => {
      const other = sh.lookup(name);
      if (!other) throw new GenericError(`no such policy: ${name}`);
      return (await apply(other, sh)).action;
    },
  };
  const path: PolicyRule[][] = [[]];
  const action = await runRules(policy.name, policy.rules, true, ctx, path);
  if (action === null) sh.trace.push(`${policy.name}: no rule matched`);
  return { action, matched: lastRuleText(path[0], action) };
}

/** A set of parsed policies by name, with the hub's policy options. */
export class PolicySet {
  readonly policies: ReadonlyMap<string, ParsedPolicy>;
  readonly options: Readonly<Required<Omit<PolicySetOptions, 'log'>>> & { log: PolicyLogger };

  constructor(policies: ReadonlyMap<string, ParsedPolicy>, options: PolicySetOptions = {}) {
    this.policies = policies;
    this.options = {
      missingPolicyOk: options.missingPolicyOk ?? true,
      verbose: options.verbose ?? false,
      log: options.log ?? SILENT,
    };
  }

  has(name: string): boolean {
    return this.policies.has(name);
  }

  get(name: string): ParsedPolicy | undefined {
    return this.policies.get(name);
  }

  names(): string[] {
    return [...this.policies.keys()];
  }

  private shared(data: PolicyData, env: PolicyEnv): Shared {
    return { data, env, running: new Set(), trace: [], lookup: (n) => this.policies.get(n) };
  }

  /**
   * Apply the named policy (eval_policy): the first matching rule's action, or null when no
   * rule matched. Throws GenericError "no such policy: NAME" when the policy does not exist.
   */
  async evaluate(name: string, data: PolicyData, env: PolicyEnv): Promise<PolicyResult | null> {
    const policy = this.policies.get(name);
    if (!policy) throw new GenericError(`no such policy: ${name}`);
    const sh = this.shared(data, env);
    const { action, matched } = await apply(policy, sh);
    if (action === null) return null;
    const [first, reason] = splitFirstWord(action);
    return { action: first, reason, raw: action, matched, trace: sh.trace };
  }

  /** check_policy: see checkPolicy. */
  check(name: string, data: PolicyData, env: PolicyEnv, opts: CheckOptions = {}): Promise<CheckResult> {
    return checkPolicy(this, name, data, env, opts);
  }

  /** assert_policy: check with strict, so a denial throws ActionNotAllowed. */
  async assert(name: string, data: PolicyData, env: PolicyEnv, opts: Omit<CheckOptions, 'strict'> = {}): Promise<void> {
    await checkPolicy(this, name, data, env, { ...opts, strict: true });
  }
}

/**
 * Koji's check_policy. Only the action `allow` (any case) allows; `deny` denies; any other
 * action denies with reason "error in policy" (logged). A missing policy allows when
 * MissingPolicyOk, else denies ("missing policy"); no matching rule gives `opts.default`
 * ("deny") with reason "not covered by policy". With `force`, an admin overrides a denial.
 * With `strict`, a denial throws ActionNotAllowed "policy violation (NAME)[: reason]" plus
 * " [rule: …]" when the set is verbose.
 */
export async function checkPolicy(set: PolicySet, name: string, data: PolicyData, env: PolicyEnv, opts: CheckOptions = {}): Promise<CheckResult> {
  const { log } = set.options;
  const policy = set.get(name);
  let result: string;
  let reason: string;
  let matched = '';
  let trace: string[] = [];
  if (!policy) {
    result = set.options.missingPolicyOk ? 'allow' : 'deny';
    reason = 'missing policy';
  } else {
    const sh: Shared = { data, env, running: new Set(), trace, lookup: (n) => set.get(n) };
    const applied = await apply(policy, sh);
    trace = sh.trace;
    matched = applied.matched;
    if (applied.action === null) {
      result = opts.default ?? 'deny';
      reason = 'not covered by policy';
    } else {
      const [first, rest] = splitFirstWord(applied.action);
      result = first.toLowerCase();
      reason = rest;
    }
  }
  log.debug?.(`policy ${name} gave ${result}, reason: ${reason}, last rule: ${matched}`);
  const out = (allowed: boolean, why: string, forced = false): CheckResult => ({ allowed, reason: why, action: result, matched, trace, forced });
  if (result === 'allow') return out(true, reason);
  if (result !== 'deny') {
    reason = 'error in policy';
    log.error(`Invalid action in policy ${name}, rule: ${matched}`);
  }
  if (opts.force) {
    let admin = opts.isAdmin;
    let who = 'admin';
    if (admin === undefined) {
      const user = await policyGetUser(data, env);
      admin = user !== null && (await env.userPerms(user.id)).includes('admin');
      if (user) who = user.name;
    }
    if (admin) {
      log.info(`Policy ${name} overriden by force: ${who}${reason ? `: ${reason}` : ''}`);
      return out(true, 'overriden by force', true);
    }
  }
  if (!opts.strict) return out(false, reason);
  let msg = `policy violation (${name})`;
  if (reason) msg += `: ${reason}`;
  if (set.options.verbose) msg += ` [rule: ${matched}]`;
  throw new ActionNotAllowed(msg);
}
