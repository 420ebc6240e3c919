// A tiny JSON client for e2e tests: status and parsed body, nothing hidden.
export interface HttpResult<T = any> {
  status: number;
  body: T;
}

export async function http<T = any>(base: string, method: string, path: string, body?: unknown, raw?: string): Promise<HttpResult<T>> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: body !== undefined || raw !== undefined ? { 'content-type': 'application/json' } : {},
    body: raw ?? (body === undefined ? undefined : JSON.stringify(body)),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as T) : (undefined as T) };
}
