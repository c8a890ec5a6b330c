/**
 * The builder as `kojits up` sets it up: `kojits builder -c DIR/etc/kojid.conf` alone with the
 * config `init` wrote logs in with the build host's certificate over HTTPS, checks in, prints its
 * ready line and runs a task the admin makes (password login over plain HTTP).
 */
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ClientSession } from '../../src/protocol/client.ts';
import { dataLayout } from '../../src/setup/layout.ts';
import { freePort, startKojits, stopAll } from '../cmd/proc.ts';
import { taskIn, ST } from '../helpers/builder.ts';

const dir = mkdtempSync(join(tmpdir(), 'kojits-builder-cert-'));
afterAll(async () => {
  await stopAll();
  rmSync(dir, { recursive: true, force: true });
});

describe('kojits builder with the data folder of kojits up', () => {
  it('logs in with its certificate and runs a task', async () => {
    const L = dataLayout(join(dir, 'data'));
    const [https, http] = [await freePort(), await freePort()];
    const hub = startKojits(['up', '--data', L.dataDir, '--host', 'localhost', '--https-port', String(https), '--http-port', String(http)]);
    await hub.waitFor(/password login: .*moshimoshi$/, 120_000);
    // the machines running the tests are busy: no load-average check
    appendFileSync(L.kojidConf, 'max_load_per_cpu = 0\n');
    const b = startKojits(['builder', '-c', L.kojidConf]);
    const ready = await b.waitFor(/ready/, 90_000);
    expect(ready).toMatch(new RegExp(`^koji-ts builder ready: host \\S+ \\(id \\d+\\) on https://localhost:${https}/kojihub \\(certificate ${L.builderPem}\\)`));
    const admin = new ClientSession(`http://127.0.0.1:${http}/kojihub`, { maxRetries: 0 });
    await admin.login('kojiadmin', readFileSync(L.adminPasswordFile, 'utf8').trim());
    const id = await admin.call<number>('makeTask', ['sleep', [0]]);
    expect((await taskIn(admin, id, [ST.CLOSED, ST.FAILED])).state).toBe(ST.CLOSED);
    admin.close();
    expect(await b.stop()).toBe(0);
    expect(await hub.stop()).toBe(0);
  }, 240_000);
});
