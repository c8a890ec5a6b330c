/**
 * Task handlers by method name — kojid's TaskManager.handlers. A handler states what Koji's
 * handler class states: the methods it serves, its class name (for messages), the parameter
 * list of its `handler()` in Python notation (task arguments are bound to it the way Python
 * does, mismatches failing with Koji's ParameterError text), its weight (`_taskWeight`, or a
 * function of the task), whether it runs in the daemon itself (`Foreground`) and an optional
 * host check. Builder plugins (kojid.conf `plugin`/`pluginpath`) add handlers: a plugin is an ES
 * module NAME.mjs (or NAME.js) exporting `handlers`, an array of such objects.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { bindArgs, parseSignature, type BoundArgs, type Signature } from '../../protocol/signature.ts';
import { isStruct, type XmlRpcStruct, type XmlRpcValue } from '../../protocol/values.ts';
import type { TaskContext } from '../task.ts';

export interface TaskHandler {
  /** methods served (Koji's `Methods`) */
  methods: readonly string[];
  /** Koji's class name, e.g. SleepTask (messages say `SleepTask.handler() …`) */
  className: string;
  /** the handler's parameters in Python notation, e.g. `(n=5, m=37)` or `(*args, **opts)` */
  params: string;
  /** Koji's `_taskWeight` (default 1.0), or the task's weight computed before it runs */
  weight?: number | ((task: TaskContext) => number | Promise<number>);
  /** run inside the daemon with its session (Koji's `Foreground`); for control tasks */
  foreground?: boolean;
  /**
   * koji-ts: the task works the CPU from its start (newRepo, createrepo): the daemon replaces the
   * spare task process it took a few seconds later instead of at once (see daemon.ts)
   */
  busyStart?: boolean;
  /** false: this host cannot run the task (it is refused for good) */
  checkHost?: (task: TaskContext, hostdata: XmlRpcStruct) => boolean | Promise<boolean>;
  /** the work; the value becomes the task's result */
  run(task: TaskContext, args: BoundArgs): Promise<XmlRpcValue> | XmlRpcValue;
}

/** Koji's koji.decode_args: a trailing struct flagged `__starstar` holds keyword arguments. */
export function decodeArgs(params: XmlRpcValue[]): { args: XmlRpcValue[]; kwargs: Record<string, XmlRpcValue> } {
  const last = params[params.length - 1];
  if (isStruct(last) && last.__starstar) {
    const { __starstar: _flag, ...kwargs } = last;
    return { args: params.slice(0, -1), kwargs };
  }
  return { args: params, kwargs: {} };
}

export class HandlerRegistry {
  private readonly byMethod = new Map<string, TaskHandler>();
  private readonly signatures = new Map<TaskHandler, Signature>();

  register(h: TaskHandler): void {
    this.signatures.set(h, parseSignature(h.params));
    for (const m of h.methods) this.byMethod.set(m, h);
  }

  get(method: string): TaskHandler | undefined {
    return this.byMethod.get(method);
  }

  /** Every method name served (reported to the hub as the host's `methods`). */
  methods(): string[] {
    return [...this.byMethod.keys()];
  }

  /** The task's arguments bound to the handler's parameters (ParameterError when they do not fit). */
  bind(h: TaskHandler, params: XmlRpcValue[]): BoundArgs {
    const sig = this.signatures.get(h) ?? parseSignature(h.params);
    const { args, kwargs } = decodeArgs(params);
    return bindArgs(`${h.className}.handler`, sig, args, kwargs);
  }
}

/** Weight of a task for its handler: `_taskWeight` (1.0 unless set) or the handler's function. */
export async function handlerWeight(h: TaskHandler, task: TaskContext): Promise<number> {
  if (typeof h.weight === 'function') return h.weight(task);
  return h.weight ?? 1.0;
}

/** Import plugins NAME.mjs / NAME.js from the folders of `pluginpath` (colon-separated) into `registry`. */
export async function loadPlugins(registry: HandlerRegistry, names: string[], pluginpath: string): Promise<string[]> {
  const loaded: string[] = [];
  for (const name of names) {
    const dirs = pluginpath.split(':').filter(Boolean);
    const file = dirs.flatMap((d) => [join(d, `${name}.mjs`), join(d, `${name}.js`)]).find((f) => existsSync(f));
    if (!file) throw new Error(`builder plugin ${name} not found (looked for ${name}.mjs and ${name}.js in ${dirs.join(', ') || 'no folder'}: set pluginpath)`);
    const mod = (await import(pathToFileURL(file).href)) as { handlers?: TaskHandler[]; default?: TaskHandler[] };
    const handlers = mod.handlers ?? mod.default;
    if (!Array.isArray(handlers)) throw new Error(`builder plugin ${file} exports no \`handlers\` array`);
    for (const h of handlers) {
      if (!h || !Array.isArray(h.methods) || typeof h.run !== 'function' || typeof h.params !== 'string') throw new Error(`builder plugin ${file}: a handler needs methods, params and run()`);
      registry.register({ ...h, className: h.className ?? `${h.methods[0]}Task` });
    }
    loaded.push(file);
  }
  return loaded;
}
