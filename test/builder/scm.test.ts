import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isScmUrl, SCM } from '../../src/builder/scm.ts';

describe('SCM URLs (koji.daemon.SCM)', () => {
  it('parses scheme, user, host, repository, module and revision as Koji does', () => {
    const s = new SCM('git+https://alice@src.example.org/rpms/hello.git?sub/dir/#v1.0');
    expect(s.info()).toEqual({
      url: 'git+https://alice@src.example.org/rpms/hello.git?sub/dir/#v1.0', scheme: 'git+https://', user: 'alice', host: 'src.example.org',
      repository: '/rpms/hello.git', module: 'sub/dir', revision: 'v1.0', scmtype: 'GIT',
    });
    expect(s.gitRepo()).toBe('https://alice@src.example.org/rpms/hello.git');
    expect(s.checkoutName()).toBe('hello');
    expect(new SCM('git://h//a/./b/../c/#abc').repository).toBe('/a/c');
  });

  it('takes git+file:// URLs with an empty host', () => {
    const s = new SCM('git+file:///srv/git/hello.git#0123abc');
    expect([s.host, s.repository, s.revision, s.gitRepo()]).toEqual(['', '/srv/git/hello.git', '0123abc', 'file:///srv/git/hello.git']);
  });

  it('refuses what Koji refuses, with its messages', () => {
    expect(isScmUrl('https://example.org/x.src.rpm')).toBe(false);
    expect(() => new SCM('https://h/x#1')).toThrow(/Invalid scheme in scm url. Valid schemes are: .*git\+https:\/\//);
    expect(() => new SCM('git://h/repo')).toThrow('Unable to parse SCM URL: git://h/repo . Could not find the fragment element.');
    expect(() => new SCM('git://h#1')).toThrow(/Could not find the path element/);
    expect(() => new SCM('git://u:pw@h/r#1')).toThrow('username:password format not supported: u:pw');
    expect(new SCM('git://u:pw@h/r#1', true).user).toBe('u:pw');
    expect(() => new SCM('git://a@b@h/r#1')).toThrow(/Invalid username@hostname/);
  });

  it('checks allowed_scms entries in order: globs, blocks, use_common and source_cmd', () => {
    const allowed = 'bad-entry !src.example.org:/rpms/secret* src.example.org:/rpms/*:no:make,srpm other.org:/x/*:yes: :/srv/git/*:no:';
    const warnings: string[] = [];
    const s = new SCM('git://src.example.org/rpms/hello.git#1');
    s.assertAllowedByConfig(allowed, (m) => warnings.push(m));
    expect([s.useCommon, s.sourceCmd]).toEqual([false, ['make', 'srpm']]);
    expect(warnings).toEqual(['Ignoring incorrectly formatted SCM host:repository: bad-entry']);
    const o = new SCM('git://other.org/x/y#1');
    o.assertAllowedByConfig(allowed);
    expect([o.useCommon, o.sourceCmd]).toEqual([true, null]);
    const f = new SCM('git+file:///srv/git/hello.git#1');
    f.assertAllowedByConfig(allowed);
    expect(f.sourceCmd).toBeNull();
    expect(() => new SCM('git://src.example.org/rpms/secret.git#1').assertAllowedByConfig(allowed)).toThrow('src.example.org:/rpms/secret.git is not in the list of allowed SCMs');
    expect(() => new SCM('git://evil.org/rpms/x#1').assertAllowedByConfig(allowed)).toThrow('evil.org:/rpms/x is not in the list of allowed SCMs');
  });

  describe('a real checkout', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kojits-scm-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('clones, fetches the revision and reports the commit as source', async () => {
      const repo = join(dir, 'hello.git');
      const git = (args: string[], cwd = repo) => execFileSync('git', args, { cwd, encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@e', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@e' } }).trim();
      mkdirSync(repo);
      git(['init', '-q', '-b', 'main']);
      writeFileSync(join(repo, 'hello.spec'), 'one\n');
      git(['add', '.']);
      git(['commit', '-qm', 'one']);
      const first = git(['rev-parse', 'HEAD']);
      writeFileSync(join(repo, 'hello.spec'), 'two\n');
      git(['commit', '-qam', 'two']);
      const scm = new SCM(`git+file://${repo}#${first}`);
      const scmdir = join(dir, 'scm');
      mkdirSync(scmdir);
      const c = scm.checkoutCommands(scmdir);
      git(c.clone.slice(1), scmdir);
      for (const cmd of c.update) git(cmd.slice(1), c.checkoutDir);
      expect(execFileSync('cat', [join(c.sourcedir, 'hello.spec')], { encoding: 'utf8' })).toBe('one\n');
      expect(await scm.source(c.checkoutDir)).toEqual({ url: `git+file://${repo}#${first}`, source: `git+file://${repo}#${first}` });
    });
  });
});
