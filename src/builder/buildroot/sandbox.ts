/**
 * The isolated command line of a build (buildroots.md): bubblewrap with the root read-only at /,
 * only /builddir writable, the SRPM's folder read-only at /srpm, fresh /dev, /proc, /tmp and
 * /var/tmp, every namespace unshared (so no network), uid/gid 1000 inside, a new session, a
 * small fixed environment, dying with its parent. Run by root, bwrap is started through setpriv
 * as an unprivileged host uid (kojid.conf's mockuser, or nobody when that user does not exist),
 * so the build holds no privilege even outside its user namespace.
 */
import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';

export interface BuildUser {
  /** host uid and gid the sandbox runs as (null: as the builder itself, which is not root) */
  uid: number | null;
  gid: number | null;
  /** how it was chosen, for root.log */
  note: string;
}

export const NOBODY = 65534;

/** The host user builds run as: `name` from /etc/passwd, else nobody; the builder's own uid when it is not root. */
export function buildUser(name: string, passwd = '/etc/passwd'): BuildUser {
  const me = process.getuid?.() ?? 0;
  if (me !== 0) return { uid: null, gid: null, note: `builds run as the builder's own uid ${me}` };
  for (const line of readFileSync(passwd, 'utf8').split('\n')) {
    const f = line.split(':');
    if (f[0] === name && Number(f[2]) !== 0) return { uid: Number(f[2]), gid: Number(f[3]), note: `builds run as ${name} (uid ${f[2]})` };
  }
  return { uid: NOBODY, gid: NOBODY, note: `user ${name} (kojid.conf mockuser) does not exist: builds run as nobody (uid ${NOBODY})` };
}

export interface SandboxPaths {
  root: string;
  builddir: string;
  /** folder bound read-only at /srpm */
  srpmDir?: string;
}

const PATH = '/usr/bin:/bin:/usr/sbin:/sbin';

/** argv running `cmd` inside the sandbox. */
export function sandboxArgv(p: SandboxPaths, user: BuildUser, cmd: string[]): string[] {
  const priv = user.uid === null ? [] : ['setpriv', `--reuid=${user.uid}`, `--regid=${user.gid}`, '--clear-groups'];
  return [
    ...priv,
    'bwrap',
    '--ro-bind', p.root, '/',
    '--bind', p.builddir, '/builddir',
    ...(p.srpmDir ? ['--ro-bind', p.srpmDir, '/srpm'] : []),
    '--dev', '/dev', '--proc', '/proc', '--tmpfs', '/tmp', '--tmpfs', '/var/tmp',
    '--unshare-all', '--hostname', 'koji-builder', '--uid', '1000', '--gid', '1000',
    '--die-with-parent', '--new-session', '--clearenv',
    '--setenv', 'HOME', '/builddir', '--setenv', 'PATH', PATH, '--setenv', 'LANG', 'C.UTF-8', '--setenv', 'USER', 'mockbuild',
    '--chdir', '/builddir',
    ...cmd,
  ];
}

/**
 * The first folder on the way to `dir` (itself included) the build user cannot pass through
 * (no x bit for it), with its mode; null when it can reach `dir`. bwrap, running as that user,
 * must see the clone to bind it (mkdtemp folders and private data folders are 0700).
 */
export function unreachableFor(user: BuildUser, dir: string): { dir: string; mode: string } | null {
  if (user.uid === null) return null;
  const parts = resolve(dir).split('/').filter(Boolean);
  for (let i = 0; i <= parts.length; i++) {
    const d = '/' + parts.slice(0, i).join('/');
    let st;
    try {
      st = statSync(d);
    } catch {
      return null; // made later, by the builder, with its own modes
    }
    const bit = st.uid === user.uid ? 0o100 : st.gid === user.gid ? 0o010 : 0o001;
    if (!(st.mode & bit)) return { dir: d, mode: (st.mode & 0o7777).toString(8).padStart(4, '0') };
  }
  return null;
}
