/**
 * Repo and external repo commands with the stock CLI's text: list/add/edit/remove-external-repo,
 * repoinfo, request-repo and regen-repo (requests, an existing repo), wait-repo (a current repo,
 * and --request woken when a builder finishes the repo) and wait-repo-request.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClientSession } from '../../src/protocol/client.ts';
import type { XmlRpcStruct } from '../../src/protocol/values.ts';
import { engines } from '../helpers/db.ts';
import { startTestHub, type TestHub } from '../helpers/hub.ts';
import { cliFor, type CliRunner } from '../helpers/cli.ts';
import { hostSession } from '../helpers/repos.ts';

process.env.TZ = 'UTC';

describe.each(engines())('repo commands on %s', (engine) => {
  let hub: TestHub;
  let cli: CliRunner;
  let admin: ClientSession;
  let builder: ClientSession;
  let web: string;
  const makeRepo = async (tag: string) => {
    const [id] = await builder.call<[number, number]>('host.repoInit', [tag]);
    await builder.call('host.repoDone', [id, {}]);
    return id;
  };

  beforeAll(async () => {
    hub = await startTestHub(engine);
    cli = cliFor(hub);
    admin = await hub.login();
    builder = await hostSession(hub, admin, 'cli-builder');
    web = `${hub.httpUrl!.replace(/\/kojihub$/, '')}/koji`;
    await admin.call('createTag', ['ct'], { arches: 'x86_64' });
    await admin.call('createTag', ['ct-child'], { parent: 'ct' });
  });
  afterAll(async () => hub?.stop());

  it('add, list, edit and remove external repos', async () => {
    expect(await cli.run('add-external-repo', '-t', 'ct', 'e1', 'https://example.com/e1')).toMatchObject({ output: 'Created external repo 1\nAdded external repo e1 to tag ct (priority 5)\n', exitCode: 0 });
    expect((await cli.run('add-external-repo', '-t', 'ct', '-t', 'ct-child::3', '-m', 'bare', 'e2', 'http://example.com/$arch')).output).toBe(
      'Created external repo 2\nAdded external repo e2 to tag ct (priority 10)\nAdded external repo e2 to tag ct-child (priority 3)\n',
    );
    expect((await cli.run('list-external-repos')).output).toBe(
      'External repo name        URL\n------------------------- ----------------------------------------\ne1                        https://example.com/e1/\ne2                        http://example.com/$arch/\n',
    );
    expect((await cli.run('list-external-repos', '--tag', 'ct', '--quiet')).output).toBe('5   e1                        koji       https://example.com/e1/\n10  e2                        bare       http://example.com/$arch/\n');
    expect((await cli.run('list-external-repos', '--tag', 'ct-child', '--inherit', '--quiet')).output).toBe('ct-child             3   bare       e2\nct                   5   koji       e1\n');
    await cli.run('edit-external-repo', '-t', 'ct', '-p', '20', 'e1');
    await cli.run('edit-external-repo', '--name', 'e1-new', 'e1');
    expect((await cli.run('list-external-repos', '--used', '--quiet')).output).toBe('ct-child             3   bare       e2\nct                   10  bare       e2\nct                   20  koji       e1-new\n');
    const r = await cli.run('edit-external-repo', '-p', '3', 'e2');
    expect([r.exitCode, r.error]).toEqual([2, expect.stringContaining('error: If priority is specified, --tag must be specified as well')]);
    expect(await cli.run('remove-external-repo', 'e2')).toMatchObject({ exitCode: 1, error: 'Error: external repo e2 used by tag(s): ct-child, ct\nUse --force to remove anyway\n' });
    expect((await cli.run('remove-external-repo', 'e2', 'ct', 'nosuch')).output).toBe('External repo e2 not associated with tag nosuch\n');
    await cli.run('remove-external-repo', '--alltags', 'e2');
    expect(await cli.run('remove-external-repo', '--alltags', 'e2')).toMatchObject({ exitCode: 0, error: 'External repo e2 not associated with any tags\n' });
    await cli.run('remove-external-repo', 'e2');
    expect((await cli.run('list-external-repos', '--quiet')).output).toBe('e1-new                    https://example.com/e1/\n');
  });

  it('request-repo and regen-repo: a new request, a duplicate, an existing repo; repoinfo', async () => {
    await admin.call('createTag', ['rq'], { arches: 'x86_64' });
    expect((await cli.run('request-repo', 'rq')).output).toBe('Got request: 1\n');
    expect((await cli.run('regen-repo', 'rq')).output).toBe('Got request: 1\n');
    expect(await cli.run('request-repo', 'ct-child')).toMatchObject({ output: 'Got request: 2\n', error: 'Tag ct-child has an empty arch list\n' });
    const timedOut = await cli.run('request-repo', '--wait', '--timeout', '0', 'rq');
    expect(timedOut).toMatchObject({ exitCode: 1, output: '', error: expect.stringMatching(/^Failed to get repo -- Unsuccessfully waited 0:00 for a new rq repo\n$/) });
    const id = await makeRepo('rq');
    expect((await cli.run('request-repo', 'rq')).output).toBe(`Got repo ${id}\nRepo info: ${web}/repoinfo?repoID=${id}\n`);
    const info = await admin.call<XmlRpcStruct>('repoInfo', [id]);
    const r = await cli.run('repoinfo', String(id), '999');
    expect(r.output).toMatch(
      new RegExp(
        `^ID: ${id}\nTag ID: ${String(info.tag_id)}\nTag name: rq\nState: READY\nCreated: \\w{3}, \\d\\d \\w{3} \\d{4} \\d\\d:\\d\\d:\\d\\d UTC\nCreated event: ${String(info.create_event)}\n` +
          `URL: .*/kojifiles/repos/rq/${id}\nRepo json: .*/kojifiles/repos/rq/${id}/repo.json\nDist repo\\?: no\nTask ID: None\nNumber of buildroots: 0\n$`,
      ),
    );
    expect(r.error).toBe('No such repo: 999\n\n');
    const task = (await cli.run('regen-repo', '--make-task', 'rq')).output;
    expect(task).toMatch(new RegExp(`^Regenerating repo for tag: rq\nCreated task: \\d+\nTask info: ${web}/taskinfo\\?taskID=\\d+\n$`));
  });

  it('wait-repo: a current repo at once; --request waits until a builder finishes the repo; wait-repo-request', async () => {
    await admin.call('createTag', ['wr'], { arches: 'x86_64' });
    const first = await makeRepo('wr');
    const now = await cli.run('wait-repo', 'wr');
    expect(now.output).toBe(`Got repo ${first}\nRepo info: ${web}/repoinfo?repoID=${first}\n`);
    expect(now.error).toBe('The --request option is recommended for faster results\nwr is not a build tag for any target\nThis tag is not configured for automatic regeneration\n');
    await admin.call('packageListAdd', ['wr', 'pkg', 'kojiadmin']);
    const waiting = cli.run('wait-repo', '--request', 'wr');
    let req: XmlRpcStruct | undefined;
    while (!req) {
      req = (await admin.call<XmlRpcStruct[]>('repo.queryQueue', [[['tag_name', '=', 'wr'], ['active', 'IS', true]]]))[0];
      if (!req) await new Promise((r) => setTimeout(r, 50));
    }
    const second = await makeRepo('wr');
    expect((await waiting).output).toBe(`Got repo ${second}\nRepo info: ${web}/repoinfo?repoID=${second}\n`);
    expect((await cli.run('wait-repo-request', String(req.id))).output).toBe(`Got repo ${second}\nRepo info: ${web}/repoinfo?repoID=${second}\n`);
  });
});
