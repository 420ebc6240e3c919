// Every event must fit the bus's message limit (NATS max_payload, 1 MiB by default) by
// construction, whatever a tenant or a model put in it. Events carry what happened; the full
// record (a job's result, a memory item, a tool's arguments) stays in the store.

/** Largest serialised event data, in bytes: well under NATS's 1 MiB max_payload. */
export const MAX_EVENT_DATA_BYTES = 256 * 1024;

const MAX_DEPTH = 32;

/**
 * `value` as is when its JSON fits `maxBytes`; otherwise a copy with long strings cut (ending
 * in a `…[clipped N chars]` marker), long arrays and objects cut to their first entries and
 * deep nesting replaced, at smaller and smaller sizes until it fits.
 */
export function clipToBytes<T>(value: T, maxBytes = MAX_EVENT_DATA_BYTES): { value: T; clipped: boolean } {
  if (jsonBytes(value) <= maxBytes) return { value, clipped: false };
  for (let limit = Math.floor(maxBytes / 4); limit >= 16; limit = Math.floor(limit / 4)) {
    const clipped = clip(value, limit, 0) as T;
    if (jsonBytes(clipped) <= maxBytes) return { value: clipped, clipped: true };
  }
  return { value: { clipped: true, bytes: jsonBytes(value) } as T, clipped: true };
}

function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value) ?? '', 'utf8');
}

function clip(v: unknown, limit: number, depth: number): unknown {
  if (typeof v === 'string') return clipString(v, limit);
  if (v === null || typeof v !== 'object') return v;
  if (depth >= MAX_DEPTH) return '[clipped: nested too deep]';
  const entries = Math.max(1, Math.floor(limit / 16));
  if (Array.isArray(v)) return v.slice(0, entries).map((x) => clip(x, limit, depth + 1));
  if (typeof (v as { toJSON?: unknown }).toJSON === 'function')
    return clip(JSON.parse(JSON.stringify(v)), limit, depth);
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v).slice(0, entries)) out[clipString(k, limit)] = clip(x, limit, depth + 1);
  return out;
}

function clipString(s: string, limit: number): string {
  // JSON may triple a character's bytes (\u escapes, UTF-8): cut by a third of the byte limit.
  const keep = Math.max(8, Math.floor(limit / 3));
  if (s.length <= keep) return s;
  let end = keep;
  const c = s.charCodeAt(end - 1);
  if (c >= 0xd800 && c <= 0xdbff) end--; // do not split a surrogate pair
  return `${s.slice(0, end)}…[clipped ${s.length - end} chars]`;
}
