/**
 * Running one task to its end, as kojid's TaskManager.runTask: a fresh local work folder, the
 * task's log (task.log, uploaded while it runs), the handler, then the result: `host.closeTask`
 * with the methodResponse of the value, or `host.failTask` with a fault — a Koji error keeps its
 * code and text; any other error is fault 1 with a traceback, as kojid reports Python
 * exceptions. RefuseTask refuses the task, ServerRestart frees it, ServerExit goes up to the
 * daemon (the task stays open and is freed when the daemon stops).
 */
import { join } from 'node:path';
import type { KojidOptions } from '../config/kojid.ts';
import type { ClientSession } from '../protocol/client.ts';
import { encodeFault, encodeResponse } from '../protocol/encode.ts';
import type { XmlRpcValue } from '../protocol/values.ts';
import { RefuseTask, ServerExit, ServerRestart } from './errors.ts';
import type { HandlerRegistry, TaskHandler } from './handlers/registry.ts';
import type { LineLog } from '../util/line-log.ts';
import { TaskContext, taskWorkdir, type TaskManagerView } from './task.ts';
import { LogUploader, TaskLog } from './tasklog.ts';
import type { Wakeup } from './wakeup.ts';

export type Outcome = 'closed' | 'failed' | 'refused' | 'freed';

/** The file name of a task's own log in its output. */
export const TASK_LOG = 'task.log';

/** Python's rendering of an exception that is not a Koji error: a traceback ending in "Type: message". */
export function traceback(e: unknown): string {
  if (!(e instanceof Error)) return `Traceback (most recent call last):\nException: ${String(e)}\n`;
  const frames = (e.stack ?? '')
    .split('\n')
    .map((l) => /^\s+at (?:(.*?) \()?(.*?):(\d+):\d+\)?$/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .reverse()
    .map((m) => `  File "${m[2]}", line ${m[3]}, in ${m[1] ?? '<module>'}`);
  return `Traceback (most recent call last):\n${frames.join('\n')}${frames.length ? '\n' : ''}${e.name}: ${e.message}\n`;
}

/** [faultCode, faultString] of an error as kojid reports it. */
export function faultOf(e: unknown): [number, string] {
  const code = (e as { faultCode?: unknown }).faultCode;
  if (typeof code === 'number' && e instanceof Error) return [code, e.message];
  return [1, traceback(e)];
}

export interface RunTaskOptions {
  id: number;
  method: string;
  params: XmlRpcValue[];
  handler: TaskHandler;
  registry: HandlerRegistry;
  session: ClientSession;
  options: KojidOptions;
  log: LineLog;
  wakeup: Wakeup;
  onPolled?: () => void;
  manager?: TaskManagerView;
}

export async function executeTask(o: RunTaskOptions): Promise<Outcome> {
  const tlog = new TaskLog(join(taskWorkdir(o.options, o.id), TASK_LOG), o.log, `koji.build.${o.handler.className}`);
  const ctx = new TaskContext(o.id, o.method, o.params, { session: o.session, options: o.options, log: tlog, wakeup: o.wakeup, onPolled: o.onPolled, manager: o.manager });
  await ctx.createWorkdir();
  const uploader = new LogUploader(o.session, ctx.uploadDir(), o.log);
  uploader.add(tlog.file as string, TASK_LOG);
  uploader.start();
  const finish = async () => {
    uploader.stop();
    await uploader.sync().catch((e: Error) => o.log.warn(`task ${o.id}: log upload failed: ${e.message}`));
  };
  try {
    let response: string;
    try {
      tlog.info(`Running task ${o.id} (${o.method})`);
      const result = await o.handler.run(ctx, o.registry.bind(o.handler, o.params));
      response = encodeResponse(result ?? null);
      tlog.debug(`RESPONSE: ${response}`);
      await finish();
      await o.session.call('host.closeTask', [o.id, response]);
      return 'closed';
    } catch (e) {
      if (e instanceof ServerExit) {
        await finish();
        throw e;
      }
      if (e instanceof RefuseTask) {
        tlog.info(`Refusing task: ${e.message}`);
        await finish();
        await o.session.call('host.refuseTask', [o.id], { msg: e.message });
        return 'refused';
      }
      if (e instanceof ServerRestart) {
        // freeing this task lets a pending restart happen
        await finish();
        await o.session.call('host.freeTasks', [[o.id]]);
        return 'freed';
      }
      const [code, text] = faultOf(e);
      tlog.warn(code === 1 ? `TRACEBACK: ${text}` : `FAULT: ${code} ${text}`);
      await finish();
      await o.session.call('host.failTask', [o.id, encodeFault(code, text)]);
      return 'failed';
    }
  } finally {
    uploader.stop();
    tlog.close();
    await ctx.removeWorkdir();
  }
}
