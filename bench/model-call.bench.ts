import { createOpenAI } from '@ai-sdk/openai';
import { streamText } from 'ai';
import { performance } from 'node:perf_hooks';
import { toAiTools, toolsFor } from '../libs/agent/src/tools/registry';
import type { ToolContext } from '../libs/agent/src/tools/tool';
import { BenchOptions, SuiteResult } from './suite';
import { Cleanup, cpuSince, message, pool, round, startFakeLlm, within } from './support';

// A second reference: the model call alone, made as the agent loop makes the act step of the
// queue suite's agents (the AI SDK's streamText over HTTP, offering the `finish` tool only, as
// their empty allow-list does; the stream read to its end)
// against the same scripted echo model, N calls with the same in-flight bound, in one process.
// Every job of the queue suite makes at least one such call, so this is the ceiling the queue
// could reach if the store, the bus and the loop's bookkeeping cost nothing.
export async function modelCallBench(o: BenchOptions): Promise<SuiteResult> {
  const cleanup = new Cleanup();
  try {
    const llm = await startFakeLlm();
    cleanup.add('stop fake-llm', llm.stop);
    const model = createOpenAI({ baseURL: llm.baseUrl, apiKey: 'fake', name: 'bench' }).chat('fake-model');
    const tools = toAiTools(toolsFor([]), () => ({}) as ToolContext); // offered, never called
    const call = async (i: number) => {
      const stream = streamText({
        model,
        tools,
        maxRetries: 0,
        system: 'You are a benchmark agent.',
        messages: [{ role: 'user', content: `bench job ${i}` }],
      });
      for await (const part of stream.fullStream) if (part.type === 'error') throw part.error;
    };
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
