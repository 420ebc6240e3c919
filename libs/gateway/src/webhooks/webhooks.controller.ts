import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import {
  CreateWebhook,
  CreateWebhookSchema,
  DeliveryListQuery,
  DeliveryListQuerySchema,
  PageOf,
  PageQuery,
  PageQuerySchema,
  Webhook,
  WebhookDelivery,
} from '@wiz/contracts';
import { Owner, ZodPipe } from '@wiz/platform';
import { WebhooksService } from './webhooks.service';

@Controller('api/v1/webhooks')
export class WebhooksController {
  constructor(private readonly webhooks: WebhooksService) {}

  @Post()
  create(@Owner() owner: string, @Body(new ZodPipe(CreateWebhookSchema)) body: CreateWebhook): Promise<Webhook> {
    return this.webhooks.create(owner, body);
  }

  @Get()
  list(
    @Owner() owner: string,
    @Query(new ZodPipe(PageQuerySchema, 'query')) page: PageQuery,
  ): Promise<PageOf<Webhook>> {
    return this.webhooks.list(owner, page);
  }

  @Get(':id')
  get(@Owner() owner: string, @Param('id') id: string): Promise<Webhook> {
    return this.webhooks.get(owner, id);
  }

  @Get(':id/deliveries')
  deliveries(
    @Owner() owner: string,
    @Param('id') id: string,
    @Query(new ZodPipe(DeliveryListQuerySchema, 'query')) q: DeliveryListQuery,
  ): Promise<{ items: WebhookDelivery[] }> {
    return this.webhooks.deliveries(owner, id, q);
  }

  @Delete(':id')
  @HttpCode(204)
  remove(@Owner() owner: string, @Param('id') id: string): Promise<void> {
    return this.webhooks.remove(owner, id);
  }
}
