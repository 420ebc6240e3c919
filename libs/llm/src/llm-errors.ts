import { APICallError, RetryError } from 'ai';
import { clip } from '@wiz/contracts';

// A failure reason a user can act on, without secrets: the API key is in a header, never in the
// URL or the body we quote.
export function describeLlmError(e: unknown, baseUrl: string, keyHint = 'OPENAI_API_KEY'): string {
  if (isContextTooLong(e))
    return `the conversation is longer than the model's context window: ${truncate(providerMessage((e as APICallError).responseBody) ?? (e as Error).message)}`;
  if (RetryError.isInstance(e)) {
    const attempts = e.errors.length;
    return `${describeLlmError(e.lastError, baseUrl, keyHint)} (gave up after ${attempts} attempt${attempts === 1 ? '' : 's'})`;
  }
  if (APICallError.isInstance(e)) {
    if (e.statusCode === undefined) return `model endpoint ${baseUrl} unreachable: ${causeOf(e)}`;
    if (e.statusCode < 300) return `model endpoint ${baseUrl} answered without a readable completion`;
    const detail = providerMessage(e.responseBody) ?? 'no error message';
    const hint =
      e.statusCode === 401 || e.statusCode === 403
        ? ` — check ${keyHint}`
        : e.statusCode === 404
          ? ' — check the model name and OPENAI_BASE_URL'
          : '';
    return `model endpoint ${baseUrl} answered HTTP ${e.statusCode}: ${truncate(detail)}${hint}`;
  }
  if (e instanceof Error && e.name === 'AbortError') return 'model call aborted (time limit or cancellation)';
  if (e instanceof Error) return `model call failed: ${truncate(e.message)}`;
  return `model call failed: ${truncate(String(e))}`;
}

function providerMessage(body: string | undefined): string | undefined {
  if (!body) return undefined;
  try {
    const parsed = JSON.parse(body) as { error?: { message?: unknown } | string; message?: unknown };
    const m = typeof parsed.error === 'string' ? parsed.error : (parsed.error?.message ?? parsed.message);
    return typeof m === 'string' ? m : undefined;
  } catch {
    // Not an OpenAI-style error: the body may be anything the URL answered (an internal page,
    // metadata). Never quoted; the status says enough.
    return undefined;
  }
}

function causeOf(e: Error): string {
  const cause = (e as { cause?: unknown }).cause;
  const code = (cause as { code?: string } | undefined)?.code ?? (cause as { cause?: { code?: string } })?.cause?.code;
  return code ?? (cause instanceof Error ? cause.message : e.message);
}

const truncate = (s: string) => clip(s, 500);

/** The provider refused the prompt as too long for the model (OpenAI: `context_length_exceeded`). */
export function isContextTooLong(e: unknown): boolean {
  const err = RetryError.isInstance(e) ? e.lastError : e;
  if (!APICallError.isInstance(err) || (err.statusCode !== 400 && err.statusCode !== 413)) return false;
  return /context_length_exceeded|context length|maximum context|too many tokens|prompt is too long/i.test(
    `${err.responseBody ?? ''} ${err.message}`,
  );
}
