/**
 * Koji's built-in policies (kojixmlrpc's defaults, same rules and messages) and start-up
 * loading: the hub.conf [policy] section replaces a default of the same name, everything is
 * parsed once, and any syntax error stops the hub with the policy name and line.
 *
 * `tag` and `dist_repo` have no default: with MissingPolicyOk (the default) they allow.
 * Note that a policy configured with an empty text exists and, matching nothing, denies.
 */
import { KojiError } from '../../protocol/faults.ts';
import { PolicySet, type PolicySetOptions } from './engine.ts';
import { PolicySyntaxError, parsePolicy, referencedPolicies } from './parse.ts';
import type { ParsedPolicy, TestRegistry } from './types.ts';

const ADMIN_ONLY = `
has_perm admin :: allow
all :: deny Only admin can do this via default policy
`;

/** Policy name → rule text, used when hub.conf does not configure that policy. */
export const DEFAULT_POLICIES: Readonly<Record<string, string>> = Object.freeze({
  build_rpm: `
all :: allow
`,
  build_from_srpm: ADMIN_ONLY,
  build_from_repo_id: ADMIN_ONLY,
  build_from_scm: `
has_perm admin :: allow
# match scm_type CVS CVS+SSH && match scm_host scm.example.com && match scm_repository /cvs/example :: allow
# match scm_type GIT GIT+SSH && match scm_host git.example.org && match scm_repository /example :: allow
# match scm_type SVN SVN+SSH && match scm_host svn.example.org && match scm_repository /users/* :: allow
all :: deny Only admin can do this via default policy
`,
  package_list: `
has_perm admin :: allow
has_perm tag :: allow
all :: deny Only admin/tag can do this via default policy
`,
  channel: `
has req_channel :: req
is_child_task :: parent
all :: use default
`,
  vm: `
has_perm admin win-admin :: allow
all :: deny Only admin/win-admin can do this via default policy
`,
  cg_import: `
all :: allow
`,
  volume: `
all :: DEFAULT
`,
  priority: `
all :: stay
`,
  draft_promotion: `
has_perm draft-promoter :: allow
is_build_owner :: allow
all :: deny Only draft-promoter and build owner can do this via default policy
`,
});

/** One or more policies failed to parse; `errors` has each problem. Fault 1000. */
export class PolicyLoadError extends KojiError {
  readonly errors: PolicySyntaxError[];
  constructor(errors: PolicySyntaxError[]) {
    super(errors.map((e) => e.message).join('\n'));
    this.errors = errors;
  }
}

/** The policy texts in effect: the defaults, replaced by hub.conf's [policy] entries. */
export function mergePolicyTexts(configured: ReadonlyMap<string, string>): Map<string, string> {
  const texts = new Map<string, string>(Object.entries(DEFAULT_POLICIES));
  for (const [name, text] of configured) texts.set(name, text);
  return texts;
}

/**
 * Parse every policy in effect (defaults merged with `configured`, e.g. loadHubConfig's
 * `policy` map) against the known tests. Throws PolicyLoadError listing every policy that
 * fails ("policy tag, line 3: unknown test 'hass_perm'"). `policy NAME` tests naming a policy
 * that does not exist are only logged as warnings (Koji fails when such a rule runs).
 */
export function loadPolicies(configured: ReadonlyMap<string, string>, knownTests: TestRegistry, options: PolicySetOptions = {}): PolicySet {
  const parsed = new Map<string, ParsedPolicy>();
  const errors: PolicySyntaxError[] = [];
  for (const [name, text] of mergePolicyTexts(configured)) {
    try {
      parsed.set(name, parsePolicy(name, text, knownTests));
    } catch (e) {
      if (e instanceof PolicySyntaxError) errors.push(e);
      else throw e;
    }
  }
  if (errors.length) throw new PolicyLoadError(errors);
  for (const policy of parsed.values()) {
    for (const ref of referencedPolicies(policy)) {
      if (!parsed.has(ref)) options.log?.warn?.(`policy ${policy.name} refers to policy ${ref}, which does not exist`);
    }
  }
  return new PolicySet(parsed, options);
}
