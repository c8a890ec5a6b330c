/**
 * koji.taskLabel on requests of many shapes: the expected labels are what Koji 1.35.3's
 * taskLabel returned for the same task info (legacy signatures, too many or missing arguments,
 * keyword arguments, new-style requests, values of the wrong type).
 */
import { describe, expect, it } from 'vitest';
import { taskLabel } from '../../src/cli/task-label.ts';
import type { XmlRpcValue } from '../../src/protocol/values.ts';

const CASES: Array<[string, XmlRpcValue[], string, string]> = [
  ["sleep", [0], "noarch", "sleep (noarch)"],
  ["sleep", [], "noarch", "sleep (noarch, unknown args)"],
  ["sleep", [1, {"__starstar": true, "n": 2}], "noarch", "sleep (noarch, unknown args)"],
  ["fork", [1, 2, 3], "noarch", "fork (noarch, unknown args)"],
  ["default", [1, {"__starstar": true, "x": 1}], "noarch", "default (noarch)"],
  ["foo", [1], "x86_64", "foo (x86_64)"],
  ["build", ["git://example.com/x.git?m#abc", "target1"], "noarch", "build (target1, /x.git:m:abc)"],
  ["build", ["cli-build/1.x/hello.src.rpm", "f40", {"scratch": true}], "noarch", "build (f40, hello.src.rpm)"],
  ["buildArch", ["work/x.src.rpm", 1, "x86_64", false], "x86_64", "buildArch (x.src.rpm, x86_64)"],
  ["buildArch", [{"name": "a/b.src.rpm"}, 1, "ppc64le", false, {}], "noarch", "buildArch (b.src.rpm, ppc64le)"],
  ["newRepo", ["t1"], "noarch", "newRepo (t1)"],
  ["newRepo", [{"name": "f40-build"}, null, false, false, false, {}], "noarch", "newRepo (f40-build)"],
  ["restart", [{"name": "b1"}], "noarch", "restart (b1)"],
  ["restart", [1], "noarch", "malformed task"],
  ["restartVerify", [5, {"name": "b2"}], "noarch", "restartVerify (b2)"],
  ["waitrepo", ["t1", null, ["a-1-1", "b-2-2"]], "noarch", "waitrepo (t1, a-1-1, b-2-2)"],
  ["dependantTask", [[1], [["sleep", [1]], ["fork", []]]], "noarch", "dependantTask (sleep, fork)"],
  ["buildNotification", [["a"], {"package_name": "p", "version": "1", "release": "2"}, {"name": "t"}, "u"], "noarch", "buildNotification (p-1-2)"],
  ["buildNotification", [["a"], "b", "c", "d"], "noarch", "malformed task"],
  ["createrepo", [1, "x86_64", null], "noarch", "createrepo (x86_64)"],
  ["SCM", ["git://h/r#x"], "noarch", "malformed task"],
  ["uild", [], "noarch", "malformed task"],
  ["new", [{"__method__": "new", "a": 1}], "noarch", "new (noarch)"],
  ["livemedia", ["n", "v", ["x86_64"], "t", "k.ks"], "noarch", "livemedia (['x86_64'], n-v, k.ks)"],
  ["chainbuild", [[["a"]], {"name": "tgt"}], "noarch", "chainbuild (tgt)"],
];

describe('taskLabel', () => {
  it.each(CASES)('%s %j (%s) is %s', (method, request, arch, label) => {
    expect(taskLabel({ method, request, arch })).toBe(label);
  });
});
