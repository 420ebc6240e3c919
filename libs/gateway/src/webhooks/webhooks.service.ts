import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import {
  CreateWebhook,
  DeliveryListQuery,
  isUuid,
  notFound,
  PageOf,
  PageQuery,
  Webhook,
  WebhookDelivery,
  WizError,
} from '@wiz/contracts';
import { urlPolicyOf, WIZ_CONFIG, WizConfig } from '@wiz/config';
import { OwnerCaps, WebhookDeliveryEntity, WebhookEntity, WebhooksRepository } from '@wiz/persistence';
import { assertPublicUrl, UrlRefused } from '@wiz/net';
import { SECRET_BOX, SecretBox } from '@wiz/secrets';
import { WebhookDeliveries } from '@wiz/queue';

const toWebhook = (e: WebhookEntity): Webhook => ({
  id: e.id,
  url: e.url,
  events: e.events,
  createdAt: e.createdAt.toISOString(),
});

const toDelivery = (d: WebhookDeliveryEntity): WebhookDelivery => ({
  id: d.id,
  webhookId: d.webhookId,
  eventId: d.eventId,
  eventType: d.eventType,
  status: d.status,
  attempts: d.attempts,
  nextAttemptAt: d.nextAttemptAt?.toISOString() ?? null,
  createdAt: d.createdAt.toISOString(),
  deliveredAt: d.deliveredAt?.toISOString() ?? null,
});

// An owner's webhooks. The secret is sealed here and opened only by the runtime that signs
// deliveries; no answer, event or log line carries it. Every process keeps each owner's webhooks
// in memory (WebhookDeliveries): a change tells them (the `owner-config` control message) before
// it is answered.
@Injectable()
export class WebhooksService {
  constructor(
    private readonly hooks: WebhooksRepository,
    @Inject(SECRET_BOX) private readonly secrets: SecretBox,
    @Inject(WIZ_CONFIG) private readonly config: WizConfig,
    private readonly caps: OwnerCaps,
    private readonly recorder: WebhookDeliveries,
  ) {}

  async create(ownerId: string, body: CreateWebhook): Promise<Webhook> {
    await assertPublicUrl(body.url, urlPolicyOf(this.config)).catch((e: unknown) => {
      if (e instanceof UrlRefused)
        throw new WizError(
          'validation_failed',
          `webhook URL refused: ${e.message} (the operator may set WIZ_ALLOW_PRIVATE_URLS)`,
        );
      throw e;
    });
    const entity = Object.assign(new WebhookEntity(), {
      id: randomUUID(),
      ownerId,
      url: body.url,
      events: [...new Set(body.events)],
      secretEncrypted: this.secrets.encrypt(body.secret),
      createdAt: new Date(),
    } satisfies WebhookEntity);
    await this.caps.insert('webhooks', ownerId, (m) => this.hooks.insert(entity, m));
    this.recorder.changed(ownerId);
    return toWebhook(entity);
  }

  async list(ownerId: string, page: PageQuery): Promise<PageOf<Webhook>> {
    const [items, total] = await this.hooks.list(ownerId, page);
    return { items: items.map(toWebhook), total, ...page };
  }

  async get(ownerId: string, id: string): Promise<Webhook> {
    return toWebhook(await this.find(ownerId, id));
  }

  async remove(ownerId: string, id: string): Promise<void> {
    if (!isUuid(id) || !(await this.hooks.delete(ownerId, id))) throw notFound('webhook', id);
    this.recorder.changed(ownerId);
  }

  async deliveries(ownerId: string, id: string, q: DeliveryListQuery): Promise<{ items: WebhookDelivery[] }> {
    await this.find(ownerId, id);
    return { items: (await this.hooks.listDeliveries(ownerId, id, q)).map(toDelivery) };
  }

  private async find(ownerId: string, id: string): Promise<WebhookEntity> {
    const w = isUuid(id) ? await this.hooks.findById(ownerId, id) : null;
    if (!w) throw notFound('webhook', id);
    return w;
  }
}
