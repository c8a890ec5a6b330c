/**
 * Process trees from /proc, for stopping everything a task started: the task process, its
 * descendants (found through their parent pids, as kojid does, so processes that made their own
 * session are found too) and whatever is left in its process group (processes whose parent
 * already exited). Stopping is kojid's escalation, shortened: SIGTERM, then SIGKILL for what is
 * still there after `graceMs`, re-reading /proc each round so processes started meanwhile are
 * caught.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';

interface Stat {
  pid: number;
  ppid: number;
  pgrp: number;
  state: string;
}

function readStat(pid: number): Stat | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // "pid (comm) state ppid pgrp …": comm may hold spaces and parentheses
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { pid, state: f[0], ppid: Number(f[1]), pgrp: Number(f[2]) };
}

function allStats(): Stat[] {
  const out: Stat[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    const s = readStat(Number(e));
    if (s) out.push(s);
  }
  return out;
}

/** `pid` (while it lives), its descendants and the members of process group `pgid`; zombies left out. */
export function processTree(pid: number | null, pgid: number | null = pid): number[] {
  const stats = allStats().filter((s) => s.state !== 'Z');
  const byParent = new Map<number, number[]>();
  for (const s of stats) byParent.set(s.ppid, [...(byParent.get(s.ppid) ?? []), s.pid]);
  const found = new Set<number>();
  if (pid !== null && stats.some((s) => s.pid === pid)) found.add(pid);
  const queue = pid === null ? [] : [pid];
  while (queue.length) {
    for (const c of byParent.get(queue.shift() as number) ?? []) {
      if (!found.has(c)) {
        found.add(c);
        queue.push(c);
      }
    }
  }
  if (pgid !== null) for (const s of stats) if (s.pgrp === pgid) found.add(s.pid);
  found.delete(process.pid);
  return [...found];
}

function signal(pids: number[], sig: NodeJS.Signals): void {
  for (const p of pids) {
    try {
      process.kill(p, sig);
    } catch {
      // gone already
    }
  }
}

/**
 * Stop the tree of `pid` (and group `pgid`; null `pid`: the group only, for a process that has
 * exited): SIGTERM, then SIGKILL after `graceMs`; resolves when nothing of it is left (or after a
 * last SIGKILL round). Returns the pids that were found.
 */
export async function killTree(pid: number | null, o: { pgid?: number | null; graceMs?: number } = {}): Promise<number[]> {
  const pgid = o.pgid === undefined ? pid : o.pgid;
  const grace = o.graceMs ?? 2000;
  const seen = new Set<number>();
  let pids = processTree(pid, pgid);
  pids.forEach((p) => seen.add(p));
  signal(pids, 'SIGTERM');
  const until = Date.now() + grace;
  while (pids.length && Date.now() < until) {
    await delay(50);
    pids = processTree(pid, pgid);
    // started meanwhile: they get the same treatment
    for (const p of pids) {
      if (!seen.has(p)) {
        seen.add(p);
        signal([p], 'SIGTERM');
      }
    }
  }
  for (let round = 0; round < 5 && pids.length; round++) {
    signal(pids, 'SIGKILL');
    await delay(50);
    pids = processTree(pid, pgid);
    pids.forEach((p) => seen.add(p));
  }
  return [...seen];
}

/** Whether a process exists (and is not a zombie). */
export function alive(pid: number): boolean {
  const s = readStat(pid);
  return s !== null && s.state !== 'Z';
}
