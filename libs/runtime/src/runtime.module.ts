import { DynamicModule, INestApplication, Module } from '@nestjs/common';
import { AgentModule } from '@wiz/agent';
import { ConversationsModule } from '@wiz/conversations';
import { QueueRuntimeModule, SchedulesFiringModule } from '@wiz/queue';
import { BusService, MailboxTransport } from '@wiz/bus';
import { WizConfig } from '@wiz/config';
import { PlatformModule } from '@wiz/platform';
import { MailboxController } from './mailbox/mailbox.controller';
import { WebhooksModule } from './webhooks/webhooks.module';

// The runtime's features: agent actors fed by the mailbox partitions; conversations, whose
// settle hook posts an agent's reply when its job ends here.
@Module({
  imports: [AgentModule, QueueRuntimeModule, SchedulesFiringModule, ConversationsModule, WebhooksModule],
  controllers: [MailboxController],
})
export class RuntimeModule {}

@Module({})
export class RuntimeAppModule {
  static forRoot(config: WizConfig): DynamicModule {
    return { module: RuntimeAppModule, imports: [PlatformModule.forRoot(config, 'wiz-runtime'), RuntimeModule] };
  }
}

// Attach the JetStream mailbox transport; `app.startAllMicroservices()` starts consuming.
export function attachRuntime(app: INestApplication, config: WizConfig): MailboxTransport {
  const transport = new MailboxTransport(app.get(BusService), {
    partitions: Array.from({ length: config.WIZ_MAILBOX_PARTITIONS }, (_, i) => i),
    ackWaitMs: config.WIZ_JOB_ACK_WAIT_MS,
    shutdownGraceMs: config.WIZ_SHUTDOWN_GRACE_MS,
  });
  app.connectMicroservice({ strategy: transport }, { inheritAppConfig: true });
  return transport;
}
