import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WizApiError, WizClient } from '@wiz/client';
import { asKey, HttpResult } from '../support/http';
import { cleanup, isolation } from '../support/isolation';
import { InProcessGateway, startGatewayInProcess } from '../support/gateway-app';

// Per-owner caps on API keys and agents: checked under the owner's lock in the store, so
// creates racing on two gateways never pass the cap together; the refusal is 429
// `quota_exceeded` naming the limit and its value; other owners are not affected.
describe('per-owner quotas', () => {
  const iso = isolation('quotas');
  const ADMIN = 'q'.repeat(40);
  const env = { WIZ_AUTH: 'on', WIZ_ADMIN_KEY: ADMIN, WIZ_MAX_KEYS_PER_OWNER: '3', WIZ_MAX_AGENTS_PER_OWNER: '4' };
  let a: InProcessGateway;
  let b: InProcessGateway;

  beforeAll(async () => {
    a = await startGatewayInProcess(iso, env);
    b = await startGatewayInProcess(iso, env);
  });

  afterAll(async () => {
    await a?.close();
    await b?.close();
    await cleanup(iso);
  });

  const refusal = (name: string, max: number) => ({
    status: 429,
    body: expect.objectContaining({ statusCode: 429, code: 'quota_exceeded', limit: { name, max } }),
  });
  const outcome = (r: HttpResult) => ({ status: r.status, body: r.body });
  /** `n` requests at once, alternating between the two gateways. */
  const race = (n: number, send: (base: string, i: number) => Promise<HttpResult>) =>
    Promise.all(Array.from({ length: n }, (_, i) => send(i % 2 ? b.baseUrl : a.baseUrl, i)));

  it('lets concurrent key creates on two gateways reach the cap and no further', async () => {
    const results = await race(8, (base, i) =>
      asKey(base, ADMIN)('POST', '/api/v1/keys', { ownerId: 'tenant-k', name: `k${i}` }),
    );
    expect(results.map((r) => r.status).sort()).toEqual([201, 201, 201, 429, 429, 429, 429, 429]);
    for (const r of results.filter((x) => x.status === 429)) {
      expect(outcome(r)).toEqual(refusal('WIZ_MAX_KEYS_PER_OWNER', 3));
      expect(r.headers.get('retry-after')).toBeNull();
    }
    const listed = await asKey(a.baseUrl, ADMIN)('GET', '/api/v1/keys?ownerId=tenant-k');
    expect(listed.body.items).toHaveLength(3);
  });

  it('refuses a key to its owner at the cap, counts only keys not revoked, and leaves other owners alone', async () => {
    const admin = asKey(a.baseUrl, ADMIN);
    const mine = (await admin('POST', '/api/v1/keys', { ownerId: 'tenant-s' })).body;
    const asMine = asKey(b.baseUrl, mine.key);
    expect((await asMine('POST', '/api/v1/keys', {})).status).toBe(201);
    expect((await asMine('POST', '/api/v1/keys', {})).status).toBe(201);
    expect(outcome(await asMine('POST', '/api/v1/keys', {}))).toEqual(refusal('WIZ_MAX_KEYS_PER_OWNER', 3));
    // Another owner has a budget of its own.
    expect((await admin('POST', '/api/v1/keys', { ownerId: 'tenant-t' })).status).toBe(201);
    // A revoked key frees its slot.
    const items: Array<{ id: string }> = (await asMine('GET', '/api/v1/keys')).body.items;
    const other = items.find((k) => k.id !== mine.id)!;
    expect((await asMine('DELETE', `/api/v1/keys/${other.id}`)).status).toBe(204);
    expect((await asMine('POST', '/api/v1/keys', {})).status).toBe(201);
    expect(outcome(await asMine('POST', '/api/v1/keys', {}))).toEqual(refusal('WIZ_MAX_KEYS_PER_OWNER', 3));
  });

  it('lets concurrent agent creates on two gateways reach the cap and no further', async () => {
    const key = (await asKey(a.baseUrl, ADMIN)('POST', '/api/v1/keys', { ownerId: 'tenant-a' })).body.key;
    const results = await race(10, (base, i) =>
      asKey(base, key)('POST', '/api/v1/agents', { name: `A${i}`, role: 'r' }),
    );
    expect(results.map((r) => r.status).sort()).toEqual([201, 201, 201, 201, 429, 429, 429, 429, 429, 429]);
    for (const r of results.filter((x) => x.status === 429))
      expect(outcome(r)).toEqual(refusal('WIZ_MAX_AGENTS_PER_OWNER', 4));
    const listed = await asKey(b.baseUrl, key)('GET', '/api/v1/agents');
    expect(listed.body.total).toBe(4);
  });

  it('counts only agents not deleted, per owner', async () => {
    const admin = asKey(a.baseUrl, ADMIN);
    const key: string = (await admin('POST', '/api/v1/keys', { ownerId: 'tenant-d' })).body.key;
    const mine = asKey(a.baseUrl, key);
    const theirs = asKey(b.baseUrl, (await admin('POST', '/api/v1/keys', { ownerId: 'tenant-e' })).body.key);
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) ids.push((await mine('POST', '/api/v1/agents', { name: `D${i}`, role: 'r' })).body.id);
    expect(outcome(await mine('POST', '/api/v1/agents', { name: 'D4', role: 'r' }))).toEqual(
      refusal('WIZ_MAX_AGENTS_PER_OWNER', 4),
    );
    expect((await theirs('POST', '/api/v1/agents', { name: 'E0', role: 'r' })).status).toBe(201);
    expect((await mine('DELETE', `/api/v1/agents/${ids[0]}`)).status).toBe(204);
    expect((await mine('POST', '/api/v1/agents', { name: 'D5', role: 'r' })).status).toBe(201);
    expect((await mine('POST', '/api/v1/agents', { name: 'D6', role: 'r' })).status).toBe(429);
    expect((await mine('GET', '/api/v1/agents')).body.total).toBe(4);
    // The typed client hands the limit to its caller.
    const client = new WizClient({ baseUrl: b.baseUrl, apiKey: key });
    const refused = await client.agents.create({ name: 'D7', role: 'r' }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(WizApiError);
    expect(refused).toMatchObject({
      status: 429,
      code: 'quota_exceeded',
      limit: { name: 'WIZ_MAX_AGENTS_PER_OWNER', max: 4 },
    });
  });
});

// The embedded store has one writer: its write transactions run one at a time, which is what
// makes the count and the insert atomic there.
describe('per-owner quotas on the embedded SQLite store', () => {
  const iso = isolation('quotasql');
  const ADMIN = 's'.repeat(40);
  const dataDir = mkdtempSync(join(tmpdir(), 'wiz-quotas-'));
  let sut: InProcessGateway;

  beforeAll(async () => {
    sut = await startGatewayInProcess(iso, {
      DATABASE_URL: '',
      WIZ_DATA_DIR: dataDir,
      WIZ_AUTH: 'on',
      WIZ_ADMIN_KEY: ADMIN,
      WIZ_MAX_KEYS_PER_OWNER: '2',
      WIZ_MAX_AGENTS_PER_OWNER: '3',
    });
  });

  afterAll(async () => {
    await sut?.close();
    await cleanup(iso);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('holds both caps under concurrent creates', async () => {
    const admin = asKey(sut.baseUrl, ADMIN);
    const keys = await Promise.all(
      Array.from({ length: 6 }, () => admin('POST', '/api/v1/keys', { ownerId: 'tenant-q' })),
    );
    expect(keys.map((r) => r.status).sort()).toEqual([201, 201, 429, 429, 429, 429]);
    expect(keys.find((r) => r.status === 429)!.body.limit).toEqual({ name: 'WIZ_MAX_KEYS_PER_OWNER', max: 2 });
    const mine = asKey(sut.baseUrl, keys.find((r) => r.status === 201)!.body.key);
    const agents = await Promise.all(
      Array.from({ length: 7 }, (_, i) => mine('POST', '/api/v1/agents', { name: `Q${i}`, role: 'r' })),
    );
    expect(agents.map((r) => r.status).sort()).toEqual([201, 201, 201, 429, 429, 429, 429]);
    expect((await mine('GET', '/api/v1/agents')).body.total).toBe(3);
  });
});
