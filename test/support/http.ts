// A tiny JSON client for e2e tests: status and parsed body, nothing hidden.
export interface HttpResult<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

export async function http<T = any>(
  base: string,
  method: string,
  path: string,
  body?: unknown,
  raw?: string,
  headers: Record<string, string> = {},
): Promise<HttpResult<T>> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { ...(body !== undefined || raw !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    body: raw ?? (body === undefined ? undefined : JSON.stringify(body)),
  });
  const text = await res.text();
  let parsed: unknown = undefined;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = text;
  }
  return { status: res.status, body: parsed as T, headers: res.headers };
}

/** `http` as the holder of an API key. */
export const asKey =
  (base: string, key: string) =>
  <T = any>(method: string, path: string, body?: unknown): Promise<HttpResult<T>> =>
    http<T>(base, method, path, body, undefined, { authorization: `Bearer ${key}` });
