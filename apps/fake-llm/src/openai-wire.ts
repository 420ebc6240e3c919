// Builders for OpenAI wire-format bodies. Pure string/object work, no I/O.

export interface WireToolCall {
  id: string;
  name: string;
  arguments: string;
}

export interface CompletionParts {
  id: string;
  created: number;
  model: string;
  content: string | undefined;
  toolCalls: readonly WireToolCall[];
  promptChars: number;
}

export type FakeLlmErrorCode =
  | 'invalid_json'
  | 'invalid_request'
  | 'invalid_rule'
  | 'not_found'
  | 'payload_too_large'
  | 'scripted_error'
  | 'invalid_api_key'
  | 'rate_limit_exceeded'
  | 'internal_error';

export interface OpenAiErrorBody {
  error: { message: string; type: string; code: string; param: null; issues?: unknown };
}

export const DEFAULT_CHUNK_SIZE = 8;
export const DEFAULT_EMBEDDING_DIMENSIONS = 64;

// Rough OpenAI rule of thumb (~4 characters per token); good enough for usage accounting in tests.
export function estimateTokens(chars: number): number {
  return Math.ceil(chars / 4);
}

export function errorBody(status: number, message: string, code: FakeLlmErrorCode, issues?: unknown): OpenAiErrorBody {
  const error: OpenAiErrorBody['error'] = { message, type: errorType(status), code, param: null };
  if (issues !== undefined) error.issues = issues;
  return { error };
}

// The `type` values OpenAI sends per status, so clients that branch on them behave as in production.
export function errorType(status: number): string {
  switch (status) {
    case 401:
      return 'authentication_error';
    case 403:
      return 'permission_error';
    case 404:
      return 'not_found_error';
    case 429:
      return 'rate_limit_error';
    default:
      return status >= 500 ? 'server_error' : 'invalid_request_error';
  }
}

// Codes OpenAI itself sends for the statuses scripts most often simulate.
export function scriptedErrorCode(status: number): FakeLlmErrorCode {
  if (status === 401) return 'invalid_api_key';
  if (status === 429) return 'rate_limit_exceeded';
  return 'scripted_error';
}

export function completionBody(parts: CompletionParts): object {
  const hasTools = parts.toolCalls.length > 0;
  return {
    id: parts.id,
    object: 'chat.completion',
    created: parts.created,
    model: parts.model,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: parts.content ?? null,
          ...(hasTools && {
            tool_calls: parts.toolCalls.map((c) => ({
              id: c.id,
              type: 'function',
              function: { name: c.name, arguments: c.arguments },
            })),
          }),
        },
        finish_reason: hasTools ? 'tool_calls' : 'stop',
      },
    ],
    usage: usageOf(parts),
  };
}

// The whole SSE body at once: the client still sees separate events, and one write keeps the fake cheap.
export function completionStream(parts: CompletionParts, chunkSize: number, includeUsage: boolean): string {
  return completionStreamEvents(parts, chunkSize, includeUsage).join('');
}

// The SSE events one by one, for a paced stream (`tokenIntervalMs`).
export function completionStreamEvents(parts: CompletionParts, chunkSize: number, includeUsage: boolean): string[] {
  const head = { id: parts.id, object: 'chat.completion.chunk', created: parts.created, model: parts.model };
  const events: string[] = [];
  const push = (delta: object, finishReason: string | null = null): void => {
    events.push(sse({ ...head, choices: [{ index: 0, delta, finish_reason: finishReason }] }));
  };
  push({ role: 'assistant' });
  for (const piece of split(parts.content ?? '', chunkSize)) push({ content: piece });
  parts.toolCalls.forEach((call, index) => {
    push({ tool_calls: [{ index, id: call.id, type: 'function', function: { name: call.name, arguments: '' } }] });
    for (const piece of split(call.arguments, chunkSize))
      push({ tool_calls: [{ index, function: { arguments: piece } }] });
  });
  push({}, parts.toolCalls.length > 0 ? 'tool_calls' : 'stop');
  if (includeUsage) events.push(sse({ ...head, choices: [], usage: usageOf(parts) }));
  events.push('data: [DONE]\n\n');
  return events;
}

export function embeddingsBody(inputs: readonly string[], model: string, dimensions: number): object {
  let chars = 0;
  const data = inputs.map((text, index) => {
    chars += text.length;
    return { object: 'embedding', index, embedding: embedText(text, dimensions) };
  });
  const tokens = estimateTokens(chars);
  return { object: 'list', data, model, usage: { prompt_tokens: tokens, total_tokens: tokens } };
}

// Deterministic unit vector, a hashed bag of words: each word (lower-cased, a trailing "s"
// dropped) adds ±1 to the dimension its FNV-1a hash picks. Texts that share words are close
// (cosine), so search "by meaning" is testable; the same text always gives the same vector.
export function embedText(text: string, dimensions: number): number[] {
  const vector = new Array<number>(dimensions).fill(0);
  for (const raw of text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []) {
    const word = raw.length > 3 && raw.endsWith('s') ? raw.slice(0, -1) : raw;
    let h = 0x811c9dc5;
    for (let i = 0; i < word.length; i++) h = Math.imul(h ^ word.charCodeAt(i), 0x01000193);
    h >>>= 0;
    vector[h % dimensions]! += h & 0x80000000 ? -1 : 1;
  }
  const norm = Math.hypot(...vector);
  if (norm === 0)
    vector[0] = 1; // no words: a fixed unit vector
  else for (let i = 0; i < dimensions; i++) vector[i]! /= norm;
  return vector;
}

export interface WireUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

/** The token usage reported for a completion (estimated from its characters). */
export function usageOf(parts: CompletionParts): WireUsage {
  let completionChars = parts.content?.length ?? 0;
  for (const call of parts.toolCalls) completionChars += call.name.length + call.arguments.length;
  const prompt = estimateTokens(parts.promptChars);
  const completion = estimateTokens(completionChars);
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

function sse(payload: object): string {
  return `data: ${JSON.stringify(payload)}\n\n`;
}

// Never cuts a surrogate pair in two, so each delta is valid text on its own.
function split(text: string, size: number): string[] {
  const pieces: string[] = [];
  for (let i = 0; i < text.length;) {
    let end = Math.min(i + size, text.length);
    if (end < text.length && isHighSurrogate(text.charCodeAt(end - 1))) end++;
    pieces.push(text.slice(i, end));
    i = end;
  }
  return pieces;
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}
