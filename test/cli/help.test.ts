import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines } from '../helpers/db.ts';
import { startTestHub, type TestHub } from '../helpers/hub.ts';
import { cliFor, type CliRunner } from '../helpers/cli.ts';
import { COMMANDS } from '../../src/cli/commands/index.ts';

const EPILOG = `
Try "koji --help" for help about global options
Try "koji help" to get all available commands
Try "koji <command> --help" for help about the options of a particular command
Try "koji help <category>" to get commands under a particular category
Available categories are: admin, all, bind, build, download, info, misc, monitor, search
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

  it('lists every category for no argument, "all", and the list-commands alias', async () => {
    const all = await cli.run('help');
    const titles = all.output.split('\n').filter((l) => /^[a-z]+ commands:$/.test(l));
    expect(titles).toEqual(['admin commands:', 'bind commands:', 'build commands:', 'download commands:', 'info commands:', 'miscellaneous commands:', 'monitor commands:', 'search commands:']);
    expect(all.output).toContain('\nadmin commands:\n');
    expect(all.output).toContain('\n        add-channel               Add a channel\n        add-group                 Add a group to a tag\n');
    expect(all.output).toContain('        list-hosts                Print the host listing\n');
    expect((await cli.run('help', 'all')).output).toBe(all.output);
    expect((await cli.run('help', 'info', 'all')).output).toBe(all.output);
    expect((await cli.run('list-commands')).output).toBe(all.output);
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
    expect(r.error).toBe("KeyError: 'zzz'\n");
    expect(r.output).toMatch(/^No such help category: zzz\nAvailable commands:\n\ninfo commands:\n {8}buildinfo +Print basic information about a build\n/);
    expect(r.output).not.toContain('Try "koji');
    const first = await cli.run('help', 'aaa', 'info');
    expect(first).toMatchObject({ exitCode: 1, output: 'No such help category: aaa\nAvailable commands:\n', error: "KeyError: 'aaa'\n" });
  });
});
