/**
 * `kojits base-repo DIR [--cache-dir D] [--jobs N]`: make DIR a repo of RPMs converted from this
 * machine's Debian packages, with DIR/groups.txt (src/setup/base-repo). Progress on stderr; the
 * repo folder on stdout.
 */
import { parseArgs } from 'node:util';
import { defaultCacheDir, makeBaseRepo } from '../setup/base-repo/index.ts';



export async function cmdBaseRepo(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { 'cache-dir': { type: 'string' }, jobs: { type: 'string' } } });
  if (positionals.length !== 1) throw new Error(`usage: kojits base-repo DIR [--cache-dir DIR] [--jobs N] (cache default ${defaultCacheDir()})`);
  const jobs = values.jobs === undefined ? 2 : Number(values.jobs);
  if (!Number.isInteger(jobs) || jobs < 1) throw new Error(`--jobs must be a positive integer, got ${JSON.stringify(values.jobs)}`);
  const r = await makeBaseRepo({ dir: positionals[0], cacheDir: values['cache-dir'], jobs, log: (l) => process.stderr.write(`base-repo: ${l}\n`) });
  process.stdout.write(`${r.dir}\n`);
  return 0;
}
