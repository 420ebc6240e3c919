import fc from 'fast-check';
import { asKey, http } from '../support/http';
import {
  changedTables,
  expectHealthy,
  FUZZ_RUNS_SCALE,
  FuzzWorld,
  seedFor,
  settle,
  snapshot,
  startFuzzWorld,
} from './support/fuzz-world';
import { FuzzRequest, Operation, operationsOf, RequestFactory } from './support/rest-requests';
import { Answer, brief, failure, problemsOf, send } from './support/rest-check';

// Property-based fuzzing of every operation of the OpenAPI document the gateway serves
// (issue 12): whatever a client sends, the answer is never a 5xx, every error is JSON with a
// code, a refused request writes nothing, and the server stays healthy. Replay a failing run
// with WIZ_FUZZ_SEED=<seed printed below>; WIZ_FUZZ_RUNS_SCALE multiplies the runs.
const RUNS = Math.max(1, Math.round(10 * FUZZ_RUNS_SCALE));

describe('REST fuzz', () => {
  let w: FuzzWorld;
  let ops: Operation[];
  let factory: RequestFactory;
  let factoryB: RequestFactory;
  let last: Record<string, string>;
  /** Operations that accepted at least one fuzzed request: the generators reach the services. */
  const accepted = new Set<string>();

  beforeAll(async () => {
    w = await startFuzzWorld('fuzzrest');
    const doc = (await (await fetch(`${w.server.baseUrl}/api/docs.json`)).json()) as Parameters<typeof operationsOf>[0];
    // Destructive operations last, so the others see the world's ids alive.
    ops = operationsOf(doc).sort((x, y) => Number(x.method === 'DELETE') - Number(y.method === 'DELETE'));
    factory = new RequestFactory(w, 'a');
    factoryB = new RequestFactory(w, 'b');
    last = await settle(w);
  });

  afterAll(async () => {
    await w?.close();
  });

  /** Sends one request and checks it; a refused one must leave every table as it was. */
  async function check(op: Operation, req: FuzzRequest): Promise<Answer> {
    const before = last;
    const answer = await send(w, req, op.method);
    if (answer.status < 300) accepted.add(`${op.method} ${op.path}`);
    const problems = problemsOf(op, answer);
    if (problems.length) throw new Error(`${brief(op.method, req.path)} [${req.shape}] → ${problems.join('; ')}`);
    if (answer.status < 400) {
      await afterAccepted(op, req, answer);
      last = await snapshot(w);
      return answer;
    }
    let after = await snapshot(w);
    let changed = changedTables(before, after);
    if (changed.length) {
      // Background work of an earlier accepted request (outbox, webhooks) may have written
      // meanwhile: let it finish, then send the refused request again on a still store.
      const still = await settle(w);
      const again = await send(w, req, op.method);
      after = await snapshot(w);
      changed = again.status >= 400 ? changedTables(still, after) : [];
      if (again.status < 400) await afterAccepted(op, req, again);
    }
    last = after;
    if (changed.length)
      throw new Error(
        `${brief(op.method, req.path)} [${req.shape}] → ${answer.status}, yet wrote to ${changed.join(', ')}`,
      );
    return answer;
  }

  /** Keeps the world's agents paused, so accepted jobs wait and the runtime stays quiet. */
  async function afterAccepted(op: Operation, req: FuzzRequest, a: Answer): Promise<void> {
    const m = /^\/api\/v1\/agents\/([^/?]+)\/resume/.exec(req.path);
    if (op.method === 'POST' && m && (req.owner === 'a' || req.owner === 'b') && a.status < 300) {
      await fetch(`${w.server.baseUrl}/api/v1/agents/${m[1]}/pause`, {
        method: 'POST',
        headers: { authorization: `Bearer ${w.keys[req.owner]}` },
      });
    }
  }

  // Named regression cases: the inputs of issue 12, on every route they apply to.
  const bodyOps = () => ops.filter((o) => o.body && o.path !== '/mcp');
  const ownPath = (op: Operation) =>
    op.path.replace(/\{(\w+)\}/g, (_m, name: string) =>
      name === 'kind' ? 'agent' : name === 'name' ? 'go' : w.pools.a[name === 'messageId' ? 'messages' : 'agents'][0]!,
    );
  async function refused(op: Operation, req: FuzzRequest, status: number, code = 'validation_failed') {
    const answer = await check(op, req);
    const got = {
      op: `${op.method} ${op.path}`,
      status: answer.status,
      code: (answer.body as { code?: string })?.code,
    };
    expect(got).toEqual({ op: got.op, status, code });
  }
  /** Every string of a JSON value with a NUL character in it. */
  const withNul = (v: unknown): unknown =>
    typeof v === 'string'
      ? `${v}\u0000`
      : Array.isArray(v)
        ? v.map(withNul)
        : v && typeof v === 'object'
          ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, withNul(x)]))
          : v;
  const raw = (path: string, body: string | Buffer, headers: Record<string, string> = {}): FuzzRequest => ({
    owner: 'a',
    path,
    body: Buffer.isBuffer(body) ? body : Buffer.from(body),
    headers: { 'content-type': 'application/json', ...headers },
    shape: 'named',
  });

  it('refuses ~1 MiB of metadata on POST /memory/save with 413, storing nothing', async () => {
    const op = ops.find((o) => o.path === '/api/v1/memory/save')!;
    const metadata = Object.fromEntries(Array.from({ length: 1100 }, (_, i) => [`k${i}`, 'x'.repeat(1000)]));
    await refused(op, raw(op.path, JSON.stringify({ agentId: w.pools.a.agents[0], text: 'a', metadata })), 413);
  });

  it('refuses a schedule whose template.data is ~1 MiB with 413, storing nothing', async () => {
    const op = ops.find((o) => o.path === '/api/v1/schedules' && o.method === 'POST')!;
    const template = { agentId: w.pools.a.agents[0], input: 'x', data: { blob: 'x'.repeat(1_100_000) } };
    await refused(op, raw(op.path, JSON.stringify({ cron: '@yearly', template })), 413);
  });

  it('accepts large bodies under the limit and keeps publishing events after them', async () => {
    const call = asKey(w.server.baseUrl, w.keys.a);
    const agentId = w.pools.a.agents[0]!;
    const metadata = Object.fromEntries(Array.from({ length: 450 }, (_, i) => [`k${i}`, 'x'.repeat(1000)]));
    expect((await call('POST', '/api/v1/memory/save', { agentId, text: 'big', metadata })).status).toBe(201);
    const template = { agentId, input: 'x', data: { blob: 'x'.repeat(450_000) } };
    expect((await call('POST', '/api/v1/schedules', { cron: '@yearly', template })).status).toBe(201);
    const health = await http(w.server.baseUrl, 'GET', '/health');
    expect(health).toMatchObject({ status: 200, body: { outbox: { ok: true } } });
    last = await settle(w);
  });

  it('refuses NUL (\\u0000) in the string fields of every route with a body with 400', async () => {
    for (const op of bodyOps()) {
      const sample = fc.sample(factory.body(op.body!), { numRuns: 1, seed: seedFor(op.path) })[0];
      const body = JSON.stringify(withNul(sample ?? {}));
      if (!body.includes('\\u0000')) continue;
      await refused(op, raw(ownPath(op), body), 400);
    }
  });

  it('refuses NUL (%00) in the path parameters of every route with 400 (was 500)', async () => {
    for (const op of ops.filter((o) => o.pathParams.length && o.path !== '/api/docs/assets/{name}')) {
      for (const param of op.pathParams) {
        const path = ownPath(op).split('/');
        const at = op.path.split('/').indexOf(`{${param}}`);
        path[at] = `a%00b`;
        await refused(
          op,
          { ...raw(path.join('/'), '{}'), body: op.method === 'GET' ? undefined : Buffer.from('{}') },
          400,
        );
      }
    }
  });

  it('refuses a Content-Encoding or charset it cannot read on every route with a body with 415', async () => {
    for (const op of bodyOps()) {
      await refused(op, raw(ownPath(op), '{}', { 'content-encoding': 'compress' }), 415);
      await refused(op, raw(ownPath(op), '{}', { 'content-type': 'application/json; charset=latin1' }), 415);
    }
  });

  it('refuses a body that does not decode as its Content-Encoding says with 400 (was 500)', async () => {
    for (const op of bodyOps()) await refused(op, raw(ownPath(op), '{"a":1}', { 'content-encoding': 'gzip' }), 400);
  });

  it('refuses JSON nested 10,000 levels deep on every route with a body with 400', async () => {
    const deep = `{"a":${'['.repeat(10_000)}${']'.repeat(10_000)}}`;
    for (const op of bodyOps()) await refused(op, raw(ownPath(op), deep), 400);
    const query = ops.find((o) => o.path === '/api/v1/memory/query')!;
    const filter = encodeURIComponent(`{"a":${'['.repeat(1_500)}${']'.repeat(1_500)}}`);
    await refused(
      query,
      { ...raw(`${query.path}?agentId=${w.pools.a.agents[0]}&filter=${filter}`, ''), body: undefined },
      400,
    );
  });

  it('answers a URL over the header limit with a JSON 431 (was a bare 431 from Node)', async () => {
    const op = ops.find((o) => o.path === '/api/v1/agents' && o.method === 'GET')!;
    await refused(op, { ...raw(`${op.path}?q=${'x'.repeat(20_000)}`, ''), body: undefined }, 431);
  });

  it('refuses provider URLs at loopback, private and metadata addresses with 400, storing nothing', async () => {
    const op = ops.find((o) => o.path === '/api/v1/providers' && o.method === 'POST')!;
    for (const baseUrl of [
      'http://169.254.169.254/latest',
      'http://127.0.0.1:11434/v1',
      'http://10.0.0.1/v1',
      'http://[::1]/v1',
    ])
      await refused(op, raw(op.path, JSON.stringify({ name: 'x', baseUrl, apiKey: 'k' })), 400);
  });

  it(
    'answers every operation of the OpenAPI document without a 5xx, with JSON errors, writing nothing when refusing',
    async () => {
      expect(ops.length).toBeGreaterThan(50);
      for (const op of ops) {
        const name = `${op.method} ${op.path}`;
        const runs = op.path === '/metrics' || op.path.startsWith('/api/docs') ? 3 : RUNS;
        const out = await fc.check(
          fc.asyncProperty(
            fc.oneof(factory.request(op), factoryB.request(op)),
            async (req) => void (await check(op, req)),
          ),
          { numRuns: runs, seed: seedFor(name), endOnFailure: true },
        );
        if (out.failed) throw new Error(failure(name, out));
      }
      // The generators reach the services, not only the validation: half the operations at least
      // accepted one request (about two thirds at 10 runs each).
      expect(accepted.size).toBeGreaterThanOrEqual(Math.floor(ops.length / 2));
      await expectHealthy(w);
    },
    120_000 * Math.max(1, FUZZ_RUNS_SCALE),
  );
});
