/**
 * Koji's control-flow exceptions of task handlers (koji/tasks.py): ServerExit stops the daemon,
 * ServerRestart restarts it (a handler raising it has its task freed first), RefuseTask hands the
 * task back to the scheduler with a refusal.
 */
export class ServerExit extends Error {
  override name = 'ServerExit';
}

export class ServerRestart extends Error {
  override name = 'ServerRestart';
}

export class RefuseTask extends Error {
  override name = 'RefuseTask';
}
