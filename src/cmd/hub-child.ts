/** Marks the extra hub processes that a hub with HubWorkers > 1 starts (see serve.ts). */
export const CHILD_ENV = 'KOJITS_HUB_CHILD';

/** This process is one of the extra hub processes. */
export function isHubChild(): boolean {
  return process.env[CHILD_ENV] === '1' && typeof process.send === 'function';
}
