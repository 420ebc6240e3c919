import { once } from 'node:events';
import { WebSocket } from 'ws';
import { WS_CLOSE_CODES } from '@wiz/contracts';
import { asKey } from '../support/http';
import { cleanup, isolation } from '../support/isolation';
import { InProcessGateway, startGatewayInProcess } from '../support/gateway-app';

// Revoking a key ends what is open with it: WebSocket connections close with 4401 and SSE
// streams end, on every gateway replica (the revocation is broadcast on the bus), within a second
// or two; REST stops accepting it on every replica at once.
describe('revoking an API key', () => {
  const iso = isolation('revoke');
  const ADMIN = 'c'.repeat(40);
  const env = { WIZ_AUTH: 'on', WIZ_ADMIN_KEY: ADMIN };
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

  const openWs = async (url: string, key: string) => {
    const ws = new WebSocket(url, { headers: { authorization: `Bearer ${key}` } });
    await once(ws, 'open');
    const closed = once(ws, 'close') as Promise<[number, Buffer]>;
    return { ws, closed };
  };

  const openSse = async (base: string, path: string, key: string) => {
    const res = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${key}` } });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    // Resolves when the server ends the stream.
    const ended = (async () => {
      for (;;) if ((await reader.read()).done) return true;
    })();
    return { ended, reader };
  };

  const within = <T>(p: Promise<T>, ms: number, what: string): Promise<T> =>
    Promise.race([
      p,
      new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms)),
    ]);

  it('closes its WebSockets (4401) and ends its SSE streams on every gateway, and leaves other keys alone', async () => {
    const admin = asKey(a.baseUrl, ADMIN);
    const doomed = (await admin('POST', '/api/v1/keys', { ownerId: 'tenant-r', name: 'doomed' })).body;
    const kept = (await admin('POST', '/api/v1/keys', { ownerId: 'tenant-r', name: 'kept' })).body;
    const agent = (await asKey(a.baseUrl, doomed.key)('POST', '/api/v1/agents', { name: 'Watched', role: 'r' })).body;
    expect(agent.id).toBeDefined();

    const wsA = await openWs(a.wsUrl, doomed.key);
    const wsB = await openWs(b.wsUrl, doomed.key);
    const wsKept = await openWs(b.wsUrl, kept.key);
    const sseB = await openSse(b.baseUrl, `/api/v1/agents/${agent.id}/events`, doomed.key);
    const sseKept = await openSse(b.baseUrl, `/api/v1/agents/${agent.id}/events`, kept.key);

    expect((await admin('DELETE', `/api/v1/keys/${doomed.id}`)).status).toBe(204);

    const [[codeA], [codeB]] = await within(Promise.all([wsA.closed, wsB.closed]), 2_000, 'WebSockets closed');
    expect([codeA, codeB]).toEqual([WS_CLOSE_CODES.unauthorized, WS_CLOSE_CODES.unauthorized]);
    expect(await within(sseB.ended, 2_000, 'SSE ended')).toBe(true);
    expect((await asKey(b.baseUrl, doomed.key)('GET', '/api/v1/agents')).status).toBe(401);

    // The other key of the same owner is untouched.
    expect(wsKept.ws.readyState).toBe(WebSocket.OPEN);
    expect((await asKey(b.baseUrl, kept.key)('GET', '/api/v1/agents')).status).toBe(200);
    wsKept.ws.close();
    await sseKept.reader.cancel();
  });
});
