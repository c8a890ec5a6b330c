import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { engines } from '../helpers/db.ts';
import { ADMIN, ADMIN_PASSWORD, startTestHub, type TestHub } from '../helpers/hub.ts';
import { cliFor, type CliRunner } from '../helpers/cli.ts';
import { COMMANDS } from '../../src/cli/commands/index.ts';
import { runCli } from '../../src/cli/main.ts';
import { CATEGORIES } from '../../src/cli/help.ts';

/** The stock categories that hold one of our commands, sorted (as `koji help` lists them). */
const HAVE = Object.keys(CATEGORIES).filter((cat) => COMMANDS.some((c) => c.category === cat)).sort();
/** A stock category none of our commands is in yet (none once all are there). */
const MISSING = Object.keys(CATEGORIES).find((cat) => !HAVE.includes(cat));

/** The stock CLI's log line prefix: logging's asctime, the level, the logger "koji". */
const LOGGED = String.raw`\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} \[ERROR\] koji: `;

const EPILOG = `
Try "koji --help" for help about global options
Try "koji help" to get all available commands
Try "koji <command> --help" for help about the options of a particular command
Try "koji help <category>" to get commands under a particular category
Available categories are: ${['all', ...HAVE].sort().join(', ')}
`;

describe.each(engines())('koji help on %s', (engine) => {
  let hub: TestHub;
  let cli: CliRunner;
  beforeAll(async () => {
    hub = await startTestHub(engine);
    cli = cliFor(hub);
  });
  afterAll(async () => hub?.stop());

  it('lists the commands of a category, sorted, with their summaries', async () => {
    const r = await cli.runAs(null, null, 'help', 'misc');
    expect(r).toMatchObject({ exitCode: 0, error: '' });
    const misc = COMMANDS.filter((c) => c.category === 'misc').map((c) => c.name).sort();
    expect(r.output).toBe(['Available commands:', '', 'miscellaneous commands:', ...misc.map((n) => `        ${n.padEnd(25)} ${COMMANDS.find((c) => c.name === n)?.summary}`)].join('\n') + '\n' + EPILOG);
    expect(r.output).toContain('\n        call                      Execute an arbitrary XML-RPC call\n');
    expect(r.output).toContain('\n        version                   Report client and hub versions\n');
  });

  it('lists every category that has commands for no argument, "all", and the list-commands alias', async () => {
    const all = await cli.run('help');
    const titles = all.output.split('\n').filter((l) => /^[a-z]+ commands:$/.test(l));
    expect(titles).toEqual(HAVE.map((cat) => `${CATEGORIES[cat]}:`));
    expect(HAVE).toEqual(expect.arrayContaining(['admin', 'info', 'misc', 'monitor', 'search']));
    expect(all.output).not.toMatch(/\n[a-z]+ commands:\n\n/);
    expect(all.output.endsWith(EPILOG)).toBe(true);
    expect(all.output).toContain('\nadmin commands:\n');
    expect(all.output).toContain('\n        add-channel               Add a channel\n');
    expect(all.output).toContain('        list-hosts                Print the host listing\n');
    expect((await cli.run('help', 'all')).output).toBe(all.output);
    expect((await cli.run('help', 'info', 'all')).output).toBe(all.output);
    expect((await cli.run('list-commands')).output).toBe(all.output);
    // a stock category with none of our commands yet: no heading, no error
    if (MISSING) expect(await cli.run('help', MISSING)).toMatchObject({ exitCode: 0, output: 'Available commands:\n' + EPILOG });
  });

  it('--help names only common commands that exist', async () => {
    const r = await cli.run('--help');
    const common = ['build', 'download-build', 'help', 'latest-build', 'list-targets', 'search'].filter((n) => COMMANDS.some((c) => c.name === n));
    expect(common).toEqual(expect.arrayContaining(['help', 'latest-build', 'list-targets', 'search']));
    expect(r.output).toMatch(new RegExp(`^Usage: koji \\[global-options\\] command \\[command-options-and-arguments\\]\n\nCommon commands: ${common.join(', ')}\n\nOptions:\n`));
    expect(r.output.endsWith(EPILOG)).toBe(true);
  });

  it('logs a hub error as the stock CLI does: time, level, logger name, exception class', async () => {
    const r = await runCli(['-c', cli.configFile, '-p', 'test', '--user', ADMIN, '--password', ADMIN_PASSWORD, 'enable-user', 'nobody']);
    expect(r.exitCode).toBe(1);
    expect(r.error).toMatch(new RegExp(`^${LOGGED}GenericError: No such user: nobody\n$`));
  });

  it('runs commands typed with underscores, as the stock CLI does', async () => {
    expect((await cli.run('list_targets')).output).toBe((await cli.run('list-targets')).output);
  });

  it('takes several categories and the hidden --admin option', async () => {
    const r = await cli.run('help', 'misc', 'admin');
    expect(r.output.split('\n').filter((l) => /^[a-z]+ commands:$/.test(l))).toEqual(['admin commands:', 'miscellaneous commands:']);
    const admin = await cli.run('help', '--admin');
    expect(admin.output).toBe((await cli.run('help', 'admin')).output);
    expect((await cli.run('help', '--help')).output).not.toContain('--admin');
  });

  it('dies on an unknown category as the stock CLI does', async () => {
    const r = await cli.run('help', 'info', 'zzz');
    expect(r.exitCode).toBe(1);
    expect(r.error).toBe("[ERROR] koji: KeyError: 'zzz'\n");
    expect(r.output).toMatch(/^No such help category: zzz\nAvailable commands:\n\ninfo commands:\n {8}buildinfo +Print basic information about a build\n/);
    expect(r.output).not.toContain('Try "koji');
    const first = await cli.run('help', 'aaa', 'info');
    expect(first).toMatchObject({ exitCode: 1, output: 'No such help category: aaa\nAvailable commands:\n', error: "[ERROR] koji: KeyError: 'aaa'\n" });
  });
});

describe('koji without the command asked for', () => {
  // no hub: these never connect
  const dir = mkdtempSync(join(tmpdir(), 'kojits-cli-'));
  const conf = join(dir, 'koji.conf');
  writeFileSync(conf, '[koji]\nserver = http://127.0.0.1:1/kojihub\nmax_retries = 0\n');
  const run = (...args: string[]) => runCli(['-c', conf, ...args]);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('says in one line that a stock command is not in koji-ts yet', async () => {
    expect(await run('maven-build', 'f40-candidate', 'x.src.rpm')).toEqual({ output: '', error: 'koji: maven-build is not available in koji-ts yet\n', exitCode: 2 });
    expect(await run('wrapper_rpm', 'x')).toMatchObject({ output: '', error: 'koji: wrapper_rpm is not available in koji-ts yet\n', exitCode: 2 });
  });

  it('lists the commands and logs "Unknown command" for a command that exists nowhere, as the stock CLI', async () => {
    const r = await run('frobnicate');
    expect(r.exitCode).toBe(1);
    // `koji help` needs no hub, as the stock CLI's
    expect(r.output).toBe((await run('help')).output);
    expect(r.error).toMatch(new RegExp(`^${LOGGED}Unknown command: frobnicate\n$`));
  });

  it('prints usage errors of the global options with the common commands line', async () => {
    const r = await run('--frob');
    expect(r).toMatchObject({ exitCode: 2, output: '' });
    expect(r.error).toBe('Usage: koji [global-options] command [command-options-and-arguments]\n\nCommon commands: build, download-build, help, latest-build, list-targets, search\n\nkoji: error: no such option: --frob');
  });

  it('reports an unreachable hub as the stock CLI: a plain line for anonymous calls, a logged ConnectionError for logins', async () => {
    expect(await run('--noauth', 'list-tags')).toEqual({ output: '', error: 'Error: Unable to connect to server\n', exitCode: 1 });
    const login = await run('--authtype', 'password', '--user', 'u', '--password', 'p', 'moshimoshi');
    expect(login.exitCode).toBe(1);
    expect(login.error).toMatch(new RegExp(`^${LOGGED}ConnectionError: http://127\\.0\\.0\\.1:1/kojihub: connect ECONNREFUSED 127\\.0\\.0\\.1:1\n$`));
  });
});
