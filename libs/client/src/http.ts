import { WizApiError } from './errors';

export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;
export type Query = Record<string, string | number | boolean | undefined | null>;

export interface HttpOptions {
  /** The server's base URL, e.g. `http://localhost:8080` (no trailing `/api/v1`). */
  baseUrl: string;
  /** An API key; none when the server runs with authentication off (loopback). */
  apiKey?: string;
  /** Defaults to the global `fetch` (Node 18+, browsers). */
  fetch?: FetchLike;
}

// One JSON request: the parsed body, or a WizApiError with the server's status, code and message.
export class Http {
  private readonly base: string;
  private readonly doFetch: FetchLike;

  constructor(private readonly options: HttpOptions) {
    this.base = options.baseUrl.replace(/\/+$/, '');
    const f = options.fetch ?? (globalThis.fetch as FetchLike | undefined);
    if (!f) throw new Error('no fetch: pass options.fetch');
    this.doFetch = (url, init) => f(url, init);
  }

  get baseUrl(): string {
    return this.base;
  }

  get apiKey(): string | undefined {
    return this.options.apiKey;
  }

  async request<T>(method: string, path: string, body?: unknown, query?: Query): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.options.apiKey) headers['authorization'] = `Bearer ${this.options.apiKey}`;
    let res: Response;
    try {
      res = await this.doFetch(this.base + path + queryString(query), {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (e) {
      throw new WizApiError(0, 'unavailable', `cannot reach ${this.base}: ${e instanceof Error ? e.message : e}`);
    }
    const text = await res.text();
    let parsed: unknown = undefined;
    if (text) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = text;
      }
    }
    if (!res.ok) throw WizApiError.fromBody(res.status, parsed);
    return parsed as T;
  }
}

export function queryString(query?: Query): string {
  if (!query) return '';
  const parts = Object.entries(query)
    .filter(([, v]) => v !== undefined && v !== null && v !== '')
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`);
  return parts.length ? `?${parts.join('&')}` : '';
}
