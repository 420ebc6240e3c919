import {
  CreateWebhookSchema,
  DeliveryListQuerySchema,
  PageQuerySchema,
  pageSchemaOf,
  WebhookDeliverySchema,
  WebhookSchema,
} from '@wiz/contracts';
import { z } from 'zod';
import type { ApiRoute } from './api-route';

export const WEBHOOKS_ROUTES: ApiRoute[] = [
  {
    method: 'post',
    path: '/api/v1/webhooks',
    summary:
      "register a webhook: the owner's events matching `events` are POSTed to `url`, signed with `secret` (stored encrypted, never returned)",
    tag: 'webhooks',
    body: CreateWebhookSchema,
    status: 201,
    response: WebhookSchema,
  },
  {
    method: 'get',
    path: '/api/v1/webhooks',
    summary: 'list webhooks',
    tag: 'webhooks',
    query: PageQuerySchema,
    status: 200,
    response: pageSchemaOf(WebhookSchema),
  },
  {
    method: 'get',
    path: '/api/v1/webhooks/:id',
    summary: 'get a webhook',
    tag: 'webhooks',
    status: 200,
    response: WebhookSchema,
  },
  {
    method: 'get',
    path: '/api/v1/webhooks/:id/deliveries',
    summary: "a webhook's deliveries, newest first, with every attempt (status code, start of the answer, error)",
    tag: 'webhooks',
    query: DeliveryListQuerySchema,
    status: 200,
    response: z.object({ items: z.array(WebhookDeliverySchema) }),
  },
  {
    method: 'delete',
    path: '/api/v1/webhooks/:id',
    summary: 'delete a webhook and its deliveries',
    tag: 'webhooks',
    status: 204,
  },
];
