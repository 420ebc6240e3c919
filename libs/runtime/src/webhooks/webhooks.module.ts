import { Module } from '@nestjs/common';
import { PersistenceModule } from '@wiz/persistence';
import { QueueModule } from '@wiz/queue';
import { SecretsModule } from '@wiz/secrets';
import { WebhookSender } from './webhook.sender';
import { WebhooksWorker } from './webhooks.worker';

// Outgoing webhooks, run by runtimes (never in a gateway's request path).
@Module({
  imports: [PersistenceModule, QueueModule, SecretsModule],
  providers: [WebhookSender, WebhooksWorker],
})
export class WebhooksModule {}
