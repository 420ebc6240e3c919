import { createOpenAI } from '@ai-sdk/openai';
import { generateText, InvalidPromptError, ModelMessage, modelMessageSchema, stepCountIs, tool } from 'ai';
import { z } from 'zod';
import { FakeLlmServer } from '../../apps/fake-llm/src/fake-llm.server';

// patches/ai+6.0.326.patch (applied by `npm ci`): generateText's step results hold a copy of the
// list of the call's messages so far, not a deep clone of all of them made at every step (which
// made a step's cost grow with the job's history: docs/benchmarks.md). The agent loop takes each
// step's new messages from that list (AgentLoop's act step), so it stays cumulative.
// And the schema every call checks its prompt against tells its unions' options apart by their
// literal (`role`, `type`) instead of trying each and formatting the errors of those that fail:
// the same verdicts, 15-60 µs less per message (docs/benchmarks.md).
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

  // One of every message and part the schema knows, and what it must refuse.
  const valid: ModelMessage[] = [
    { role: 'system', content: 'be brief' },
    { role: 'user', content: 'hi' },
    {
      role: 'user',
      content: [
        { type: 'text', text: 'look', providerOptions: { openai: { a: 1 } } },
        { type: 'image', image: 'aGk=', mediaType: 'image/png' },
        { type: 'image', image: new URL('https://example.com/a.png') },
        { type: 'file', data: new Uint8Array([1]), mediaType: 'application/pdf', filename: 'a.pdf' },
      ],
    },
    { role: 'assistant', content: 'ok' },
    {
      role: 'assistant',
      content: [
        { type: 'reasoning', text: 'thinking' },
        { type: 'text', text: 'calling' },
        { type: 'tool-call', toolCallId: 'c1', toolName: 'remember', input: { fact: 'x' } },
        { type: 'tool-result', toolCallId: 'c0', toolName: 'web', output: { type: 'text', value: 'r' } },
        { type: 'tool-approval-request', approvalId: 'a1', toolCallId: 'c1' },
      ],
    },
    {
      role: 'tool',
      content: [
        {
          type: 'tool-result',
          toolCallId: 'c1',
          toolName: 'remember',
          output: { type: 'json', value: { ok: [1, null] } },
        },
        { type: 'tool-result', toolCallId: 'c2', toolName: 'x', output: { type: 'error-text', value: 'no' } },
        { type: 'tool-result', toolCallId: 'c3', toolName: 'x', output: { type: 'error-json', value: { e: 1 } } },
        { type: 'tool-result', toolCallId: 'c4', toolName: 'x', output: { type: 'execution-denied', reason: 'r' } },
        {
          type: 'tool-result',
          toolCallId: 'c5',
          toolName: 'x',
          output: {
            type: 'content',
            value: [
              { type: 'text', text: 't' },
              { type: 'media', data: 'aGk=', mediaType: 'image/png' },
            ],
          },
        },
        { type: 'tool-approval-response', approvalId: 'a1', approved: false, reason: 'no' },
      ],
    },
  ];
  const invalid: unknown[] = [
    { role: 'robot', content: 'hi' },
    { content: 'hi' },
    { role: 'system', content: [{ type: 'text', text: 'parts are not for system' }] },
    { role: 'user', content: [{ type: 'tool-call', toolCallId: 'c', toolName: 't', input: {} }] },
    { role: 'user', content: [{ type: 'text' }] },
    { role: 'user', content: [{ text: 'no type' }] },
    { role: 'assistant', content: [{ type: 'image', image: 'aGk=' }] },
    { role: 'assistant', content: [{ type: 'tool-call', toolCallId: 1, toolName: 't', input: {} }] },
    { role: 'tool', content: 'text is not a tool result' },
    { role: 'tool', content: [{ type: 'text', text: 'nor is this' }] },
    { role: 'tool', content: [{ type: 'tool-result', toolCallId: 'c', toolName: 't', output: { type: 'json' } }] },
    {
      role: 'tool',
      content: [{ type: 'tool-result', toolCallId: 'c', toolName: 't', output: { type: 'yaml', value: 1 } }],
    },
    { role: 'user', content: 'hi', providerOptions: { openai: 'not a record' } },
  ];

  it("checks a prompt's messages by their role and their parts' type, with the plain unions' verdicts", () => {
    // The patch is in place (an install without it fails here, not only in the benchmarks).
    expect((modelMessageSchema as unknown as { def: { discriminator?: string } }).def.discriminator).toBe('role');
    for (const m of valid) expect([m.role, modelMessageSchema.safeParse(m).success]).toEqual([m.role, true]);
    for (const m of invalid) expect([m, modelMessageSchema.safeParse(m).success]).toEqual([m, false]);
  });

  it('refuses a call whose prompt does not match, before asking the model', async () => {
    const before = llm.requests.length;
    const call = generateText({
      model: createOpenAI({ baseURL, apiKey: 'k' }).chat('m'),
      messages: [{ role: 'user', content: 'hi' }, invalid[6] as ModelMessage],
      maxRetries: 0,
    });
    await expect(call).rejects.toBeInstanceOf(InvalidPromptError);
    expect(llm.requests.length).toBe(before);
  });
});
