import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import type { FuzzWorld, Kind, Owner } from './fuzz-world';
import { JsonSchema, NamedString, schemaArbitrary } from './schema-arbitrary';

// Requests for one operation of the OpenAPI document: path parameters (the owner's ids, the
// other owner's, garbage), query strings and bodies from the schemas, and hostile variants.
export interface Operation {
  method: string;
  /** OpenAPI style: `/api/v1/agents/{id}`. */
  path: string;
  pathParams: string[];
  query: Array<{ name: string; required: boolean; schema: JsonSchema }>;
  body?: JsonSchema;
  /** The route answers a text/event-stream (read the status, not the body). */
  sse: boolean;
}

export interface FuzzRequest {
  owner: Owner | 'none' | 'bad';
  path: string;
  body?: Buffer;
  headers: Record<string, string>;
  /** What the request was made of, for the failure message. */
  shape: string;
}

export type OpenApiDoc = { paths: Record<string, Record<string, OpenApiOp>> };
type OpenApiOp = {
  parameters?: Array<{ name: string; in: string; required?: boolean; schema: JsonSchema }>;
  requestBody?: { content: Record<string, { schema: JsonSchema }> };
  responses: Record<string, { content?: Record<string, unknown> }>;
};

export function operationsOf(doc: OpenApiDoc): Operation[] {
  const ops: Operation[] = [];
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const params = op.parameters ?? [];
      ops.push({
        method: method.toUpperCase(),
        path,
        pathParams: [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!),
        query: params
          .filter((p) => p.in === 'query')
          .map((p) => ({ name: p.name, required: !!p.required, schema: p.schema })),
        body: op.requestBody?.content['application/json']?.schema,
        sse: Object.values(op.responses).some((r) => r.content && 'text/event-stream' in r.content),
      });
    }
  }
  return ops;
}

/** Hostile JSON nesting, spliced into the serialised body where this marker stands. */
const DEEP = '\u0001deep\u0001';
const deepArrays = (n: number) => '['.repeat(n) + ']'.repeat(n);
const deepObjects = (n: number) => '{"a":'.repeat(n) + '1' + '}'.repeat(n);

export const HOSTILE_VALUE: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: fc.jsonValue({ maxDepth: 3 }), weight: 4 },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 20 }).map((s) => `${s}\u0000${s}`), weight: 3 },
  { arbitrary: fc.integer({ min: 20_000, max: 200_000 }).map((n) => 'x'.repeat(n)), weight: 1 },
  { arbitrary: fc.constant(DEEP), weight: 1 },
  { arbitrary: fc.constantFrom(1e308, -1, 0, 2 ** 53 + 1, -0.5, '', [], {}, null, true, 'null', '0'), weight: 3 },
  { arbitrary: fc.array(fc.constant('x'), { minLength: 500, maxLength: 3000 }), weight: 1 },
);

const RAW_BODIES: fc.Arbitrary<string | Buffer> = fc.oneof(
  fc.constantFrom<string | Buffer>(
    'not json',
    '{',
    '{"a":',
    '',
    'null',
    '[]',
    '"text"',
    '1',
    '\u0000',
    '\uFEFF{}',
    '{"__proto__":{"polluted":true}}',
    '{"constructor":{"prototype":{"polluted":true}}}',
    `{"a":${deepArrays(10_000)}}`,
    deepObjects(10_000),
    `{"a":${deepArrays(70)}}`,
    Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0xc3, 0x22, 0x7d]),
    'name=x&role=y',
  ),
  fc.integer({ min: 600_000, max: 1_200_000 }).map((n) => JSON.stringify({ blob: 'x'.repeat(n) })),
  fc.string({ unit: 'binary', maxLength: 200 }),
);

const CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'application/json; charset=latin1',
  'application/json; charset=utf-16le',
  'application/json; charset=nope',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=zz',
  'application/xml',
  'application/merge-patch+json',
  '*/*',
  'application/json, text/plain',
];
const CONTENT_ENCODINGS = ['gzip', 'deflate', 'br', 'compress', 'identity', 'x-bogus', 'gzip, deflate', 'GZIP', 'zstd'];

const GARBAGE_SEGMENTS = [
  '%00',
  'a%00b',
  '..%2F..%2Fetc%2Fpasswd',
  '%ZZ',
  '%E0%A4%A',
  'x'.repeat(4000),
  'null',
  '-1',
  "'%20OR%201%3D1--",
  '00000000-0000-0000-0000-000000000000',
  '%7B%7D',
];

function safeEncode(s: string): string {
  // Lone surrogates cannot be percent-encoded: replace them (the request stays garbage).
  return encodeURIComponent(s.replace(/[\uD800-\uDFFF]/g, '\uFFFD'));
}

/** The kind of id a path parameter or a body field names. */
function kindsOf(name: string, segment = ''): Kind[] {
  const bySegment: Record<string, Kind[]> = {
    agents: ['agents'],
    jobs: ['jobs'],
    schedules: ['schedules'],
    keys: ['keys'],
    providers: ['providers'],
    'mcp-servers': ['mcp-servers'],
    projects: ['projects'],
    conversations: ['conversations'],
    messages: ['messages'],
    approvals: ['approvals'],
    webhooks: ['webhooks'],
    tasks: ['jobs', 'schedules'],
  };
  if (segment && bySegment[segment]) return bySegment[segment]!;
  const n = name.toLowerCase();
  if (n.startsWith('agent') || n === 'delegates') return ['agents'];
  if (n.includes('job') || n === 'dependson') return ['jobs'];
  if (n.includes('project')) return ['projects'];
  if (n.includes('conversation')) return ['conversations'];
  if (n.includes('message')) return ['messages'];
  if (n.includes('provider')) return ['providers'];
  if (n.includes('waitid')) return ['approvals'];
  return ['agents', 'jobs'];
}

/** Requests as one owner: its own ids mostly, the other owner's and garbage sometimes. */
export class RequestFactory {
  constructor(
    private readonly w: FuzzWorld,
    private readonly owner: Owner,
  ) {}

  /** An id of the owner's, of the other owner's, a fresh UUID, or garbage. */
  id(kinds: Kind[]): fc.Arbitrary<string> {
    const other: Owner = this.owner === 'a' ? 'b' : 'a';
    const of = (o: Owner) => kinds.flatMap((k) => this.w.pools[o][k]);
    return fc.oneof(
      { arbitrary: fc.constantFrom(...of(this.owner)), weight: 8 },
      { arbitrary: fc.constantFrom(...of(other)), weight: 2 },
      { arbitrary: fc.uuid(), weight: 1 },
      { arbitrary: fc.uuid().map((u) => u.toUpperCase()), weight: 1 },
      { arbitrary: fc.constantFrom(...GARBAGE_SEGMENTS), weight: 1 },
    );
  }

  /** Strings chosen by field name, so that valid-ish bodies reach the services. */
  readonly named: NamedString = (field) => {
    const f = field.toLowerCase();
    if (f === 'cron') return fc.constantFrom('@yearly', '0 0 1 1 *', 'not a cron', '* * * * * * * *', '@every 1ms');
    if (f === 'timezone') return fc.constantFrom('UTC', 'Europe/Paris', 'Mars/Olympus', '');
    if (f === 'baseurl' || f === 'url')
      return fc.constantFrom(
        'https://203.0.113.9/v1',
        'http://169.254.169.254/latest/meta-data',
        'http://127.0.0.1:9/v1',
        'http://[::1]/',
        'file:///etc/passwd',
        'gopher://x',
        'not a url',
      );
    if (f === 'userid' || f === 'participantid') return fc.constantFrom('ann', 'bob', '');
    if (f === 'ownerid') return fc.constantFrom('user:a', 'user:b', 'admin', 'team:x', '');
    if (f === 'events') return fc.constantFrom('job.*', 'schedule.fired', '*', 'nope');
    if (f === 'provider') return this.id(['providers']);
    if (f.endsWith('id') || f === 'dependson' || f === 'delegates' || f === 'agentids') return this.id(kindsOf(f));
    return undefined;
  };

  body(schema: JsonSchema, minimal = false): fc.Arbitrary<unknown> {
    return schemaArbitrary(schema, this.named, '', 0, minimal);
  }

  /** A request for `op`: mostly shaped like the contract, often hostile. */
  request(op: Operation): fc.Arbitrary<FuzzRequest> {
    const segments = op.path.split('/');
    const pathArb = fc.tuple(
      ...segments.map((seg, i) => {
        const m = /^\{(\w+)\}$/.exec(seg);
        if (!m) return fc.constant(seg);
        return this.pathParam(m[1]!, segments[i - 1] ?? '').map((v) =>
          GARBAGE_SEGMENTS.includes(v) ? v : safeEncode(v),
        );
      }),
    );
    return fc
      .record({
        owner: fc.oneof(
          { arbitrary: fc.constant<FuzzRequest['owner']>(this.owner), weight: 10 },
          { arbitrary: fc.constantFrom<FuzzRequest['owner']>('none', 'bad'), weight: 1 },
        ),
        segments: pathArb,
        query: this.query(op),
        body: this.bodyVariant(op),
      })
      .map(({ owner, segments: segs, query, body }) => ({
        owner,
        path: segs.join('/') + (query ? `?${query}` : ''),
        body: body.bytes,
        headers: body.headers,
        shape: body.shape,
      }));
  }

  private pathParam(name: string, segment: string): fc.Arbitrary<string> {
    if (segment === 'assets') return fc.constantFrom('swagger-ui.css', 'swagger-ui-bundle.js', '..', 'x');
    if (name === 'kind') return fc.constantFrom('agent', 'user', 'team', 'x');
    if (name === 'participantId') return fc.oneof(this.id(['agents']), fc.constantFrom('ann', 'bob'));
    if (name === 'name') return fc.oneof(fc.constantFrom('go', 'done'), fc.string({ maxLength: 30 }));
    return this.id(kindsOf(name, segment));
  }

  private query(op: Operation): fc.Arbitrary<string> {
    const valid = fc.record(
      Object.fromEntries(op.query.map((q) => [q.name, schemaArbitrary(q.schema, this.named, q.name)])),
      { requiredKeys: op.query.filter((q) => q.required).map((q) => q.name) },
    );
    const pairs = valid.map((o) =>
      Object.entries(o).map(([k, v]) => `${k}=${safeEncode(typeof v === 'string' ? v : JSON.stringify(v))}`),
    );
    const hostile = fc.tuple(
      pairs,
      fc.constantFrom(...op.query.map((q) => q.name), 'unknown', 'a[b]', '__proto__'),
      fc.constantFrom(
        '%00',
        'x%00y',
        '%ZZ',
        'x'.repeat(6000),
        safeEncode(`{"a":${deepArrays(10_000)}}`),
        safeEncode(`{"a":${deepArrays(1_500)}}`),
        safeEncode(deepObjects(100)),
        '-1',
        '1e309',
        '',
        '%7B%7D',
      ),
    );
    return fc.oneof(
      { arbitrary: pairs.map((p) => p.join('&')), weight: 5 },
      { arbitrary: hostile.map(([p, k, v]) => [...p, `${k}=${v}`, `${k}=${v}`].join('&')), weight: 2 },
      { arbitrary: hostile.map(([p, k, v]) => [...p, `${k}=${v}`].join('&')), weight: 2 },
    );
  }

  private bodyVariant(op: Operation): fc.Arbitrary<{ bytes?: Buffer; headers: Record<string, string>; shape: string }> {
    const json = (shape: string) => (v: unknown) => ({
      bytes: Buffer.from(serialise(shortWait(v))),
      headers: { 'content-type': 'application/json' },
      shape,
    });
    const raw = fc
      .record({
        body: RAW_BODIES,
        type: fc.option(fc.constantFrom(...CONTENT_TYPES), { nil: undefined }),
        encoding: fc.option(fc.constantFrom(...CONTENT_ENCODINGS), { nil: undefined }),
        reallyGzip: fc.boolean(),
      })
      .map(({ body, type, encoding, reallyGzip }) => {
        let bytes = Buffer.isBuffer(body) ? body : Buffer.from(body);
        if (encoding === 'gzip' && reallyGzip) bytes = gzipSync(bytes);
        const headers: Record<string, string> = {};
        if (type) headers['content-type'] = type;
        if (encoding) headers['content-encoding'] = encoding;
        return { bytes, headers, shape: `raw(${type ?? '-'}, ${encoding ?? '-'}, ${bytes.length} bytes)` };
      });
    const anyJson = fc.jsonValue({ maxDepth: 4 }).map(json('arbitrary JSON'));
    if (!op.body) {
      return fc.oneof(
        { arbitrary: fc.constant({ headers: {}, shape: 'no body' }), weight: 6 },
        { arbitrary: anyJson, weight: 1 },
        { arbitrary: raw, weight: 1 },
      );
    }
    const valid = this.body(op.body);
    const mutated = fc
      .tuple(valid, fc.nat(), HOSTILE_VALUE, fc.boolean())
      .map(([v, at, hostile, extra]) => mutate(v, at, hostile, extra));
    return fc.oneof(
      { arbitrary: this.body(op.body, true).map(json('minimal body')), weight: 3 },
      { arbitrary: valid.map(json('valid-ish body')), weight: 3 },
      { arbitrary: mutated.map(json('mutated body')), weight: 3 },
      { arbitrary: anyJson, weight: 1 },
      { arbitrary: raw, weight: 2 },
    );
  }
}

/** `waitMs` (execute) asks the server to hold the request while the job runs: kept short here. */
function shortWait(v: unknown): unknown {
  const o = v as { waitMs?: unknown } | null;
  if (o && typeof o === 'object' && typeof o.waitMs === 'number' && o.waitMs > 1000) return { ...o, waitMs: 1000 };
  return v;
}

/** Replaces one node of `value` (counted depth-first), or adds an unknown field, with `hostile`. */
export function mutate(value: unknown, at: number, hostile: unknown, extra: boolean): unknown {
  if (extra && value && typeof value === 'object' && !Array.isArray(value)) return { ...value, zzUnknown: hostile };
  const nodes: Array<{ parent: Record<string, unknown> | unknown[]; key: string | number }> = [];
  const walk = (v: unknown) => {
    if (!v || typeof v !== 'object') return;
    for (const [k, child] of Object.entries(v)) {
      nodes.push({ parent: v as Record<string, unknown>, key: Array.isArray(v) ? Number(k) : k });
      walk(child);
    }
  };
  const copy = structuredClone(value);
  walk(copy);
  if (nodes.length === 0) return hostile;
  const node = nodes[at % nodes.length]!;
  (node.parent as Record<string | number, unknown>)[node.key] = hostile;
  return copy;
}

export function serialise(v: unknown): string {
  const text = JSON.stringify(v) ?? 'null';
  return text.split(JSON.stringify(DEEP)).join(deepArrays(10_000));
}
