/**
 * Where a task's time goes: named steps with the milliseconds since the previous mark, for one
 * line in the task's log (the repo benchmark reads the newRepo task's "steps:" line).
 */
export class StepTimes {
  private last = performance.now();
  private readonly steps: Array<[string, number]> = [];

  /** The step that ends now. */
  mark(name: string): void {
    const now = performance.now();
    this.steps.push([name, now - this.last]);
    this.last = now;
  }

  /** "getTag 12 ms, host.repoInit 310 ms, …" */
  text(): string {
    return this.steps.map(([n, ms]) => `${n} ${Math.round(ms)} ms`).join(', ');
  }
}
