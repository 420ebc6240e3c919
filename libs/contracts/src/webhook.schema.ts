import { z } from 'zod';
import { EventGlobsSchema } from './event-glob';

// Outgoing webhooks: an owner's events, signed and delivered at least once to a URL. The secret
// goes in and never comes out (stored encrypted); receivers verify `Wiz-Signature` with it.

export const CreateWebhookSchema = z.strictObject({
  url: z.url({ protocol: /^https?$/ }).max(2_000),
  /** Event types or globs (`*`, `?`): `job.*`, `approval.requested`, `*` for all. */
  events: EventGlobsSchema,
  secret: z.string().min(16, 'at least 16 characters').max(512),
});
export type CreateWebhook = z.infer<typeof CreateWebhookSchema>;

export const WebhookSchema = z.object({
  id: z.uuid(),
  url: z.string(),
  events: z.array(z.string()),
  createdAt: z.iso.datetime(),
});
export type Webhook = z.infer<typeof WebhookSchema>;

export const DeliveryStatusSchema = z.enum(['pending', 'delivered', 'failed']);
export type DeliveryStatus = z.infer<typeof DeliveryStatusSchema>;

/** One try of a delivery: the receiver's status code and the start of its answer, or the error. */
export const DeliveryAttemptSchema = z.object({
  at: z.iso.datetime(),
  durationMs: z.int(),
  responseCode: z.int().nullable(),
  responseSnippet: z.string().nullable(),
  error: z.string().nullable(),
});
export type DeliveryAttempt = z.infer<typeof DeliveryAttemptSchema>;

export const WebhookDeliverySchema = z.object({
  /** Also the `Wiz-Delivery-Id` header: the same on every retry, for receivers to de-duplicate. */
  id: z.uuid(),
  webhookId: z.uuid(),
  eventId: z.string(),
  eventType: z.string(),
  status: DeliveryStatusSchema,
  attempts: z.array(DeliveryAttemptSchema),
  nextAttemptAt: z.iso.datetime().nullable(),
  createdAt: z.iso.datetime(),
  deliveredAt: z.iso.datetime().nullable(),
});
export type WebhookDelivery = z.infer<typeof WebhookDeliverySchema>;

export const DeliveryListQuerySchema = z.strictObject({
  status: DeliveryStatusSchema.optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});
export type DeliveryListQuery = z.infer<typeof DeliveryListQuerySchema>;
