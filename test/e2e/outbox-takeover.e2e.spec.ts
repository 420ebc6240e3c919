import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, NatsConnection } from 'nats';
import { busNames } from '@wiz/contracts';
import { http } from '../support/http';
import { cleanup, isolation, TEST_NATS_URL } from '../support/isolation';
import { TcpProxy } from '../support/tcp-proxy';
import { until } from '../support/until';
import { startServer, WizProcess } from '../support/wiz-process';

// A process SIGKILLed right after it committed a change, before the change's event reached
// the stream: another process publishes it within a couple of seconds (its claim on the row
// lapses, it is no longer renewed), not after a long sweep. The dying process cannot publish:
// its NATS connection goes through a proxy that stops forwarding.
describe('outbox rows of a killed process', () => {
  const iso = isolation('takeover');
  const dataDir = mkdtempSync(join(tmpdir(), 'wiz-takeover-'));
  const nats = new URL(TEST_NATS_URL);
  const proxy = new TcpProxy({ host: nats.hostname, port: Number(nats.port || 4222) });
  const procs: WizProcess[] = [];
  let nc: NatsConnection;

  beforeAll(async () => {
    await proxy.start();
    nc = await connect({ servers: TEST_NATS_URL });
  });

  afterAll(async () => {
    for (const p of procs) await p.stop('SIGKILL');
    await nc.close();
    await proxy.stop();
    await cleanup(iso);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('are published by another process within two seconds of the death', async () => {
    const llmUrl = 'http://127.0.0.1:9/v1';
    const dying = await startServer({
      store: 'postgres',
      iso,
      dataDir,
      llmUrl,
      env: { NATS_URL: `nats://127.0.0.1:${proxy.port}` },
    });
    procs.push(dying);
    const survivor = await startServer({ store: 'postgres', iso, dataDir, llmUrl });
    procs.push(survivor);
    const names = busNames(iso.prefix);
    const jsm = await nc.jetstreamManager();
    const eventsOf = async (agentId: string): Promise<number> => {
      const info = await jsm.streams.info(names.streams.events, { subjects_filter: names.agentEventsFilter(agentId) });
      return Object.values(info.state.subjects ?? {}).reduce((a, b) => a + b, 0);
    };

    proxy.hold();
    const created = await http(dying.baseUrl, 'POST', '/api/v1/agents', { name: 'Orphan', role: 'left behind' });
    expect(created.status).toBe(201);
    const agentId = created.body.id as string;
    // Committed, not published: the dying process renews its claim while its publish hangs
    // (up to the publish timeout, 5 s), so the survivor leaves the row alone past one claim.
    await new Promise((r) => setTimeout(r, 3_000));
    expect(await eventsOf(agentId)).toBe(0);
    await dying.stop('SIGKILL');
    const killedAt = Date.now();

    // The old claim (15 s, swept every 5 s) cannot meet this bound.
    await until(async () => (await eventsOf(agentId)) > 0, 4_000, 'agent.created published by the survivor');
    const tookMs = Date.now() - killedAt;
    expect(tookMs).toBeLessThan(4_000);
    // Once: a row published twice is stored once (Nats-Msg-Id).
    expect(await eventsOf(agentId)).toBe(1);
    const got = await http(survivor.baseUrl, 'GET', `/api/v1/agents/${agentId}`);
    expect(got.status).toBe(200);
  });
});
