/**
 * Resident memory of an idle hub process started by `kojits up`, with loose bounds that catch
 * the big regressions (README "Memory" has the figures): PGlite was 360–430 MB before its
 * shared buffers, the compiler threads and tsx's loader thread were dealt with (now ~170 MB),
 * a hub on PostgreSQL ~165 MB (now ~80 MB).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { engines, freshDatabase } from '../helpers/db.ts';
import { freePort, startKojits, stopAll } from './proc.ts';

const dir = mkdtempSync(join(tmpdir(), 'kojits-mem-'));
afterAll(async () => {
  await stopAll();
  rmSync(dir, { recursive: true, force: true });
});

const rssMiB = (pid: number) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;

const LIMIT_MIB = { pglite: 250, postgres: 130 };

describe.each(engines())('idle hub on %s', (engine) => {
  it(`stays under ${LIMIT_MIB[engine]} MiB resident`, async () => {
    const args = ['up', '--data', join(dir, engine), '--https-port', String(await freePort()), '--http-port', String(await freePort())];
    if (engine === 'postgres') {
      const { db, url } = await freshDatabase('postgres');
      await db.close();
      args.push('--db', url as string);
    }
    const hub = startKojits(args);
    await hub.waitFor(/ready/, 90_000);
    await new Promise((r) => setTimeout(r, 5000));
    const rss = rssMiB(hub.pid);
    expect(await hub.stop()).toBe(0);
    expect(rss).toBeLessThan(LIMIT_MIB[engine]);
  });
});
