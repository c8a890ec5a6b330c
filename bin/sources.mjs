// Loads a module of src/ for the executables in bin/, without a build step.
//
// tsx compiles TypeScript on the fly through Node's module hooks, which run on a thread of their
// own with their own V8 heap: ~65 MB that stay resident for the life of a long-running process
// (a hub). So the sources are instead compiled once per change into one ES module with esbuild
// (the compiler tsx uses: same semantics), kept under dist/run/<entry>-<fingerprint of src/>/,
// and imported from there. When that cannot be done (esbuild missing, read-only checkout) the
// sources run through tsx as before. KOJITS_DEBUG=1 says which, and turns on source maps.
import { createHash, randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SRC = join(ROOT, 'src');
const RUN = join(ROOT, 'dist', 'run');
// files the sources read next to themselves: src/db/migrate.ts reads ./migrations/
const ASSETS = [['db/migrations', 'migrations'], ['web/templates', 'templates'], ['web/static', 'static']];
// bump when the build options below change
const FORMAT = 2;
// compiled entries of other fingerprints are removed after this long (processes started from
// them have read everything they need by then)
const KEEP_OLD_MS = 3600_000;

const debug = (m) => process.env.KOJITS_DEBUG && process.stderr.write(`kojits: ${m}\n`);

/** Paths, sizes and modification times of everything under src/. */
function fingerprint(esbuildVersion) {
  const h = createHash('sha256').update(`${FORMAT} ${esbuildVersion}\n`);
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else {
        const st = statSync(p);
        h.update(`${p.slice(SRC.length)} ${st.size} ${st.mtimeMs}\n`);
      }
    }
  };
  walk(SRC);
  return h.digest('hex').slice(0, 16);
}

function pruneOld(keep) {
  for (const e of readdirSync(RUN)) {
    const p = join(RUN, e);
    if (e !== keep && Date.now() - statSync(p).mtimeMs > KEEP_OLD_MS) rmSync(p, { recursive: true, force: true });
  }
}

/** Path of the compiled `entry` (e.g. 'cmd/kojits'), compiling it first when src/ changed. */
async function compiled(entry) {
  const { version } = createRequire(import.meta.url)('esbuild/package.json');
  const name = basename(entry);
  const dirName = `${name}-${fingerprint(version)}`;
  const out = join(RUN, dirName, `${name}.mjs`);
  if (existsSync(out)) return out;
  const esbuild = await import('esbuild');
  mkdirSync(RUN, { recursive: true });
  const tmp = join(RUN, `.${dirName}.${process.pid}.${randomBytes(4).toString('hex')}`);
  try {
    await esbuild.build({
      entryPoints: [join(SRC, `${entry}.ts`)],
      outdir: tmp,
      // the modules a command imports when it runs are chunks of their own: `kojits up` does
      // not load the hub's code
      splitting: true,
      entryNames: '[name]',
      chunkNames: '[name]-[hash]',
      outExtension: { '.js': '.mjs' },
      bundle: true,
      packages: 'external',
      platform: 'node',
      format: 'esm',
      target: 'node20',
      sourcemap: 'linked',
      logLevel: 'silent',
    });
    for (const [from, to] of ASSETS) cpSync(join(SRC, from), join(tmp, to), { recursive: true });
    try {
      renameSync(tmp, join(RUN, dirName));
      debug(`compiled ${entry} into ${join(RUN, dirName)}`);
    } catch (e) {
      // another process compiled the same sources meanwhile
      if (e.code !== 'ENOTEMPTY' && e.code !== 'EEXIST') throw e;
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
    // the compiler runs as a child process: do not keep it
    await esbuild.stop();
  }
  pruneOld(dirName);
  return out;
}

/** The module src/<entry>.ts. */
export async function importSources(entry) {
  if (process.env.KOJITS_DEBUG) process.setSourceMapsEnabled(true);
  let file = null;
  try {
    file = await compiled(entry);
  } catch (e) {
    debug(`cannot compile ${entry} (${e.message}); running the sources through tsx`);
  }
  if (file) return import(pathToFileURL(file).href);
  const { register } = await import('tsx/esm/api');
  register();
  return import(pathToFileURL(join(SRC, `${entry}.ts`)).href);
}
