import { BeforeApplicationShutdown, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { EntityManager } from 'typeorm';
import { EventEnvelope, globMatch } from '@wiz/contracts';
import { BusService, OwnerCache } from '@wiz/bus';
import { OwnersRepository, WebhookDeliveryEntity, WebhookEntity, WebhooksRepository } from '@wiz/persistence';

const MAX_CACHED_OWNERS = 100_000;

export type DeliverySink = (rows: WebhookDeliveryEntity[]) => void;

// Outgoing webhooks' deliveries, recorded in the transaction that commits their event (see
// StateChangesService): a committed event has a delivery for each matching webhook of its owner
// that the process knows of, a rolled-back one none, and nothing is read back from the bus. Each
// owner's webhooks are kept in memory (most owners have none; see OwnerCache: a change is heard
// at once, or within 10 s). After the commit the
// deliveries go to this process's sender if it runs one (a runtime), else a runtime is told
// they are due (the `webhooks-due` control message; its sweep finds them anyway).
@Injectable()
export class WebhookDeliveries implements BeforeApplicationShutdown {
  private readonly owners = new Map<string, string>();
  private readonly hooksOf: OwnerCache<WebhookEntity[]>;
  private sink?: DeliverySink;

  constructor(
    private readonly bus: BusService,
    private readonly hooks: WebhooksRepository,
    private readonly ownersRepo: OwnersRepository,
  ) {
    this.hooksOf = new OwnerCache(bus, 'webhooks', (ownerId) => hooks.ofOwner(ownerId));
  }

  beforeApplicationShutdown(): void {
    this.hooksOf.close();
  }

  /** This process sends deliveries: it gets the ones it records right after their commit. */
  sendWith(sink: DeliverySink): void {
    this.sink = sink;
  }

  /** `ownerId`'s webhooks changed in the store: forgotten here now, and in every other process. */
  changed(ownerId: string): void {
    this.hooksOf.changed(ownerId);
  }

  /**
   * Records a delivery of each event (`bodies[i]` is `events[i]` as stored) to each matching
   * webhook of its owner, in `m`'s transaction; returns them (nothing is sent before the commit).
   */
  async record(events: EventEnvelope[], bodies: string[], m: EntityManager): Promise<WebhookDeliveryEntity[]> {
    const rows: WebhookDeliveryEntity[] = [];
    const now = new Date();
    for (const [i, event] of events.entries()) {
      // Known owners and their webhooks are looked up without a promise: every event passes here.
      const key = ownerKey(event);
      const ownerId = key && (this.owners.get(key) ?? (await this.readOwner(key, m)));
      if (!ownerId) continue;
      const hooks = this.hooksOf.peek(ownerId)?.value ?? (await this.hooksOf.get(ownerId));
      for (const h of hooks) {
        if (!h.events.some((g) => globMatch(g, event.type))) continue;
        rows.push(
          Object.assign(new WebhookDeliveryEntity(), {
            id: randomUUID(),
            webhookId: h.id,
            ownerId,
            eventId: event.id,
            eventType: event.type,
            body: bodies[i]!,
            status: 'pending',
            attemptCount: 0,
            attempts: [],
            nextAttemptAt: now,
            createdAt: now,
            deliveredAt: null,
          } satisfies WebhookDeliveryEntity),
        );
      }
    }
    if (rows.length) await this.hooks.insertDeliveries(rows, m);
    return rows;
  }

  /** `rows` committed: sent by this process, or announced to the runtimes. */
  committed(rows: WebhookDeliveryEntity[]): void {
    if (!rows.length) return;
    if (this.sink) this.sink(rows);
    else this.bus.publishControl('webhooks-due', { deliveries: rows.length });
  }

  // An owner never changes. Read in the event's transaction: the agent or conversation may be
  // created in it.
  private async readOwner(key: string, m: EntityManager): Promise<string | null> {
    const id = key.slice(2);
    const owner = key.startsWith('a:')
      ? await this.ownersRepo.ofAgent(id, m)
      : await this.ownersRepo.ofConversation(id, m);
    if (this.owners.size >= MAX_CACHED_OWNERS) this.owners.clear();
    if (owner) this.owners.set(key, owner);
    return owner;
  }
}

/** Events name their agent or conversation, not their owner. */
function ownerKey(e: EventEnvelope): string | null {
  return e.agentId ? `a:${e.agentId}` : e.conversationId ? `c:${e.conversationId}` : null;
}
