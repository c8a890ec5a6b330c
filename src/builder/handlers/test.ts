/**
 * Koji's test task handlers (koji/tasks.py), with Koji's arguments, subtasks, results and
 * weights: sleep, fork, waittest, subtask, dependantTask, and `default`, which fails every task
 * whose method no handler serves ("Invalid method: …").
 */
import { spawn } from 'node:child_process';
import { setTimeout as delay } from 'node:timers/promises';
import { TASK_STATES } from '../../protocol/enums.ts';
import { GenericError } from '../../protocol/faults.ts';
import { pyRepr, pyStrOf } from '../../protocol/pyrepr.ts';
import { Float, isStruct, type XmlRpcValue } from '../../protocol/values.ts';
import type { TaskHandler } from './registry.ts';

/** Python's type name of a decoded value, for TypeError texts. */
function pyType(v: unknown): string {
  if (v === null || v === undefined) return 'NoneType';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  if (v instanceof Float) return 'float';
  if (typeof v === 'string') return 'str';
  if (Array.isArray(v)) return 'list';
  if (isStruct(v)) return 'dict';
  return typeof v;
}

/** A number where Python wants one (`time.sleep`): bools count, other types are a TypeError. */
function pyNumber(v: unknown): number {
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'number') return v;
  if (v instanceof Float) return v.value;
  throw new TypeError(`'${pyType(v)}' object cannot be interpreted as an integer`);
}

/** An int where Python wants one (`range(n)`). */
function pyInt(v: unknown): number {
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  throw new TypeError(`'${pyType(v)}' object cannot be interpreted as an integer`);
}

/** Results of a wait as Python prints the dict (pprint sorts the keys). */
function formatResults(results: Map<number, XmlRpcValue>): string {
  return `{${[...results].sort((a, b) => a[0] - b[0]).map(([k, v]) => `${k}: ${pyRepr(v, { sortDicts: true })}`).join(',\n ')}}`;
}

const sleep: TaskHandler = {
  methods: ['sleep'],
  className: 'SleepTask',
  params: '(n)',
  weight: 0.25,
  async run(task, a) {
    const n = pyNumber(a.n);
    if (n < 0) throw Object.assign(new Error('sleep length must be non-negative'), { name: 'ValueError' });
    task.log.info(`Sleeping for ${pyStrOf(a.n)} seconds`);
    await delay(n * 1000);
    task.log.info('Finished sleeping');
    return null;
  },
};

const fork: TaskHandler = {
  methods: ['fork'],
  className: 'ForkTask',
  params: '(n=5, m=37)',
  run(task, a) {
    const n = pyInt(a.n);
    for (let i = 0; i < n; i++) {
      const child = spawn('sleep', [pyStrOf(a.m)], { stdio: 'ignore' });
      child.on('error', (e) => task.log.warn(`sleep: ${e.message}`));
      child.unref();
    }
    return null;
  },
};

const waittest: TaskHandler = {
  methods: ['waittest'],
  className: 'WaitTestTask',
  params: '(count, seconds=10)',
  weight: 0.1,
  async run(task, a) {
    const tasks: number[] = [];
    for (let i = 0; i < pyInt(a.count); i++) tasks.push(await task.subtask('sleep', [a.seconds], { label: String(i) }));
    const bad = await task.subtask('sleep', ['BAD_ARG'], { label: 'bad' });
    tasks.push(bad);
    const results = await task.wait(tasks, { all: true, failany: true, canfail: [bad] });
    task.log.info(formatResults(results));
    return null;
  },
};

const subtask: TaskHandler = {
  methods: ['subtask'],
  className: 'SubtaskTask',
  params: '(n=4)',
  weight: 0.1,
  async run(task, a) {
    if (typeof a.n !== 'number' && !(a.n instanceof Float) && typeof a.n !== 'boolean') {
      throw new TypeError(`'>' not supported between instances of '${pyType(a.n)}' and 'int'`);
    }
    const n = pyNumber(a.n);
    const child = n > 0 ? await task.subtask('subtask', [n - 1], { label: 'foo' }) : await task.subtask('sleep', [15], { label: 'bar' });
    await task.wait(child);
    return null;
  },
};

const dependantTask: TaskHandler = {
  methods: ['dependantTask'],
  className: 'DependantTask',
  params: '(wait_list, task_list)',
  weight: 0.2,
  async run(task, a) {
    const waitList: XmlRpcValue[] = [];
    for (const t of a.wait_list as XmlRpcValue[]) {
      if (typeof t === 'number' && Number.isInteger(t) && (await task.session.call('getTaskInfo', [t]))) waitList.push(t);
      else task.log.debug(`invalid task id ${pyStrOf(t)}, removing from wait_list`);
    }
    // the tasks waited for are not children of this task: poll them
    while (waitList.length) {
      for (const t of [...waitList]) {
        if (await task.session.call<boolean>('taskFinished', [t])) {
          const info = await task.session.call<Record<string, XmlRpcValue> | null>('getTaskInfo', [t]);
          const state = info ? TASK_STATES.name(Number(info.state)) : undefined;
          if (info && (state === 'CANCELED' || state === 'FAILED')) throw new GenericError(`Dependency ${pyStrOf(info.id)} failed to complete.`);
          waitList.splice(waitList.indexOf(t), 1);
        }
      }
      await delay(1000);
    }
    const subtasks: number[] = [];
    for (const t of a.task_list as XmlRpcValue[][]) {
      const opts = t.length > 2 && isStruct(t[2]) ? t[2] : {};
      const id = await task.session.call<number>('host.subtask', [t[0], t[1], task.id], opts);
      if (id) subtasks.push(id);
    }
    if (subtasks.length) await task.wait(subtasks, { all: true });
    return null;
  },
};

const fallback: TaskHandler = {
  methods: ['default'],
  className: 'DefaultTask',
  params: '(*args, **opts)',
  weight: 0.1,
  run(task) {
    throw new GenericError(`Invalid method: ${task.method}`);
  },
};

export const TEST_HANDLERS: TaskHandler[] = [sleep, fork, waittest, subtask, dependantTask, fallback];
