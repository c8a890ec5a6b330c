/**
 * One process per PGlite data folder, with real processes: while `kojits up --data DIR` runs,
 * a second `up` (other ports) and an `init` on DIR are refused naming the running process,
 * touch nothing, and no write is lost; a stale lock left by a dead process is taken over.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../src/cli/main.ts';
import { LOCK_FILE } from '../../src/db/lock.ts';
import { freePort, stopAll, listening, runKojits, startKojits, type Proc } from './proc.ts';

const dir = mkdtempSync(join(tmpdir(), 'kojits-lock-proc-'));
const data = join(dir, 'data');
const kojiConf = join(data, 'client', 'koji.conf');
let ports: number[];
let first: Proc | null = null;

const koji = (...args: string[]) => runCli(['-c', kojiConf, '-p', 'kojits', ...args]);
const files = () => ['etc/hub.conf', 'etc/kojits.json', 'client/koji.conf'].map((f) => readFileSync(join(data, f), 'utf8'));

beforeAll(async () => {
  ports = [await freePort(), await freePort(), await freePort(), await freePort()];
});

afterAll(async () => {
  await stopAll();
  rmSync(dir, { recursive: true, force: true });
});

describe('a PGlite data folder in use', () => {
  it('refuses a second up and an init while the first runs, losing nothing', async () => {
    first = startKojits(['up', '--data', data, '--https-port', String(ports[0]), '--http-port', String(ports[1])]);
    await first.waitFor(/ready/, 90_000);
    expect((await koji('add-tag', 'tag-one')).exitCode).toBe(0);
    const before = files();

    const message = `${join(data, 'db')} is in use by kojits up (pid ${first.pid}, started `;
    const second = await runKojits(['up', '--data', data, '--https-port', String(ports[2]), '--http-port', String(ports[3])]);
    expect(second.code).toBe(1);
    expect(second.output).toContain(`kojits up: ${message}`);
    expect(second.output).toMatch(/started \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\); stop it first or use another --data folder\n/);
    expect(await listening(ports[2])).toBe(false);
    expect(await listening(ports[3])).toBe(false);

    const init = await runKojits(['init', '--data', data]);
    expect(init.code).toBe(1);
    expect(init.output).toContain(`kojits init: ${message}`);
    const hub = await runKojits(['hub', '--config', join(data, 'etc', 'hub.conf'), '--pglite', join(data, 'db')]);
    expect(hub.code).toBe(1);
    expect(hub.output).toContain(`kojits hub: ${message}`);

    expect(files()).toEqual(before);
    expect((await koji('add-tag', 'tag-two')).exitCode).toBe(0);
    expect(await first.stop()).toBe(0);
    first = null;
    expect(existsSync(join(data, 'db', LOCK_FILE))).toBe(false);
  });

  it('takes over the lock of a process that is gone, and finds every write', async () => {
    const dead = 2 ** 22 + 12345; // above pid_max on most systems: no such process
    writeFileSync(join(data, 'db', LOCK_FILE), JSON.stringify({ pid: dead, host: hostname(), processStart: '1', token: 'crashed', command: 'kojits up', since: new Date().toISOString() }));
    first = startKojits(['up', '--data', data, '--https-port', String(ports[0]), '--http-port', String(ports[1])]);
    await first.waitFor(/ready/, 90_000);
    expect(JSON.parse(readFileSync(join(data, 'db', LOCK_FILE), 'utf8')).pid).toBe(first.pid);
    const tags = await koji('list-tags');
    expect(tags.output.split('\n')).toEqual(expect.arrayContaining(['tag-one', 'tag-two']));
    expect(await first.stop()).toBe(0);
    first = null;
  });
});
