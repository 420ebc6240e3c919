import { performance } from 'node:perf_hooks';
import { Deferred, deferred, message, percentile, pool, round, TimeLimitError, within } from './support';

/** What every system of the peers suite reports for one phase; CPU figures in µs per job. */
export type PhaseFigures = Record<string, number>;

// Completions seen by a system's own notification path (BullMQ's QueueEvents, Wiz's WS topic),
// matched with the submissions waiting for them. A completion may arrive before the submit call
// has returned the job's id: it is kept until asked for.
export class CompletionWaiter {
  private readonly waiting = new Map<string, Deferred<number>>();
  private readonly early = new Map<string, number | Error>();

  /** Resolves with the time (performance.now()) the job's completion was seen. */
  wait(id: string): Promise<number> {
    const seen = this.early.get(id);
    if (seen !== undefined) {
      this.early.delete(id);
      return seen instanceof Error ? Promise.reject(seen) : Promise.resolve(seen);
    }
    const d = deferred<number>();
    this.waiting.set(id, d);
    return d.promise;
  }

  completed(id: string, at: number): void {
    this.settle(id, at);
  }

  failed(id: string, reason: string): void {
    this.settle(id, new Error(`job ${id} failed: ${reason}`));
  }

  private settle(id: string, outcome: number | Error): void {
    const d = this.waiting.get(id);
    if (!d) return void this.early.set(id, outcome);
    this.waiting.delete(id);
    if (outcome instanceof Error) d.reject(outcome);
    else d.resolve(outcome);
  }
}

// A closed loop: `inflight` lanes, each submits a job, waits for its completion, then submits the
// next, until `count` jobs are done. jobs/s = count / (first submit → last completion).
export async function closedLoop(
  count: number,
  inflight: number,
  timeoutMs: number,
  waiter: CompletionWaiter,
  submit: (i: number) => Promise<string>,
): Promise<PhaseFigures> {
  const latencies: number[] = [];
  const submits: number[] = [];
  let failed = false;
  const t0 = performance.now();
  let last = t0;
  const lanes = pool(
    count,
    inflight,
    async (i) => {
      const at = performance.now();
      const id = await submit(i);
      submits.push(performance.now() - at);
      const doneAt = await waiter.wait(id);
      latencies.push(doneAt - at);
      last = Math.max(last, doneAt);
    },
    () => failed,
  );
  try {
    await within(lanes, timeoutMs);
  } catch (e) {
    failed = true;
    const progress = `${latencies.length} of ${count} jobs completed`;
    throw new Error(
      e instanceof TimeLimitError
        ? `only ${progress} within the ${timeoutMs / 1000} s limit`
        : `${message(e)}; ${progress}`,
    );
  }
  latencies.sort((a, b) => a - b);
  submits.sort((a, b) => a - b);
  return {
    jobsPerSec: round((count / (last - t0)) * 1000),
    p50Ms: round(percentile(latencies, 50)),
    p99Ms: round(percentile(latencies, 99)),
    submitP50Ms: round(percentile(submits, 50), 2),
    submitP99Ms: round(percentile(submits, 99), 2),
  };
}
