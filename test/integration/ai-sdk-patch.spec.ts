import { createOpenAI } from '@ai-sdk/openai';
import { generateText, stepCountIs, tool } from 'ai';
import { z } from 'zod';
import { FakeLlmServer } from '../../apps/fake-llm/src/fake-llm.server';

// patches/ai+6.0.326.patch (applied by `npm ci`): generateText's step results hold a copy of the
// list of the call's messages so far, not a deep clone of all of them made at every step (which
// made a step's cost grow with the job's history: docs/benchmarks.md). The agent loop takes each
// step's new messages from that list (AgentLoop's act step), so it stays cumulative.
describe('the AI SDK as patched', () => {
  const llm = new FakeLlmServer({
    rules: [
      {
        match: { lastUserContains: 'NOTES' },
        reply: { toolCalls: [{ name: 'note', arguments: { text: 'n' } }] },
        times: 2,
      },
      { match: { lastUserContains: 'NOTES' }, reply: { content: 'noted twice' } },
    ],
  });
  let baseURL: string;

  beforeAll(async () => {
    baseURL = await llm.start();
  });
  afterAll(() => llm.stop());

  it("keeps each step's messages so far, cumulative, without cloning the earlier ones", async () => {
    const notes: string[] = [];
    const r = await generateText({
      model: createOpenAI({ baseURL, apiKey: 'k' }).chat('m'),
      messages: [{ role: 'user', content: 'NOTES' }],
      tools: {
        note: tool({
          inputSchema: z.object({ text: z.string() }),
          execute: async ({ text }) => notes.push(text),
        }),
      },
      maxRetries: 0,
      stopWhen: stepCountIs(5),
    });
    expect(r.text).toBe('noted twice');
    expect(notes).toEqual(['n', 'n']);
    const lists = r.steps.map((s) => s.response.messages);
    // Each step: its tool call and result (2 messages), then the answer.
    expect(lists.map((l) => l.map((m) => m.role))).toEqual([
      ['assistant', 'tool'],
      ['assistant', 'tool', 'assistant', 'tool'],
      ['assistant', 'tool', 'assistant', 'tool', 'assistant'],
    ]);
    // The earlier messages are the same objects in every later step: not copied again per step.
    expect(lists[2]![0]).toBe(lists[0]![0]);
    expect(lists[2]![3]).toBe(lists[1]![3]);
  });
});
