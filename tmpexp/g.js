const { FakeLlmServer } = require('/work/main/dist/apps/fake-llm/src/fake-llm.server');
const { createOpenAI } = require('@ai-sdk/openai');
const { streamText, generateText, tool, stepCountIs, jsonSchema } = require('ai');
const { z } = require('zod');
(async () => {
  const llm = new FakeLlmServer({ rules: [{ reply: { toolCalls: [{ name: 'note', arguments: { text: 'x'.repeat(200) } }] } }] });
  const url = await llm.start();
  const model = createOpenAI({ baseURL: url, apiKey: 'f' }).chat('m');
  const tools = { note: tool({ description: 'n', inputSchema: z.object({ text: z.string() }), execute: async () => 'ok '.repeat(50) }) };
  const N = +process.argv[3] || 200;
  let last = process.cpuUsage(); const per = [];
  const onStepFinish = () => { const c = process.cpuUsage(last); last = process.cpuUsage(); per.push(c.user + c.system); };
  if (process.argv[2] === 'gen') await generateText({ model, tools, stopWhen: stepCountIs(N), messages: [{ role: 'user', content: 'go' }], onStepFinish });
  else { const s = streamText({ model, tools, stopWhen: stepCountIs(N), messages: [{ role: 'user', content: 'go' }], onStepFinish }); for await (const p of s.fullStream) {} }
  const avg = (a) => Math.round(a.reduce((x, y) => x + y, 0) / a.length);
  console.log(process.argv[2], 'cpu us/step first 20', avg(per.slice(1, 21)), 'last 20', avg(per.slice(-20)));
  await llm.stop();
})();
