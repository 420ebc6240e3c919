import { performance } from 'node:perf_hooks';
import { ModelCall, modelCaller } from './model-call';
import { BenchOptions, SuiteResult } from './suite';
import { Cleanup, cpuSince, message, percentile, pool, round, startFakeLlm, within } from './support';

// A second reference: the model call alone, made as the agent loop makes the act step of the
// queue suite's agents (bench/model-call.ts), against the same scripted echo model, N calls with
// the same in-flight bound, in one process. Every job of the queue suite makes at least one such
// call, so this is the ceiling the queue could reach if the store, the bus and the loop's
// bookkeeping cost nothing.
export async function modelCallBench(o: BenchOptions): Promise<SuiteResult> {
  const cleanup = new Cleanup();
  try {
    const llm = await startFakeLlm();
    cleanup.add('stop fake-llm', llm.stop);
    const call = modelCaller(llm.baseUrl);
    await sdkLoopPhase(call, o.warmup, o.inflight, o.timeoutMs);
    const { perSec, cpuUsPerCall } = await sdkLoopPhase(call, o.jobs, o.inflight, o.timeoutMs);
    return {
      figures: { 'queue.modelCallsPerSec': perSec, 'queue.modelCallCpuUsPerCall': cpuUsPerCall },
      context: {},
    };
  } catch (e) {
    throw new Error(`model call: ${message(e)}`);
  } finally {
    const errors = await cleanup.run();
    if (errors.length) console.error(`bench: cleanup incomplete:\n  ${errors.join('\n  ')}`);
  }
}

export interface SdkLoopResult {
  perSec: number;
  p50Ms: number;
  p99Ms: number;
  /** This process's CPU per call, in µs (the scripted model's own CPU is not counted). */
  cpuUsPerCall: number;
}

/** `count` calls, `inflight` at a time, in this process: the bare AI SDK call loop. */
export async function sdkLoopPhase(
  call: ModelCall,
  count: number,
  inflight: number,
  timeoutMs: number,
): Promise<SdkLoopResult> {
  const latencies: number[] = [];
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await within(
    pool(count, inflight, async (i) => {
      const at = performance.now();
      await call(i);
      latencies.push(performance.now() - at);
    }),
    timeoutMs,
  );
  const elapsedMs = performance.now() - t0;
  const cpuUs = cpuSince(cpu0);
  latencies.sort((a, b) => a - b);
  return {
    perSec: count ? round((count / elapsedMs) * 1000) : 0,
    p50Ms: round(percentile(latencies, 50)),
    p99Ms: round(percentile(latencies, 99)),
    cpuUsPerCall: count ? Math.round(cpuUs / count) : 0,
  };
}
