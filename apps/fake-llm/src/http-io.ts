import { IncomingMessage, ServerResponse } from 'node:http';
import { errorBody, FakeLlmErrorCode } from './openai-wire';

// Reading JSON requests and writing JSON answers (errors in OpenAI's shape) for the fake server.

export type BodyResult =
  { ok: true; value: unknown } | { ok: false; status: number; code: FakeLlmErrorCode; message: string };

const MAX_BODY_BYTES = 20 * 1024 * 1024;

export function readJson(req: IncomingMessage): Promise<BodyResult> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('error', () =>
      resolve({ ok: false, status: 400, code: 'invalid_request', message: 'Request body could not be read' }),
    );
    req.on('end', () => {
      if (size > MAX_BODY_BYTES) {
        return resolve({
          ok: false,
          status: 413,
          code: 'payload_too_large',
          message: `Body exceeds ${MAX_BODY_BYTES} bytes`,
        });
      }
      if (size === 0) return resolve({ ok: true, value: undefined });
      try {
        resolve({ ok: true, value: JSON.parse(Buffer.concat(chunks, size).toString('utf8')) });
      } catch (error) {
        resolve({
          ok: false,
          status: 400,
          code: 'invalid_json',
          message: `Malformed JSON body: ${(error as Error).message}`,
        });
      }
    });
  });
}

export function sendJson(res: ServerResponse, status: number, payload: unknown): void {
  const text = JSON.stringify(payload);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export function sendError(
  res: ServerResponse,
  status: number,
  message: string,
  code: FakeLlmErrorCode,
  issues?: unknown,
): void {
  sendJson(res, status, errorBody(status, message, code, issues));
}
