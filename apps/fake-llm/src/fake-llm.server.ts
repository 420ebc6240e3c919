import { createServer, IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import {
  completionBody,
  CompletionParts,
  completionStream,
  completionStreamEvents,
  DEFAULT_CHUNK_SIZE,
  DEFAULT_EMBEDDING_DIMENSIONS,
  embeddingsBody,
  scriptedErrorCode,
  usageOf,
  WireUsage,
} from './openai-wire';
import {
  DEFAULT_MODEL,
  FakeLlmRule,
  FakeLlmRuleSchema,
  FakeLlmRulesInputSchema,
  isRecord,
  readChatRequest,
  replyContent,
  selectRule,
  toRuleList,
} from './rules';
import { BodyResult, readJson, sendError, sendJson } from './http-io';

export interface RecordedRequest {
  path: string;
  method: string;
  // Kept whole (authorization included) so tests can check which API key a client used.
  headers: IncomingHttpHeaders;
  // Parsed JSON body; undefined when absent or malformed.
  body: unknown;
  receivedAt: number;
  // The token usage a chat completion answered with (what the client should account for).
  usage?: WireUsage;
}

export interface FakeLlmServerOptions {
  rules?: FakeLlmRule[];
  // Oldest records are dropped beyond this, so long benchmarks do not grow memory without bound.
  maxRecorded?: number;
}

const RulesArraySchema = FakeLlmRuleSchema.array();

// Scripted OpenAI-compatible server for tests and offline runs. See README.md for the rule format.
export class FakeLlmServer {
  private readonly initialRules: FakeLlmRule[];
  private readonly maxRecorded: number;
  private rules: FakeLlmRule[] = [];
  private fired: number[] = [];
  private records: RecordedRequest[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private server: Server | undefined;
  private nextId = 0;

  constructor(options: FakeLlmServerOptions = {}) {
    this.initialRules = RulesArraySchema.parse(options.rules ?? []);
    this.maxRecorded = options.maxRecorded ?? 10_000;
    this.setRules(this.initialRules);
  }

  get requests(): RecordedRequest[] {
    return [...this.records];
  }

  async start(port = 0, host = '127.0.0.1'): Promise<string> {
    if (this.server) throw new Error('FakeLlmServer is already started');
    const server = createServer((req, res) => void this.handle(req, res));
    // Longer than clients' idle timeouts, so pooled connections are reused instead of racing a close.
    server.keepAliveTimeout = 30_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    const { port: bound } = server.address() as AddressInfo;
    return `http://${host.includes(':') ? `[${host}]` : host}:${bound}/v1`;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    // Pending delayed replies must not keep the process (or jest) alive after stop.
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  addRules(rules: FakeLlmRule | readonly FakeLlmRule[]): void {
    const parsed = RulesArraySchema.parse(toRuleList(rules));
    this.rules.push(...parsed);
    this.fired.push(...parsed.map(() => 0));
  }

  setRules(rules: FakeLlmRule | readonly FakeLlmRule[]): void {
    this.rules = [];
    this.fired = [];
    this.addRules(rules);
  }

  // Back to the constructor's rules with fresh `times` counters, and no recorded requests.
  reset(): void {
    this.setRules(this.initialRules);
    this.records = [];
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const url = req.url ?? '/';
      const query = url.indexOf('?');
      const path = query === -1 ? url : url.slice(0, query);
      const method = req.method ?? 'GET';
      const body = method === 'GET' ? ({ ok: true, value: undefined } as const) : await readJson(req);
      if (path.startsWith('/_fake/')) return this.admin(res, method, path, body);
      const entry: RecordedRequest = {
        path,
        method,
        headers: req.headers,
        body: body.ok ? body.value : undefined,
        receivedAt: Date.now(),
      };
      this.record(entry);
      if (!body.ok) return sendError(res, body.status, body.message, body.code);
      // Accept base URLs configured with or without the /v1 suffix.
      const route = `${method} ${path.startsWith('/v1/') ? path.slice(3) : path}`;
      switch (route) {
        case 'POST /chat/completions':
          return await this.chat(res, body.value, entry);
        case 'POST /embeddings':
          return this.embeddings(res, body.value);
        case 'GET /models':
          return this.models(res);
        default:
          return sendError(res, 404, `Unknown route ${method} ${path}`, 'not_found');
      }
    } catch (error) {
      if (res.headersSent) res.destroy();
      else sendError(res, 500, `fake-llm internal error: ${String(error)}`, 'internal_error');
    }
  }

  private async chat(res: ServerResponse, body: unknown, entry: RecordedRequest): Promise<void> {
    if (!isRecord(body) || !Array.isArray(body.messages)) {
      return sendError(res, 400, "'messages' must be an array", 'invalid_request');
    }
    const view = readChatRequest(body, body.messages);
    const index = selectRule(this.rules, this.fired, view);
    if (index >= 0) this.fired[index]++;
    const reply = index >= 0 ? this.rules[index].reply : undefined;
    if (reply?.delayMs) {
      await this.delay(reply.delayMs);
      if (res.destroyed) return;
    }
    if (reply?.status !== undefined) {
      return sendError(
        res,
        reply.status,
        reply.errorMessage ?? `Scripted error ${reply.status}`,
        scriptedErrorCode(reply.status),
      );
    }
    const parts: CompletionParts = {
      id: `chatcmpl-fake-${++this.nextId}`,
      created: Math.floor(Date.now() / 1000),
      model: view.model,
      content: replyContent(reply, view),
      toolCalls: (reply?.toolCalls ?? []).map((call) => ({
        id: `call_fake_${++this.nextId}`,
        name: call.name,
        arguments: JSON.stringify(call.arguments),
      })),
      promptChars: view.promptChars,
    };
    entry.usage = usageOf(parts);
    if (body.stream !== true) {
      // A paced model asked not to stream answers when its stream would have ended.
      if (reply?.tokenIntervalMs) {
        const events = completionStreamEvents(parts, reply.chunkSize ?? DEFAULT_CHUNK_SIZE, true);
        await this.delay(Math.max(0, events.length - 4) * reply.tokenIntervalMs);
        if (res.destroyed) return;
      }
      return sendJson(res, 200, completionBody(parts));
    }
    const includeUsage = isRecord(body.stream_options) && body.stream_options.include_usage === true;
    if (reply?.tokenIntervalMs)
      return this.pacedStream(
        res,
        completionStreamEvents(parts, reply.chunkSize ?? DEFAULT_CHUNK_SIZE, includeUsage),
        reply.tokenIntervalMs,
      );
    const payload = completionStream(parts, reply?.chunkSize ?? DEFAULT_CHUNK_SIZE, includeUsage);
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      'content-length': Buffer.byteLength(payload),
    });
    res.end(payload);
  }

  private async pacedStream(res: ServerResponse, events: string[], intervalMs: number): Promise<void> {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    for (let i = 0; i < events.length; i++) {
      if (res.destroyed) return;
      // The role chunk, the first delta and the closing events go at once; each further delta waits its turn.
      if (i > 1 && i < events.length - 2) await this.delay(intervalMs);
      res.write(events[i]);
    }
    res.end();
  }

  private embeddings(res: ServerResponse, body: unknown): void {
    const input = isRecord(body) ? body.input : undefined;
    const inputs =
      typeof input === 'string'
        ? [input]
        : Array.isArray(input) && input.length > 0
          ? input.map((item) => (typeof item === 'string' ? item : JSON.stringify(item)))
          : undefined;
    if (!isRecord(body) || !inputs) {
      return sendError(res, 400, "'input' must be a string or a non-empty array", 'invalid_request');
    }
    const dims = body.dimensions;
    const dimensions =
      Number.isInteger(dims) && (dims as number) > 0 && (dims as number) <= 4096
        ? (dims as number)
        : DEFAULT_EMBEDDING_DIMENSIONS;
    const model = typeof body.model === 'string' ? body.model : DEFAULT_MODEL;
    sendJson(res, 200, embeddingsBody(inputs, model, dimensions));
  }

  private models(res: ServerResponse): void {
    const ids = new Set([DEFAULT_MODEL]);
    for (const rule of this.rules) if (rule.match?.model) ids.add(rule.match.model);
    const data = [...ids].map((id) => ({ id, object: 'model', created: 0, owned_by: 'fake-llm' }));
    sendJson(res, 200, { object: 'list', data });
  }

  private admin(res: ServerResponse, method: string, path: string, body: BodyResult): void {
    if (!body.ok) return sendError(res, body.status, body.message, body.code);
    const route = `${method} ${path}`;
    if (route === 'GET /_fake/requests') return sendJson(res, 200, { requests: this.records });
    if (route === 'GET /_fake/rules') return sendJson(res, 200, { rules: this.rules, fired: this.fired });
    if (route === 'POST /_fake/reset') {
      this.reset();
      return sendJson(res, 200, { ok: true });
    }
    if (route === 'POST /_fake/rules' || route === 'PUT /_fake/rules') {
      const parsed = FakeLlmRulesInputSchema.safeParse(body.value);
      if (!parsed.success) return sendError(res, 400, 'Invalid rule', 'invalid_rule', parsed.error.issues);
      if (method === 'PUT') this.setRules(parsed.data);
      else this.addRules(parsed.data);
      return sendJson(res, 200, { rules: this.rules.length });
    }
    sendError(res, 404, `Unknown route ${route}`, 'not_found');
  }

  private record(entry: RecordedRequest): void {
    if (this.records.length >= this.maxRecorded) this.records.splice(0, this.records.length - this.maxRecorded + 1);
    this.records.push(entry);
  }

  private delay(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        resolve();
      }, ms);
      this.timers.add(timer);
    });
  }
}
