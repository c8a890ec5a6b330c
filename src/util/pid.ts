/**
 * Whether a process of this machine has ended: only "no such process" counts (EPERM means it
 * runs as another user). Callers that must not be fooled by a reused pid check more.
 */
export function processGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
