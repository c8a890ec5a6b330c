/**
 * Resident memory of an idle hub process started by `kojits up` (its child), with loose bounds
 * that catch the big regressions (README "Memory" has the figures): PGlite was 360–430 MB
 * before its shared buffers, the compiler threads and tsx's loader thread were dealt with (now
 * ~170 MB), a hub on PostgreSQL ~165 MB (now ~80 MB); and of `up` itself, the supervisor, which
 * loads neither the hub nor a database driver (~70 MB).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { engines, freshDatabase } from '../helpers/db.ts';
import { cmdline, freePort, processTree, startKojits, stopAll } from './proc.ts';

const dir = mkdtempSync(join(tmpdir(), 'kojits-mem-'));
afterAll(async () => {
  await stopAll();
  rmSync(dir, { recursive: true, force: true });
});

const rssMiB = (pid: number) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;

const LIMIT_MIB = { pglite: 250, postgres: 130 };
const SUPERVISOR_LIMIT_MIB = 100;

const isHub = (pid: number) => / hub --config /.test(cmdline(pid));

describe.each(engines())('idle hub on %s', (engine) => {
  it(`stays under ${LIMIT_MIB[engine]} MiB resident, its supervisor under ${SUPERVISOR_LIMIT_MIB} MiB`, async () => {
    const args = ['up', '--data', join(dir, engine), '--https-port', String(await freePort()), '--http-port', String(await freePort())];
    if (engine === 'postgres') {
      const { db, url } = await freshDatabase('postgres');
      await db.close();
      args.push('--db', url as string);
    }
    const up = startKojits(args);
    await up.waitFor(/ready/, 90_000);
    await new Promise((r) => setTimeout(r, 5000));
    const hub = processTree(up.pid).find(isHub);
    expect(hub).toBeDefined();
    const rss = rssMiB(hub!);
    const supervisor = rssMiB(up.pid);
    expect(await up.stop()).toBe(0);
    expect(rss).toBeLessThan(LIMIT_MIB[engine]);
    expect(supervisor).toBeLessThan(SUPERVISOR_LIMIT_MIB);
  });
});
