import { FuzzWorld, FUZZ_SEED, isErrorCode } from './fuzz-world';
import type { FuzzRequest, Operation } from './rest-requests';

export interface Answer {
  status: number;
  contentType: string;
  body: unknown;
  text: string;
}

export async function send(w: FuzzWorld, req: FuzzRequest, method: string): Promise<Answer> {
  const headers: Record<string, string> = { ...req.headers };
  if (req.owner === 'a' || req.owner === 'b') headers['authorization'] = `Bearer ${w.keys[req.owner]}`;
  if (req.owner === 'bad') headers['authorization'] = 'Bearer wiz_not_a_key';
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), 20_000);
  try {
    const res = await fetch(`${w.server.baseUrl}${req.path}`, {
      method,
      headers,
      body: req.body && method !== 'GET' && method !== 'HEAD' ? req.body : undefined,
      signal: abort.signal,
    });
    const contentType = res.headers.get('content-type') ?? '';
    if (contentType.startsWith('text/event-stream')) {
      abort.abort();
      return { status: res.status, contentType, body: undefined, text: '' };
    }
    const text = await res.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    return { status: res.status, contentType, body, text };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The one documented 5xx a client can cause: a memory query by meaning when the agent's embedding
 * model (its provider, which the tenant may have pointed anywhere) does not answer (docs/api.md).
 */
function upstreamDown(op: Operation, a: Answer): boolean {
  const body = a.body as { code?: string; message?: string } | undefined;
  return (
    op.path === '/api/v1/memory/query' &&
    a.status === 503 &&
    body?.code === 'unavailable' &&
    /embedding model is unavailable/.test(body.message ?? '')
  );
}

/** What is wrong with an answer: a 5xx, or an error that is not `{code, message}` JSON. */
export function problemsOf(op: Operation, a: Answer): string[] {
  const problems: string[] = [];
  if (a.status >= 500 && !upstreamDown(op, a)) problems.push(`status ${a.status}`);
  if (a.status >= 400) {
    const body = a.body as { code?: unknown; message?: unknown; error?: { code?: unknown } } | undefined;
    // /mcp speaks JSON-RPC: its errors are `{jsonrpc, error: {code, message}}`.
    const rpc = op.path === '/mcp' && typeof body?.error?.code === 'number';
    if (!a.contentType.includes('json')) problems.push(`content-type ${a.contentType || '(none)'}`);
    else if (!rpc && !isErrorCode(body?.code)) problems.push(`no error code in ${a.text.slice(0, 200)}`);
    else if (!rpc && typeof body?.message !== 'string') problems.push(`no message in ${a.text.slice(0, 200)}`);
  }
  return problems;
}

/** A short report of a failed property: the suite's seed replays it (counterexamples can be megabytes). */
export function failure(
  name: string,
  out: { seed: number; path?: string; errorInstance: unknown; numRuns: number },
): string {
  const message = out.errorInstance instanceof Error ? out.errorInstance.message : String(out.errorInstance);
  return `${name}, run ${out.numRuns} (WIZ_FUZZ_SEED=${FUZZ_SEED}; property seed ${out.seed}, path ${out.path}): ${message}`;
}

/** A request line short enough to read. */
export const brief = (method: string, path: string) =>
  `${method} ${path.length > 300 ? `${path.slice(0, 300)}…(${path.length} chars)` : path}`;
