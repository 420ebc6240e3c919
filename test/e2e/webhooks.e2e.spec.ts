import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeLlmServer } from '../../apps/fake-llm/src/fake-llm.server';
import { BuildSnapshot, snapshotBuild } from '../support/built-app';
import { http } from '../support/http';
import { cleanup, isolation } from '../support/isolation';
import { until } from '../support/until';
import { verifySignature, WebhookReceiver } from '../support/webhook-receiver';
import { WizCluster } from '../support/wiz-cluster';
import { startServer, WizProcess } from '../support/wiz-process';

const SECRET = 'whsec-test-0123456789abcdef';

// Outgoing webhooks against the built server: signed deliveries, retries after a failing
// receiver, and none lost when the server is killed while deliveries are pending.
describe('webhooks', () => {
  const iso = isolation('webhooks');
  const dataDir = mkdtempSync(join(tmpdir(), 'wiz-webhooks-'));
  const llm = new FakeLlmServer({ rules: [{ match: { systemContains: 'You are Wes,' }, reply: { content: 'done' } }] });
  const procs: WizProcess[] = [];
  const receivers: WebhookReceiver[] = [];
  let llmUrl = '';

  const start = async () => {
    const p = await startServer({
      store: 'postgres',
      iso,
      dataDir,
      llmUrl,
      env: { WIZ_WEBHOOK_RETRY_MS: '100', WIZ_WEBHOOK_MAX_ATTEMPTS: '20' },
    });
    procs.push(p);
    return p;
  };
  const receiver = (answer?: ConstructorParameters<typeof WebhookReceiver>[0]) => {
    const r = new WebhookReceiver(answer);
    receivers.push(r);
    return r;
  };
  const runJob = async (base: string, agentId: string) => {
    const job = (await http(base, 'POST', '/api/v1/jobs', { agentId, input: 'go' })).body.id as string;
    await until(
      async () => (await http(base, 'GET', `/api/v1/jobs/${job}`)).body.status === 'completed',
      20_000,
      'job done',
    );
    return job;
  };

  beforeAll(async () => {
    llmUrl = await llm.start();
  });

  afterAll(async () => {
    for (const p of procs) await p.stop('SIGKILL');
    for (const r of receivers) await r.stop();
    await llm.stop();
    await cleanup(iso);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('delivers the matching events signed, and never returns the secret', async () => {
    const sut = await start();
    const rx = receiver();
    const url = await rx.start();
    const agent = (
      await http(sut.baseUrl, 'POST', '/api/v1/agents', { name: 'Wes', role: 'worker', loop: { planning: false } })
    ).body.id as string;
    const created = await http(sut.baseUrl, 'POST', '/api/v1/webhooks', { url, events: ['job.*'], secret: SECRET });
    expect(created.status).toBe(201);
    expect(JSON.stringify(created.body)).not.toContain(SECRET);
    expect(
      (await http(sut.baseUrl, 'POST', '/api/v1/webhooks', { url, events: ['job.*'], secret: 'short' })).status,
    ).toBe(400);

    const job = await runJob(sut.baseUrl, agent);
    await until(
      async () => rx.received.some((d) => d.eventType === 'job.completed' && d.event.jobId === job),
      10_000,
      'job.completed delivered',
    );
    const mine = rx.received.filter((d) => d.event.jobId === job);
    expect(mine.map((d) => d.eventType)).toEqual(
      expect.arrayContaining(['job.created', 'job.active', 'job.completed']),
    );
    expect(mine.every((d) => d.eventType.startsWith('job.'))).toBe(true);
    for (const d of mine) {
      expect(verifySignature(SECRET, d.signature, d.body)).toBe(true);
      expect(verifySignature('another-secret-value', d.signature, d.body)).toBe(false);
      expect(d.event.type).toBe(d.eventType);
    }
    const hookId = created.body.id as string;
    // The sender records an attempt after the receiver has answered it: wait for the record.
    let completed: { status: string } | undefined;
    await until(
      async () => {
        const deliveries = (await http(sut.baseUrl, 'GET', `/api/v1/webhooks/${hookId}/deliveries`)).body.items;
        completed = deliveries.find((d: { eventType: string }) => d.eventType === 'job.completed');
        return completed !== undefined && completed.status !== 'pending';
      },
      10_000,
      'the delivery of job.completed recorded',
    );
    expect(completed).toMatchObject({
      status: 'delivered',
      attempts: [{ responseCode: 200, responseSnippet: 'ok', error: null }],
    });
    expect((await http(sut.baseUrl, 'DELETE', `/api/v1/webhooks/${hookId}`)).status).toBe(204);
    expect((await http(sut.baseUrl, 'GET', `/api/v1/webhooks/${hookId}`)).status).toBe(404);
  });

  // Runtimes keep each owner's webhooks in memory; a create or delete reaches them at once.
  it("sees an owner's new webhook at its next event, and a deleted one no more", async () => {
    const sut = await start();
    const [first, second] = [receiver(), receiver()];
    const [firstUrl, secondUrl] = [await first.start(), await second.start()];
    const agent = (
      await http(sut.baseUrl, 'POST', '/api/v1/agents', { name: 'Wes', role: 'worker', loop: { planning: false } })
    ).body.id as string;
    await runJob(sut.baseUrl, agent); // the owner's (empty, for this agent's new owner key) webhooks are read
    const hook = (
      await http(sut.baseUrl, 'POST', '/api/v1/webhooks', { url: firstUrl, events: ['job.completed'], secret: SECRET })
    ).body.id as string;
    const seen = await runJob(sut.baseUrl, agent);
    await until(async () => first.received.some((d) => d.event.jobId === seen), 10_000, 'the new webhook used');

    expect((await http(sut.baseUrl, 'DELETE', `/api/v1/webhooks/${hook}`)).status).toBe(204);
    await http(sut.baseUrl, 'POST', '/api/v1/webhooks', { url: secondUrl, events: ['job.completed'], secret: SECRET });
    const after = [await runJob(sut.baseUrl, agent), await runJob(sut.baseUrl, agent)];
    await until(
      async () => after.every((j) => second.received.some((d) => d.event.jobId === j)),
      10_000,
      'the second webhook used for both jobs',
    );
    expect(first.received.filter((d) => after.includes(d.event.jobId as string))).toEqual([]);
  });

  it('retries with the same delivery id after the receiver answered 500 twice', async () => {
    const sut = procs[0]!;
    const rx = receiver((d, tries) => (d.eventType === 'job.completed' && tries <= 2 ? 500 : 200));
    const url = await rx.start();
    const agent = (await http(sut.baseUrl, 'GET', '/api/v1/agents')).body.items[0].id as string;
    const hookId = (
      await http(sut.baseUrl, 'POST', '/api/v1/webhooks', { url, events: ['job.completed'], secret: SECRET })
    ).body.id as string;
    const job = await runJob(sut.baseUrl, agent);
    let delivery: { status: string; attempts: Array<{ responseCode: number; error: string | null }> } | undefined;
    await until(
      async () => {
        const items = (await http(sut.baseUrl, 'GET', `/api/v1/webhooks/${hookId}/deliveries`)).body.items;
        delivery = items.find((d: { eventId: string; status: string }) => d.status === 'delivered');
        return delivery !== undefined;
      },
      10_000,
      'delivered after retries',
    );
    expect(delivery!.attempts.map((a) => a.responseCode)).toEqual([500, 500, 200]);
    expect(delivery!.attempts[0]!.error).toBe('the receiver answered 500');
    const tries = rx.received.filter((d) => d.event.jobId === job);
    expect(tries).toHaveLength(3);
    expect(new Set(tries.map((d) => d.deliveryId)).size).toBe(1);
    // Exponential backoff: the second wait is at least twice the first's base.
    expect(tries[2]!.at - tries[1]!.at).toBeGreaterThanOrEqual(190);
  });

  it('loses no delivery when the server is killed while they are pending', async () => {
    const first = procs[0]!;
    const rx = receiver();
    const url = await rx.start();
    await rx.stop(); // the receiver is down: deliveries stay pending
    const port = Number(new URL(url).port);
    const agent = (await http(first.baseUrl, 'GET', '/api/v1/agents')).body.items[0].id as string;
    const hookId = (await http(first.baseUrl, 'POST', '/api/v1/webhooks', { url, events: ['job.*'], secret: SECRET }))
      .body.id as string;
    const jobs = [await runJob(first.baseUrl, agent), await runJob(first.baseUrl, agent)];
    await until(
      async () =>
        (await http(first.baseUrl, 'GET', `/api/v1/webhooks/${hookId}/deliveries`)).body.items.some(
          (d: { eventType: string; attempts: unknown[] }) => d.eventType === 'job.completed' && d.attempts.length > 0,
        ),
      10_000,
      'a failed attempt recorded',
    );
    await first.stop('SIGKILL');
    // A job accepted by the next server while the receiver is still down.
    const second = await start();
    jobs.push(await runJob(second.baseUrl, agent));
    await rx.start(port);
    await until(
      async () => {
        const items = (await http(second.baseUrl, 'GET', `/api/v1/webhooks/${hookId}/deliveries`)).body.items;
        return items.length > 0 && items.every((d: { status: string }) => d.status === 'delivered');
      },
      20_000,
      'every delivery delivered',
    );
    const items = (await http(second.baseUrl, 'GET', `/api/v1/webhooks/${hookId}/deliveries`)).body.items as Array<{
      id: string;
    }>;
    for (const job of jobs)
      expect(rx.received.filter((d) => d.event.jobId === job).map((d) => d.eventType)).toContain('job.completed');
    // At least once, de-duplicable: every recorded delivery arrived, under its own id.
    expect(rx.deliveryIds()).toEqual(new Set(items.map((d) => d.id)));
  });
});

// The gateway records the deliveries of the events it commits (a job's `job.created`) and sends
// none: a runtime does.
describe('webhooks across gateway and runtime processes', () => {
  let build: BuildSnapshot;
  let cluster: WizCluster;
  const rx = new WebhookReceiver();

  beforeAll(async () => {
    build = await snapshotBuild();
    cluster = await WizCluster.start(build, 'hooksplit', [{ reply: { content: 'done' } }]);
    await cluster.spawn('gateway');
    await cluster.spawn('runtime');
  });

  afterAll(async () => {
    await cluster?.dispose();
    await rx.stop();
    build?.remove();
  });

  it("delivers the events the gateway commits and the runtime's", async () => {
    const url = await rx.start();
    const agentId = (await cluster.api('POST', '/api/v1/agents', { name: 'Gil', role: 'worker' })).body.id as string;
    expect((await cluster.api('POST', '/api/v1/webhooks', { url, events: ['job.*'], secret: SECRET })).status).toBe(
      201,
    );
    const job = (await cluster.api('POST', '/api/v1/jobs', { agentId, input: 'go' })).body.id as string;
    await until(
      async () =>
        ['job.created', 'job.completed'].every((t) =>
          rx.received.some((d) => d.event.jobId === job && d.eventType === t),
        ),
      10_000,
      'job.created and job.completed delivered',
    );
    for (const d of rx.received) expect(verifySignature(SECRET, d.signature, d.body)).toBe(true);
  });
});
