import { createOpenAI } from '@ai-sdk/openai';
import { APICallError, embed, embedMany, generateText, stepCountIs, streamText, tool } from 'ai';
import { z } from 'zod';
import { FakeLlmServer, RecordedRequest } from './fake-llm.server';

interface ChatBody {
  model: string;
  stream?: boolean;
  messages: Array<{ role: string; content: unknown }>;
}

// Real AI SDK over real HTTP: the same path Wiz uses in production, minus the network.
describe(FakeLlmServer.name, () => {
  const sut = new FakeLlmServer();
  let baseUrl: string;
  let origin: string;
  let openai: ReturnType<typeof createOpenAI>;

  const weatherTool = tool({
    description: 'Current weather for a city',
    inputSchema: z.object({ city: z.string() }),
    execute: async ({ city }) => ({ city, temperature: 21 }),
  });

  beforeAll(async () => {
    baseUrl = await sut.start();
    origin = new URL(baseUrl).origin;
    openai = createOpenAI({ baseURL: baseUrl, apiKey: 'test-key' });
  });

  afterAll(async () => {
    await sut.stop();
  });

  beforeEach(() => {
    sut.reset();
  });

  const lastBody = (): ChatBody => sut.requests[sut.requests.length - 1].body as ChatBody;

  it('echoes the last user message by default and records the request', async () => {
    const result = await generateText({
      model: openai.chat('fake-model'),
      system: 'You are terse.',
      prompt: 'hello there',
      maxRetries: 0,
    });

    expect(result.text).toBe('echo: hello there');
    expect(result.finishReason).toBe('stop');
    expect(result.usage.outputTokens).toBe(Math.ceil('echo: hello there'.length / 4));
    expect(sut.requests).toHaveLength(1);
    expect(sut.requests[0]).toMatchObject({ path: '/v1/chat/completions', method: 'POST' });
    expect(sut.requests[0].headers.authorization).toBe('Bearer test-key');
    expect(lastBody().messages).toEqual([
      { role: 'system', content: 'You are terse.' },
      { role: 'user', content: 'hello there' },
    ]);
  });

  it('answers with the first matching scripted rule, rendering {{lastUser}}', async () => {
    sut.addRules([
      { match: { systemContains: 'pirate' }, reply: { content: 'Arr' } },
      { match: { lastUserRegex: '^plan\\b' }, reply: { content: 'Plan for <{{lastUser}}>' } },
    ]);

    const result = await generateText({ model: openai.chat('fake-model'), prompt: 'plan a trip', maxRetries: 0 });

    expect(result.text).toBe('Plan for <plan a trip>');
  });

  it('renders {{lastUserFirstLine}} without what follows the first line', async () => {
    sut.addRules({ match: { lastUserRegex: '^first line' }, reply: { content: 'got <{{lastUserFirstLine}}>' } });

    const result = await generateText({
      model: openai.chat('fake-model'),
      prompt: 'first line\n\nData (JSON):\n{}',
      maxRetries: 0,
    });

    expect(result.text).toBe('got <first line>');
  });

  it('streams content in chunkSize deltas that concatenate to the content', async () => {
    const content = 'The quick brown fox jumps over the lazy dog';
    sut.addRules({ reply: { content, chunkSize: 5 } });

    const result = streamText({ model: openai.chat('fake-model'), prompt: 'tell me', maxRetries: 0 });
    const deltas: string[] = [];
    for await (const delta of result.textStream) deltas.push(delta);

    expect(deltas).toHaveLength(Math.ceil(content.length / 5));
    expect(deltas.join('')).toBe(content);
    expect(await result.finishReason).toBe('stop');
    expect((await result.usage).outputTokens).toBe(Math.ceil(content.length / 4));
    expect(lastBody().stream).toBe(true);
  });

  it('paces a streamed reply: the first delta after delayMs, then one every tokenIntervalMs', async () => {
    sut.addRules({ reply: { content: 'abcdef', chunkSize: 2, delayMs: 100, tokenIntervalMs: 60 } });

    const t0 = Date.now();
    const result = streamText({ model: openai.chat('fake-model'), prompt: 'slowly', maxRetries: 0 });
    const arrivals: Array<[string, number]> = [];
    for await (const delta of result.textStream) arrivals.push([delta, Date.now() - t0]);

    expect(arrivals.map(([d]) => d)).toEqual(['ab', 'cd', 'ef']);
    // Lower bounds from the request only: a busy test process reads a delta late, never early, so a gap
    // between two arrivals can shrink (the first read late, the next on time) and is no measure of pacing.
    expect(arrivals[0]![1]).toBeGreaterThanOrEqual(95);
    expect(arrivals[1]![1]).toBeGreaterThanOrEqual(95 + 60);
    expect(arrivals[2]![1]).toBeGreaterThanOrEqual(95 + 2 * 60);
    expect(await result.finishReason).toBe('stop');
  });

  it('answers a paced reply asked for unstreamed when its stream would have ended', async () => {
    sut.addRules({ reply: { content: 'abcdef', chunkSize: 2, delayMs: 100, tokenIntervalMs: 60 } });

    const t0 = Date.now();
    const result = await generateText({ model: openai.chat('fake-model'), prompt: 'slowly', maxRetries: 0 });

    expect(result.text).toBe('abcdef');
    expect(lastBody().stream).toBeUndefined();
    expect(Date.now() - t0).toBeGreaterThanOrEqual(215); // delayMs, then the two paced deltas' 60 ms each
  });

  it('runs a tool round trip with generateText, answering the second step from the tool result', async () => {
    sut.addRules([
      { match: { hasToolResult: true }, reply: { content: 'Result: {{lastToolResult}}' } },
      { match: { hasTools: true }, reply: { toolCalls: [{ name: 'weather', arguments: { city: 'Paris' } }] } },
    ]);

    const result = await generateText({
      model: openai.chat('fake-model'),
      tools: { weather: weatherTool },
      prompt: 'Weather in Paris?',
      stopWhen: stepCountIs(2),
      maxRetries: 0,
    });

    expect(result.steps).toHaveLength(2);
    expect(result.steps[0].finishReason).toBe('tool-calls');
    expect(result.steps[0].toolCalls[0]).toMatchObject({ toolName: 'weather', input: { city: 'Paris' } });
    expect(result.steps[0].toolResults[0]).toMatchObject({ output: { city: 'Paris', temperature: 21 } });
    expect(result.text).toBe('Result: {"city":"Paris","temperature":21}');
    expect(lastBody().messages.map((m) => m.role)).toEqual(['user', 'assistant', 'tool']);
  });

  it('streams tool call deltas that the SDK reassembles into a tool round trip', async () => {
    sut.addRules([
      { match: { hasToolResult: true }, reply: { content: 'done' } },
      { reply: { toolCalls: [{ name: 'weather', arguments: { city: 'Lisbon, Portugal' } }], chunkSize: 3 } },
    ]);

    const result = streamText({
      model: openai.chat('fake-model'),
      tools: { weather: weatherTool },
      prompt: 'Weather in Lisbon?',
      stopWhen: stepCountIs(2),
      maxRetries: 0,
    });

    expect(await result.text).toBe('done');
    const [first] = await result.steps;
    expect(first.toolCalls[0]).toMatchObject({ toolName: 'weather', input: { city: 'Lisbon, Portugal' } });
  });

  it('returns deterministic unit-length embeddings', async () => {
    const model = openai.embedding('fake-embedding');

    const one = await embed({ model, value: 'alpha', maxRetries: 0 });
    const again = await embed({ model, value: 'alpha', maxRetries: 0 });
    const many = await embedMany({ model, values: ['alpha', 'beta'], maxRetries: 0 });

    expect(one.embedding).toHaveLength(64);
    expect(Math.hypot(...one.embedding)).toBeCloseTo(1, 10);
    expect(again.embedding).toEqual(one.embedding);
    expect(many.embeddings[0]).toEqual(one.embedding);
    expect(many.embeddings[1]).not.toEqual(one.embedding);
  });

  it('puts texts that share words close together (hashed bag of words)', async () => {
    const model = openai.embedding('fake-embedding');
    const {
      embeddings: [query, near, far],
    } = await embedMany({
      model,
      values: [
        'favourite colour of the user',
        'the user said their favourite colour is teal',
        'deploy the server on Kubernetes',
      ],
      maxRetries: 0,
    });
    const cos = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * b[i]!, 0);
    expect(cos(query!, near!)).toBeGreaterThan(cos(query!, far!) + 0.3);
  });

  it('answers a status rule with an OpenAI error the SDK surfaces as APICallError', async () => {
    sut.addRules({ reply: { status: 401, errorMessage: 'Incorrect API key provided' } });

    const error = await generateText({ model: openai.chat('fake-model'), prompt: 'hi', maxRetries: 0 }).catch(
      (e: unknown) => e,
    );

    expect(APICallError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ statusCode: 401, message: 'Incorrect API key provided' });
  });

  it('stops firing a rule once its times are used up', async () => {
    sut.addRules({ reply: { content: 'once' }, times: 1 });
    const ask = async (): Promise<string> =>
      (await generateText({ model: openai.chat('fake-model'), prompt: 'again', maxRetries: 0 })).text;

    expect(await ask()).toBe('once');
    expect(await ask()).toBe('echo: again');
  });

  it('lists the default model and the models named in rules', async () => {
    sut.addRules({ match: { model: 'gpt-fake-large' }, reply: { content: 'big' } });

    const response = await fetch(`${baseUrl}/models`);
    const body = (await response.json()) as { data: Array<{ id: string }> };

    expect(body.data.map((m) => m.id)).toEqual(['fake-model', 'gpt-fake-large']);
  });

  describe('admin endpoints', () => {
    interface AdminError {
      error: { type: string; code: string; issues: unknown[] };
    }
    const call = async <T = unknown>(
      method: string,
      path: string,
      body?: unknown,
    ): Promise<{ status: number; json: T }> => {
      const response = await fetch(`${origin}${path}`, {
        method,
        headers: { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: response.status, json: (await response.json()) as T };
    };

    it('appends and replaces rules, lists requests and resets', async () => {
      expect(await call('POST', '/_fake/rules', { reply: { content: 'first' } })).toEqual({
        status: 200,
        json: { rules: 1 },
      });
      expect(await call('PUT', '/_fake/rules', [{ reply: { content: 'replaced' } }])).toEqual({
        status: 200,
        json: { rules: 1 },
      });

      const result = await generateText({ model: openai.chat('fake-model'), prompt: 'x', maxRetries: 0 });
      const listed = await call<{ requests: RecordedRequest[] }>('GET', '/_fake/requests');

      expect(result.text).toBe('replaced');
      expect(listed.json.requests).toHaveLength(1);
      expect(listed.json.requests[0].headers.authorization).toBe('Bearer test-key');
      expect(await call('POST', '/_fake/reset')).toEqual({ status: 200, json: { ok: true } });
      expect(sut.requests).toEqual([]);
    });

    it('rejects an invalid rule with 400 and the zod issues', async () => {
      const response = await call<AdminError>('POST', '/_fake/rules', {
        reply: { status: 'nope' },
        match: { lastUserContain: 'typo' },
      });

      expect(response.status).toBe(400);
      expect(response.json.error).toMatchObject({ type: 'invalid_request_error', code: 'invalid_rule' });
      expect(response.json.error.issues.length).toBeGreaterThan(0);
    });
  });

  it('answers malformed JSON with 400 and an unknown path with 404, and keeps serving', async () => {
    const malformed = await fetch(`${baseUrl}/chat/completions`, { method: 'POST', body: '{"messages": [' });
    const unknown = await fetch(`${baseUrl}/nope`);

    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({ error: { type: 'invalid_request_error', code: 'invalid_json' } });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: { type: 'not_found_error', code: 'not_found' } });
    const result = await generateText({ model: openai.chat('fake-model'), prompt: 'still up?', maxRetries: 0 });
    expect(result.text).toBe('echo: still up?');
  });
});
