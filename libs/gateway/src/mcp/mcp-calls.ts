import type { AuthContext } from '@wiz/platform';

type RequestId = string | number;

/** A `notifications/cancelled` in a JSON-RPC body (or batch): the request ids it cancels. */
export function cancelledIds(body: unknown): RequestId[] {
  const messages = Array.isArray(body) ? body : [body];
  return messages.flatMap((m) => {
    const msg = m as { method?: unknown; params?: { requestId?: unknown } } | null;
    const id = msg?.params?.requestId;
    return msg?.method === 'notifications/cancelled' && (typeof id === 'string' || typeof id === 'number') ? [id] : [];
  });
}

// The tool calls in flight on this gateway, by caller and JSON-RPC request id. In stateless mode
// a client's `notifications/cancelled` arrives in a request of its own, to a new MCP server that
// never saw the call: this is how it reaches the call it names. The caller is the owner and the
// API key, so one owner's notification never cancels another's call; when one caller has two calls
// with the same id in flight (two clients on one key), the notification is ambiguous and cancels none.
export class McpCalls {
  private readonly inFlight = new Map<string, AbortController[]>();

  /** Registers a call; its signal aborts with `parent` or when the caller cancels it. Call `done` at its end. */
  open(auth: AuthContext, id: RequestId, parent: AbortSignal): { signal: AbortSignal; done: () => void } {
    const controller = new AbortController();
    const key = keyOf(auth, id);
    this.inFlight.set(key, [...(this.inFlight.get(key) ?? []), controller]);
    const done = () => {
      const rest = (this.inFlight.get(key) ?? []).filter((c) => c !== controller);
      if (rest.length > 0) this.inFlight.set(key, rest);
      else this.inFlight.delete(key);
    };
    return { signal: AbortSignal.any([parent, controller.signal]), done };
  }

  cancelFrom(auth: AuthContext, body: unknown): void {
    for (const id of cancelledIds(body)) {
      const calls = this.inFlight.get(keyOf(auth, id));
      if (calls?.length === 1) calls[0]!.abort();
    }
  }

  get size(): number {
    return this.inFlight.size;
  }
}

const keyOf = (auth: AuthContext, id: RequestId) => JSON.stringify([auth.ownerId, auth.keyId, id]);
