/**
 * Against a hub without kojits.host.waitTasks (a stock Koji hub), the builder polls every
 * `sleeptime` like kojid, and waiting parents are still woken (through the alerts of
 * host.getHostTasks).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClientSession } from '../../src/protocol/client.ts';
import { stopAll } from '../cmd/proc.ts';
import { buildHost, startBuilder, taskIn, ST } from '../helpers/builder.ts';
import { startTestHub, type TestHub } from '../helpers/hub.ts';

describe('a hub without kojits.host.waitTasks', () => {
  let hub: TestHub;
  let admin: ClientSession;
  let dir: string;
  beforeAll(async () => {
    hub = await startTestHub('pglite', { scheduler: { manual: false } });
    // as on a stock Koji hub: "Invalid method: kojits.host.waitTasks"
    (hub.hub.registry as unknown as { methods: Map<string, unknown> }).methods.delete('kojits.host.waitTasks');
    admin = await hub.login();
    dir = mkdtempSync(join(tmpdir(), 'kojits-builder-poll-'));
  });
  afterAll(async () => {
    await stopAll();
    await hub?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('is polled every sleeptime; tasks and waits still work', async () => {
    const h = await buildHost(admin, dir, hub.httpUrl as string, 'poller');
    const b = await startBuilder(h);
    const id = await admin.call<number>('makeTask', ['waittest', [1, 0]]);
    expect((await taskIn(admin, id, [ST.CLOSED, ST.FAILED], 30_000)).state).toBe(ST.CLOSED);
    expect(b.output()).toContain('the hub has no kojits.host.waitTasks: polling every 1 s');
    expect(await b.stop()).toBe(0);
  });
});
