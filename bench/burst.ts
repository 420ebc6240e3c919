import { fork } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { cpuSince, percentile, round, within, withTimeout } from './support';

/** One burst: every job started in the same turn of the event loop, measured until the last ends. */
export interface BurstFigures {
  /** Event-loop lag over the whole burst (first start → last end), in ms. */
  lagP99Ms: number;
  lagP50Ms: number;
  lagMaxMs: number;
  /** Per job, started → ended, in ms. */
  jobP50Ms: number;
  jobP99Ms: number;
  /** This process's CPU per job, in µs. */
  cpuUsPerJob: number;
}

// The burst case of issue 18, measured the same way for Wiz (a job submitted and its completion
// seen) and the bare AI SDK (a streamText call read to its end): `count` jobs started at once, the
// event loop's delay sampled every 10 ms from the first start to the last end.
export async function measureBurst(
  count: number,
  timeoutMs: number,
  job: (i: number) => Promise<void>,
): Promise<BurstFigures> {
  const durations: number[] = [];
  const lag = monitorEventLoopDelay({ resolution: 10 });
  lag.enable();
  const cpu0 = process.cpuUsage();
  try {
    await within(
      Promise.all(
        Array.from({ length: count }, async (_, i) => {
          const at = performance.now();
          await job(i);
          durations.push(performance.now() - at);
        }),
      ),
      timeoutMs,
    );
  } finally {
    lag.disable();
  }
  const cpuUs = cpuSince(cpu0);
  durations.sort((a, b) => a - b);
  const ms = (ns: number) => round(ns / 1e6, 1);
  return {
    lagP99Ms: ms(lag.percentile(99)),
    lagP50Ms: ms(lag.percentile(50)),
    lagMaxMs: ms(lag.max),
    jobP50Ms: round(percentile(durations, 50)),
    jobP99Ms: round(percentile(durations, 99)),
    cpuUsPerJob: Math.round(cpuUs / count),
  };
}

/** Each figure's mean over runs. */
export function meanBurst(runs: BurstFigures[]): BurstFigures {
  const mean = (k: keyof BurstFigures) => round(runs.reduce((a, r) => a + r[k], 0) / runs.length, 1);
  return {
    lagP99Ms: mean('lagP99Ms'),
    lagP50Ms: mean('lagP50Ms'),
    lagMaxMs: mean('lagMaxMs'),
    jobP50Ms: mean('jobP50Ms'),
    jobP99Ms: mean('jobP99Ms'),
    cpuUsPerJob: Math.round(mean('cpuUsPerJob')),
  };
}

/** What the parent sends the SDK burst process (bench/sdk-burst.worker.ts). */
export interface SdkBurstStart {
  llmUrl: string;
  /** The user message of call `i`: it picks the scripted model's reply. */
  inputPrefix: string;
  count: number;
  warmup: number;
  timeoutMs: number;
}

/** The bare AI SDK's burst in a fresh Node process (nothing else in its event loop). */
export async function sdkBurst(start: SdkBurstStart): Promise<BurstFigures> {
  const child = fork(join(__dirname, 'sdk-burst.worker.js'), { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  try {
    const answer = once(child, 'message').then(([m]) => m as BurstFigures | { error: string });
    // An exit before the answer is an error; one after it settles nothing.
    const exited = once(child, 'exit').then(([code]) => ({
      error: `the process exited with ${String(code)} before answering`,
    }));
    child.send(start);
    const reply = await withTimeout(Promise.race([answer, exited]), start.timeoutMs + 120_000, 'SDK burst');
    if ('error' in reply) throw new Error(`SDK burst: ${reply.error}`);
    return reply;
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}
