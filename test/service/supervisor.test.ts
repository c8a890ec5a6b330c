/**
 * The supervisor with tiny real programs as services: start order and readiness, logs (console
 * callback and DIR/<name>.log), restarts with back-off, a service that cannot start, the grace
 * period before SIGKILL (to the program's whole process group), stop order.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StartError, Supervisor, type SupervisorOptions } from '../../src/service/supervisor.ts';
import type { ServiceSpec } from '../../src/service/process.ts';
import { alive, until } from '../cmd/proc.ts';

const dir = mkdtempSync(join(tmpdir(), 'kojits-supervisor-'));
const PROG = join(dir, 'prog.mjs');
// NAME prints a line on each stream, says it is ready after READY_MS (never with NEVER_READY),
// exits with 3 at once with FAIL, crashes 100 ms after it is ready during its first
// CRASHES starts, ignores SIGTERM with STUBBORN, starts `sleep` in its group with CHILD;
// each start and each clean stop is appended to DIR/events
writeFileSync(
  PROG,
  `
import { appendFileSync, readFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
const [name, events, extra] = process.argv.slice(2);
const env = process.env;
let starts = 0;
try { starts = readFileSync(events, 'utf8').split('\\n').filter((l) => l.startsWith(name + ' start')).length; } catch {}
// the handler comes before the start line: a test that stops the program once it sees that line
// must find its stop line too
process.on('SIGTERM', () => {
  if (env.STUBBORN) return;
  appendFileSync(events, name + ' stop\\n');
  process.exit(0);
});
appendFileSync(events, name + ' start' + (extra ? ' ' + extra : '') + '\\n');
if (env.CHILD) { const c = spawn('sleep', ['60'], { stdio: 'ignore' }); console.log('child ' + c.pid); }
console.log('hello from ' + name);
console.error('note from ' + name);
if (env.FAIL) { console.error(name + ': cannot start: port in use'); process.exit(3); }
setInterval(() => {}, 1000);
if (!env.NEVER_READY) setTimeout(() => {
  console.log(name + ' is ready');
  if (starts < Number(env.CRASHES ?? 0)) setTimeout(() => process.exit(7), 100);
}, Number(env.READY_MS ?? 50));
`,
);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
function setup(specs: Array<{ name: string; env?: Record<string, string>; stopTimeoutMs?: number; readyTimeoutMs?: number}>, o: Partial<SupervisorOptions> = {}) {
  const sub = join(dir, `run${++n}`);
  const events = join(sub, 'events');
  const lines: string[] = [];
  const notes: string[] = [];
  const services: ServiceSpec[] = specs.map((s) => ({
    name: s.name,
    command: process.execPath,
    args: [PROG, s.name, events],
    env: s.env,
    ready: new RegExp(`^${s.name} is ready$`),
    stopTimeoutMs: s.stopTimeoutMs ?? 5000,
    readyTimeoutMs: s.readyTimeoutMs ?? 20_000,
  }));
  const sup = new Supervisor({
    services,
    logDir: join(sub, 'log'),
    output: (name, stream, line, ready) => lines.push(`${name} ${stream}${ready ? ' ready' : ''}: ${line}`),
    note: (l) => notes.push(l),
    ...o,
  });
  const ev = () => (existsSync(events) ? readFileSync(events, 'utf8').trim().split('\n') : []);
  return { sup, lines, notes, ev, log: (name: string) => readFileSync(join(sub, 'log', `${name}.log`), 'utf8') };
}

describe('Supervisor', () => {
  it('starts services in order, each once the one before is ready, and stops them in reverse', async () => {
    const { sup, lines, ev, log } = setup([{ name: 'first', env: { READY_MS: '300' } }, { name: 'second' }]);
    const ready = await sup.start();
    expect(ready).toEqual(new Map([['first', 'first is ready'], ['second', 'second is ready']]));
    expect(lines.indexOf('first stdout ready: first is ready')).toBeLessThan(lines.indexOf('second stdout: hello from second'));
    expect(lines).toContain('second stderr: note from second');
    expect(sup.status().map((s) => [s.name, s.state])).toEqual([['first', 'ready'], ['second', 'ready']]);
    const pids = sup.status().map((s) => s.pid as number);
    await sup.stop();
    expect(ev()).toEqual(['first start', 'second start', 'second stop', 'first stop']);
    expect(pids.filter(alive)).toEqual([]);
    expect(log('first')).toMatch(/kojits up: started first \(pid \d+\): .*prog\.mjs first/);
    expect(log('first')).toContain('hello from first\nnote from first\n');
    expect(log('first')).toMatch(/first stopped \(exit code 0\)\n$/);
  });

  it('fails the start when a service ends before it is ready, and stops what it started', async () => {
    const { sup, ev } = setup([{ name: 'first' }, { name: 'second', env: { FAIL: '1' } }, { name: 'third' }]);
    const err = await sup.start().then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(StartError);
    expect((err as StartError).service).toBe('second');
    expect((err as StartError).reason).toBe('exit code 3');
    expect((err as StartError).tail.at(-1)).toBe('second: cannot start: port in use');
    expect(ev()).toEqual(['first start', 'second start', 'first stop']);
    expect(sup.status().map((s) => s.state)).toEqual(['stopped', 'stopped', 'stopped']);
  });

  it('fails the start when a service does not say it is ready in time', async () => {
    const { sup, ev } = setup([{ name: 'slow', env: { NEVER_READY: '1' }, readyTimeoutMs: 500 }]);
    await expect(sup.start()).rejects.toThrow('slow could not start: it did not say it was ready within 0.5 s');
    expect(ev()).toEqual(['slow start', 'slow stop']);
  });

  it('starts a service that ended again, after a back-off that doubles', async () => {
    const { sup, notes, ev } = setup([{ name: 'flaky', env: { CRASHES: '2' } }], { backoff: { initialMs: 200, maxMs: 300, resetAfterMs: 60_000 } });
    await sup.start();
    expect(await until(() => sup.status()[0].restarts === 2 && sup.status()[0].state === 'ready', 15_000)).toBe(true);
    expect(notes[0]).toMatch(/^flaky \(pid \d+\) ended \(exit code 7\) after [\d.]+ s; starting it again in 0\.2 s$/);
    expect(notes[1]).toMatch(/^flaky is running again \(pid \d+\)$/);
    expect(notes[2]).toMatch(/starting it again in 0\.3 s$/);
    expect(sup.status()[0].lastExit).toEqual({ code: 7, signal: null });
    await sup.stop();
    expect(ev()).toEqual(['flaky start', 'flaky start', 'flaky start', 'flaky stop']);
  });

  it('kills a service that ignores SIGTERM after its grace period, with what it started', async () => {
    const { sup, lines } = setup([{ name: 'stubborn', env: { STUBBORN: '1', CHILD: '1' }, stopTimeoutMs: 500 }]);
    await sup.start();
    const child = Number(/child (\d+)/.exec(lines.join('\n'))![1]);
    const pid = sup.status()[0].pid as number;
    expect(alive(child)).toBe(true);
    const t = Date.now();
    await sup.stop();
    expect(Date.now() - t).toBeGreaterThanOrEqual(400);
    expect(sup.status()[0].lastExit).toEqual({ code: null, signal: 'SIGKILL' });
    expect(alive(pid)).toBe(false);
    expect(await until(() => !alive(child), 2000)).toBe(true);
  });

  it('stops while a service is starting', async () => {
    const { sup, ev } = setup([{ name: 'first', env: { READY_MS: '3000' } }, { name: 'second' }]);
    const starting = sup.start();
    await until(() => ev().length === 1, 5000);
    await sup.stop();
    expect(await starting).toBeNull();
    expect(ev()).toEqual(['first start', 'first stop']);
  });
});
