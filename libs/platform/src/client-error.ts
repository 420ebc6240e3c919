import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ErrorCode } from '@wiz/contracts';

// Requests Node's HTTP parser refuses before Express sees them (a URL or headers over
// --max-http-header-size, a malformed request line, headers that never end) get the same JSON
// error shape as every other answer, instead of Node's bare `431`/`400` without a body.
const ANSWERS: Record<string, { status: number; message: string }> = {
  HPE_HEADER_OVERFLOW: { status: 431, message: 'request URL or headers too large' },
  ERR_HTTP_REQUEST_TIMEOUT: { status: 408, message: 'request not received in time' },
  ERR_HTTP_HEADERS_TIMEOUT: { status: 408, message: 'request headers not received in time' },
};

export function answerClientError(err: Error & { code?: string }, socket: Duplex): void {
  if (err.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const { status, message } = ANSWERS[err.code ?? ''] ?? { status: 400, message: 'malformed HTTP request' };
  endWithError(socket, status, 'validation_failed', message);
}

/**
 * Answers on a raw socket (no Express: a request the parser refused, a refused WebSocket
 * upgrade) with the JSON error shape of every other answer, and closes it.
 */
export function endWithError(
  socket: Duplex,
  status: number,
  code: ErrorCode,
  message: string,
  retryAfterSec?: number,
): void {
  const body = JSON.stringify({ statusCode: status, code, message });
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\n` +
      'content-type: application/json; charset=utf-8\r\n' +
      `content-length: ${Buffer.byteLength(body)}\r\n` +
      (retryAfterSec ? `retry-after: ${retryAfterSec}\r\n` : '') +
      'connection: close\r\n\r\n' +
      body,
  );
}
