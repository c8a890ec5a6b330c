import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { builderMockdir } from '../../src/setup/configs.ts';

describe("npm start's builder mockdir", () => {
  const top = mkdtempSync(join(tmpdir(), 'kojits-mockdir-'));
  afterAll(() => rmSync(top, { recursive: true, force: true }));

  it('is in the data folder when the build user can reach it, else a folder of its own under /var/tmp', () => {
    chmodSync(top, 0o755);
    const open = join(top, 'open', 'data');
    mkdirSync(open, { recursive: true });
    expect(builderMockdir({ dataDir: open, builderDir: join(open, 'builder') })).toBe(join(open, 'builder', 'mock'));
    const priv = join(top, 'home', 'data');
    mkdirSync(priv, { recursive: true });
    chmodSync(join(top, 'home'), 0o700);
    const other = builderMockdir({ dataDir: priv, builderDir: join(priv, 'builder') });
    expect(other).toMatch(/^\/var\/tmp\/koji-ts-mock-[0-9a-f]{12}$/);
    // stable for one data folder, different for another
    expect(builderMockdir({ dataDir: priv, builderDir: join(priv, 'builder') })).toBe(other);
    expect(builderMockdir({ dataDir: `${priv}2`, builderDir: 'x' })).not.toBe(other);
  });
});
