/**
 * The task commands of our CLI against a hub with a real builder (Koji's test tasks): make-task
 * with --watch, list-tasks, taskinfo -v, set-task-priority, assign-task and free-task, cancel,
 * resubmit, watch-logs on a finished task, download-logs and scheduler-info. The expected text
 * follows the stock 1.35.3 CLI (scripts/compare-stock-cli.ts COMPARE=tasks compares them).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClientSession } from '../../src/protocol/client.ts';
import type { XmlRpcStruct } from '../../src/protocol/values.ts';
import { stopAll } from '../cmd/proc.ts';
import { buildHost, startBuilder, taskIn, ST } from '../helpers/builder.ts';
import { cliFor, expectUsageError, type CliRunner } from '../helpers/cli.ts';
import { engines } from '../helpers/db.ts';
import { startTestHub, type TestHub } from '../helpers/hub.ts';
import { asctime } from '../../src/cli/commands/common.ts';

process.env.TZ = 'UTC';

describe.each(engines())('task CLI commands on %s', (engine) => {
  let hub: TestHub;
  let admin: ClientSession;
  let dir: string;
  let cli: CliRunner;
  let fg: CliRunner;
  let topurl: string;
  const info = (id: number) => admin.call<XmlRpcStruct>('getTaskInfo', [id]);
  const log = async (id: number) => Buffer.from(await admin.call<string>('downloadTaskOutput', [id, 'task.log']), 'base64').toString('utf8');
  const created = (out: string) => Number(/^Created task id (\d+)$/m.exec(out)?.[1]);

  beforeAll(async () => {
    hub = await startTestHub(engine, { conf: '[hub]\nRunInterval = 1\n', scheduler: { manual: false } });
    admin = await hub.login();
    dir = mkdtempSync(join(tmpdir(), 'kojits-taskcli-'));
    await admin.call('addChannel', ['idle-ch']);
    await admin.call('addHost', ['idle', ['x86_64']]);
    const b1 = await buildHost(admin, dir, hub.httpUrl as string, 'b1');
    await startBuilder(b1);
    cli = cliFor(hub, { conf: 'poll_interval = 1', background: true });
    fg = cliFor(hub, { conf: 'poll_interval = 1', background: false });
    topurl = (hub.httpUrl as string).replace(/\/kojihub$/, '/kojifiles');
  });
  afterAll(async () => {
    await stopAll();
    await hub?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  let ok: number;
  let bad: number;

  it('make-task --watch watches the task to its end; in the background it only creates it', async () => {
    const r = await fg.run('make-task', '--watch', 'sleep', '0');
    ok = created(r.output);
    expect(r.exitCode).toBe(0);
    expect(r.output).toMatch(new RegExp(`^Created task id ${ok}\nWatching tasks \\(this may be safely interrupted\\)\\.\\.\\.\n${ok} sleep \\(noarch\\): `));
    expect(r.output.endsWith(`\n\n${ok} sleep (noarch) completed successfully\n`)).toBe(true);

    const f = await fg.run('make-task', '--watch', 'sleep');
    bad = created(f.output);
    expect(f.exitCode).toBe(1);
    expect(f.output).toContain(`${bad} sleep (noarch, unknown args): `);
    expect(f.output).toContain(
      `FAILED: ParameterError: SleepTask.handler() missing 1 required positional argument: 'n'\n  Relevant logs:\n  ${topurl}/work/tasks/${bad}/${bad}/task.log\n`,
    );
    expect(f.output.endsWith(`\n${bad} sleep (noarch, unknown args) failed\n`)).toBe(true);

    const b = await cli.run('make-task', '--watch', 'sleep', '0');
    expect(b).toMatchObject({ exitCode: 0, output: `Created task id ${created(b.output)}\n` });
    expectUsageError(await cli.run('make-task'), 'make-task [options] <method> [<arg> ...]', 'Please specify task method at least');
  });

  it('watch-task on finished tasks prints their states and results; taskinfo -v their details', async () => {
    const w = await cli.run('watch-task', String(ok), String(bad));
    expect(w.exitCode).toBe(1);
    expect(w.output).toBe(
      [
        'Watching tasks (this may be safely interrupted)...',
        `${ok} sleep (noarch): closed`,
        `${bad} sleep (noarch, unknown args): FAILED: ParameterError: SleepTask.handler() missing 1 required positional argument: 'n'`,
        '  Relevant logs:',
        `  ${topurl}/work/tasks/${bad}/${bad}/task.log`,
        '',
        `${ok} sleep (noarch) completed successfully`,
        `${bad} sleep (noarch, unknown args) failed`,
        '',
      ].join('\n'),
    );
    const t = await info(ok);
    const ti = await cli.run('taskinfo', '-v', String(ok));
    expect(ti).toMatchObject({ exitCode: 0 });
    expect(ti.output).toBe(
      [
        `Task: ${ok}`,
        'Type: sleep',
        'Request Parameters:',
        'Owner: kojiadmin',
        'State: closed',
        `Created: ${asctime(t.create_ts)}`,
        `Started: ${asctime(t.start_ts)}`,
        `Finished: ${asctime(t.completion_ts)}`,
        'Host: b1',
        'Log Files:',
        `  ${hub.kojiDir}/work/tasks/${ok}/${ok}/task.log`,
        'Output:',
        '  No outputs reported [1]',
        '[1] Not all tasks produce outputs, and task outputs are not retained indefinitely.',
        '',
        '',
      ].join('\n'),
    );
    expect((await cli.run('taskinfo', '999999')).error).toBe('[ERROR] koji: GenericError: No such task: 999999\n');
  });

  it('list-tasks lists unfinished tasks; set-task-priority, assign-task and free-task change them', async () => {
    const id = created((await cli.run('make-task', '--channel', 'idle-ch', 'sleep', '0')).output);
    const row = (pri: number, state: string) => `${String(id).padEnd(8)} ${String(pri).padEnd(4)} kojiadmin            ${state.padEnd(8)} noarch     sleep (noarch)\n`;
    expect((await cli.run('list-tasks')).output).toBe(`ID       Pri  Owner                State    Arch       Name\n${row(20, 'FREE')}`);
    expect(await cli.run('set-task-priority', '--priority', '7', String(id))).toMatchObject({ exitCode: 0, output: '' });
    expect((await cli.run('list-tasks', '--quiet')).output).toBe(row(7, 'FREE'));
    const closed = await cli.run('set-task-priority', '--priority', '7', String(ok));
    expect(closed.error).toBe(`Can't update task priority on closed task: ${ok}\n`);

    expect((await cli.run('assign-task', String(id), 'idle')).output).toBe(`assigned task ${id} to host idle\n`);
    expect((await cli.run('list-tasks', '--host', 'idle', '--quiet')).output).toBe(row(7, 'ASSIGNED'));
    expect(await cli.run('free-task', String(id))).toMatchObject({ exitCode: 0, output: '' });
    expect(Number((await info(id)).state)).toBe(ST.FREE);
    expect((await cli.run('list-tasks', '--user', 'nobody')).output).toBe('No such user: nobody\n');
    expectUsageError(await cli.run('free-task', 'x'), 'free-task [options] <task_id> [<task_id> ...]', 'task_id must be an integer');
    await cli.run('cancel', String(id));
    expect((await cli.run('list-tasks')).output).toBe('(no tasks)\n');
  });

  it('cancel stops a running task; resubmit runs a failed one again', async () => {
    const id = created((await cli.run('make-task', 'sleep', '60')).output);
    expect(await cli.run('cancel', String(id))).toMatchObject({ exitCode: 0, output: '', error: '' });
    await taskIn(admin, id, [ST.CANCELED]);
    const w = await cli.run('watch-task', String(id));
    expect(w).toMatchObject({ exitCode: 1 });
    expect(w.output.endsWith(`\n${id} sleep (noarch) was canceled\n`)).toBe(true);

    const r = await cli.run('resubmit', String(bad));
    expect(r.exitCode).toBe(0);
    expect(r.output.startsWith(`Resubmitting the following task:\nTask: ${bad}\nType: sleep\nRequest Parameters:\nOwner: kojiadmin\nState: failed\n`)).toBe(true);
    const m = new RegExp(`\nResubmitted task ${bad} as new task (\\d+)\n$`).exec(r.output);
    expect(m).not.toBeNull();
    const again = await taskIn(admin, Number(m?.[1]), [ST.FAILED]);
    expect(again).toMatchObject({ method: 'sleep', owner: (await info(bad)).owner });
    expect((await cli.run('resubmit', String(ok))).error).toMatch(/^\[ERROR\] koji: GenericError: .*\n$/);
  });

  it('watch-logs prints a finished task’s logs; download-logs writes them with the failure of a failed task', async () => {
    const w = await cli.run('watch-logs', String(ok));
    expect(w).toMatchObject({ exitCode: 0, output: `Watching logs (this may be safely interrupted)...\n==> ${ok}:DEFAULT:task.log: <==\n${await log(ok)}` });

    const out = join(dir, 'logs');
    const d = await cli.run('download-logs', '-d', out, String(ok), String(bad));
    expect(d).toMatchObject({ exitCode: 0, error: '' });
    expect(d.output).toBe(`Downloading: ${out}/noarch-${ok}/task.log\nWriting: ${out}/noarch-${bad}/task_failed.log\nDownloading: ${out}/noarch-${bad}/task.log\n`);
    expect(readFileSync(join(out, `noarch-${ok}`, 'task.log'), 'utf8')).toBe(await log(ok));
    expect(readFileSync(join(out, `noarch-${bad}`, 'task_failed.log'), 'utf8')).toBe("koji.ParameterError: SleepTask.handler() missing 1 required positional argument: 'n'\n");
    expect((await cli.run('download-logs', '-c', '-d', out, '-m', '*.log', String(ok))).output).toBe(`Continuing: ${out}/noarch-${ok}/task.log\n`);
    expect(readFileSync(join(out, `noarch-${ok}`, 'task.log'), 'utf8')).toBe(await log(ok));
  });

  it('scheduler-info shows the runs of a task', async () => {
    const r = await cli.run('scheduler-info', '-t', String(ok));
    const lines = r.output.split('\n');
    expect(lines[0]).toBe('Task      Host                 State   Created           Started           Ended            ');
    expect(lines[2]).toMatch(new RegExp(`^${ok} +b1 +CLOSED +\\d\\d-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d`));
  });
});
