import { randomUUID } from 'node:crypto';
import { AgentEntity, WebhookDeliveryEntity, WebhookEntity, WebhooksRepository } from '@wiz/persistence';
import { makeEvent } from '@wiz/queue';
import { WebhookSender } from '../../libs/runtime/src/webhooks/webhook.sender';
import { isolation } from '../support/isolation';
import { agentRow, insertAgent, openQueueStack, QueueStack, Store } from '../support/queue-stack';
import { until } from '../support/until';

// An event's webhook deliveries commit in the event's own transaction: with it, or not at all.
describe.each<[Store]>([['postgres'], ['sqlite']])('webhook deliveries on %s', (store) => {
  const iso = isolation(`whd${store}`);
  let stack: QueueStack;
  let hooks: WebhooksRepository;
  let agentId: string;
  let hookId: string;

  beforeAll(async () => {
    stack = await openQueueStack(iso, store);
    hooks = new WebhooksRepository(stack.ds);
    agentId = (await insertAgent(stack.agents, 'hooked')).id;
    hookId = randomUUID();
    await hooks.insert(
      Object.assign(new WebhookEntity(), {
        id: hookId,
        ownerId: 'hooked',
        url: 'https://example.com/hook',
        events: ['job.*', 'agent.created'],
        secretEncrypted: 'unused here',
        createdAt: new Date(),
      }),
    );
  });

  afterAll(() => stack.close());

  const deliveriesOf = (eventId: string) =>
    stack.ds.getRepository(WebhookDeliveryEntity).findBy({ eventId }) as Promise<WebhookDeliveryEntity[]>;
  const cancelled = (agent: string) => makeEvent('job.cancelled', { agentId: agent, traceId: 't' }, { reason: 'r' });

  // First, while no sender is registered (a gateway).
  it('without a sender in the process, tells the runtimes that deliveries are due', async () => {
    const heard = new Promise((resolve) => {
      const sub = stack.bus.subscribeControl('webhooks-due', (m) => {
        sub.unsubscribe();
        resolve(m);
      });
    });
    await stack.nc.flush();
    const e = cancelled(agentId);
    await stack.changes.commit(async (_m, emit) => emit.event(e));
    expect(await heard).toEqual({ deliveries: 1 });
    expect(await deliveriesOf(e.id)).toHaveLength(1);
  });

  it("records a delivery per matching webhook of the event's owner, handed to the sender once committed", async () => {
    const handed: Array<{ rows: WebhookDeliveryEntity[]; stored: number }> = [];
    const checks: Array<Promise<void>> = [];
    stack.webhooks.sendWith((rows) =>
      checks.push((async () => void handed.push({ rows, stored: (await deliveriesOf(rows[0]!.eventId)).length }))()),
    );
    const matching = cancelled(agentId);
    const other = makeEvent('agent.updated', { agentId, traceId: 't' }, { agent: {} as never });
    await stack.changes.commit(async (_m, emit) => {
      emit.event(matching);
      emit.event(other);
    });
    await until(async () => handed.length === 1, 5_000, 'deliveries handed over');
    await Promise.all(checks);
    const [row] = handed[0]!.rows;
    expect(handed[0]!.rows).toHaveLength(1);
    expect(handed[0]!.stored).toBe(1); // committed before it was handed over
    expect(row).toMatchObject({
      webhookId: hookId,
      ownerId: 'hooked',
      eventId: matching.id,
      eventType: 'job.cancelled',
      status: 'pending',
      attemptCount: 0,
    });
    expect(JSON.parse(row!.body)).toEqual(matching);
    expect(await deliveriesOf(other.id)).toEqual([]);
  });

  it('records none for an owner without webhooks, nor for a unit that fails', async () => {
    const plain = await insertAgent(stack.agents, 'plain');
    const quiet = cancelled(plain.id);
    await stack.changes.commit(async (_m, emit) => emit.event(quiet));
    const lost = cancelled(agentId);
    await expect(
      stack.changes.commit(async (_m, emit) => {
        emit.event(lost);
        throw new Error('unit failed');
      }),
    ).rejects.toThrow('unit failed');
    expect(await deliveriesOf(quiet.id)).toEqual([]);
    expect(await deliveriesOf(lost.id)).toEqual([]);
  });

  it('finds the owner of an agent created in the same transaction', async () => {
    const agent = agentRow('hooked');
    const created = makeEvent('agent.created', { agentId: agent.id, traceId: 't' }, { agent: {} as never });
    await stack.changes.commit(async (m, emit) => {
      await m.getRepository(AgentEntity).insert(agent);
      emit.event(created);
    });
    expect((await deliveriesOf(created.id)).map((d) => d.webhookId)).toEqual([hookId]);
  });

  it('deletes a delivery whose webhook was deleted before it was sent, instead of retrying it forever', async () => {
    const sender = new WebhookSender(hooks, {} as never, {} as never, stack.webhooks);
    const e = cancelled(agentId);
    await stack.changes.commit(async (_m, emit) => emit.event(e));
    const [row] = await deliveriesOf(e.id);
    await stack.ds.getRepository(WebhookEntity).delete({ id: hookId });
    await sender.sendAll([row!]);
    expect(await deliveriesOf(e.id)).toEqual([]);
    expect(await hooks.due(new Date(Date.now() + 60_000), 1_000)).not.toContainEqual(
      expect.objectContaining({ id: row!.id }),
    );
  });
});
