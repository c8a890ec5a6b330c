/**
 * Messages between the daemon and a task process over the process's IPC channel. The daemon
 * starts the process ahead of time; the process says `hello` when loaded, may get `prepare`
 * (the hub's address: it connects while it waits), gets `start` with
 * everything its task needs (the task's arguments as XML-RPC text, so their types survive, and
 * the subsession it uses), `wake` when an awaited subtask may have finished (kojid's SIGUSR2),
 * and reports `polled` after each look at its subtasks and `done` with the outcome at the end.
 * When the channel closes (the daemon died, even by kill -9), the process stops its own tree.
 */
import type { KojidOptions } from '../config/kojid.ts';
import type { ClientOptions, SessionInfo } from '../protocol/client.ts';
import type { Outcome } from './run-task.ts';

export interface StartMessage {
  type: 'start';
  id: number;
  method: string;
  /** the task's arguments: methodResponse text of the list */
  request: string;
  server: string;
  client: ClientOptions;
  session: SessionInfo;
  options: KojidOptions;
  logLevel: string;
}

/** Sent to a spare process: connect to the hub ahead of the task. */
export interface PrepareMessage {
  type: 'prepare';
  server: string;
  client: ClientOptions;
}

export type ToTask = StartMessage | PrepareMessage | { type: 'wake' };

/** `exit`: the handler stopped the daemon (ServerExit); the task is left open for the daemon to free */
export type FromTask = { type: 'hello' } | { type: 'polled' } | { type: 'done'; outcome: Outcome | 'exit' };
