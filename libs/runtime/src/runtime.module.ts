import { DynamicModule, INestApplication, Module } from '@nestjs/common';
import { ActorRegistry, AgentModule } from '@wiz/agent';
import { ConversationsModule } from '@wiz/conversations';
import { QueueRuntimeModule, SchedulesFiringModule } from '@wiz/queue';
import { BusService, MailboxTransport, PartitionLeases } from '@wiz/bus';
import { WizConfig } from '@wiz/config';
import { PlatformModule, ReadinessChecks } from '@wiz/platform';
import { scrapeGauge } from '@wiz/telemetry';
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

// Attach the JetStream mailbox transport; `app.startAllMicroservices()` starts consuming the
// partitions this runtime leases (and gives them back on shutdown).
export function attachRuntime(app: INestApplication, config: WizConfig): MailboxTransport {
  const bus = app.get(BusService);
  const partitions = config.WIZ_MAILBOX_PARTITIONS;
  const actors = app.get(ActorRegistry);
  const leases = new PartitionLeases(bus, {
    partitions,
    replicas: config.WIZ_JETSTREAM_REPLICAS,
    heartbeatMs: LEASE_HEARTBEAT_MS,
    leaseMs: LEASE_MS,
    onGained: (p): void => {
      actors.partitionGained(p);
      transport.startPartition(p);
    },
    onLost: (p): Promise<void> => {
      actors.partitionLost(p);
      return transport.stopPartition(p);
    },
  });
  const transport: MailboxTransport = new MailboxTransport(bus, {
    partitions: Array.from({ length: partitions }, (_, i) => i),
    placement: leases,
    ackWaitMs: config.WIZ_JOB_ACK_WAIT_MS,
    shutdownGraceMs: config.WIZ_SHUTDOWN_GRACE_MS,
    admitMaxLagMs: config.WIZ_ADMIT_MAX_LAG_MS,
  });
  app.get(ReadinessChecks).register('leases', () => leases.health());
  scrapeGauge('wiz_jobs_awaiting_admission', 'Jobs this runtime holds until its event loop is on time', [], (g) =>
    g.set(transport.awaitingAdmission),
  );
  app.connectMicroservice({ strategy: transport }, { inheritAppConfig: true });
  return transport;
}

// A dead runtime's partitions move to the others within about LEASE_MS + LEASE_HEARTBEAT_MS.
const LEASE_HEARTBEAT_MS = 1_000;
const LEASE_MS = 5_000;
