/** Files a task left in its work folder (logs, results): listTaskOutput and downloadTaskOutput. */
import { promises as fsp } from 'node:fs';
import { join, normalize } from 'node:path';
import { GenericError } from '../../protocol/faults.ts';
import { Float, type XmlRpcValue } from '../../protocol/values.ts';
import { PathInfo } from '../../util/pathinfo.ts';
import { lookupName } from '../lookup.ts';
import { method, t, type MethodDef } from '../registry.ts';
import type { CallContext } from '../types.ts';
import { taskId } from '../tasks/task.ts';

/** Files under dir, relative, depth first as os.walk lists them. */
async function walk(dir: string, rel = ''): Promise<string[]> {
  const entries = await fsp.readdir(join(dir, rel), { withFileTypes: true }).catch(() => null);
  if (!entries) return [];
  const out: string[] = [];
  for (const e of entries) if (e.isFile()) out.push(rel ? `${rel}/${e.name}` : e.name);
  for (const e of entries) if (e.isDirectory()) out.push(...(await walk(dir, rel ? `${rel}/${e.name}` : e.name)));
  return out;
}

async function listTaskOutput(ctx: CallContext, id: number, stat: boolean, allVolumes: boolean, strict: boolean): Promise<XmlRpcValue> {
  if (strict && (await ctx.sql.value('SELECT id FROM task WHERE id = $1', [id])) === null) throw new GenericError("Task doesn't exist");
  const pi = new PathInfo(ctx.hub.kojiDir);
  const volumes = allVolumes ? (await ctx.sql.query<{ name: string }>('SELECT name FROM volume ORDER BY id')).map((v) => v.name) : ['DEFAULT'];
  const list: string[] = [];
  const map: Record<string, XmlRpcValue> = {};
  for (const volume of volumes) {
    const dir = pi.task(id, volume);
    for (const f of await walk(dir)) {
      let value: XmlRpcValue = volume;
      if (stat) {
        const st = await fsp.stat(join(dir, f)).catch(() => null);
        if (!st) continue;
        value = { st_size: String(st.size), st_atime: new Float(st.atimeMs / 1000), st_mtime: new Float(st.mtimeMs / 1000), st_ctime: new Float(st.ctimeMs / 1000) };
      }
      if (!stat && !allVolumes) list.push(f);
      else if (allVolumes) {
        const prev = map[f] ?? (stat ? {} : []);
        if (stat) (prev as Record<string, XmlRpcValue>)[volume] = value;
        else (prev as XmlRpcValue[]).push(volume);
        map[f] = prev;
      } else map[f] = value;
    }
  }
  return stat || allVolumes ? map : list;
}

async function downloadTaskOutput(ctx: CallContext, id: number, fileName: string, offset: number, size: number, volume: unknown): Promise<string> {
  let vol: string | null = null;
  if (volume) vol = (await lookupName(ctx.sql, 'volume', volume, { strict: true }))!.name;
  if (fileName.includes('..')) throw new GenericError(`Invalid file name: ${fileName}`);
  const path = normalize(join(new PathInfo(ctx.hub.kojiDir).task(id, vol), fileName));
  const st = await fsp.stat(path).catch(() => null);
  if (!st?.isFile()) throw new GenericError(`no file "${fileName}" output by task ${id}`);
  const fh = await fsp.open(path, 'r');
  try {
    const start = offset > 0 ? offset : offset < 0 ? Math.max(0, st.size + offset) : 0;
    const want = size < 0 ? st.size - start : Math.min(size, st.size - start);
    if (want > ctx.hub.options.MaxReplySize && ctx.hub.options.MaxReplySize > 0) {
      throw new GenericError(`downloadTaskOutput: asking for ${want} bytes of ${fileName}; ask for at most MaxReplySize (${ctx.hub.options.MaxReplySize}) with offset and size`);
    }
    const buf = Buffer.alloc(Math.max(0, want));
    const { bytesRead } = await fh.read(buf, 0, buf.length, start);
    return buf.subarray(0, bytesRead).toString('base64');
  } finally {
    await fh.close();
  }
}

export const taskOutputMethods: MethodDef[] = [
  method({
    name: 'listTaskOutput',
    sig: '(taskID, stat=False, all_volumes=False, strict=False)',
    doc: "Files in the task's work folder: names, or name → stat fields (st_size as text), or per volume.",
    args: { stat: t.flag, all_volumes: t.flag, strict: t.flag },
    handler: (ctx, a) => listTaskOutput(ctx, taskId(a.taskID), a.stat, a.all_volumes, a.strict),
  }),
  method({
    name: 'downloadTaskOutput',
    sig: '(taskID, fileName, offset=0, size=-1, volume=None)',
    doc: "A file of the task's work folder (or size bytes of it from offset; negative offsets count from the end), as base64 text.",
    args: { fileName: t.str, offset: t.int64, size: t.int64 },
    handler: (ctx, a) => downloadTaskOutput(ctx, taskId(a.taskID), a.fileName, a.offset, a.size, a.volume),
  }),
];
