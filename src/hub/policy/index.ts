/**
 * Koji's hub policy engine. Typical use at hub start-up and in a call:
 *
 *   const policies = loadPolicies(hub.policy, ALL_TESTS, {
 *     missingPolicyOk: opts.MissingPolicyOk, verbose: opts.VerbosePolicy || opts.KojiDebug, log });
 *   await policies.check('tag', { tag, build, fromtag, operation: 'tag' }, env, { strict: true, force });
 */
export { DEFAULT_POLICIES, PolicyLoadError, loadPolicies, mergePolicyTexts } from './defaults.ts';
export {
  PolicySet, checkPolicy,
  type CheckOptions, type CheckResult, type PolicyLogger, type PolicyResult, type PolicySetOptions,
} from './engine.ts';
export {
  USERTYPE_GROUP,
  type PolicyBuild, type PolicyBuildroot, type PolicyEnv, type PolicyTag, type PolicyTarget,
  type PolicyTaskRequest, type PolicyUser,
} from './env.ts';
export { fnmatch, multiFnmatch } from '../../util/fnmatch.ts';
export { ALL_TESTS, HUB_TESTS } from './hub-tests.ts';
export { PolicySyntaxError, allActions, parsePolicy, referencedPolicies } from './parse.ts';
export { GENERIC_TESTS } from './tests.ts';
export type {
  ParsedPolicy, ParsedTest, PolicyData, PolicyRule, PolicyTestFactory, PolicyTestInstance,
  TestContext, TestRegistry,
} from './types.ts';
