/**
 * Live logs. `watchlogs?taskID=N` shows the tail of each log of a task and its subtasks (no
 * JavaScript needed to read it); /koji-static/watchlogs.js then follows each one through
 * `logstream?taskID=N&name=F&offset=K`, a server-sent event stream that starts where the page
 * ended (or at the browser's Last-Event-ID on reconnect, the byte offset), sends what the hub's
 * downloadTaskOutput returns as the log grows, and ends once the task has finished and
 * everything was sent. The web polls the hub (every 0.5 s while nothing is new); browsers do not
 * poll.
 */
import type { ServerResponse } from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import { TASK_STATES } from '../../protocol/enums.ts';
import type { PageContext, PageResult, Row } from '../context.ts';
import { badRequest } from '../errors.ts';

/** bytes of each log the page shows before the stream takes over */
const TAIL = 16 * 1024;
/** bytes asked of the hub per call */
const PIECE = 256 * 1024;
const POLL_MS = 500;
const HEARTBEAT_MS = 15_000;
/** a stream ends after this long; the browser reconnects with Last-Event-ID */
const MAX_STREAM_MS = 30 * 60_000;

const DONE = new Set<number>([TASK_STATES.byName.CLOSED, TASK_STATES.byName.CANCELED, TASK_STATES.byName.FAILED]);

/** The longest prefix of `buf` that ends on a whole UTF-8 character. */
export function utf8Prefix(buf: Buffer): number {
  const i = buf.length;
  // step back over continuation bytes (10xxxxxx) to the last lead byte
  let back = 0;
  while (back < 4 && i - back - 1 >= 0 && (buf[i - back - 1] & 0xc0) === 0x80) back++;
  const lead = i - back - 1;
  if (lead < 0) return i;
  const b = buf[lead];
  const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
  return need > back + 1 ? lead : i;
}

const logName = (name: string) => {
  if (!/^[\w.+-]+(\/[\w.+-]+)*$/.test(name) || name.split('/').includes('..')) throw badRequest(`bad log name ${JSON.stringify(name.slice(0, 80))}`);
  return name;
};

export async function watchlogs(ctx: PageContext): Promise<PageResult> {
  const id = ctx.params.id('taskID');
  const task = await ctx.need('getTaskInfo', [id], 'task');
  const tasks = [task, ...(await ctx.call<Row[]>('getTaskChildren', [id]))];
  // the tasks' files, then the tails of their logs: two multicalls
  const outputs = await ctx.multi<Record<string, Row>>(tasks.map((t) => ({ method: 'listTaskOutput', args: [t.id as number], kwargs: { stat: true } })));
  const wanted = tasks.flatMap((task, i) =>
    Object.entries(outputs[i])
      .filter(([name]) => name.endsWith('.log'))
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, st]) => ({ task, name, from: Math.max(0, Number(st.st_size) - TAIL), size: Number(st.st_size) })),
  );
  const tails = await ctx.multi<string>(wanted.map((w) => ({ method: 'downloadTaskOutput', args: [w.task.id as number, w.name], kwargs: { offset: w.from, size: w.size - w.from } })));
  const logs = wanted.map(({ task: t, name, from }, i) => {
    const buf = Buffer.from(tails[i], 'base64');
    // start the shown text on a whole character, end it on one
    let skip = 0;
    while (from > 0 && skip < buf.length && (buf[skip] & 0xc0) === 0x80) skip++;
    const end = utf8Prefix(buf);
    return { task: t, name, text: buf.subarray(skip, end).toString('utf8'), offset: from + end, cut: from > 0 };
  });
  return { template: 'watchlogs.njk', title: `Logs of task ${id}`, pageID: 'tasks', data: { task, logs, open: !DONE.has(task.state as number) } };
}

export function logstream(ctx: PageContext): Promise<PageResult> {
  const id = ctx.params.id('taskID');
  const name = logName(ctx.params.str('name') ?? '');
  const resume = ctx.req.headers['last-event-id'];
  let offset = typeof resume === 'string' && /^\d{1,15}$/.test(resume) ? Number(resume) : (ctx.params.int('offset') ?? 0);
  return Promise.resolve({
    async stream(res: ServerResponse, signal: AbortSignal) {
      res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-store', 'X-Accel-Buffering': 'no' });
      res.write('retry: 2000\n\n');
      const started = Date.now();
      let beat = Date.now();
      while (!signal.aborted && Date.now() - started < MAX_STREAM_MS) {
        // the state first: a log read after the task ended holds everything
        const task = await ctx.call<Row | null>('getTaskInfo', [id]);
        if (!task) {
          res.write(`event: fail\ndata: ${JSON.stringify({ message: `No such task: ${id}` })}\n\n`);
          break;
        }
        let buf: Buffer = Buffer.alloc(0);
        try {
          buf = Buffer.from(await ctx.call<string>('downloadTaskOutput', [id, name], { offset, size: PIECE }), 'base64');
        } catch {
          // not written yet
        }
        const n = utf8Prefix(buf);
        if (n > 0) {
          offset += n;
          res.write(`id: ${offset}\ndata: ${JSON.stringify({ text: buf.subarray(0, n).toString('utf8') })}\n\n`);
          beat = Date.now();
          if (buf.length === PIECE) continue;
        } else if (DONE.has(task.state as number)) {
          res.write(`event: end\ndata: ${JSON.stringify({ state: TASK_STATES.name(task.state as number)?.toLowerCase() })}\n\n`);
          break;
        }
        if (Date.now() - beat > HEARTBEAT_MS) {
          res.write(': still here\n\n');
          beat = Date.now();
        }
        await delay(POLL_MS, undefined, { signal }).catch(() => undefined);
      }
      res.end();
    },
  });
}
