/**
 * Fault injection for crash tests: `crashPoint('import:placed')` kills this process at once
 * (SIGKILL: no cleanup, no rollback hooks, as a power cut would) when the environment variable
 * KOJITS_TEST_CRASH_AT names that point. Costs one comparison otherwise.
 */
const target = process.env.KOJITS_TEST_CRASH_AT ?? '';

export function crashPoint(name: string): void {
  if (target !== '' && target === name) process.kill(process.pid, 'SIGKILL');
}
