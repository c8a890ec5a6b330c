/** Where this checkout's executables are, for programs that start others (supervisor, builder). */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Absolute path of bin/<name> of this checkout (this module runs from src/ or from a build under dist/). */
export function checkoutBin(name: string): string | null {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5 && !existsSync(join(dir, 'bin', name)); i++) dir = dirname(dir);
  const bin = join(dir, 'bin', name);
  return existsSync(bin) ? bin : null;
}
