import { Module } from '@nestjs/common';
import { PersistenceModule } from '@wiz/persistence';
import { SecretsModule } from '@wiz/secrets';
import { WebhookIntake } from './webhook.intake';
import { WebhookSender } from './webhook.sender';
import { WebhooksWorker } from './webhooks.worker';

// Outgoing webhooks, run by runtimes (never in a gateway's request path).
@Module({
  imports: [PersistenceModule, SecretsModule],
  providers: [WebhookSender, WebhookIntake, WebhooksWorker],
})
export class WebhooksModule {}
