import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { ConsumerEvents, ConsumerMessages, JsMsg } from 'nats';
import { eventMatches } from '@wiz/contracts';
import { BusService, OwnerCache } from '@wiz/bus';
import { OwnersRepository, WebhookDeliveryEntity, WebhookEntity, WebhooksRepository } from '@wiz/persistence';
import { WebhookSender } from './webhook.sender';

const MAX_CACHED_OWNERS = 100_000;

interface EventHead {
  id: string;
  type: string;
  agentId?: string;
  conversationId?: string;
}

// Reads every stored event from the installation's durable webhooks consumer (created by
// provisioning), records one delivery per matching webhook of the event's owner, acks, and
// starts sending. Acked only once the deliveries are in the store: a runtime that dies before
// leaves the event to be redelivered (a delivery is unique per webhook and event, so a
// redelivery adds nothing); after, the store's next-attempt times bring every delivery back.
// Each owner's webhooks are kept in memory (most events' owners have none; see OwnerCache).
@Injectable()
export class WebhookIntake implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly log = new Logger('Webhooks');
  private readonly owners = new Map<string, string>();
  private readonly hooksOf: OwnerCache<WebhookEntity[]>;
  private messages?: ConsumerMessages;
  private stopping = false;
  private loop?: Promise<void>;

  constructor(
    private readonly bus: BusService,
    private readonly hooks: WebhooksRepository,
    private readonly ownersRepo: OwnersRepository,
    private readonly sender: WebhookSender,
  ) {
    this.hooksOf = new OwnerCache(bus, 'webhooks', (ownerId) => hooks.ofOwner(ownerId));
  }

  onApplicationBootstrap(): void {
    this.loop = this.run();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.hooksOf.close();
    this.stopping = true;
    this.messages?.stop();
    await this.loop;
  }

  private async run(): Promise<void> {
    const { names } = this.bus;
    while (!this.stopping) {
      try {
        const consumer = await this.bus.js.consumers.get(names.streams.events, names.webhooksConsumer());
        this.messages = await consumer.consume({ max_messages: 256, idle_heartbeat: 5_000, expires: 30_000 });
        void this.watch(this.messages);
        for await (const m of this.messages) await this.take(m);
      } catch (e) {
        if (!this.stopping) this.log.warn(`webhooks consumer stopped: ${String(e)}; restarting`);
      }
      if (!this.stopping) await new Promise((r) => setTimeout(r, 1_000));
    }
  }

  // A pull consumer can stall after reconnects (nats.js 2.x): recreate it when heartbeats go missing.
  private async watch(messages: ConsumerMessages): Promise<void> {
    for await (const s of await messages.status()) {
      if (s.type === ConsumerEvents.HeartbeatsMissed && Number(s.data) >= 3) {
        messages.stop();
        return;
      }
    }
  }

  private async take(m: JsMsg): Promise<void> {
    let event: EventHead;
    try {
      event = m.json<EventHead>();
      if (typeof event?.id !== 'string' || typeof event.type !== 'string') throw new Error('no id or type');
    } catch (e) {
      this.log.warn(`skipping a malformed event on ${m.subject}: ${String(e)}`);
      m.term();
      return;
    }
    try {
      const added = await this.record(event, new TextDecoder().decode(m.data));
      m.ack();
      if (added.length) void this.sender.sendAll(added);
    } catch (e) {
      this.log.warn(`recording the webhook deliveries of event ${event.id} failed: ${String(e)}`);
      m.nak(1_000);
    }
  }

  private async record(event: EventHead, body: string): Promise<WebhookDeliveryEntity[]> {
    const ownerId = await this.ownerOf(event);
    if (!ownerId) return [];
    const matching = (await this.hooksOf.get(ownerId)).filter((h) => h.events.some((g) => eventMatches(g, event.type)));
    if (!matching.length) return [];
    const now = new Date();
    return this.hooks.addDeliveries(
      matching.map((h) =>
        Object.assign(new WebhookDeliveryEntity(), {
          id: randomUUID(),
          webhookId: h.id,
          ownerId,
          eventId: event.id,
          eventType: event.type,
          body,
          status: 'pending',
          attemptCount: 0,
          attempts: [],
          nextAttemptAt: now,
          createdAt: now,
          deliveredAt: null,
        } satisfies WebhookDeliveryEntity),
      ),
    );
  }

  // Events name their agent or conversation, not their owner; an owner never changes.
  private async ownerOf(e: EventHead): Promise<string | null> {
    const key = e.agentId ? `a:${e.agentId}` : e.conversationId ? `c:${e.conversationId}` : null;
    if (!key) return null;
    const known = this.owners.get(key);
    if (known) return known;
    const owner = e.agentId
      ? await this.ownersRepo.ofAgent(e.agentId)
      : await this.ownersRepo.ofConversation(e.conversationId!);
    if (this.owners.size >= MAX_CACHED_OWNERS) this.owners.clear();
    if (owner) this.owners.set(key, owner);
    return owner;
  }
}
