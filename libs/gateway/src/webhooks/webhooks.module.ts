import { Module } from '@nestjs/common';
import { PersistenceModule } from '@wiz/persistence';
import { QueueModule } from '@wiz/queue';
import { SecretsModule } from '@wiz/secrets';
import { WebhooksController } from './webhooks.controller';
import { WebhooksService } from './webhooks.service';

// Outgoing webhooks: registration and the record of deliveries (the runtime sends them).
@Module({
  imports: [PersistenceModule, QueueModule, SecretsModule],
  controllers: [WebhooksController],
  providers: [WebhooksService],
})
export class WebhooksModule {}
