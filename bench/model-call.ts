import { createOpenAI } from '@ai-sdk/openai';
import { streamText } from 'ai';
import { toAiTools, toolsFor } from '../libs/agent/src/tools/registry';
import type { ToolContext } from '../libs/agent/src/tools/tool';

/** One job's model call, as the agent loop makes it; resolves with the streamed text. */
export type ModelCall = (i: number) => Promise<string>;

// The call the agent loop makes in the act step of the benchmark agents (planning off, an empty
// tool allow-list): the AI SDK's streamText over HTTP with `openai.chat`, offering the `finish`
// tool only, the stream read to its end. The raw suite's model-call reference, the peers suite's
// bare SDK loop and its BullMQ worker all make exactly this call, so they compare like for like.
export function modelCaller(baseUrl: string, input = (i: number) => `bench job ${i}`): ModelCall {
  const model = createOpenAI({ baseURL: baseUrl, apiKey: 'fake', name: 'bench' }).chat('fake-model');
  const tools = toAiTools(toolsFor([]), () => ({}) as ToolContext); // offered, never called
  return async (i) => {
    const stream = streamText({
      model,
      tools,
      maxRetries: 0,
      system: 'You are a benchmark agent.',
      messages: [{ role: 'user', content: input(i) }],
    });
    let text = '';
    for await (const part of stream.fullStream) {
      if (part.type === 'error') throw part.error;
      if (part.type === 'text-delta') text += part.text;
    }
    return text;
  };
}
