/**
 * File-system steps of `kojits init` that never overwrite: create a folder or a file only when
 * it is missing (a file appears whole or not at all), recording what was created.
 */
import { chmodSync, existsSync, linkSync, mkdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';
import { randomBytes } from 'node:crypto';

export class SetupLog {
  readonly created: string[] = [];
  readonly warnings: string[] = [];

  warn(msg: string): void {
    this.warnings.push(msg);
  }

  /** mkdir -p; new folders get `mode` and are recorded. */
  ensureDir(path: string, mode = 0o755): void {
    if (existsSync(path)) return;
    const parent = dirname(path);
    if (parent !== path) this.ensureDir(parent);
    try {
      mkdirSync(path, { mode });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') return;
      throw e;
    }
    chmodSync(path, mode);
    this.created.push(path);
  }

  /** Write `data` to `path` with `mode` unless the file exists; true when this call created it. */
  writeNew(path: string, data: string | Buffer, mode = 0o644): boolean {
    if (existsSync(path)) return false;
    this.ensureDir(dirname(path));
    if (!writeNoClobber(path, data, mode)) return false;
    this.created.push(path);
    return true;
  }
}

/**
 * Write to a temporary file, then hard-link it into place: the link fails if the target
 * appeared meanwhile, and readers never see a half-written file. Falls back to an exclusive
 * create on file systems without hard links.
 */
export function writeNoClobber(path: string, data: string | Buffer, mode: number): boolean {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  writeFileSync(tmp, data, { mode, flag: 'wx' });
  try {
    chmodSync(tmp, mode);
    linkSync(tmp, path);
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP' || code === 'ENOSYS') {
      try {
        writeFileSync(path, data, { mode, flag: 'wx' });
        chmodSync(path, mode);
        return true;
      } catch (e2) {
        if ((e2 as NodeJS.ErrnoException).code === 'EEXIST') return false;
        throw e2;
      }
    }
    throw e;
  } finally {
    unlinkSync(tmp);
  }
}
