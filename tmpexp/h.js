const { FakeLlmServer } = require('/work/main/dist/apps/fake-llm/src/fake-llm.server');
const { createOpenAI } = require('@ai-sdk/openai');
const { streamText, generateText, tool, stepCountIs } = require('ai');
const { z } = require('zod');
(async () => {
  const llm = new FakeLlmServer({ rules: [{ reply: { toolCalls: [{ name: 'note', arguments: { text: 'x' } }] } }] });
  const url = await llm.start();
  const model = createOpenAI({ baseURL: url, apiKey: 'f' }).chat('m');
  const tools = { note: tool({ description: 'n', inputSchema: z.object({ text: z.string() }), execute: async () => 'ok' }) };
  for (const mode of ['gen', 'stream']) {
    let prev = [];
    const onStepFinish = (s) => { const m = s.response.messages; console.log(mode, m.length, 'same objects as before:', prev.every((x, i) => m[i] === x)); prev = m; };
    if (mode === 'gen') await generateText({ model, tools, stopWhen: stepCountIs(4), messages: [{ role: 'user', content: 'go' }], onStepFinish });
    else { const s = streamText({ model, tools, stopWhen: stepCountIs(4), messages: [{ role: 'user', content: 'go' }], onStepFinish }); for await (const p of s.fullStream) {} }
  }
  await llm.stop();
})();
