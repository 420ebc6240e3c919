import { performance } from 'node:perf_hooks';
import { parseConfig } from '@wiz/config';
import { LlmService } from '@wiz/llm';
import { BenchOptions, SuiteResult } from './suite';
import { Cleanup, cpuSince, message, pool, round, startFakeLlm, within } from './support';

// A second reference: the model call alone, as the runtime makes it (LlmService.generate, the
// AI SDK over HTTP) against the same scripted echo model, N calls with the same in-flight
// bound, in one process. Every job of the queue suite makes one such call, so this is the
// ceiling the queue could reach if the store and the bus cost nothing.
export async function modelCallBench(o: BenchOptions): Promise<SuiteResult> {
  const cleanup = new Cleanup();
  try {
    const llm = await startFakeLlm();
    cleanup.add('stop fake-llm', llm.stop);
    const sut = new LlmService(
      parseConfig({ OPENAI_BASE_URL: llm.baseUrl, OPENAI_API_KEY: 'fake', WIZ_DEFAULT_MODEL: 'fake-model', WIZ_LLM_MAX_RETRIES: '0' }),
    );
    const call = (i: number) =>
      sut.generate({ model: {}, system: 'You are a benchmark agent.', messages: [{ role: 'user', content: `bench job ${i}` }] }).then(() => {});
    const phase = async (count: number) => {
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      await within(pool(count, o.inflight, call), o.timeoutMs);
      return { elapsedMs: performance.now() - t0, cpuUs: cpuSince(cpu0) };
    };
    await phase(o.warmup);
    const { elapsedMs, cpuUs } = await phase(o.jobs);
    return {
      figures: {
        'queue.modelCallsPerSec': round((o.jobs / elapsedMs) * 1000),
        'queue.modelCallCpuUsPerCall': Math.round(cpuUs / o.jobs),
      },
      context: {},
    };
  } catch (e) {
    throw new Error(`model call: ${message(e)}`);
  } finally {
    const errors = await cleanup.run();
    if (errors.length) console.error(`bench: cleanup incomplete:\n  ${errors.join('\n  ')}`);
  }
}
