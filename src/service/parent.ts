/**
 * The child's side of supervision: a program started by the supervisor (`kojits up`) stops
 * when the supervisor is gone, however it went (kill -9 included), instead of running on as an
 * orphan holding ports and the data folder. The supervisor starts it with an IPC channel and
 * SUPERVISED_ENV set; the channel closes when the supervisor's process ends, and the program
 * then gets SIGTERM from itself (its usual clean stop), and exits outright if that takes
 * longer than `graceMs`.
 */
import cluster from 'node:cluster';

export const SUPERVISED_ENV = 'KOJITS_SUPERVISED';

/** Call once at start-up of every program. Returns whether this process is supervised. */
export function watchSupervisor(o: { graceMs?: number; say?: (line: string) => void } = {}): boolean {
  const supervised = process.env[SUPERVISED_ENV] === '1';
  // not for the processes this one starts (a builder's tasks, hub workers)
  delete process.env[SUPERVISED_ENV];
  if (!supervised || cluster.isWorker || !process.channel) return false;
  process.channel.unref();
  // the supervisor's pipes close with it: a write then fails with EPIPE, which must not
  // crash the program before it has stopped cleanly
  for (const s of [process.stdout, process.stderr]) s.on('error', () => undefined);
  process.once('disconnect', () => {
    o.say?.('the supervisor is gone: stopping');
    setTimeout(() => process.exit(1), o.graceMs ?? 10_000).unref();
    process.kill(process.pid, 'SIGTERM');
  });
  return true;
}
