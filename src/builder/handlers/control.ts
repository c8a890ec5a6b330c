/**
 * Koji's control tasks (koji/tasks.py): `shutdown` and `restart`/`restartVerify` run in the
 * daemon itself (Foreground) — shutdown stops it, restart restarts it once no task runs,
 * restartVerify checks that it did —, and `restartHosts` restarts every enabled host (or those
 * of a channel / arches) through a restart + restartVerify pair of subtasks per host.
 */
import { TASK_STATES } from '../../protocol/enums.ts';
import { GenericError } from '../../protocol/faults.ts';
import { isStruct, type XmlRpcStruct, type XmlRpcValue } from '../../protocol/values.ts';
import { ServerExit, ServerRestart } from '../errors.ts';
import type { TaskHandler } from './registry.ts';

/** Python's time.asctime(time.localtime(ts)): "Tue Mar  5 14:03:02 2024". */
function asctime(ts: number): string {
  const d = new Date(ts * 1000);
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const p = (n: number) => String(n).padStart(2, '0');
  return `${days[d.getDay()]} ${months[d.getMonth()]} ${String(d.getDate()).padStart(2, ' ')} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())} ${d.getFullYear()}`;
}

const hostId = (h: XmlRpcValue) => (isStruct(h) ? Number(h.id) : NaN);

const shutdown: TaskHandler = {
  methods: ['shutdown'],
  className: 'ShutdownTask',
  params: '()',
  weight: 0.0,
  foreground: true,
  run() {
    throw new ServerExit();
  },
};

const restart: TaskHandler = {
  methods: ['restart'],
  className: 'RestartTask',
  params: '(host)',
  weight: 0.1,
  foreground: true,
  async run(task, a) {
    if (hostId(a.host) !== (await task.hostId())) throw new GenericError('Host mismatch');
    task.manager.restartPending = true;
    return 'graceful restart initiated';
  },
};

const restartVerify: TaskHandler = {
  methods: ['restartVerify'],
  className: 'RestartVerifyTask',
  params: '(task_id, host)',
  weight: 0.1,
  foreground: true,
  async run(task, a) {
    const tinfo = await task.session.call<XmlRpcStruct>('getTaskInfo', [a.task_id]);
    const state = TASK_STATES.name(Number(tinfo.state));
    if (state !== 'CLOSED') throw new GenericError(`Stage one restart task is ${state}`);
    if (hostId(a.host) !== (await task.hostId())) throw new GenericError('Host mismatch');
    if (task.manager.startTs < Number(tinfo.completion_ts)) throw new GenericError(`Restart failed - start time is ${asctime(task.manager.startTs)}`);
    return null;
  },
};

const restartHosts: TaskHandler = {
  methods: ['restartHosts'],
  className: 'RestartHostsTask',
  params: '(options=None)',
  weight: 0.1,
  async run(task, a) {
    const options = isStruct(a.options) ? a.options : {};
    const query: Record<string, XmlRpcValue> = { enabled: true };
    if ('channel' in options) {
      const chan = await task.session.call<XmlRpcStruct>('getChannel', [options.channel], { strict: true });
      query.channelID = chan.id;
    }
    if ('arches' in options) query.arches = options.arches;
    const hosts = await task.session.call<XmlRpcStruct[]>('listHosts', [], query);
    if (!hosts.length) throw new GenericError('No matching hosts');
    const timeout = 'timeout' in options ? Number(options.timeout) : 3600 * 24;
    const me = await task.hostId();
    const subtasks: number[] = [];
    let mine: number[] | null = null;
    for (const host of hosts) {
      // task assignments bypass channel restrictions
      const t1 = await task.subtask('restart', [host], { assign: host.id, label: `restart ${Number(host.id)}` });
      const t2 = await task.subtask('restartVerify', [t1, host], { assign: host.id, label: `sleep ${Number(host.id)}` });
      subtasks.push(t1, t2);
      if (Number(host.id) === me) mine = [t1, t2];
    }
    if (mine) {
      // this host restarts too: free this task so that the restart can happen; it runs again after
      await task.wait(mine[0], { timeout });
      if (!(await task.session.call<boolean>('taskFinished', [mine[1]]))) throw new ServerRestart();
    }
    if (subtasks.length) await task.wait(subtasks, { all: true, timeout });
    return null;
  },
};

export const CONTROL_HANDLERS: TaskHandler[] = [shutdown, restart, restartVerify, restartHosts];
