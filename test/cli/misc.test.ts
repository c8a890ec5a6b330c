import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines } from '../helpers/db.ts';
import { startTestHub, type TestHub } from '../helpers/hub.ts';
import { cliFor, type CliRunner } from '../helpers/cli.ts';

describe.each(engines())('misc CLI commands on %s', (engine) => {
  let hub: TestHub;
  let cli: CliRunner;
  beforeAll(async () => {
    hub = await startTestHub(engine);
    cli = cliFor(hub);
  });
  afterAll(async () => hub?.stop());

  it('moshimoshi greets the logged-in user and names the auth method', async () => {
    const r = await cli.run('moshimoshi');
    expect(r.exitCode).toBe(0);
    expect(r.output).toMatch(/^.+, kojiadmin!\n\nYou are using the hub at http:\/\/127\.0\.0\.1:\d+\/kojihub \(Koji 1\.35\.3\)\nAuthenticated via password\n$/);
  });

  it('greetings are aliases of moshimoshi: the stock CLI\'s greetings, no others', async () => {
    expect((await cli.run('hello')).output).toContain('kojiadmin!');
    expect((await cli.run('Yo')).output).toContain('kojiadmin!');
    expect((await cli.run('hey')).error).toBe('[ERROR] koji: Unknown command: hey\n');
  });

  it('version prints client and hub versions', async () => {
    expect((await cli.run('version')).output).toBe('Client: 1.35.3\nHub:    1.35.3\n');
  });

  it('call prints results the way Python pprint does, with keyword arguments', async () => {
    const r = await cli.run('call', 'getUser', 'kojiadmin');
    expect(r.output).toMatch(/^\{'id': \d+, 'krb_principals': \[\], 'name': 'kojiadmin', 'status': 0, 'usertype': 0\}\n$/);
    const wide = await cli.run('call', 'getAllPerms');
    expect(wide.output.startsWith("[{'description': 'Full administrator access. Perform all actions.',\n  'id': 1,\n  'name': 'admin'},\n {'description'")).toBe(true);
    const j = await cli.run('call', '--json', 'getUser', 'userInfo="kojiadmin"', 'krb_princs=false');
    expect(JSON.parse(j.output)).toMatchObject({ name: 'kojiadmin' });
    expect(JSON.parse(j.output).krb_principals).toBeUndefined();
    expect((await cli.run('call', 'echo', '1', '2.5', 'None', 'abc')).output).toBe("[1, 2.5, None, 'abc']\n");
  });

  it('call reports faults by class name with exit code 1', async () => {
    const r = await cli.run('call', 'getUser', 'nobody', 'strict=True');
    expect(r.exitCode).toBe(1);
    expect(r.error).toBe("[ERROR] koji: GenericError: No such user: 'nobody'\n");
  });

  it('list-api prints every method with its signature', async () => {
    const r = await cli.run('list-api');
    expect(r.output).toContain('getUser(userInfo=None, strict=False, krb_princs=True, groups=False)\n');
    expect(r.output).toContain('addHost(hostname, arches, krb_principal=None, force=False)\n');
    const one = await cli.run('list-api', 'hello');
    expect(one.output).toBe('hello(*args)\ndescription: Simple testing call returning a string\n');
    const bad = await cli.run('list-api', 'noSuchMethod');
    expect(bad.exitCode).toBe(2);
    expect(bad.error).toContain('error: Unknown method: noSuchMethod');
  });

  it('unknown commands list the commands and fail', async () => {
    const r = await cli.run('no-such-command');
    expect(r.exitCode).toBe(1);
    expect(r.error).toContain('Unknown command: no-such-command');
    expect(r.output).toContain('Available commands:');
  });

  it('--help on a command prints optparse-style usage', async () => {
    const r = await cli.run('call', '--help');
    expect(r.exitCode).toBe(0);
    expect(r.output).toMatch(/^Usage: koji call \[options\] <name> \[<arg> \.\.\.\]/);
    expect(r.output).toContain(`  -j, --json${' '.repeat(10)}Use JSON syntax for input and output`);
  });
});
