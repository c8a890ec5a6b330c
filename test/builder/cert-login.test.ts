/**
 * The builder as `kojits up` runs it: `kojits builder -c DIR/etc/kojid.conf` with the config
 * `init` wrote logs in with the build host's certificate over HTTPS, checks in, prints its ready
 * line (up's banner then names the builder) and runs a task the admin makes (password login
 * over plain HTTP).
 */
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ClientSession } from '../../src/protocol/client.ts';
import { dataLayout } from '../../src/setup/layout.ts';
import { freePort, runKojits, startKojits, stopAll } from '../cmd/proc.ts';
import { taskIn, ST } from '../helpers/builder.ts';

const dir = mkdtempSync(join(tmpdir(), 'kojits-builder-cert-'));
afterAll(async () => {
  await stopAll();
  rmSync(dir, { recursive: true, force: true });
});

describe('the builder of kojits up', () => {
  it('logs in with its certificate and runs a task', async () => {
    const L = dataLayout(join(dir, 'data'));
    const [https, http] = [await freePort(), await freePort()];
    const init = await runKojits(['init', '--data', L.dataDir, '--host', 'localhost', '--https-port', String(https), '--http-port', String(http)]);
    expect(init.code, init.output).toBe(0);
    // the machines running the tests are busy: no load-average check
    appendFileSync(L.kojidConf, 'max_load_per_cpu = 0\n');
    const up = startKojits(['up', '--data', L.dataDir]);
    const ready = await up.waitFor(/koji-ts hub ready: /, 180_000);
    expect(ready).toMatch(/; builder \S+ ready(; kojira ready)?$/);
    const log = readFileSync(join(L.logDir, 'builder.log'), 'utf8');
    expect(log).toMatch(new RegExp(`koji-ts builder ready: host \\S+ \\(id \\d+\\) on https://localhost:${https}/kojihub \\(certificate ${L.builderPem}\\)`));
    const admin = new ClientSession(`http://127.0.0.1:${http}/kojihub`, { maxRetries: 0 });
    await admin.login('kojiadmin', readFileSync(L.adminPasswordFile, 'utf8').trim());
    const id = await admin.call<number>('makeTask', ['sleep', [0]]);
    expect((await taskIn(admin, id, [ST.CLOSED, ST.FAILED])).state).toBe(ST.CLOSED);
    admin.close();
    expect(await up.stop()).toBe(0);
  }, 300_000);
});
